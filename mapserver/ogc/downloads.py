"""Items as files for people who do not run a GIS: CSV, GeoPackage and KML.

The query is the items query (:func:`mapserver.features.query.parse`; ``where_sql``,
``properties_sql``, ``page_sql`` in mapserver/features/query_sql.py): PostGIS gives each feature's
properties as the GeoJSON has them (JSON text, labels included), its geometry as WKB
(``ST_AsBinary``) and, for CSV, a point on it in lon/lat. pyogrio (GDAL) writes
the file into a private temporary directory, which is removed before the
response is sent: the caller gets the open file, still readable.

A download holds every matching feature (or the first ``limit`` from
``offset``), at most :func:`cap` of them. Column names: GeoPackage keeps the
property names (``status``, ``status_label``) for GIS work; CSV and KML, for
people, head each column with the property's title (``项目状态``,
``项目状态代码``, ``总投资（万元）``).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any

import numpy as np
import sqlalchemy as sa
from pyogrio import raw

from mapserver.errors import InvalidParameter
from mapserver.features import admission, query, query_sql
from mapserver.geo import ogc_crs
from mapserver.layers import Layer
from mapserver.ogc import kml
from mapserver.vocabulary import Vocabulary

CAP_FACTOR = 10  # a download holds at most this many pages of the layer's maximum
CHINA = timezone(timedelta(hours=8))  # the date in file names is Guang'an's
YES_NO = {True: "是", False: "否"}


@dataclass(frozen=True)
class Format:
    name: str  # the value of ``f``
    media: str
    driver: str  # GDAL's


FORMATS: Mapping[str, Format] = {
    "csv": Format("csv", "text/csv", "CSV"),
    "gpkg": Format("gpkg", "application/geopackage+sqlite3", "GPKG"),
    "kml": Format("kml", "application/vnd.google-earth.kml+xml", "KML"),
}
WGS84 = (ogc_crs.DEFAULT.uri, ogc_crs.parse("EPSG:4326", "crs").uri)  # what KML may be asked in


@dataclass(frozen=True)
class Column:
    key: str  # in the feature's JSON properties; "" for the feature id
    name: str  # GeoPackage field
    heading: str  # CSV and KML column
    type: str  # PostgreSQL udt_name, "text" for labels


@dataclass
class Rows:
    ids: list[str]
    properties: list[dict[str, Any]]
    wkb: np.ndarray
    extra: list[tuple]  # CSV: lon, lat; KML: the style property's code


def cap(layer: Layer, setting: int) -> int:
    """The most features one download may hold: the setting, or 10 × the layer's maximum."""
    return setting or layer.max_limit * CAP_FACTOR


def parse(
    layer: Layer,
    args: Mapping[str, Sequence[str]],
    vocab: Vocabulary,
    paging: Sequence[str],
    fmt: str,
    most: int,
) -> query.FeatureQuery:
    """The items parameters; ``limit`` defaults to everything, up to ``most``."""
    q = query.parse(layer, args, vocab, paging=paging, limits=(most, most))
    if fmt == "kml" and q.crs.uri not in WGS84:
        raise InvalidParameter(
            "crs: KML is always WGS84 longitude/latitude", parameter="crs", allowed=list(WGS84)
        )
    return q


def check_size(conn: sa.Connection, q: query.FeatureQuery, most: int) -> None:
    """Refuse, before writing anything, a download of more than ``most`` features."""
    sql, params = query_sql.count_sql(q)
    matched = conn.execute(sa.text(sql), params).scalar_one()
    if matched - q.offset > most:
        raise InvalidParameter(
            f"{matched} features match, more than one download may hold ({most}): narrow it "
            f"(bbox, filter, codes, datetime) or take the first {most} with limit={most}",
            parameter="limit",
            numberMatched=matched,
            maximum=most,
        )


def filename(layer: Layer, fmt: str, now: datetime | None = None) -> str:
    day = (now or datetime.now(UTC)).astimezone(CHINA).date().isoformat()
    return f"{layer.id}-{day}.{fmt}"


def download(
    conn: sa.Connection, q: query.FeatureQuery, fmt: str, whole: bool
) -> tuple[IO[bytes], int]:
    """The file for ``q`` in ``fmt``, open for reading, and its size; nothing left on disk.

    ``whole``: no ``limit`` was given, so every matching feature must fit.
    """
    admission.admit(conn, q)
    if whole:
        check_size(conn, q, q.limit)
    rows = fetch(conn, q, fmt)
    columns = columns_of(q)
    with tempfile.TemporaryDirectory(prefix="mapserver-download-") as tmp:
        path = Path(tmp) / f"{q.layer.id}.{fmt}"
        if fmt == "gpkg":
            write_gpkg(path, q, columns, rows)
        elif fmt == "csv":
            write_csv(path, q, columns, rows)
        else:
            fields = {c.heading: text_values(c, rows) for c in columns}
            codes = [extra[0] if extra else None for extra in rows.extra]
            path = kml.write(path, q.layer, fields, rows.wkb, rows.ids, rows.properties, codes)
        size = path.stat().st_size
        return path.open("rb"), size


def fetch(conn: sa.Connection, q: query.FeatureQuery, fmt: str) -> Rows:
    """One query: id, properties (JSON, as in GeoJSON), WKB and the format's extras."""
    layer = q.layer
    props, joins, params = query_sql.properties_sql(layer, q.properties, q.labels)
    column = f't."{layer.geometry_column}"'
    geom = ogc_crs.geometry_sql(column, q.crs, epsg_axes=False)
    select = f't."{layer.id_column}"::text, {props}::text, ST_AsBinary({geom})'
    if fmt == "csv":  # a point on the feature: inside a polygon or on a line, unlike a centroid
        select += ", round(ST_X(s.p)::numeric, 7)::text, round(ST_Y(s.p)::numeric, 7)::text"
        joins += f" CROSS JOIN LATERAL (SELECT ST_PointOnSurface({column})) s(p)"
    elif fmt == "kml" and "property" in layer.style:
        select += f', t."{layer.style["property"]}"::text'
    sql, params = query_sql.page_sql(q, select, joins, params, q.limit)
    result = conn.execute(sa.text(sql), params).all()
    wkb = np.empty(len(result), dtype=object)
    wkb[:] = [None if r[2] is None else bytes(r[2]) for r in result]
    return Rows(
        ids=[r[0] for r in result],
        properties=[json.loads(r[1], parse_float=str, parse_int=str) for r in result],
        wkb=wkb,
        extra=[tuple(r[3:]) for r in result],
    )


def columns_of(q: query.FeatureQuery) -> list[Column]:
    """The id, then each chosen property (a coded one followed by its label) as in GeoJSON."""
    layer = q.layer
    out = [Column("", "id", "编号", "text")]
    chosen = layer.properties if q.properties is None else q.properties
    for name in chosen:
        prop = layer.properties[name]
        heading = f"{prop.title}（{prop.unit}）" if prop.unit else prop.title
        if prop.coded:
            out.append(Column(name, name, f"{prop.title}代码", layer.types.get(name, "text")))
            out.append(Column(f"{name}_label", f"{name}_label", heading, "text"))
        else:
            out.append(Column(name, name, heading, layer.types.get(name, "text")))
    return _unique_headings(out)


def _unique_headings(columns: list[Column]) -> list[Column]:
    """Two properties with one title: each heading gets its property name too."""
    seen = [c.heading for c in columns]
    return [
        c if seen.count(c.heading) == 1 else Column(c.key, c.name, f"{c.heading} {c.name}", c.type)
        for c in columns
    ]


def values_of(column: Column, rows: Rows) -> list:
    """A column's values as the GeoJSON has them (numbers as their text)."""
    if not column.key:
        return rows.ids
    return [p.get(column.key) for p in rows.properties]


def text_values(column: Column, rows: Rows) -> np.ndarray:
    """A column as text for people: as the GeoJSON has it, booleans as 是/否, nulls empty."""
    return _array([YES_NO[v] if isinstance(v, bool) else v for v in values_of(column, rows)])


def write_csv(path: Path, q: query.FeatureQuery, columns: Sequence[Column], rows: Rows) -> None:
    """UTF-8 with a BOM (Excel then reads Chinese), CRLF, WKT in ``crs`` first, lon/lat last."""
    data = [text_values(c, rows) for c in columns]
    for i in (0, 1):
        data.append(_array([extra[i] for extra in rows.extra]))
    names = [c.heading for c in columns] + ["经度", "纬度"]
    options = {"GEOMETRY": "AS_WKT", "GEOMETRY_NAME": f"WKT（{q.crs.key}）", "WRITE_BOM": "YES",
               "LINEFORMAT": "CRLF", "STRING_QUOTING": "IF_NEEDED"}  # fmt: skip
    raw.write(str(path), rows.wkb, data, names, driver="CSV", geometry_type="Unknown",
              crs=f"EPSG:{q.crs.srid}", layer_options=options)  # fmt: skip


def write_gpkg(path: Path, q: query.FeatureQuery, columns: Sequence[Column], rows: Rows) -> None:
    """Typed fields named as the properties, geometry in ``crs`` (x = easting/longitude)."""
    data, masks, zones = [], [], {}
    for c in columns:
        values, mask = typed(c, values_of(c, rows))
        data.append(values)
        masks.append(mask)
        if c.type == "timestamptz":
            zones[c.name] = np.full(len(rows.ids), 100, dtype=np.int32)  # GDAL's "UTC"
    layer = q.layer
    options = {"IDENTIFIER": layer.title, "DESCRIPTION": layer.description}
    raw.write(str(path), rows.wkb, data, [c.name for c in columns], field_mask=masks,
              layer=layer.id, driver="GPKG", geometry_type="Unknown", crs=f"EPSG:{q.crs.srid}",
              promote_to_multi=False, layer_options=options,
              gdal_tz_offsets=zones or None)  # fmt: skip


def _array(values: Sequence[Any]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


INTEGERS = {"int2", "int4", "int8"}
REALS = {"numeric", "float4", "float8"}


def typed(column: Column, values: Sequence[Any]) -> tuple[np.ndarray, np.ndarray | None]:
    """A column as a typed array for GDAL and its null mask (None: no nulls possible)."""
    mask = np.array([v is None for v in values], dtype=bool)
    kind = column.type
    if kind in INTEGERS:
        return np.array([0 if v is None else int(v) for v in values], dtype=np.int64), mask
    if kind in REALS:
        return np.array([np.nan if v is None else float(v) for v in values]), mask
    if kind == "bool":
        return np.array([bool(v) for v in values], dtype=bool), mask
    if kind == "date":
        return np.array([v or "NaT" for v in values], dtype="datetime64[D]"), None
    if kind in ("timestamptz", "timestamp"):
        return np.array([_utc(v) for v in values], dtype="datetime64[ms]"), None
    return _array(values), None


def _utc(value: str | None) -> str:
    """An RFC 3339 time as naive UTC for numpy (GeoPackage keeps milliseconds)."""
    if value is None:
        return "NaT"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat()
