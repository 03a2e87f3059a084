"""Settings: validated at startup, and every one documented in the README."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from mapserver import runner
from mapserver.accounts.throttle import Policy
from mapserver.errors import ConfigError
from mapserver.settings import ROOT, Settings
from mapserver.store.db import make_engine


@pytest.mark.parametrize("name", Settings.names())
def test_every_setting_is_documented(name):
    assert f"`{name}`" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_unknown_setting_stops_startup():
    with pytest.raises(ConfigError, match="MAPSERVER_PORTT"):
        Settings.load({"MAPSERVER_PORTT": "8000"})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MAPSERVER_PORT", "eighty"),
        ("MAPSERVER_WORKERS", "-1"),
        ("MAPSERVER_STATEMENT_TIMEOUT_MS", "10s"),
        ("MAPSERVER_SPATIAL_FILTER_SLOTS", "-1"),
    ],
)
def test_bad_numbers(name, value):
    with pytest.raises(ConfigError, match=name):
        Settings.load({name: value})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("login_limit", "ten a minute"),
        ("login_limit", "10 per minute; 100 per hour"),
        ("login_free_failures", 0),
        ("login_max_delay", 0.0),
        ("login_max_delay", -5.0),
        ("login_max_delay", float("nan")),
        ("login_max_delay", 1e6),
    ],
)
def test_bad_login_throttle_settings(name, value):
    with pytest.raises(ConfigError, match=f"MAPSERVER_{name.upper()}"):
        Policy.from_settings(Settings.load({}, {name: value}))


@pytest.mark.parametrize(
    "value", ["106,30,107", "a,b,c,d", "107,30,106,31", "106,30,107,nan", "106,-95,107,31"]
)
def test_a_bad_site_extent_stops_startup(demo_url, value, make_app):
    with pytest.raises(ConfigError, match="MAPSERVER_SITE_EXTENT"):
        make_app(database_url=demo_url, site_extent=value)


def test_values_are_converted():
    s = Settings.load(
        {"MAPSERVER_PORT": "9000", "MAPSERVER_HEARTBEAT": "0.5", "MAPSERVER_TILE_URL": ""}
    )
    assert s.port == 9000 and s.heartbeat == 0.5 and s.tile_url is None


def test_database_url_required(make_app):
    with pytest.raises(ConfigError, match="MAPSERVER_DATABASE_URL"):
        make_app(database_url=None)


def test_unknown_override():
    with pytest.raises(ConfigError, match="colour"):
        Settings.load({}, {"colour": "red"})


def show_timeout(engine) -> str:
    with engine.connect() as conn:
        return conn.execute(sa.text("SHOW statement_timeout")).scalar_one()


@pytest.mark.parametrize(("ms", "shown"), [(None, "10s"), (1234, "1234ms"), (0, "0")])
def test_statement_timeout_bounds_the_apps_connections(demo_url, make_app, ms, shown):
    config = {"database_url": demo_url, **({} if ms is None else {"statement_timeout_ms": ms})}
    state = make_app(**config).extensions["mapserver"]
    assert show_timeout(state.engine) == shown
    assert state.engine.get_execution_options()["spatial_filter_slots"] == 1


def test_migrations_and_the_loader_have_no_statement_timeout(demo_url):
    """Their engines (runner.prepare, the CLI, schema) are made without the setting."""
    engine = make_engine(demo_url, 1)
    try:
        assert show_timeout(engine) == "0"
    finally:
        engine.dispose()


def test_gunicorn_caps_request_lines_and_headers():
    command = runner.gunicorn_command(Settings())
    for flag, value in zip(runner.REQUEST_LIMITS[::2], runner.REQUEST_LIMITS[1::2], strict=True):
        assert command[command.index(flag) + 1] == value
    assert runner.MAX_REQUEST_LINE == 8190  # gunicorn's most, short of no limit at all
