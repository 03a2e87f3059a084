"""The coordinate reference systems of this server, and conversion of input to WGS84.

``SUPPORTED`` is the one registry: the editing API and imports accept geometry in every
entry; the OGC API (``mapserver.geo.ogc_crs``) serves and reads bboxes and filters in those
with an EPSG code, which PostGIS transforms to.

Only a fixed list is accepted, so arbitrary PROJ strings never reach pyproj; a
file's own declaration (WKT, e.g. a Shapefile's .prj) is matched to it by identify(),
and detect() names the likely CRS of coordinates that came without one (DXF).
Every supported CRS (codes checked against the EPSG database shipped with pyproj):

============  =====================================================================
CRS84         WGS84 lon/lat, the GeoJSON default (OGC CRS84)
EPSG:4326     WGS 84
EPSG:4490     CGCS2000 geographic (China's datum; pyproj treats it as WGS84, < 1 m here)
EPSG:3857     WGS 84 / Pseudo-Mercator (web map metres, as 天地图 ``_w`` tiles)
EPSG:4523     CGCS2000 / 3-degree Gauss-Kruger zone 35: CM 105°E, easting 35 500 000
EPSG:4524     CGCS2000 / 3-degree Gauss-Kruger zone 36: CM 108°E, easting 36 500 000
EPSG:4544     CGCS2000 / 3-degree Gauss-Kruger CM 105E: zone 35 without the prefix
EPSG:4545     CGCS2000 / 3-degree Gauss-Kruger CM 108E: zone 36 without the prefix
EPSG:4496     CGCS2000 / Gauss-Kruger zone 18 (6°): CM 105°E, easting 18 500 000
EPSG:4507     CGCS2000 / Gauss-Kruger CM 105E (6°): zone 18 without the prefix
gcj02         GCJ-02 lon/lat copied from Amap or Tencent maps (see chinacoords)
bd09          BD-09 lon/lat copied from Baidu maps (degrees, not Baidu Mercator)
============  =====================================================================

Axis order: GeoJSON bodies are always x, y, i.e. lon, lat or easting, northing,
whatever order the EPSG definition gives (EPSG:4326 says lat, lon; the
Gauss-Kruger CRSs say northing "X", easting "Y"). Transformers are built with
``always_xy=True`` to match. Surveyors' tables list X (north) first, so eastings
are checked against their zone to catch swapped axes.

Guang'an straddles the 3° zones 35 and 36 at 106.5°E.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError as PyprojCrsError
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from mapserver.geo import chinacoords

MERCATOR_MAX = 20037508.342789244  # half the Web Mercator square, metres
_SEMI_MAJOR = 6378137.0  # of WGS84 and CGCS2000 alike (and of the Web Mercator sphere)


class CrsError(ValueError):
    """The client named a CRS this server does not accept."""

    def __init__(self, name: object) -> None:
        self.name = name
        self.supported = [c.uri for c in SUPPORTED.values()]
        super().__init__(
            f"不支持的坐标参考系 Unsupported CRS: {name!r}; 支持 supported: {', '.join(SUPPORTED)}"
        )


class CoordinateError(ValueError):
    """Coordinates that cannot be in the stated CRS (e.g. swapped X/Y, wrong zone)."""

    def __init__(self, message: str, point: tuple[float, float] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.point = point


@dataclass(frozen=True, kw_only=True)
class InputCrs:
    """One accepted input CRS and the window of coordinates plausible in it."""

    key: str  # canonical short name: "CRS84", "EPSG:4523", "gcj02"
    uri: str  # what Content-Crs carries (OGC URI, or the key for the web-map offsets)
    title: str
    x_range: tuple[float, float]  # closed plausibility window
    y_range: tuple[float, float]
    geographic: bool  # lon/lat degrees, so a point in it can be shown on the map as is
    pyproj_name: str | None = None  # None: identity or chinacoords, not pyproj


_OGC = "http://www.opengis.net/def/crs/"
_LON, _LAT = (-180.0, 180.0), (-90.0, 90.0)
_NORTH = (0.0, 10_000_000.0)


def _lonlat(key: str, uri: str, title: str, pyproj_name: str | None = None) -> InputCrs:
    return InputCrs(
        key=key, uri=uri, title=title, x_range=_LON, y_range=_LAT, geographic=True,
        pyproj_name=pyproj_name,
    )  # fmt: skip


def _epsg(code: int, title: str, window: float | None = None) -> InputCrs:
    """An EPSG CRS; a geographic one unless a metre window is given."""
    key, uri = f"EPSG:{code}", f"{_OGC}EPSG/0/{code}"
    if window is None:
        return _lonlat(key, uri, title, key)
    box = (-window, window)
    return InputCrs(
        key=key, uri=uri, title=title, x_range=box, y_range=box, geographic=False, pyproj_name=key
    )


def _gk(code: int, title: str, prefix: int) -> InputCrs:
    """A Gauss-Kruger CRS: eastings within 500 km of the central meridian."""
    low = prefix * 1_000_000.0
    key = f"EPSG:{code}"
    return InputCrs(
        key=key, uri=f"{_OGC}EPSG/0/{code}", title=title, x_range=(low, low + 1e6),
        y_range=_NORTH, geographic=False, pyproj_name=key,
    )  # fmt: skip


SUPPORTED: dict[str, InputCrs] = {
    c.key: c
    for c in (
        _lonlat("CRS84", f"{_OGC}OGC/1.3/CRS84", "WGS84 经纬度 lon/lat（默认 default）"),
        _epsg(4326, "WGS 84 经纬度 lon/lat"),
        _epsg(4490, "CGCS2000 经纬度 lon/lat"),
        _epsg(3857, "Web 墨卡托 Web Mercator", MERCATOR_MAX),
        _gk(4523, "CGCS2000 3°带第35带（有带号） 3° GK zone 35, prefixed", 35),
        _gk(4524, "CGCS2000 3°带第36带（有带号） 3° GK zone 36, prefixed", 36),
        _gk(4544, "CGCS2000 3°带中央经线105°（无带号） 3° GK CM 105E", 0),
        _gk(4545, "CGCS2000 3°带中央经线108°（无带号） 3° GK CM 108E", 0),
        _gk(4496, "CGCS2000 6°带第18带（有带号） 6° GK zone 18, prefixed", 18),
        _gk(4507, "CGCS2000 6°带中央经线105°（无带号） 6° GK CM 105E", 0),
        _lonlat("gcj02", "gcj02", "GCJ-02 高德/腾讯地图 Amap/Tencent"),
        _lonlat("bd09", "bd09", "BD-09 百度地图经纬度 Baidu lon/lat"),
    )
}

DEFAULT = SUPPORTED["CRS84"]
_GK = ("EPSG:4523", "EPSG:4524", "EPSG:4544", "EPSG:4545", "EPSG:4496", "EPSG:4507")
# Zone prefix of a Gauss-Kruger easting (its millions) -> the prefixed CRS.
ZONE_PREFIXES = {35: 4523, 36: 4524, 18: 4496}
# Points across Guang'an (lon, lat) on which identify() compares a declared CRS with ours.
_PROBES = np.array([[106.2, 30.0], [106.633, 30.456], [107.3, 30.9]])

_CRS84 = re.compile(
    r"(?:https?://www\.opengis\.net/def/crs/ogc/(?:1\.3|0)/|urn:ogc:def:crs:ogc:(?:1\.3)?:|ogc:)?"
    r"crs84"
)
_EPSG = re.compile(
    r"(?:https?://www\.opengis\.net/def/crs/epsg/0/|urn:ogc:def:crs:epsg:[0-9.]*:|epsg:)?"
    r"([0-9]{1,6})"
)
_OFFSETS = {"gcj02": "gcj02", "gcj-02": "gcj02", "bd09": "bd09", "bd-09": "bd09", "bd09ll": "bd09"}


def parse_crs(name: str | int | InputCrs | None) -> InputCrs:
    """The InputCrs for a Content-Crs header or ``crs`` parameter; None or "" is CRS84.

    Accepts OGC URIs (``http://www.opengis.net/def/crs/EPSG/0/4490``), URNs,
    ``EPSG:4490``, plain ``4490``, ``CRS84``, ``gcj02``/``bd09`` (any case, optionally
    in the angle brackets of a Content-Crs header). Raises CrsError otherwise.
    """
    if isinstance(name, InputCrs):
        return name
    if name is None:
        return DEFAULT
    if isinstance(name, bool) or not isinstance(name, str | int):
        raise CrsError(name)
    text = str(name).strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].strip()
    text = text.lower()
    if text == "" or _CRS84.fullmatch(text):
        return DEFAULT
    if text in _OFFSETS:
        return SUPPORTED[_OFFSETS[text]]
    match = _EPSG.fullmatch(text)
    if match and f"EPSG:{int(match.group(1))}" in SUPPORTED:
        return SUPPORTED[f"EPSG:{int(match.group(1))}"]
    raise CrsError(name)


def to_lonlat(xy: NDArray[np.float64], crs: str | int | InputCrs | None) -> NDArray[np.float64]:
    """An (N, 2) array of x, y in ``crs`` as (N, 2) EPSG:4326 lon, lat.

    Raises CoordinateError for coordinates outside the CRS's plausible window
    or that the conversion cannot map to finite lon/lat.
    """
    crs = parse_crs(crs)
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    _check_window(xy, crs)
    if crs.key in ("CRS84", "EPSG:4326"):
        out = xy.copy()
    elif crs.key in ("gcj02", "bd09"):
        out = _from_web_map(xy, crs.key)
    else:
        lon, lat = _transformer(crs.pyproj_name).transform(xy[:, 0], xy[:, 1])
        out = np.column_stack([lon, lat])
    bad = ~np.isfinite(out).all(axis=1)
    if bad.any():
        x, y = xy[int(np.argmax(bad))]
        raise CoordinateError(
            f"无法从 {crs.key} 换算 Cannot convert ({x}, {y}) from {crs.key} to lon/lat"
        )
    return out


def to_wgs84(
    geometry: BaseGeometry | Mapping[str, Any], crs: str | int | InputCrs | None = None
) -> BaseGeometry:
    """A shapely geometry or GeoJSON geometry dict in ``crs`` as a shapely geometry in
    EPSG:4326 (x = lon, y = lat). Z values are dropped.

    This converts only; validation of GeoJSON input is mapserver.geo.geometry's job.
    """
    geom = geometry if isinstance(geometry, BaseGeometry) else shape(geometry)
    crs = parse_crs(crs)
    return shapely.transform(geom, lambda xy: to_lonlat(xy, crs))


def detect_gk_zone(eastings: Iterable[float]) -> int | None:
    """The prefixed Gauss-Kruger EPSG code the eastings' zone prefix names, or None.

    For DXF drawings, which carry no CRS: 35xxxxxx -> 4523, 36xxxxxx -> 4524,
    18xxxxxx -> 4496 (6° zone 18). Eastings without a prefix (about 500 000) could be
    4544, 4545 or 4507 and eastings of mixed zones name none, so both give None
    and the user must choose.
    """
    prefixes = set()
    for easting in eastings:
        value = float(easting)
        if not np.isfinite(value):
            return None
        prefixes.add(int(value // 1_000_000))
    if len(prefixes) != 1:
        return None
    return ZONE_PREFIXES.get(prefixes.pop())


def identify(definition: str) -> InputCrs:
    """The supported CRS a file declares, as GDAL reports it ("EPSG:4524", "OGC:CRS84" or
    WKT, e.g. an ArcGIS .prj); CrsError naming it otherwise.

    WKT is matched by its EPSG code when pyproj is sure of it, else by what it does (WKT1
    from a .prj often has no usable code): it must take probe points in Guang'an to the
    same lon/lat as a supported CRS, on a WGS84/CGCS2000 ellipsoid (pyproj would take other
    datums to WGS84 unchanged, ~100 m off, for want of parameters). Only WKT goes to pyproj
    here, never PROJ strings.
    """
    try:
        return parse_crs(definition)
    except CrsError:
        if "[" not in definition:
            raise CrsError(_named(definition)) from None
    try:
        declared = CRS.from_wkt(definition)
        back = Transformer.from_crs(declared, "EPSG:4326", always_xy=True)
    except PyprojCrsError:
        raise CrsError(definition[:80]) from None
    code = declared.to_epsg(min_confidence=70)
    if f"EPSG:{code}" in SUPPORTED:
        return SUPPORTED[f"EPSG:{code}"]
    ellipsoid = declared.ellipsoid
    if ellipsoid is None or ellipsoid.semi_major_metre != _SEMI_MAJOR:  # Beijing 1954, Xian 1980
        raise CrsError(declared.name + (f" (EPSG:{code})" if code else ""))
    for candidate in SUPPORTED.values():
        if candidate.pyproj_name is None:
            continue
        x, y = _from_lonlat(candidate.pyproj_name).transform(*_PROBES.T)
        with np.errstate(invalid="ignore"):
            if np.allclose(np.column_stack(back.transform(x, y)), _PROBES, rtol=0, atol=1e-7):
                return candidate
    raise CrsError(declared.name + (f" (EPSG:{code})" if code else ""))


def _named(definition: str) -> str:
    """ "EPSG:32648" as "WGS 84 / UTM zone 48N (EPSG:32648)" for an error message."""
    match = re.fullmatch(r"([A-Za-z]+):([0-9]{1,6})", definition.strip())
    try:
        name = CRS.from_authority(match[1], match[2]).name if match else None
    except PyprojCrsError:
        name = None
    return f"{name} ({definition})" if name else definition


def detect(xy: NDArray[np.float64]) -> InputCrs:
    """The CRS of coordinates that came without one (DXF drawings carry none).

    Lon/lat degrees within China are CRS84; eastings with one zone prefix name their
    Gauss-Kruger zone (detect_gk_zone). Anything else raises CoordinateError saying
    what the user must choose: eastings without a prefix fit zone 35 and 36 alike.
    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    if not len(xy) or not np.isfinite(xy).all():
        raise CoordinateError("没有可用的坐标 No usable coordinates to tell the CRS from")
    if np.all(chinacoords.in_china(xy[:, 0], xy[:, 1])):
        return DEFAULT
    north = bool(np.all((xy[:, 1] >= _NORTH[0]) & (xy[:, 1] <= _NORTH[1])))
    prefixes = sorted({int(x // 1_000_000) for x in xy[:, 0]})
    code = detect_gk_zone(xy[:, 0])
    if north and code is not None:
        return SUPPORTED[f"EPSG:{code}"]
    if north and prefixes == [0] and np.all(xy[:, 0] > 0):
        raise CoordinateError(
            "东坐标没有带号，无法判断投影带，请选择坐标系 The eastings have no zone prefix, so "
            "the zone cannot be told: choose EPSG:4544 (3° 带中央经线 CM 105°E, west of 106.5°E) "
            "or EPSG:4545 (3° 带中央经线 CM 108°E, east of 106.5°E)"
        )
    if north and all(p in ZONE_PREFIXES for p in prefixes):
        zones = ", ".join(map(str, prefixes))
        raise CoordinateError(
            f"东坐标分属多个投影带 {zones}，请选择坐标系 "
            f"The eastings are in several zones ({zones}); choose the CRS"
        )
    (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
    raise CoordinateError(
        f"无法识别坐标系，请选择坐标系 Cannot tell the CRS of coordinates x {x0:.6g}…{x1:.6g}, "
        f"y {y0:.6g}…{y1:.6g}; choose one of: {', '.join(SUPPORTED)}"
    )


@cache
def _transformer(name: str) -> Transformer:
    """One transformer per CRS (thread-safe since pyproj 3.1), x/y order in and out."""
    return Transformer.from_crs(name, "EPSG:4326", always_xy=True)


@cache
def _from_lonlat(name: str) -> Transformer:
    return Transformer.from_crs("EPSG:4326", name, always_xy=True)


def _check_window(xy: NDArray[np.float64], crs: InputCrs) -> None:
    """Reject coordinates outside the CRS's plausible window, with a hint for GK ones."""
    (x0, x1), (y0, y1) = crs.x_range, crs.y_range
    bad = ~((xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1))
    if not bad.any():
        return
    x, y = (float(v) for v in xy[int(np.argmax(bad))])
    message = (
        f"坐标超出 {crs.key} 的范围 Coordinates ({x}, {y}) are outside the range of "
        f"{crs.key} (x {x0:.0f}…{x1:.0f}, y {y0:.0f}…{y1:.0f})"
    )
    if crs.key in _GK:
        message += (
            "；GeoJSON 中先东坐标后北坐标 GeoJSON gives easting (Y) before northing (X); "
            "带号 zone prefix: 4523/4524/4496 要带号 need it, 4544/4545/4507 不带 do not"
        )
    raise CoordinateError(message, (x, y))


def _from_web_map(xy: NDArray[np.float64], key: str) -> NDArray[np.float64]:
    convert = chinacoords.gcj02_to_wgs84 if key == "gcj02" else chinacoords.bd09_to_wgs84
    try:
        lon, lat = convert(xy[:, 0], xy[:, 1])
    except (ValueError, ArithmeticError) as exc:
        raise CoordinateError(f"无法从 {key} 换算 Cannot convert from {key}: {exc}") from exc
    return np.column_stack([lon, lat])
