"""The CRSs the OGC API serves and accepts bboxes and filter geometry in (Part 2, by reference).

Storage is EPSG:4326 lon/lat; PostGIS reprojects with ``ST_Transform`` to an
integer SRID from this table, never from the request. Axis order is the one the
EPSG registry gives (pyproj's ``axis_info``): latitude first for EPSG:4326 and
EPSG:4490, northing ("X") first for the CGCS2000 Gauss-Kruger CRSs, so those
are flipped after the transform. CRS84 and EPSG:3857 are easting first.

The CRSs are ``mapserver.geo.crs``'s registry (one list for input and output).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from pyproj import CRS

from mapserver.errors import InvalidParameter
from mapserver.geo import crs as registry
from mapserver.geo.crs import InputCrs

OGC = "http://www.opengis.net/def/crs/"
LON, LAT = (-180.0, 180.0), (-90.0, 90.0)


@dataclass(frozen=True, kw_only=True)
class OgcCrs:
    """One supported CRS: its URI, PostGIS SRID, axis order and plausible x/y window."""

    key: str  # "CRS84", "EPSG:4545"
    uri: str
    srid: int  # the PostGIS SRID coordinates are transformed to (4326 for CRS84)
    flip: bool  # first axis is latitude / northing: swap x and y after the transform
    x_range: tuple[float, float]  # easting / longitude window (x, whatever the axis order)
    y_range: tuple[float, float]

    @property
    def geographic(self) -> bool:
        return self.x_range == LON

    @property
    def decimals(self) -> int:
        """7 decimals of a degree (~1 cm) or 3 of a metre (1 mm)."""
        return 7 if self.geographic else 3


@cache
def _northing_first(code: int) -> bool:
    """What the EPSG definition says (checked, not assumed: see tests/test_ogc_crs.py)."""
    return CRS.from_epsg(code).axis_info[0].direction == "north"


def _served(entry: InputCrs) -> OgcCrs:
    srid = 4326 if entry.key == "CRS84" else int(entry.key.removeprefix("EPSG:"))
    flip = entry.key != "CRS84" and _northing_first(srid)
    return OgcCrs(
        key=entry.key, uri=entry.uri, srid=srid, flip=flip, x_range=entry.x_range,
        y_range=entry.y_range,
    )  # fmt: skip


# The registry's entries PostGIS can transform to: all but the web-map offsets (GCJ-02,
# BD-09), which only the input side undoes.
SUPPORTED: tuple[OgcCrs, ...] = tuple(
    _served(c) for c in registry.SUPPORTED.values() if c.key == "CRS84" or c.key[:5] == "EPSG:"
)
DEFAULT = SUPPORTED[0]
URIS = [c.uri for c in SUPPORTED]
_BY_NAME = {c.key.lower(): c for c in SUPPORTED} | {c.uri.lower(): c for c in SUPPORTED}
_ALIASES = re.compile(
    r"\[?(?:(?:https?://www\.opengis\.net/def/crs/ogc/1\.3/|ogc:)(crs84)"
    r"|(?:https?://www\.opengis\.net/def/crs/epsg/0/|epsg:|urn:ogc:def:crs:epsg::)(\d{4}))\]?"
)


def parse(raw: str | None, parameter: str) -> OgcCrs:
    """The CRS a ``crs``/``bbox-crs``/``filter-crs`` value names (URI, ``EPSG:n``, safe CURIE)."""
    if raw is None:
        return DEFAULT
    text = raw.strip().lower()
    found = _BY_NAME.get(text)
    match = _ALIASES.fullmatch(text) if found is None and len(text) < 100 else None
    if match:
        found = _BY_NAME.get("crs84" if match.group(1) else f"epsg:{match.group(2)}")
    if found is None:
        raise InvalidParameter(
            f"{parameter}: unsupported CRS {raw[:100]!r}", parameter=parameter, allowed=URIS
        )
    return found


def geometry_sql(column: str, crs: OgcCrs, epsg_axes: bool = True) -> str:
    """The stored geometry (``column``: quoted, from the layer file) in ``crs``, EPSG axes
    (or, without ``epsg_axes``, easting/longitude first as GIS files store it)."""
    expr = column if crs.srid == 4326 else f"ST_Transform({column}, {int(crs.srid)})"
    return f"ST_FlipCoordinates({expr})" if crs.flip and epsg_axes else expr


def to_xy(values: Sequence[float], crs: OgcCrs) -> tuple[float, ...]:
    """Coordinates given in the CRS's axis order, as x/y pairs (easting/longitude first)."""
    if not crs.flip:
        return tuple(values)
    out: list[float] = []
    for i in range(0, len(values) - 1, 2):
        out += [values[i + 1], values[i]]
    return tuple(out)


def check_window(x: float, y: float, crs: OgcCrs, parameter: str) -> None:
    """Refuse coordinates that cannot be in ``crs`` before PostGIS tries to transform them."""
    (x0, x1), (y0, y1) = crs.x_range, crs.y_range
    if math.isfinite(x) and math.isfinite(y) and x0 <= x <= x1 and y0 <= y <= y1:
        return
    order = "lat, lon" if crs.geographic else "northing, easting"
    hint = f" (axis order of {crs.key}: {order})" if crs.flip else ""
    raise InvalidParameter(
        f"{parameter}: coordinates ({x}, {y}) are outside {crs.key}: "
        f"x {x0:g}…{x1:g}, y {y0:g}…{y1:g}{hint}",
        parameter=parameter,
    )


def envelope_sql(crs: OgcCrs, names: Sequence[str], segment: str) -> str:
    """A bbox given in ``crs`` (bound x/y parameters ``names``) as an EPSG:4326 polygon.

    The rectangle is densified (``segment``: bound max edge length) before the
    transform, so its curved outline in lon/lat is followed, not just its corners.
    """
    x0, y0, x1, y1 = (f":{n}" for n in names)
    env = f"ST_MakeEnvelope({x0}, {y0}, {x1}, {y1}, {int(crs.srid)})"
    if crs.srid == 4326:
        return env
    return f"(SELECT ST_Transform(ST_Segmentize({env}, :{segment}), 4326))"
