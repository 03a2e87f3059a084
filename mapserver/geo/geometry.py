"""Checking an incoming GeoJSON geometry before anything is written (sizes: measures.py).

The write path hands check_geometry() the request body or the parsed ``geometry``
member of a Feature. Every way a geometry can be unacceptable raises the one
GeometryError, with a stable ``code``, a Chinese + English message, and, when the
problem is at a place, that place as (lon, lat) in EPSG:4326 so the editor can
show it on the map.

Checks run cheapest and most basic first: strict JSON, type, nesting depth,
structure and numbers, vertex count, conversion to EPSG:4326, lon/lat range, rings
closed and long enough, duplicate rings, then GEOS validity (validity.py: the same test
as the database's ST_IsValid constraint), optionally repaired with make_valid.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from numbers import Real
from typing import Any, NoReturn

import numpy as np
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from mapserver.geo.crs import CoordinateError, InputCrs, parse_crs, to_lonlat
from mapserver.geo.measures import Measures, measure
from mapserver.geo.validity import GeometryError as GeometryError  # check_geometry's error
from mapserver.geo.validity import (
    Location,
    Parts,
    at_text,
    build,
    duplicate_rings,
    fail,
    geos_problem,
    location_of,
    repaired,
)

MAX_VERTICES = 20_000
MAX_DEPTH = 8  # levels of nested arrays in "coordinates"; a MultiPolygon needs 4

POINTS = frozenset({"Point", "MultiPoint"})
LINES = frozenset({"LineString", "MultiLineString"})
POLYGONS = frozenset({"Polygon", "MultiPolygon"})
ALL_TYPES = POINTS | LINES | POLYGONS


@dataclass(frozen=True)
class CheckedGeometry:
    """A geometry fit to store: valid, 2D, EPSG:4326; with its measures and what was changed."""

    geometry: BaseGeometry
    measures: Measures
    notes: tuple[str, ...] = ()


def parse_json(body: bytes | bytearray | str) -> Any:
    """Parse a request body strictly: NaN, Infinity and numbers that overflow a double
    (1e309) are refused rather than becoming inf/nan, and so are duplicate keys."""
    try:
        text = body.decode("utf-8-sig") if isinstance(body, bytes | bytearray) else body
        return json.loads(
            text,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
            parse_int=_finite_int,
            object_pairs_hook=_unique_keys,
        )
    except UnicodeDecodeError:
        fail("invalid_json", "请求体不是 UTF-8 Body is not UTF-8")
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        fail("invalid_json", f"JSON 格式错误 Invalid JSON: {exc.msg} ({where})")
    except RecursionError:
        fail("too_deep", "JSON 嵌套过深 JSON nested too deeply")


def check_geometry(
    body: bytes | bytearray | str | Mapping[str, Any] | None,
    *,
    allowed: Collection[str] = ALL_TYPES,
    crs: str | int | InputCrs | None = None,
    repair: bool = False,
    max_vertices: int = MAX_VERTICES,
    max_depth: int = MAX_DEPTH,
) -> CheckedGeometry:
    """Validate a GeoJSON geometry (raw body or parsed dict) in ``crs`` for a layer that
    takes the ``allowed`` types; return it in EPSG:4326 with its measures.

    Raises GeometryError on the first problem; crs.CrsError if ``crs`` is unsupported.
    With ``repair=True`` unclosed rings are closed and invalid shapes go through
    make_valid, keeping only parts of the original dimension; ``notes`` says what changed.
    """
    crs = parse_crs(crs)
    obj = parse_json(body) if isinstance(body, bytes | bytearray | str) else body
    allowed = frozenset([allowed] if isinstance(allowed, str) else allowed)
    kind, coordinates = _type_and_coordinates(obj, allowed)
    _check_depth(coordinates, max_depth)
    reader = _Reader(max_vertices)
    parts = _to_lonlat(reader.parts(kind, coordinates), crs)
    notes = ["已忽略高程 Z values dropped"] if reader.has_z else []
    _check_sequences(kind, parts, repair, notes)
    geom = build(kind, parts)
    problem = (kind in POLYGONS and duplicate_rings(parts)) or geos_problem(geom)
    if problem:
        if not repair:
            raise problem
        geom = repaired(geom, kind, problem, notes)
        if geom.geom_type not in allowed:
            message = f"修复结果为 {geom.geom_type}，本图层不接受 Repair gave a {geom.geom_type}"
            fail("wrong_type", f"{message}, which this layer does not accept", problem.location)
    return CheckedGeometry(geom, measure(geom), tuple(notes))


def _reject_constant(name: str) -> NoReturn:
    fail("non_finite", f"非有限数值 Non-finite number: {name}")


def _finite_float(text: str) -> float:
    """A double, neither overflowing (1e309) nor underflowing to zero (1e-400)."""
    value = float(text)
    mantissa = text.lower().split("e")[0]
    if not math.isfinite(value) or (value == 0 and mantissa.strip("-+0.")):
        fail("non_finite", f"数值超出范围 Number out of range: {text[:40]}")
    return value


def _finite_int(text: str) -> int:
    """Integers stay integers, but only those a double can hold (float() of the text is
    inf otherwise, and is checked before Python's own digit limit could raise)."""
    if not math.isfinite(float(text)):
        fail("non_finite", f"数值超出范围 Number out of range: {text[:40]}…")
    return int(text)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Objects with a key twice are ambiguous (parsers disagree on which wins)."""
    seen = set()
    for key, _ in pairs:
        if key in seen:
            fail("invalid_json", f"JSON 键重复 Duplicate JSON key: {key!r}")
        seen.add(key)
    return dict(pairs)


def _type_and_coordinates(obj: Any, allowed: frozenset[str]) -> tuple[str, Any]:
    """The geometry type, checked against the layer's, and the raw coordinates."""
    if obj is None:
        fail("empty", "几何为空 Geometry is null")
    if not isinstance(obj, Mapping):
        fail("malformed", "几何必须是 JSON 对象 Geometry must be a JSON object")
    kind = obj.get("type")
    if kind == "GeometryCollection":
        message = "不支持 GeometryCollection，请用 Multi* 类型"
        fail("wrong_type", f"{message} GeometryCollection is not supported, use a Multi* type")
    if not isinstance(kind, str) or kind not in ALL_TYPES:
        fail("malformed", f"不是 GeoJSON 几何类型 Not a GeoJSON geometry type: {str(kind)[:40]!r}")
    if kind not in allowed:
        names = ", ".join(sorted(allowed))
        fail("wrong_type", f"本图层不接受 {kind} This layer does not accept {kind} ({names} only)")
    if "coordinates" not in obj:
        fail("malformed", "缺少 coordinates Missing coordinates")
    return kind, obj["coordinates"]


def _check_depth(coordinates: Any, max_depth: int) -> None:
    """Refuse arrays nested deeper than max_depth, level by level without recursion."""
    level, depth = [coordinates], 0
    while level:
        arrays = [v for v in level if isinstance(v, list | tuple)]
        if not arrays:
            return
        depth += 1
        if depth > max_depth:
            message = f"坐标数组嵌套超过 {max_depth} 层"
            fail("too_deep", f"{message} Coordinates nested deeper than {max_depth} levels")
        level = [item for array in arrays for item in array]


class _Reader:
    """Turns raw coordinates into (N, 2) float arrays, counting vertices as it goes."""

    def __init__(self, max_vertices: int) -> None:
        self.max_vertices = max_vertices
        self.count = 0
        self.has_z = False

    def parts(self, kind: str, coordinates: Any) -> Parts:
        """A point set or line is one sequence per part; a polygon one per ring."""
        items = _array(coordinates, "coordinates")
        if kind == "Point":
            parts = [[self.positions([items])]] if items else []
        elif kind in ("MultiPoint", "LineString"):
            parts = [[self.positions(items)]]
        elif kind == "MultiLineString":
            parts = [[self.positions(item)] for item in items]
        elif kind == "Polygon":
            parts = [[self.positions(item) for item in items]]
        else:
            parts = [[self.positions(r) for r in _array(p, "polygon")] for p in items]
        if self.count == 0:
            fail("empty", "几何为空 Geometry is empty")
        for number, part in enumerate(parts, 1):
            if not part:
                fail("empty", f"第 {number} 个面为空 Polygon {number} is empty")
        return parts

    def positions(self, value: Any) -> NDArray[np.float64]:
        """An array of positions [x, y] or [x, y, z] (z dropped) as an (N, 2) array."""
        items = _array(value, "positions")
        self.count += len(items)
        if self.count > self.max_vertices:
            limit = self.max_vertices
            fail("too_many_vertices", f"顶点超过 {limit} 个 More than {limit} vertices")
        for position in items:
            if not isinstance(position, list | tuple) or not 2 <= len(position) <= 3:
                text = str(position)[:60]
                fail("malformed", f"坐标应为 [x, y] Position must be [x, y] or [x, y, z]: {text}")
            if not all(isinstance(v, Real) and not isinstance(v, bool) for v in position):
                text = str(position)[:60]
                fail("malformed", f"坐标必须是数字 Coordinates must be numbers: {text}")
        heights = [p[2] for p in items if len(p) == 3]
        self.has_z = self.has_z or bool(heights)
        _finite(heights)
        return _finite([p[:2] for p in items]).reshape(-1, 2)


def _array(value: Any, what: str) -> list | tuple:
    if not isinstance(value, list | tuple):
        fail("malformed", f"{what} 应为数组 {what} must be an array")
    return value


def _finite(values: list) -> NDArray[np.float64]:
    try:
        array = np.array(values, dtype=float)
    except OverflowError:  # an integer beyond a double's range
        array = np.array([math.inf])
    if not np.isfinite(array).all():
        fail("non_finite", "非有限数值 Non-finite coordinate (NaN, Infinity or overflow)")
    return array


def _to_lonlat(parts: Parts, crs: InputCrs) -> Parts:
    """Convert every sequence to EPSG:4326 in one call and check the lon/lat range."""
    sizes = [len(seq) for part in parts for seq in part]
    try:
        lonlat = to_lonlat(np.concatenate([seq for part in parts for seq in part]), crs)
    except CoordinateError as exc:
        if crs.geographic and exc.point is not None:
            _out_of_range(exc.point)
        fail("out_of_range", exc.message)
    outside = (np.abs(lonlat[:, 0]) > 180) | (np.abs(lonlat[:, 1]) > 90)
    if outside.any():
        _out_of_range(location_of(lonlat[int(np.argmax(outside))]))
    pieces = iter(np.split(lonlat, np.cumsum(sizes)[:-1]))
    return [[next(pieces) for _ in part] for part in parts]


def _out_of_range(location: Location) -> NoReturn:
    message = "经纬度超出范围 Longitude/latitude out of range"
    fail("out_of_range", f"{message}{at_text(location)}", location)


def _check_sequences(kind: str, parts: Parts, repair: bool, notes: list[str]) -> None:
    """Lines need 2 positions; rings must be closed (repair closes them) and have 4."""
    for part in parts:
        for index, seq in enumerate(part):
            first = location_of(seq[0]) if len(seq) else None
            if kind in LINES and len(seq) < 2:
                message = "线至少需要 2 个点 A line needs at least 2 positions"
                fail("too_few_points", f"{message}{at_text(first)}", first)
            if kind not in POLYGONS:
                continue
            if len(seq) and not np.array_equal(seq[0], seq[-1]):
                if not repair:
                    fail("unclosed_ring", f"环未闭合 Ring is not closed{at_text(first)}", first)
                part[index] = seq = np.vstack([seq, seq[:1]])
                notes.append(f"已闭合环 Closed a ring{at_text(first)}")
            if len(seq) < 4:
                message = "环至少需要 4 个点 A ring needs at least 4 positions"
                fail("too_few_points", f"{message}{at_text(first)}", first)
