"""A geometry's validity: GEOS's verdict as a GeometryError, and make_valid repair.

The same test as the database's ST_IsValid constraint, with each GEOS reason given a
stable code and a Chinese + English message (geometry.check_geometry runs it last).
"""

from __future__ import annotations

import re
from typing import NoReturn

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

_REASON = re.compile(r"(?P<reason>[^\[]*)\[(?P<x>\S+) (?P<y>\S+)\]")
# GEOS validity reasons -> (code, Chinese + English message)
_GEOS_REASONS = {
    "Self-intersection": ("self_intersection", "自相交 Self-intersection"),
    "Ring Self-intersection": ("self_intersection", "环自相交 Ring self-intersection"),
    "Hole lies outside shell": ("hole_outside_shell", "内环在外环之外 Hole lies outside shell"),
    "Holes are nested": ("nested_holes", "内环相互嵌套 Holes are nested"),
    "Interior is disconnected": ("disconnected_interior", "内部不连通 Interior is disconnected"),
    "Nested shells": ("nested_shells", "外环相互嵌套 Nested shells"),
    "Duplicate Rings": ("duplicate_rings", "重复的环 Duplicate rings"),
    "Too few points in geometry component": ("too_few_points", "点数过少 Too few points"),
    "Ring is not closed": ("unclosed_ring", "环未闭合 Ring is not closed"),
    "Invalid Coordinate": ("non_finite", "无效坐标 Invalid coordinate"),
}

Location = tuple[float, float]
Parts = list[list[NDArray[np.float64]]]  # parts -> coordinate sequences -> (N, 2) arrays


class GeometryError(ValueError):
    """Why a geometry is refused: ``code`` for machines, ``message`` for people,
    ``location`` (lon, lat) when the problem is at a place."""

    def __init__(self, message: str, location: Location | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.location = location
        self.code = code


def fail(code: str, message: str, location: Location | None = None) -> NoReturn:
    raise GeometryError(message, location, code) from None


def build(kind: str, parts: Parts) -> BaseGeometry:
    if kind == "Point":
        return shapely.Point(parts[0][0][0])
    if kind == "MultiPoint":
        return shapely.MultiPoint(parts[0][0])
    if kind == "LineString":
        return shapely.LineString(parts[0][0])
    if kind == "MultiLineString":
        return shapely.MultiLineString([part[0] for part in parts])
    polygons = [shapely.Polygon(part[0], part[1:]) for part in parts]
    return polygons[0] if kind == "Polygon" else shapely.MultiPolygon(polygons)


def duplicate_rings(parts: Parts) -> GeometryError | None:
    """Rings repeated in any rotation or direction (GEOS reports them as crossings)."""
    seen: set[bytes] = set()
    for part in parts:
        for ring in part:
            vertices = ring[:-1] + 0.0  # + 0.0 turns -0.0 into 0.0
            start = int(np.lexsort((vertices[:, 1], vertices[:, 0]))[0])
            forward = np.roll(vertices, -start, axis=0)
            backward = np.roll(forward[::-1], 1, axis=0)
            key = min(forward.tobytes(), backward.tobytes())
            if key in seen:
                where = location_of(ring[0])
                return GeometryError(
                    f"重复的环 Duplicate rings{at_text(where)}", where, "duplicate_rings"
                )
            seen.add(key)
    return None


def geos_problem(geom: BaseGeometry) -> GeometryError | None:
    """GEOS's validity verdict as a GeometryError, or None when valid."""
    reason = shapely.is_valid_reason(geom)
    if reason == "Valid Geometry":
        return None
    match = _REASON.fullmatch(reason)
    name = match["reason"] if match else reason
    where = (float(match["x"]), float(match["y"])) if match else None
    code, message = _GEOS_REASONS.get(name, ("invalid", f"几何无效 Invalid geometry: {name}"))
    return GeometryError(f"{message}{at_text(where)}", where, code)


def repaired(
    geom: BaseGeometry, kind: str, problem: GeometryError, notes: list[str]
) -> BaseGeometry:
    """make_valid, keeping only parts of the original dimension; notes say what changed."""
    dimension = shapely.get_dimensions(geom)
    fixed = shapely.make_valid(geom, method="structure", keep_collapsed=True)
    pieces = list(shapely.get_parts(shapely.get_parts(fixed)))  # through GC and Multi*
    kept = [p for p in pieces if shapely.get_dimensions(p) == dimension and not p.is_empty]
    if not kept:
        tail = "无法修复，修复后什么也不剩 cannot be repaired: nothing would remain"
        fail(problem.code, f"{problem.message}；{tail}", problem.location)
    result = _assemble(kept, kind)
    notes.append(f"{problem.message}；已用 make_valid 修复 repaired with make_valid")
    before, after = shapely.get_num_geometries(geom), shapely.get_num_geometries(result)
    if result.geom_type != kind or before != after:
        notes.append(f"{kind}（{before} 部分 parts）→ {result.geom_type}（{after} 部分 parts）")
    if len(pieces) > len(kept):
        dropped = len(pieces) - len(kept)
        notes.append(f"丢弃 {dropped} 个退化碎片 Dropped {dropped} collapsed fragment(s)")
    return result


def _assemble(pieces: list[BaseGeometry], kind: str) -> BaseGeometry:
    """One piece as a single geometry (unless the input was Multi*), more as Multi*."""
    if len(pieces) == 1 and not kind.startswith("Multi"):
        return pieces[0]
    multi = {2: shapely.MultiPolygon, 1: shapely.MultiLineString}[shapely.get_dimensions(pieces[0])]
    result = multi(pieces)
    if not result.is_valid:  # pieces taken from a collection may overlap
        result = shapely.union_all(pieces)
        if kind.startswith("Multi") and not result.geom_type.startswith("Multi"):
            result = multi([result])
    if not result.is_valid:
        fail("invalid", "修复失败 Repair failed")
    return result


def location_of(xy: NDArray[np.float64]) -> Location:
    return float(xy[0]), float(xy[1])


def _fmt(location: Location) -> str:
    """(lon, lat) to 7 decimals (about 1 cm), without trailing zeros."""
    return f"({round(location[0], 7)}, {round(location[1], 7)})"


def at_text(location: Location | None) -> str:
    return f" at {_fmt(location)}" if location is not None else ""
