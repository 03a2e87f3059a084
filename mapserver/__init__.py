"""Guang'an key-project battle-map server (广安市重点项目“挂图作战”地图服务)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from mapserver.accounts import secretkey
from mapserver.battle import rules
from mapserver.errors import ConfigError
from mapserver.features.live import Notifier
from mapserver.layers import Layer, load_layers
from mapserver.settings import ROOT, Settings
from mapserver.store import claims, owner, replicas
from mapserver.store.db import make_engine
from mapserver.vocabulary import Vocabulary
from mapserver.web.state import AppState


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The app; ``config`` overrides settings by field name (see :class:`Settings`)."""
    settings = Settings.load(overrides=config)
    if not settings.database_url:
        raise ConfigError("MAPSERVER_DATABASE_URL is not set (`make run` sets it up for you)")
    # The owner's startup work first; the app itself logs in as a role that owns nothing.
    claim_key = claims.subkey(secretkey.load(settings.secret_key))
    owner_url = settings.admin_database_url or settings.database_url
    battle_rules = owner.prepare(owner_url, settings.layers_dir, claim_key)
    engine = make_engine(
        settings.database_url,
        settings.pool_size,
        settings.statement_timeout_ms,
        settings.spatial_filter_slots,
        claim_key,
    )
    owner.warn_if_owner(engine)
    layers = load_layers(settings.layers_dir, engine)
    return _app(settings, engine, layers, battle_rules)


def route_map(config: Mapping[str, Any] | None = None) -> Flask:
    """The app's routes without a database (``python -m mapserver routes``): the same app,
    its engine never connected, its layers and rules read from their files only."""
    offline = {"database_url": "postgresql://offline/offline", **(config or {})}
    settings = Settings.load(overrides=offline)
    engine = make_engine(settings.database_url, 1)
    return _app(settings, engine, load_layers(settings.layers_dir), rules.load(settings.layers_dir))


def _app(
    settings: Settings, engine: Engine, layers: Mapping[str, Layer], battle_rules: rules.Rules
) -> Flask:
    app = Flask(__name__, static_folder=str(ROOT / "static"), static_url_path="/static")
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    app.extensions["mapserver"] = AppState(
        settings,
        engine,
        layers,
        Vocabulary(engine),
        Notifier(conninfo),
        battle_rules,
        _router(settings, engine),
    )
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    if settings.proxies:
        # Behind nginx the client's address (login throttle), scheme (Secure cookie) and
        # host (links in OGC documents) come from the proxies' headers, and from nobody else's.
        n = settings.proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)  # type: ignore[method-assign]
    _blueprints(app)
    return app


def _router(settings: Settings, engine: Engine) -> replicas.Router | None:
    """The read replicas' router, or None without replicas."""
    found = replicas.urls(settings.read_database_urls)
    if not found:
        return None
    s = settings
    engines = [
        make_engine(
            url, s.pool_size, s.statement_timeout_ms, s.spatial_filter_slots, connect_timeout=2
        )
        for url in found
    ]
    named = [replicas.Replica(f"replica{i}", e) for i, e in enumerate(engines, 1)]
    return replicas.Router(engine, named, s.replica_max_lag_s)


def _blueprints(app: Flask) -> None:
    """Every route, errors as problem+json, and the login machinery.

    The routes come from one table, ``web.routes`` (``python -m mapserver routes``
    lists them; tests/test_routes_documented.py checks the docs name every route); the rest
    are the hooks every request passes through, in the order they must run.
    """
    from mapserver.web import (
        auth,
        basemap,
        bodies,
        error_handlers,
        headers,
        instrumentation,
        items,
        ogc,
        photos,
        reading,
        replication,
        routes,
    )

    error_handlers.register(app)
    instrumentation.init_app(app, app.extensions["mapserver"].settings)
    ogc.init_app(app)
    items.init_app(app)
    routes.register(app)
    auth.init_app(app)
    reading.init_app(app)
    replication.init_app(app)
    settings = app.extensions["mapserver"].settings
    headers.init_app(app, settings)
    basemap.init_app(app, settings)
    photo_upload = {"/battle/photos": settings.photo_max_bytes + photos.FORM_OVERHEAD}
    bodies.init_app(app, settings.max_body_bytes, photo_upload)
