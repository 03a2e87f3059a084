"""Layer definitions: ``layers/<id>.yaml`` loaded, validated and frozen at startup.

A layer file is the allowlist for everything a request may name: properties,
filters, the style and popup. Anything unknown or missing stops the server
with the file and key in the message.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa
import yaml
from sqlalchemy.engine import Engine

from mapserver.accounts.access import PUBLIC, ReadRule
from mapserver.configfile import IDENTIFIER, Where
from mapserver.errors import ConfigError

LAYER_KEYS = {
    "title",
    "description",
    "table",
    "id_column",
    "geometry_column",
    "order_by",
    "limit",
    "properties",
    "filters",
    "style",
    "popup",
    "map_properties",
    "legend_title",
    "stats",
    "deleted_column",
    "read",
    "tiles",
    "search",
}
PROPERTY_KEYS = {"title", "values", "labels", "unit"}
LABELS_KEYS = {"table", "key", "label"}
LIMIT_KEYS = {"default", "max"}
STYLE_KEYS = {"property", "default", "classes"}
STATS_KEYS = {"group_by", "sums", "ratio"}
RATIO_KEYS = {"name", "numerator", "denominator"}
TILES_KEYS = {"max_zoom", "cluster_threshold", "cluster_pixels", "screen_threshold"}
# Attributes every vector tile feature may carry besides the layer's (docs/tiles.md).
TILE_ATTRIBUTES = ("id", "count", "cluster")
NUMERIC = {"numeric", "int2", "int4", "int8", "float4", "float8"}
PATH_OPTIONS = {
    "color",
    "fillColor",
    "weight",
    "opacity",
    "fillOpacity",
    "radius",
    "dashArray",
}


@dataclass(frozen=True)
class LabelSource:
    """Labels for codes, read from a table of the database."""

    table: str
    key: str
    label: str


@dataclass(frozen=True)
class Property:
    name: str
    title: str
    unit: str | None = None
    values: Mapping[str, str] | None = None  # code -> label, from the file
    labels: LabelSource | None = None  # code -> label, from the database

    @property
    def coded(self) -> bool:
        return self.values is not None or self.labels is not None


@dataclass(frozen=True)
class StatsSpec:
    """What ``/stats`` reports for a layer: counts per coded property, sums, one ratio."""

    group_by: tuple[str, ...] = ()
    sums: tuple[str, ...] = ()
    ratio: Mapping[str, str] | None = None


@dataclass(frozen=True)
class TileSpec:
    """How a layer's vector tiles are built (docs/tiles.md): the deepest zoom served, and
    above how many features a tile owns its points are aggregated into clusters on a grid
    of ``cluster_pixels`` (of a 256-pixel tile); above how many features in its filter the
    battle map draws the layer from tiles instead of loading it as GeoJSON."""

    max_zoom: int = 22
    cluster_threshold: int = 2000
    cluster_pixels: int = 32
    screen_threshold: int = 5000


@dataclass(frozen=True)
class Layer:
    id: str
    title: str
    description: str
    table: str
    id_column: str
    geometry_column: str
    order_by: str
    default_limit: int
    max_limit: int
    properties: Mapping[str, Property]
    filters: tuple[str, ...]
    style: Mapping[str, Any]
    popup: tuple[str, ...]
    legend_title: str
    stats: StatsSpec
    digest: str  # changes whenever the file does; part of every ETag
    deleted_column: str | None = None  # rows where it is set are deleted (restorable)
    # What the battle map loads for every feature (None: everything); see _map_properties.
    map_properties: tuple[str, ...] | None = None
    read: ReadRule = PUBLIC  # who may read the layer (mapserver/accounts/access.py)
    tiles: TileSpec = TileSpec()
    # What ``q`` searches besides the id (a substring, case-insensitive): text properties.
    search: tuple[str, ...] = ()
    # column -> udt_name, filled in when the file is checked against the database
    types: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


def load_layers(directory: Path, engine: Engine | None = None) -> Mapping[str, Layer]:
    """Every ``*.yaml`` in ``directory``; checked against the database when given."""
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise ConfigError(f"{directory}: no layer files (*.yaml)")
    layers = {f.stem: parse_layer(f) for f in files}
    if engine is not None:
        with engine.connect() as conn:
            for path, layer in zip(files, layers.values()):
                check_columns(path, layer, conn)
            layers = {
                name: replace(layer, types=MappingProxyType(column_types(conn, layer.table)))
                for name, layer in layers.items()
            }
    return MappingProxyType(layers)


def parse_layer(path: Path) -> Layer:
    text, doc = _read_document(path)
    where = Where(path)
    doc = where.mapping(
        doc,
        "",
        LAYER_KEYS,
        required={"title", "table", "id_column", "geometry_column", "properties"},
    )
    properties = _properties(where, doc["properties"])
    default_limit, max_limit = _limits(where, doc.get("limit", {}))
    filters = tuple(where.names(doc.get("filters", []), "filters", properties, coded=True))
    popup = tuple(where.names(doc.get("popup", []), "popup", properties))
    style = _style(where, doc.get("style"), properties)
    return Layer(
        id=path.stem,
        title=where.text(doc["title"], "title"),
        description=where.text(doc.get("description", ""), "description"),
        table=where.identifier(doc["table"], "table"),
        id_column=where.identifier(doc["id_column"], "id_column"),
        geometry_column=where.identifier(doc["geometry_column"], "geometry_column"),
        order_by=where.identifier(doc.get("order_by", doc["id_column"]), "order_by"),
        default_limit=default_limit,
        max_limit=max_limit,
        properties=MappingProxyType(properties),
        filters=filters,
        style=style,
        popup=popup,
        map_properties=_map_properties(where, doc, properties, filters, style),
        legend_title=where.text(doc.get("legend_title", doc["title"]), "legend_title"),
        stats=_stats(where, doc.get("stats", {}), properties),
        tiles=_tiles(where, doc.get("tiles", {}), properties),
        digest=hashlib.sha256(text.encode()).hexdigest()[:16],
        deleted_column=(
            where.identifier(doc["deleted_column"], "deleted_column")
            if "deleted_column" in doc
            else None
        ),
        read=where.read_rule(doc.get("read", "public"), "read"),
        search=tuple(where.names(doc.get("search", []), "search", properties)),
    )


def _read_document(path: Path) -> tuple[str, Any]:
    """The file's text (its digest tells caches apart) and its YAML, named by the file."""
    text = path.read_text(encoding="utf-8")
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not IDENTIFIER.match(path.stem):
        raise ConfigError(
            f"{path}: the file name is the layer id and must match {IDENTIFIER.pattern}"
        )
    return text, doc


def _limits(where: Where, raw: Any) -> tuple[int, int]:
    limit = where.mapping(raw, "limit", LIMIT_KEYS)
    default_limit = where.integer(limit.get("default", 100), "limit.default")
    max_limit = where.integer(limit.get("max", 10000), "limit.max")
    if default_limit > max_limit:
        raise ConfigError(f"{where.path}: limit.default is larger than limit.max")
    return default_limit, max_limit


def _properties(where: Where, raw: Any) -> dict[str, Property]:
    raw = where.mapping(raw, "properties")
    out = {}
    for name, spec in raw.items():
        key = f"properties.{name}"
        where.identifier(name, key)
        spec = where.mapping(spec or {}, key, PROPERTY_KEYS)
        values = None
        if "values" in spec:
            vals = where.mapping(spec["values"], f"{key}.values")
            values = MappingProxyType(
                {str(k): where.text(v, f"{key}.values.{k}") for k, v in vals.items()}
            )
        labels = None
        if "labels" in spec:
            src = where.mapping(spec["labels"], f"{key}.labels", LABELS_KEYS, required=LABELS_KEYS)
            labels = LabelSource(
                **{k: where.identifier(v, f"{key}.labels.{k}") for k, v in src.items()}
            )
        if values is not None and labels is not None:
            raise ConfigError(f"{where.path}: {key}: give either values or labels, not both")
        title = where.text(spec.get("title", name), f"{key}.title")
        unit = spec.get("unit")
        out[name] = Property(name, title, unit and where.text(unit, f"{key}.unit"), values, labels)
    return out


def _style(where: Where, raw: Any, properties: dict[str, Property]) -> Mapping[str, Any]:
    if raw is None:
        return MappingProxyType({"default": {}})
    raw = where.mapping(raw, "style", STYLE_KEYS)
    default = _path_options(where, raw.get("default", {}), "style.default")
    style: dict[str, Any] = {"default": default}
    if "property" in raw:
        style["property"] = where.names([raw["property"]], "style.property", properties, True)[0]
        prop = properties[style["property"]]
        classes = where.mapping(raw.get("classes", {}), "style.classes")
        for code in classes:
            if prop.values is not None and str(code) not in prop.values:
                raise ConfigError(f"{where.path}: style.classes.{code}: not a value of {prop.name}")
        style["classes"] = {
            str(k): _path_options(where, v, f"style.classes.{k}") for k, v in classes.items()
        }
    return MappingProxyType(style)


def _stats(where: Where, raw: Any, properties: dict[str, Property]) -> StatsSpec:
    raw = where.mapping(raw, "stats", STATS_KEYS)
    group_by = where.names(raw.get("group_by", []), "stats.group_by", properties, coded=True)
    sums = where.names(raw.get("sums", []), "stats.sums", properties)
    ratio = None
    if "ratio" in raw:
        ratio = where.mapping(raw["ratio"], "stats.ratio", RATIO_KEYS, required=RATIO_KEYS)
        where.identifier(ratio["name"], "stats.ratio.name")
        for k in ("numerator", "denominator"):
            if ratio[k] not in sums:
                raise where.fail(f"stats.ratio.{k}", f"{ratio[k]!r} is not one of stats.sums")
        ratio = MappingProxyType(dict(ratio))
    return StatsSpec(tuple(group_by), tuple(sums), ratio)


def _tiles(where: Where, raw: Any, properties: dict[str, Property]) -> TileSpec:
    raw = where.mapping(raw, "tiles", TILES_KEYS)
    spec = TileSpec(**{k: where.integer(v, f"tiles.{k}") for k, v in raw.items()})
    if spec.max_zoom > 24:
        raise where.fail("tiles.max_zoom", "must be at most 24 (WebMercatorQuad's deepest)")
    pixels = spec.cluster_pixels
    if pixels < 4 or pixels > 256 or pixels & (pixels - 1):
        raise where.fail("tiles.cluster_pixels", "must be a power of two from 4 to 256")
    for name in TILE_ATTRIBUTES:
        if name in properties:
            raise where.fail(f"properties.{name}", "is reserved for vector tiles' own attribute")
    return spec


def _path_options(where: Where, value: Any, key: str) -> dict:
    return dict(where.mapping(value, key, PATH_OPTIONS))


def _map_properties(
    where: Where, doc: dict, properties: dict, filters: tuple[str, ...], style: Mapping[str, Any]
) -> tuple[str, ...] | None:
    """``map_properties`` plus what the map filters and colours by: all the big screen loads
    for every feature (a third of the bytes of all properties); the detail panel fetches the
    rest of a feature when it is opened."""
    if "map_properties" not in doc:
        return None
    named = where.names(doc["map_properties"], "map_properties", properties)
    styled = [style["property"]] if "property" in style else []
    return tuple(dict.fromkeys([*named, *filters, *styled]))


def check_columns(path: Path, layer: Layer, conn: sa.Connection) -> None:
    """Every column a layer names must exist in the database."""
    columns = column_types(conn, layer.table)
    if not columns:
        raise ConfigError(f"{path}: table: {layer.table!r} does not exist")
    for key in ("id_column", "geometry_column", "order_by", "deleted_column"):
        if getattr(layer, key) is not None and getattr(layer, key) not in columns:
            raise ConfigError(f"{path}: {key}: no column {getattr(layer, key)!r} in {layer.table}")
    for prop in layer.properties.values():
        if prop.name not in columns:
            raise ConfigError(f"{path}: properties.{prop.name}: no such column in {layer.table}")
        if prop.labels:
            _check_labels(path, prop, column_types(conn, prop.labels.table))
    for name in layer.stats.sums:
        if columns[name] not in NUMERIC:
            raise ConfigError(f"{path}: stats.sums: column {name!r} is not numeric")


def _check_labels(path: Path, prop: Property, label_columns: dict[str, str]) -> None:
    for k in ("key", "label"):
        if getattr(prop.labels, k) not in label_columns:
            raise ConfigError(
                f"{path}: properties.{prop.name}.labels.{k}: no column "
                f"{getattr(prop.labels, k)!r} in table {prop.labels.table!r}"
            )


def column_types(conn: sa.Connection, table: str) -> dict[str, str]:
    """column -> PostgreSQL type name (udt_name) of a table in the current schema."""
    rows = conn.execute(
        sa.text(
            "SELECT column_name, udt_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = :t"
        ),
        {"t": table},
    )
    return dict(rows.all())
