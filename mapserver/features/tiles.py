"""Mapbox Vector Tiles of a layer in WebMercatorQuad, built by PostGIS (docs/tiles.md).

A tile is complete: every feature matching the query that its area owns is in it. A
feature is *owned* by the one tile of a zoom that holds its representative point (the
point itself, or ``ST_PointOnSurface``), and carries ``count`` 1 there; tiles that only
draw it (a line crossing in, a marker in the buffer) carry it with ``count`` 0. When a
tile owns more features than the layer's ``tiles.cluster_threshold``, those are drawn as
cluster points instead, one per grid cell, with their ``count``: so the sum of ``count``
over a zoom level is always the feature count of ``/stats``.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from mapserver.errors import InvalidParameter, NotFound
from mapserver.features.feed import driver_sql
from mapserver.features.query import FeatureQuery
from mapserver.features.query_sql import where_sql
from mapserver.layers import Layer

MATRIX_SET = "WebMercatorQuad"
MVT = "application/vnd.mapbox-vector-tile"
ORIGIN = 20037508.342789244  # half the width of EPSG:3857's square, metres
EXTENT = 4096  # MVT grid units per tile side
BUFFER = 256  # grid units drawn beyond each side (symbols are not cut at the edge)
SIMPLIFY = 8  # lines and polygons simplified to half a pixel of a 256-pixel tile
NUMBERS = {"numeric": "float8", "float4": "float8", "int8": "int8", "int2": "int4"}
NATIVE = {"text", "varchar", "bool", "int4", "float8"}


@dataclass(frozen=True)
class TileId:
    z: int
    x: int
    y: int

    @property
    def span(self) -> float:
        """The tile's side in EPSG:3857 metres."""
        return 2 * ORIGIN / (1 << self.z)


def check_matrix_set(tms: str) -> None:
    """Only WebMercatorQuad is served: another id is a 404 naming the parameter."""
    if tms != MATRIX_SET:
        raise NotFound(f"no tile matrix set {tms[:50]!r}", parameter="tileMatrixSetId",
                       allowed=[MATRIX_SET])  # fmt: skip


def tile_id(layer: Layer, matrix: str, row: str, col: str) -> TileId:
    """``tileMatrix``/``tileRow``/``tileCol`` of the path, checked: 400 for what is not a
    whole number, 404 for a tile outside WebMercatorQuad or beyond the layer's max zoom."""
    z, y, x = (_whole(name, raw) for name, raw in
               (("tileMatrix", matrix), ("tileRow", row), ("tileCol", col)))  # fmt: skip
    if z > layer.tiles.max_zoom:
        raise NotFound(
            f"tileMatrix {z} is beyond this layer's deepest, {layer.tiles.max_zoom}",
            parameter="tileMatrix",
            maximum=layer.tiles.max_zoom,
        )
    for name, value in (("tileRow", y), ("tileCol", x)):
        if value >= 1 << z:
            raise NotFound(
                f"{name} {value} is outside tile matrix {z} (0…{(1 << z) - 1})",
                parameter=name,
                maximum=(1 << z) - 1,
            )
    return TileId(z, x, y)


def _whole(name: str, raw: str) -> int:
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        raise InvalidParameter(f"{name} must be a whole number ≥ 0, got {raw[:50]!r}",
                               parameter=name)  # fmt: skip
    return int(raw)


def attributes(layer: Layer) -> tuple[str, ...]:
    """The properties a tile feature carries: the big screen's ``map_properties``
    (with its filters and styled property), or every property of a layer without them."""
    return layer.map_properties or tuple(layer.properties)


def attribute_type(layer: Layer, name: str) -> str:
    """The PostgreSQL type a tile attribute is sent as: numbers and booleans as MVT numbers
    and booleans, everything else (dates, times) as text."""
    udt = layer.types.get(name, "text")
    udt = NUMBERS.get(udt, udt)
    return udt if udt in NATIVE else "text"


BOX = "ST_TileEnvelope(:z, :x, :y)"
# "t g" stays in EPSG:4326 until a feature is drawn one by one: a clustered tile never
# transforms its features' whole geometries.
SHAPE = (f'ST_AsMVTGeom(ST_Simplify(ST_Transform("t g", 3857), :tolerance, true), {BOX},'
         f" {EXTENT}, {BUFFER}, true)")  # fmt: skip
POINT = f'ST_AsMVTGeom("t p", {BOX}, {EXTENT}, {BUFFER}, true)'
# Whether the tile owns a feature: its representative point's tile is this one.
OWNS = """least(greatest(floor((ST_X("t p") + :origin) / :span), 0), :last) = :x
      AND least(greatest(floor((:origin - ST_Y("t p")) / :span), 0), :last) = :y"""


def cluster_attributes(layer: Layer) -> tuple[str, ...]:
    """What a cluster can be coloured by: the styled property and every filter property
    (the battle map colours by status or by health, and both are filters)."""
    styled = layer.style.get("property")
    return tuple(dict.fromkeys([*([styled] if styled else []), *layer.filters]))


def _clusters_sql(layer: Layer) -> str:
    """The owned features as one point per cluster cell, with their count and the most
    common value of each :func:`cluster_attributes` (so a cluster can be coloured by any)."""
    modes = "".join(
        f', mode() WITHIN GROUP (ORDER BY o."{n}") AS "{n}"' for n in cluster_attributes(layer)
    )
    return f"""SELECT ST_AsMVT(c, CAST(:name AS text), {EXTENT}, 'geom') FROM (
    SELECT ST_AsMVTGeom(ST_Centroid(ST_Collect("t p")), {BOX}, {EXTENT}, {BUFFER}, true) AS geom,
           count(*)::int4 AS count, true AS cluster{modes}
    FROM o WHERE "t own"
    GROUP BY floor((ST_X("t p") - :x0) / :cell), floor((:y0 - ST_Y("t p")) / :cell)) c"""


def _plain_sql(layer: Layer) -> str:
    """Every feature reaching the tile, ``count`` 1 where owned; an owned feature that would
    vanish at this zoom (a tiny polygon) is drawn as its representative point.

    ``OFFSET 0`` keeps ``geom IS NOT NULL`` outside the subquery: pushed into it, PostgreSQL
    computed each feature's ``ST_AsMVTGeom`` twice, for the filter and for the row (a z14
    tile took a fifth longer)."""
    columns = "".join(f', o."{n}"' for n in attributes(layer))
    return f"""SELECT ST_AsMVT(m, CAST(:name AS text), {EXTENT}, 'geom') FROM (
    SELECT o.id{columns}, CASE WHEN "t own" THEN 1 ELSE 0 END AS count,
           CASE WHEN "t own" THEN coalesce({SHAPE}, {POINT}) ELSE {SHAPE} END AS geom
    FROM o OFFSET 0) m WHERE m.geom IS NOT NULL"""


def _params(layer: Layer, tile: TileId) -> dict:
    span = tile.span
    return dict(z=tile.z, x=tile.x, y=tile.y, span=span, origin=ORIGIN, last=(1 << tile.z) - 1,
                margin=BUFFER / EXTENT, tolerance=span / EXTENT * SIMPLIFY, name=layer.id,
                threshold=layer.tiles.cluster_threshold,
                cell=span * layer.tiles.cluster_pixels / 256,
                x0=tile.x * span - ORIGIN, y0=ORIGIN - tile.y * span)  # fmt: skip


def tile_sql(q: FeatureQuery, tile: TileId) -> tuple[str, dict]:
    """One row: how many features the tile owns, and the tile (NULL or empty when none).

    Candidates come through the feed's WHERE clause and the GiST index (the tile with its
    buffer, in EPSG:4326); clusters or plain features is decided in the same statement.
    """
    layer = q.layer
    where, params = where_sql(q)
    geom = f't."{layer.geometry_column}"'
    cols = "".join(f', t."{n}"::{attribute_type(layer, n)} AS "{n}"' for n in attributes(layer))
    sql = f"""
WITH f AS (
    SELECT t."{layer.id_column}"::text AS id{cols}, {geom} AS "t g",
           ST_Transform(CASE WHEN GeometryType({geom}) = 'POINT' THEN {geom}
                             ELSE ST_PointOnSurface({geom}) END, 3857) AS "t p"
    FROM "{layer.table}" t
    WHERE {where} AND {geom} && ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4326)
), o AS MATERIALIZED (SELECT f.*, {OWNS} AS "t own" FROM f),
n AS (SELECT count(*) FILTER (WHERE "t own") AS owned FROM o)
SELECT n.owned, CASE WHEN n.owned > :threshold THEN ({_clusters_sql(layer)})
                     ELSE ({_plain_sql(layer)}) END
FROM n"""
    return sql, {**params, **_params(layer, tile)}


def render(conn: sa.Connection, q: FeatureQuery, tile: TileId) -> tuple[int, bytes]:
    """The features ``tile`` owns, and the tile's bytes (empty: nothing to draw).

    Prepared at once (psycopg waits for five uses): planning a dense zoom's statement costs
    more than running it, and a prepared one is planned generically after a few runs.
    """
    sql, params = tile_sql(q, tile)
    text, compiled = driver_sql(sql, conn.dialect)
    with conn.connection.driver_connection.cursor() as cur:
        owned, data = cur.execute(text, compiled.construct_params(params), prepare=True).fetchone()
    return owned, bytes(data or b"")
