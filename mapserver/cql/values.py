"""The operands of a CQL2 filter: queryable properties and literals, checked and bound.

A property is a column only if the layer file exposes it (or it is the
geometry); a literal must suit that column's type (``Layer.types``) before it
is bound and cast to a type named in :data:`CASTS`, never copied into the SQL.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import shapely
from pygeofilter import ast, values
from shapely.errors import ShapelyError
from shapely.geometry import box, shape

from mapserver.errors import InvalidParameter
from mapserver.geo import ogc_crs
from mapserver.layers import Layer, Property
from mapserver.vocabulary import Vocabulary

GEOMETRY = "geometry"  # the spatial queryable's name (the layer's geometry column works too)
KINDS = {"text": "text", "varchar": "text", "bool": "boolean", "int2": "number",
         "int4": "number", "int8": "number", "numeric": "number", "float4": "number",
         "float8": "number", "date": "date", "timestamptz": "timestamp",
         "timestamp": "timestamp"}  # fmt: skip
CASTS = {"text": "text", "varchar": "text", "bool": "boolean", "int2": "numeric",
         "int4": "numeric", "int8": "numeric", "numeric": "numeric", "float4": "numeric",
         "float8": "numeric", "date": "date", "timestamptz": "timestamptz",
         "timestamp": "timestamp"}  # fmt: skip
MAX_CODES_LISTED = 50


def bad(message: str, **extra: Any) -> InvalidParameter:
    return InvalidParameter(f"filter: {message}", parameter="filter", **extra)


def describe(value: Any) -> str:
    """A short, safe description of a value or node for an error message."""
    if isinstance(value, ast.Attribute):
        return f"property {str(value.name)[:50]!r}"
    if isinstance(value, ast.Function):
        return f"function {str(value.name)[:50]!r}"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"text {value[:50]!r}"
    if isinstance(value, datetime):
        return f"TIMESTAMP('{value.isoformat()}')"
    if isinstance(value, date):
        return f"DATE('{value.isoformat()}')"
    if isinstance(value, int | float):
        return f"number {value}"
    return type(value).__name__


@dataclass(frozen=True)
class Operand:
    """A property (``sql`` is its column) or a literal (``value``)."""

    literal: bool
    value: Any = None
    sql: str = ""
    kind: str = ""  # text, number, boolean, date, timestamp or geometry
    name: str = ""
    prop: Property | None = None
    casei: bool = False


class Values:
    """Operands for one filter on one layer; collects the bound parameters."""

    def __init__(self, layer: Layer, vocab: Vocabulary, crs: ogc_crs.OgcCrs) -> None:
        self.layer, self.vocab, self.crs = layer, vocab, crs
        self.params: dict[str, Any] = {}

    def bind(self, value: Any) -> str:
        name = f"c{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def queryables(self) -> list[str]:
        return [*self.layer.properties, GEOMETRY]

    def operand(self, node: Any) -> Operand:
        if isinstance(node, ast.Attribute):
            return self._attribute(str(node.name))
        if isinstance(node, ast.Function) and str(node.name).lower() == "lower":
            return self._casei(node.arguments)
        if isinstance(node, ast.Node | values.Envelope | values.Geometry | list):
            raise bad(f"{describe(node)} is not supported here")
        return Operand(True, node)

    def _attribute(self, name: str) -> Operand:
        if name in (GEOMETRY, self.layer.geometry_column):
            return Operand(False, sql=f't."{self.layer.geometry_column}"', kind=GEOMETRY, name=name)
        prop = self.layer.properties.get(name)
        if prop is None:
            raise bad(f"unknown property {name[:50]!r}", property=name[:50],
                      queryables=self.queryables())  # fmt: skip
        kind = KINDS.get(self.layer.types.get(name, ""))
        if kind is None:
            raise bad(f"property {name!r} cannot be filtered on")
        return Operand(False, sql=f't."{name}"', kind=kind, name=name, prop=prop)

    def _casei(self, args: list) -> Operand:
        """CASEI(x) (pygeofilter names it ``lower``): lower-case both sides to compare."""
        inner = self.operand(args[0]) if len(args) == 1 else None
        if (
            inner is None
            or inner.kind not in ("text", "")
            or (inner.literal and not isinstance(inner.value, str))
        ):
            raise bad("CASEI takes one text property or text value")
        sql = f"lower({inner.sql})" if not inner.literal else ""
        return Operand(inner.literal, inner.value, sql, inner.kind, inner.name, inner.prop, True)

    def property(self, node: Any, kinds: tuple[str, ...] | None, where: str) -> Operand:
        """The property an operator applies to, of one of ``kinds`` (None: any)."""
        found = self.operand(node)
        if found.literal:
            raise bad(f"{where} applies to a queryable property, not {describe(found.value)}")
        if kinds is not None and found.kind not in kinds:
            raise bad(f"{where} does not apply to {found.name!r} ({found.kind})")
        return found

    def value(self, lit: Operand, prop: Operand, codes: bool = False) -> str:
        """``lit`` bound and cast to ``prop``'s column type; refused when it cannot be one."""
        kind, v = prop.kind, lit.value
        ok = {
            "text": isinstance(v, str),
            "number": isinstance(v, int | float) and not isinstance(v, bool),
            "boolean": isinstance(v, bool),
            "date": isinstance(v, date) and not isinstance(v, datetime),
            "timestamp": isinstance(v, datetime) and v.tzinfo is not None,
        }.get(kind, False)
        if not ok or (kind == "number" and not math.isfinite(v)):
            hint = " (a TIMESTAMP needs Z or an offset)" if isinstance(v, datetime) else ""
            raise bad(f"{prop.name!r} is {kind}; {describe(v)} does not compare with it{hint}")
        if isinstance(v, str) and "\x00" in v:
            raise bad("text values cannot contain NUL characters")
        if codes and prop.prop is not None and prop.prop.coded and not prop.casei:
            self._check_code(prop.prop, str(v).lower() if isinstance(v, bool) else v)
        cast = CASTS[self.layer.types[prop.name]]
        sql = f"CAST({self.bind(self._plain(v, cast))} AS {cast})"
        return f"lower({sql})" if lit.casei else sql

    @staticmethod
    def _plain(v: Any, cast: str) -> Any:
        if isinstance(v, datetime):
            v = v.astimezone(UTC)
            return (v.replace(tzinfo=None) if cast == "timestamp" else v).isoformat()
        return v.isoformat() if isinstance(v, date) else v

    def _check_code(self, prop: Property, code: Any) -> None:
        known = self.vocab.labels(prop)
        if code not in known:
            allowed = [{"code": k, "label": v} for k, v in list(known.items())[:MAX_CODES_LISTED]]
            raise bad(f"{prop.name}: unknown code {str(code)[:50]!r}", allowed=allowed)

    def interval(self, interval: values.Interval, prop: Operand) -> tuple[str | None, str | None]:
        """The bound ends of an INTERVAL literal (None where open)."""
        return tuple(
            None if end is None else self.value(Operand(True, end), prop)
            for end in (_instant(interval.start), _instant(interval.end))
        )  # type: ignore[return-value]

    def geometry(self, node: Any) -> str:
        """The geometry property, or a spatial literal in filter-crs, as EPSG:4326 SQL."""
        if isinstance(node, ast.Attribute):
            found = self._attribute(str(node.name))
            if found.kind == GEOMETRY:
                return found.sql
            raise bad(f"{found.name!r} is not a geometry")
        if isinstance(node, values.Geometry):
            return self._literal(_shape(node.geometry))
        if isinstance(node, ast.Function) and str(node.name).lower() == "bbox":
            return self._literal(self._bbox(node.arguments))
        raise bad(
            f"a spatial function takes the geometry or a spatial literal, not {describe(node)}"
        )

    def _bbox(self, args: list) -> shapely.Geometry:
        """BBOX(min, min, max, max) in the CRS's axis order, like every literal."""
        numbers = [a for a in args if isinstance(a, int | float) and not isinstance(a, bool)]
        if len(args) != 4 or len(numbers) != 4:
            raise bad("BBOX takes four numbers: the minima, then the maxima (2D)")
        a0, a1, b0, b1 = numbers
        if a0 > b0 or a1 > b1:
            raise bad("BBOX is inverted: a minimum is above its maximum")
        return box(a0, a1, b0, b1)

    def _literal(self, geom: shapely.Geometry) -> str:
        geom = shapely.force_2d(geom)
        if self.crs.flip:  # written latitude / northing first, as the CRS defines
            geom = shapely.transform(geom, lambda xy: xy[:, ::-1])
        for x, y in shapely.get_coordinates(geom):
            ogc_crs.check_window(float(x), float(y), self.crs, "filter")
        if geom.is_empty or not geom.is_valid:
            raise bad(f"invalid geometry: {shapely.is_valid_reason(geom)}")
        wkb = self.bind(shapely.to_wkb(geom))
        sql = f"ST_GeomFromWKB({wkb}, {int(self.crs.srid)})"
        return sql if self.crs.srid == 4326 else f"ST_Transform({sql}, 4326)"


def _shape(geojson: dict) -> shapely.Geometry:
    if geojson.get("type") == "GeometryCollection":  # drop the marker mapserver.cql adds
        geojson = {k: v for k, v in geojson.items() if k != "coordinates"}
    try:
        geom = shape(geojson)
    except (ShapelyError, ValueError, TypeError, KeyError, IndexError, AttributeError):
        raise bad("not a valid geometry literal") from None
    if not np.isfinite(shapely.get_coordinates(geom)).all():
        raise bad("geometry coordinates must be finite numbers")
    return geom


def _instant(value: Any) -> date | datetime | None:
    if value is None or value == "..":
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value.isascii() and len(value) <= 40:
        try:
            if len(value) == 10:
                return date.fromisoformat(value)
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
    raise bad(f"interval ends must be dates, timestamps or '..', not {describe(value)}")
