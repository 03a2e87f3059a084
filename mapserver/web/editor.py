"""The editor page (``/edit``): county staff draw and edit their projects' sites.

The page is static (static/edit.html and its ES modules); like the battle map it gets
the layer catalog and settings inline, plus the editable fields as attributes.py
defines them, so the form always offers exactly what the write API accepts. Without a login the
request is sent to ``/login?next=/edit``; the page itself checks ``/auth/me`` too (a
session can end while it is open, or the page come from the cache).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Response, current_app, redirect, request

from mapserver.accounts.roles import ROLE_TITLES, Actor
from mapserver.editing import attributes
from mapserver.features import catalog, query
from mapserver.features.query_sql import capped_count_sql
from mapserver.layers import Layer
from mapserver.vocabulary import Vocabulary
from mapserver.web import startpage
from mapserver.web.auth import current_actor
from mapserver.web.pages import page_config
from mapserver.web.state import current

EDITED_LAYER = "projects"
LOGIN = "/login?next=/edit"


def describe_fields(layer: Layer, vocab: Vocabulary) -> list[dict[str, Any]]:
    """The editable fields in form order: kind, required, length, unit and coded values."""
    out = []
    for field in attributes.FIELDS.values():
        prop = layer.properties[field.name]
        entry: dict[str, Any] = {
            "name": field.name,
            "title": prop.title,
            "kind": field.kind,
            "required": field.required,
        }
        if field.kind == "text":
            entry["max_length"] = field.max_length
        if prop.unit:
            entry["unit"] = prop.unit
        if field.kind == "code":
            entry["values"] = [{"code": k, "label": v} for k, v in vocab.labels(prop).items()]
        out.append(entry)
    return out


def edit_scope(actor: Actor) -> dict[str, Any]:
    """Above the layer's ``tiles.screen_threshold`` projects the editor draws them from
    vector tiles and loads as GeoJSON (editable, listed) only the county editor's county;
    a city-wide user's, none (docs/editor.md). Counts at most threshold + 1 rows."""
    state = current()
    layer = state.layer(EDITED_LAYER)
    threshold = layer.tiles.screen_threshold
    sql, params = capped_count_sql(query.parse(layer, {}, state.vocabulary), threshold + 1)
    with state.engine.connect() as conn:
        tiled = conn.execute(sa.text(sql), params).scalar_one() > threshold
    return {"tiled": tiled, "county": actor.county if tiled else None}


def first_requests(limits: dict[str, int], scope: dict[str, Any]) -> list[str]:
    """The page's first feeds (static/js/edit/main.js builds the same URLs)."""
    urls = [f"/layers/counties.geojson?limit={limits['counties']}"]
    if not scope["tiled"]:
        urls.append(f"/layers/projects.geojson?limit={limits['projects']}")
    elif scope["county"]:
        urls.append(f"/layers/projects.geojson?county={scope['county']}&limit={limits['projects']}")
    return urls


def edit_page() -> Response:
    actor = current_actor()
    if actor is None:
        return redirect(LOGIN, 303)
    state = current()
    base = request.url_root.rstrip("/")
    layers = [catalog.describe(layer, state.vocabulary, base) for layer in state.layers.values()]
    fields = describe_fields(state.layer(EDITED_LAYER), state.vocabulary)
    html = Path(current_app.static_folder, "edit.html").read_text(encoding="utf-8")
    limits = {layer["id"]: layer["limit"]["max"] for layer in layers}
    scope = edit_scope(actor)
    preload = first_requests(limits, scope)
    boot = {"layers": layers, "config": page_config(), "fields": fields, "roles": ROLE_TITLES}
    boot["scope"] = scope
    page = startpage.render(html, boot, preload)
    return Response(page, mimetype="text/html", headers={"Cache-Control": "no-cache"})
