"""A static map of the filtered projects for the printed report: SVG drawn server-side from
PostGIS (``ST_AsSVG``), coloured by health, over the county boundaries.

Longitudes are scaled by cos(30.5°) (Guang'an's latitude) so the map is not stretched;
``ST_AsSVG`` gives y as −latitude, the SVG convention. Path data are numbers and M/L/Z only.
"""

from __future__ import annotations

import math
import re
from typing import Any

import sqlalchemy as sa

from mapserver.features import query, query_sql

K = math.cos(math.radians(30.5))
PATH = re.compile(r"^[MLZ0-9 .\-]*$")
COLOURS = {
    "on_track": "#2f9e44",
    "lagging": "#f08c00",
    "seriously_lagging": "#e03131",
    "not_tracked": "#868e96",
}
EXTENT = """SELECT ST_XMin(b), -ST_YMax(b), ST_XMax(b) - ST_XMin(b), ST_YMax(b) - ST_YMin(b)
FROM (SELECT ST_Extent(ST_Scale(boundary, :k, 1)) AS b FROM cities) s"""
COUNTIES = """SELECT name, ST_AsSVG(ST_Scale(boundary, :k, 1), 0, 5) AS d,
ST_X(ST_PointOnSurface(ST_Scale(boundary, :k, 1))) AS x,
-ST_Y(ST_PointOnSurface(ST_Scale(boundary, :k, 1))) AS y FROM counties ORDER BY adcode"""
SITES = """SELECT t.code, t.health, GeometryType(t.geom) IN ('POINT', 'MULTIPOINT') AS point,
ST_AsSVG(ST_Scale(t.geom, :k, 1), 0, 5) AS d, ST_X(ST_Centroid(ST_Scale(t.geom, :k, 1))) AS x,
-ST_Y(ST_Centroid(ST_Scale(t.geom, :k, 1))) AS y
FROM battle_projects t WHERE {where} AND t.geom IS NOT NULL ORDER BY t.code"""


def _path(d: str | None) -> str:
    return d if d and PATH.match(d) else ""


def draw(conn: sa.Connection, q: query.FeatureQuery) -> dict[str, Any]:
    """``{"viewbox", "r", "counties": [...], "sites": [...]}`` for the report template."""
    box = conn.execute(sa.text(EXTENT), {"k": K}).one()
    if box[0] is None:
        box = (105.9 * K, -30.9, 1.5 * K, 1.0)
    pad = max(box[2], box[3]) * 0.02
    viewbox = (box[0] - pad, box[1] - pad, box[2] + 2 * pad, box[3] + 2 * pad)
    counties = [
        {"name": r.name, "d": _path(r.d), "x": r.x, "y": r.y}
        for r in conn.execute(sa.text(COUNTIES), {"k": K})
    ]
    where, params = query_sql.where_sql(q)
    rows = conn.execute(sa.text(SITES.format(where=where)), {**params, "k": K})
    sites = [
        {
            "code": r.code,
            "health": r.health,
            "colour": COLOURS.get(r.health, COLOURS["not_tracked"]),
            "point": r.point,
            "d": "" if r.point else _path(r.d),
            "x": r.x,
            "y": r.y,
        }
        for r in rows
    ]
    return {
        "viewbox": " ".join(f"{v:.5f}" for v in viewbox),
        "r": max(viewbox[2], viewbox[3]) / 140,
        "font": max(viewbox[2], viewbox[3]) / 45,
        "counties": counties,
        "sites": sites,
        "colours": COLOURS,
    }
