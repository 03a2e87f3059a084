"""OGC API – Features (Part 1 Core, GeoJSON): the documents, built from plain arguments.

The web layer (:mod:`mapserver.web.ogc`) passes in URLs, layers and a
connection; nothing here reads the request. Items are not built here: they
are the ``/layers`` feed (:mod:`mapserver.features.query` + :mod:`mapserver.features.feed`)
with OGC links and members added.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from mapserver.errors import InvalidParameter, NotAcceptable, NotFound
from mapserver.features.feed import GEOJSON
from mapserver.features.query import FILTERING, SEARCH, FeatureQuery, temporal_column
from mapserver.features.query_sql import features_sql, live_sql
from mapserver.geo import ogc_crs
from mapserver.layers import Layer
from mapserver.ogc import downloads
from mapserver.vocabulary import Vocabulary

JSON = "application/json"
SCHEMA = "application/schema+json"
HTML = "text/html"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
CRS84 = ogc_crs.DEFAULT.uri
GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
_SPEC = "http://www.opengis.net/spec/"
CONFORMANCE = (
    f"{_SPEC}ogcapi-features-1/1.0/conf/core",
    f"{_SPEC}ogcapi-features-1/1.0/conf/geojson",
    f"{_SPEC}ogcapi-features-1/1.0/conf/html",
    f"{_SPEC}ogcapi-features-1/1.0/conf/oas30",
    f"{_SPEC}ogcapi-features-2/1.0/conf/crs",
    f"{_SPEC}ogcapi-features-3/1.0/conf/filter",
    f"{_SPEC}ogcapi-features-3/1.0/conf/features-filter",
    f"{_SPEC}cql2/1.0/conf/cql2-text",
    f"{_SPEC}cql2/1.0/conf/cql2-json",
    f"{_SPEC}cql2/1.0/conf/basic-cql2",
    f"{_SPEC}cql2/1.0/conf/advanced-comparison-operators",
    f"{_SPEC}cql2/1.0/conf/case-insensitive-comparison",
    f"{_SPEC}cql2/1.0/conf/basic-spatial-functions",
    f"{_SPEC}cql2/1.0/conf/basic-spatial-functions-plus",
    f"{_SPEC}cql2/1.0/conf/spatial-functions",
    f"{_SPEC}ogcapi-features-4/1.0/conf/create-replace-delete",
    f"{_SPEC}ogcapi-features-4/1.0/conf/update",
    f"{_SPEC}ogcapi-features-4/1.0/conf/optimistic-locking-etags",
    f"{_SPEC}ogcapi-features-4/1.0/conf/features",
    *(f"{_SPEC}ogcapi-tiles-1/1.0/conf/{name}"
      for name in ("core", "tileset", "tilesets-list", "geodata-tilesets", "mvt", "oas30")),
)  # fmt: skip
REL_QUERYABLES = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
REL_TILESETS = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
REL_TILING_SCHEMES = "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes"
# OGC items parameters besides the layer's code filters
PAGING = ("bbox", "bbox-crs", "limit", "offset", "datetime", "crs", *FILTERING, "sortby",
          "properties", SEARCH)  # fmt: skip
FORMATS = ("json", "html")  # values of ``f``
ITEMS_FORMATS = (*FORMATS, *downloads.FORMATS)  # items also come as files
BY_MEDIA = {HTML: "html", **{d.media: d.name for d in downloads.FORMATS.values()}}
TITLE = "广安市重点项目“挂图作战” OGC API – Features"
DESCRIPTION = (
    "广安市省、市重点项目及行政区划图层，符合 OGC API – Features 第1部分（核心）、"
    "第2部分（按引用的坐标参考系）和第3部分（CQL2 过滤）"
)
JSON_TYPES = {
    "text": {"type": "string"},
    "varchar": {"type": "string"},
    "bool": {"type": "boolean"},
    "int2": {"type": "integer"},
    "int4": {"type": "integer"},
    "int8": {"type": "integer"},
    "numeric": {"type": "number"},
    "float4": {"type": "number"},
    "float8": {"type": "number"},
    "date": {"type": "string", "format": "date"},
    "timestamptz": {"type": "string", "format": "date-time"},
    "timestamp": {"type": "string", "format": "date-time"},
}


def link(href: str, rel: str, media: str, title: str) -> dict[str, str]:
    return {"href": href, "rel": rel, "type": media, "title": title}


def negotiate(
    f: Sequence[str] | None, accepted: str | None, formats: Sequence[str] = FORMATS
) -> str:
    """One of ``formats`` from ``f`` (wins) or the Accept header's best offered match."""
    if f is not None:
        if len(f) != 1:
            raise InvalidParameter(f"parameter 'f' given {len(f)} times", parameter="f")
        if f[0] not in formats:
            raise InvalidParameter(
                f"f: unsupported format {f[0][:50]!r}", parameter="f", allowed=list(formats)
            )
        return f[0]
    if accepted is None:
        raise NotAcceptable(
            f"offered here: {', '.join(formats)} (see Accept, or use f={'|'.join(formats)})"
        )
    return BY_MEDIA.get(accepted, "json")


def no_other_parameters(args: Iterable[str], allowed: Sequence[str] = ()) -> None:
    for name in args:
        if name not in allowed:
            raise InvalidParameter(
                f"unknown parameter {name!r}", parameter=name, allowed=["f", *allowed]
            )


def landing(root: str) -> dict[str, Any]:
    return {
        "title": TITLE,
        "description": DESCRIPTION,
        "links": [
            link(f"{root}?f=json", "self", JSON, "本文档 This document"),
            link(f"{root}?f=html", "alternate", HTML, "网页版 This document as HTML"),
            link(f"{root}/api?f=json", "service-desc", OPENAPI, "API 定义 (OpenAPI 3.0)"),
            link(f"{root}/conformance?f=json", "conformance", JSON, "符合性声明 Conformance"),
            link(f"{root}/collections?f=json", "data", JSON, "要素集合 Collections"),
            link(f"{root}/tileMatrixSets", REL_TILING_SCHEMES, JSON, "瓦片矩阵集 Tile matrix sets"),
        ],
    }


def conformance(root: str) -> dict[str, Any]:
    return {
        "links": [
            link(f"{root}/conformance?f=json", "self", JSON, "符合性声明 Conformance"),
            link(f"{root}/conformance?f=html", "alternate", HTML, "符合性声明（网页）"),
        ],
        "conformsTo": list(CONFORMANCE),
    }


def collection(layer: Layer, extent: Mapping[str, Any] | None, root: str) -> dict[str, Any]:
    """One collection: a layer, its extent (from :class:`ExtentCache`), CRS and links."""
    here = f"{root}/collections/{layer.id}"
    out: dict[str, Any] = {"id": layer.id, "title": layer.title, "description": layer.description}
    if extent:
        out["extent"] = dict(extent)
    out.update(itemType="feature", crs=list(ogc_crs.URIS), storageCrs=CRS84)
    out["links"] = [
        link(f"{here}?f=json", "self", JSON, layer.title),
        link(f"{here}?f=html", "alternate", HTML, f"{layer.title}（网页）"),
        link(f"{here}/items?f=json", "items", GEOJSON, f"{layer.title}（GeoJSON 要素）"),
        link(f"{here}/items?f=html", "items", HTML, f"{layer.title}（要素网页）"),
        link(f"{here}/queryables?f=json", REL_QUERYABLES, SCHEMA, "可查询属性 Queryables"),
        link(f"{here}/tiles?f=json", REL_TILESETS, JSON, "矢量瓦片 Vector tilesets"),
    ]
    for name, d in downloads.FORMATS.items():
        title = f"{layer.title}：全部下载 {DOWNLOAD_TITLES[name]}"
        out["links"].append(link(f"{here}/items?f={name}", "enclosure", d.media, title))
    return out


def collections(
    layers: Iterable[Layer], extents: Mapping[str, Mapping | None], root: str
) -> dict[str, Any]:
    return {
        "links": [
            link(f"{root}/collections?f=json", "self", JSON, "要素集合 Collections"),
            link(f"{root}/collections?f=html", "alternate", HTML, "要素集合（网页）"),
        ],
        "collections": [collection(layer, extents.get(layer.id), root) for layer in layers],
    }


class ExtentCache:
    """Spatial (ST_Extent) and temporal (updated_at) extents, kept per data version."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str, str, int], dict | None] = {}

    def get(self, conn: sa.Connection, layer: Layer, version: int) -> dict | None:
        key = (str(conn.engine.url), layer.id, layer.digest, version)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        value = compute_extent(conn, layer)
        with self._lock:
            if len(self._cache) > 1000:
                self._cache.clear()
            self._cache[key] = value
        return value


def compute_extent(conn: sa.Connection, layer: Layer) -> dict | None:
    """``extent`` of a collection; identifiers come from the layer file."""
    time = temporal_column(layer)
    times = f'min(t."{time}"), max(t."{time}")' if time else "NULL, NULL"
    sql = (
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), t0, t1 FROM"
        f' (SELECT ST_Extent(t."{layer.geometry_column}") e, {times}'
        f' FROM "{layer.table}" t WHERE {live_sql(layer)}) s(e, t0, t1)'
    )
    row = conn.execute(sa.text(sql)).one()
    out: dict[str, Any] = {}
    if row[0] is not None:
        out["spatial"] = {"bbox": [[float(v) for v in row[:4]]], "crs": CRS84}
    if time and row[4] is not None:
        out["temporal"] = {"interval": [[_rfc3339(row[4]), _rfc3339(row[5])]], "trs": GREGORIAN}
    return out or None


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def queryables(layer: Layer, vocab: Vocabulary, types: Mapping[str, str], url: str) -> dict:
    """A JSON Schema of the layer's exposed properties; coded ones list their codes."""
    props: dict[str, Any] = {}
    for prop in layer.properties.values():
        schema: dict[str, Any] = {"title": prop.title, **JSON_TYPES.get(types.get(prop.name), {})}
        if prop.unit:
            schema["description"] = f"单位：{prop.unit}"
        if prop.coded and schema.get("type") != "boolean":  # a boolean's codes are its values
            schema["enum"] = list(vocab.labels(prop))
        props[prop.name] = schema
    props["geometry"] = {"title": "几何", "format": "geometry-any"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": url,
        "type": "object",
        "title": layer.title,
        "properties": props,
        "additionalProperties": False,
    }


def item_crs(args: Mapping[str, Sequence[str]]) -> ogc_crs.OgcCrs:
    """The ``crs`` of a single feature: the only parameter it takes besides ``f``."""
    no_other_parameters(args, ["crs"])
    values = args.get("crs") or [None]
    if len(values) != 1:
        raise InvalidParameter(f"parameter 'crs' given {len(values)} times", parameter="crs")
    return ogc_crs.parse(values[0], "crs")


def item_query(layer: Layer, feature_id: str, crs: ogc_crs.OgcCrs) -> FeatureQuery:
    """The query for one feature; ids that cannot exist are refused before the database."""
    if not feature_id or len(feature_id) > 200 or "\x00" in feature_id:
        raise NotFound(f"no feature {feature_id[:100]!r} in {layer.id!r}", parameter="featureId")
    return FeatureQuery(layer=layer, ids=(feature_id,), limit=1, crs=crs)


def item(conn: sa.Connection, q: FeatureQuery, here: str, collection_url: str) -> str:
    """One Feature as PostGIS renders it for the feed, plus ``links``."""
    sql, params = features_sql(q)
    text = conn.execute(sa.text(sql), params).scalar()
    return with_links(found(q, text), q, here, collection_url)


@dataclass(frozen=True)
class ItemRead:
    """What one feature's GET needs, read in one statement (so in one snapshot)."""

    data_version: int  # the change log's newest id
    day: date  # the day derived properties are for
    version: int | None  # the feature's own version (``version_sql``), or None
    text: str | None  # the Feature, or None: no such feature


def item_read(conn: sa.Connection, q: FeatureQuery, version_sql: str | None) -> ItemRead:
    """The change log's version and day, the feature's version and the Feature, in one
    statement: no transaction to begin and end, one round trip, and a statement that
    psycopg prepares after a few uses (a read-only transaction's ROLLBACK would drop it).
    ``q`` comes from :func:`item_query`; ``version_sql``: a scalar query of the feature's
    version, ``:c`` its id."""
    sql, params = _item_statement(q.layer, q.crs, version_sql, conn.dialect)
    # On the driver's connection: SQLAlchemy's execution context and result object cost
    # more CPU than the rest of this read. A connection this breaks is discarded when it
    # goes back to the pool (its reset fails), and the request answers 503 as any other.
    driver = conn.connection.driver_connection
    row = driver.execute(sql, {**params, "ids": list(q.ids), "c": q.ids[0]}).fetchone()
    return ItemRead(row[0], row[1], row[2], row[3])


_ITEM_STATEMENTS: dict[tuple, tuple[Layer, str, dict]] = {}


def _item_statement(
    layer: Layer, crs: ogc_crs.OgcCrs, version_sql: str | None, dialect: sa.Dialect
) -> tuple[str, dict]:
    """The statement of ``item_read`` in the driver's own placeholders, and its parameters
    but the id, built once per layer, CRS and version query: building it, and SQLAlchemy
    compiling it and binding its parameters on each execution, were a fifth of the CPU of
    a one-feature request. Every value stays a bound parameter."""
    key = (id(layer), crs.key, version_sql, dialect.name)
    hit = _ITEM_STATEMENTS.get(key)
    if hit is not None and hit[0] is layer:  # the same object: not a reloaded layer at its id
        return hit[1], hit[2]
    sql, params = features_sql(item_query(layer, "any", crs))  # the id is bound: ``ids``
    version = f"({version_sql})" if version_sql else "NULL::int"
    statement = sa.text(
        f"SELECT v.n, v.d, {version}, f.body FROM (SELECT coalesce(max(id), 0) AS n,"
        f" mapserver_today() AS d FROM change_log) v LEFT JOIN ({sql}) f(body) ON true"
    )
    driver_sql = statement.compile(dialect=dialect).string
    if len(_ITEM_STATEMENTS) > 64:  # layers reloaded many times (tests): start afresh
        _ITEM_STATEMENTS.clear()
    _ITEM_STATEMENTS[key] = (layer, driver_sql, {k: v for k, v in params.items() if k != "ids"})
    return _ITEM_STATEMENTS[key][1:]


def found(q: FeatureQuery, text: str | None) -> str:
    """The Feature text, or 404 naming the feature."""
    if text is None:
        raise NotFound(f"no feature {q.ids[0][:100]!r} in {q.layer.id!r}", parameter="featureId")
    return text


def with_links(text: str, q: FeatureQuery, here: str, collection_url: str) -> str:
    """The Feature text with its ``links``: self, alternate (HTML), collection."""
    links = [
        link(f"{here}?f=json", "self", GEOJSON, "本要素 This feature"),
        link(f"{here}?f=html", "alternate", HTML, "本要素（网页）"),
        link(collection_url, "collection", JSON, q.layer.title),
    ]
    return text[:-1] + ',"links":' + json.dumps(links, ensure_ascii=False) + "}"


DOWNLOAD_TITLES = {"csv": "CSV（Excel）", "gpkg": "GeoPackage", "kml": "KML（奥维、Google Earth）"}


def items_links(collection_url: str, layer: Layer, alternates: Mapping[str, str]) -> list[dict]:
    """Links an items page carries besides self/next/prev: the page as HTML and the matching
    features as files (``alternates``: format -> URL)."""
    out = [link(alternates["html"], "alternate", HTML, f"{layer.title}（要素网页）")]
    for name, d in downloads.FORMATS.items():
        title = f"{layer.title}：下载 {DOWNLOAD_TITLES[name]}"
        out.append(link(alternates[name], "alternate", d.media, title))
    out.append(link(collection_url, "collection", JSON, layer.title))
    return out
