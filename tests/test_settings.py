"""Settings: validated at startup, and every one documented in the README."""

from __future__ import annotations

import pytest

from mapserver import create_app
from mapserver.errors import ConfigError
from mapserver.settings import ROOT, Settings


@pytest.mark.parametrize("name", Settings.names())
def test_every_setting_is_documented(name):
    assert f"`{name}`" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_unknown_setting_stops_startup():
    with pytest.raises(ConfigError, match="MAPSERVER_PORTT"):
        Settings.load({"MAPSERVER_PORTT": "8000"})


@pytest.mark.parametrize(
    ("name", "value"), [("MAPSERVER_PORT", "eighty"), ("MAPSERVER_WORKERS", "-1")]
)
def test_bad_numbers(name, value):
    with pytest.raises(ConfigError, match=name):
        Settings.load({name: value})


def test_values_are_converted():
    s = Settings.load(
        {"MAPSERVER_PORT": "9000", "MAPSERVER_HEARTBEAT": "0.5", "MAPSERVER_TILE_URL": ""}
    )
    assert s.port == 9000 and s.heartbeat == 0.5 and s.tile_url is None


def test_database_url_required():
    with pytest.raises(ConfigError, match="MAPSERVER_DATABASE_URL"):
        create_app({"database_url": None})


def test_unknown_override():
    with pytest.raises(ConfigError, match="colour"):
        Settings.load({}, {"colour": "red"})
