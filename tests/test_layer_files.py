"""Layer files are validated at startup: every mistake names the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mapserver import create_app
from mapserver.access import parse_rule
from mapserver.errors import ConfigError
from mapserver.layers import LAYER_KEYS, load_layers, parse_layer
from mapserver.settings import ROOT

GOOD = yaml.safe_load((ROOT / "layers" / "projects.yaml").read_text(encoding="utf-8"))


def variant(**changes) -> dict:
    doc = yaml.safe_load(yaml.safe_dump(GOOD, allow_unicode=True))
    for dotted, value in changes.items():
        *path, last = dotted.split("__")
        node = doc
        for key in path:
            node = node[key]
        if value is DELETE:
            del node[last]
        else:
            node[last] = value
    return doc


DELETE = object()
CASES = [
    # (changes, key named in the message, words)
    ({"colour": "red"}, "colour", "unknown key"),
    ({"table": DELETE}, "table", "missing"),
    ({"table": "projects; DROP TABLE x"}, "table", "plain lower-case SQL name"),
    ({"properties__name__width": 3}, "properties.name.width", "unknown key"),
    ({"properties__Bad Name": {}}, "properties.Bad Name", "plain lower-case SQL name"),
    ({"filters": ["name"]}, "filters", "no values or labels"),
    ({"filters": ["password_hash"]}, "filters", "not an exposed property"),
    ({"popup": ["secret"]}, "popup", "not an exposed property"),
    ({"map_properties": ["secret"]}, "map_properties", "not an exposed property"),
    ({"map_properties": "name"}, "map_properties", "must be a list"),
    ({"limit__default": 0}, "limit.default", "positive integer"),
    ({"limit__maximum": 5}, "limit.maximum", "unknown key"),
    ({"style__classes__building": {"color": "red"}}, "style.classes.building", "not a value"),
    ({"style__default__colour": "red"}, "style.default.colour", "unknown key"),
    ({"style__property": "nope"}, "style.property", "not an exposed property"),
    ({"properties__status__labels": {"table": "x", "key": "a", "label": "b"}}, "properties.status", "either"),
    ({"properties__county__labels__column": "x"}, "properties.county.labels.column", "unknown key"),
    ({"stats__sums": ["nope"]}, "stats.sums", "not an exposed property"),
    ({"stats__ratio__numerator": "name"}, "stats.ratio.numerator", "not one of stats.sums"),
    ({"read": "everyone"}, "read", "must be public, login or a list of roles"),
    ({"read": ["viewer", "mayor"]}, "read", "unknown role 'mayor'"),
    ({"read": []}, "read", "must be public, login or a list of roles"),
    ({"read": {"roles": ["viewer"]}}, "read", "must be public, login or a list of roles"),
    ({"tiles": {"cluster_pixels": 48}}, "tiles.cluster_pixels", "power of two"),
    ({"tiles": {"max_zoom": 25}}, "tiles.max_zoom", "at most 24"),
    ({"tiles": {"cluster_threshold": 0}}, "tiles.cluster_threshold", "positive integer"),
    ({"tiles": {"screen_threshold": 0}}, "tiles.screen_threshold", "positive integer"),
    ({"tiles": {"screen_threshold": "many"}}, "tiles.screen_threshold", "positive integer"),
    ({"tiles": {"zoom": 3}}, "tiles.zoom", "unknown key"),
    ({"properties__count": {}}, "properties.count", "reserved"),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "key", "words"), CASES)
def test_bad_layer_file(tmp_path: Path, changes, key, words):
    path = tmp_path / "projects.yaml"
    path.write_text(yaml.safe_dump(variant(**changes), allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        parse_layer(path)
    message = str(info.value)
    assert str(path) in message and key in message and words in message


def test_not_yaml(tmp_path: Path):
    path = tmp_path / "broken.yaml"
    path.write_text("title: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"broken\.yaml: not valid YAML"):
        parse_layer(path)


def test_empty_directory(tmp_path: Path):
    with pytest.raises(ConfigError, match="no layer files"):
        load_layers(tmp_path)


DB_CASES = [
    ({"properties__budget": {"title": "预算"}}, "properties.budget", "no such column"),
    ({"table": "nonexistent"}, "table", "does not exist"),
    ({"geometry_column": "shape"}, "geometry_column", "no column 'shape'"),
    ({"properties__county__labels__label": "title"}, "properties.county.labels.label", "no column 'title'"),
    ({"stats__sums": ["name"], "stats__ratio": DELETE}, "stats.sums", "not numeric"),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "key", "words"), DB_CASES)
def test_layer_checked_against_database(tmp_path: Path, demo_url, changes, key, words):
    path = tmp_path / "projects.yaml"
    path.write_text(yaml.safe_dump(variant(**changes), allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        create_app({"database_url": demo_url, "layers_dir": tmp_path})
    message = str(info.value)
    assert str(path) in message and key in message and words in message


def test_layers_are_immutable(app):
    layer = app.extensions["mapserver"].layers["projects"]
    with pytest.raises(TypeError):
        layer.properties["x"] = None
    with pytest.raises(AttributeError):
        layer.table = "users"


def test_map_properties_add_what_the_map_filters_and_colours_by():
    layers = load_layers(ROOT / "layers")
    projects = layers["projects"]
    assert projects.map_properties[:2] == ("name", "owner_unit")
    assert set(projects.filters) | {projects.style["property"]} <= set(projects.map_properties)
    assert layers["counties"].map_properties is None


@pytest.mark.parametrize("key", sorted(LAYER_KEYS))
def test_every_layer_key_is_documented(key):
    assert f"| `{key}` |" in (ROOT / "docs" / "layers.md").read_text(encoding="utf-8")


def test_read_rules_of_the_shipped_layers():
    layers = load_layers(ROOT / "layers")
    assert layers["projects"].read.describe() == "public"  # the public battle map
    assert layers["photos"].read.describe() == "login"
    assert parse_rule(["screen", "dispatcher"]).describe() == ["dispatcher", "screen"]


def test_screen_threshold_is_read_and_offered_to_the_battle_map(tmp_path: Path, app):
    """The battle map draws a layer from tiles above `tiles.screen_threshold` features."""
    path = tmp_path / "projects.yaml"
    path.write_text(yaml.safe_dump(variant(tiles={"screen_threshold": 12})), encoding="utf-8")
    assert parse_layer(path).tiles.screen_threshold == 12
    assert load_layers(ROOT / "layers")["projects"].tiles.screen_threshold == 5000
    described = app.test_client().get("/layers/projects").get_json()["tiles"]
    assert described["screen_threshold"] == 5000
    assert described["url"].endswith("/ogc/collections/projects/tiles/WebMercatorQuad/{z}/{y}/{x}")
