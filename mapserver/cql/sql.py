"""A parsed CQL2 filter (:mod:`mapserver.cql`) as a WHERE fragment on a layer's table.

Property names must be the layer's queryables (its exposed properties and the
geometry); they reach SQL only as names from the layer file. Every value is a
bound parameter, checked in Python against the column's type and cast in SQL to
a type from :data:`SQL_TYPES`. Spatial literals are read in ``filter-crs``,
checked with shapely (one literal, not per feature) and sent as WKB.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pygeofilter import ast, values

from mapserver.cql import syntax as cql
from mapserver.cql.values import GEOMETRY, Operand, Values, bad, describe
from mapserver.errors import InvalidParameter
from mapserver.geo import ogc_crs
from mapserver.layers import Layer
from mapserver.vocabulary import Vocabulary

COMPARISONS: dict[type, str] = {ast.Equal: "=", ast.NotEqual: "<>", ast.LessThan: "<",
                                ast.LessEqual: "<=", ast.GreaterThan: ">",
                                ast.GreaterEqual: ">="}  # fmt: skip
SPATIAL: dict[type, str] = {
    ast.GeometryIntersects: "ST_Intersects", ast.GeometryDisjoint: "ST_Disjoint",
    ast.GeometryContains: "ST_Contains", ast.GeometryWithin: "ST_Within",
    ast.GeometryTouches: "ST_Touches", ast.GeometryCrosses: "ST_Crosses",
    ast.GeometryOverlaps: "ST_Overlaps", ast.GeometryEquals: "ST_Equals",
}  # fmt: skip
TEMPORAL: dict[type, str] = {ast.TimeBefore: "before", ast.TimeAfter: "after",
                             ast.TimeEquals: "equals", ast.TimeDisjoint: "disjoint",
                             ast.TimeDuring: "during"}  # fmt: skip
TEMPORAL_NAMES = "T_AFTER, T_BEFORE, T_DISJOINT, T_DURING, T_EQUALS, T_INTERSECTS"
METRES = {"meters", "metres", "meter", "metre", "m"}
MAX_DISTANCE = 1_000_000.0  # metres


@dataclass(frozen=True)
class Filter:
    """A checked filter: its source (for ETags and links) and its SQL."""

    text: str
    lang: str
    crs: str  # filter-crs key
    sql: str
    params: tuple[tuple[str, Any], ...]
    spatial: int = 0  # spatial operators: such filters are admitted a few at a time


def compile_filter(
    layer: Layer, vocab: Vocabulary, text: str, lang: str, crs: ogc_crs.OgcCrs
) -> Filter:
    """Parse and translate; every problem is an :class:`InvalidParameter` on ``filter``."""
    try:
        tree = cql.parse(text, lang)
    except cql.FilterError as exc:
        extra = {"limit": {"name": exc.limit[0], "value": exc.limit[1]}} if exc.limit else {}
        raise InvalidParameter(f"filter: {exc}", parameter="filter", **extra) from None
    compiler = _Compiler(Values(layer, vocab, crs))
    sql = compiler.condition(tree)
    params = tuple(compiler.values.params.items())
    return Filter(text, lang, crs.key, sql, params, compiler.spatial)


class _Compiler:
    """Walks pygeofilter's AST into SQL; one method per kind of predicate."""

    def __init__(self, vals: Values) -> None:
        self.values = vals
        self.spatial = 0
        self.handlers: list[tuple[type, Callable[[Any], str]]] = [
            (ast.Combination, self._chain), (ast.Not, self._not),
            (ast.Comparison, self._comparison), (ast.Between, self._between),
            (ast.Like, self._like), (ast.In, self._in), (ast.IsNull, self._is_null),
            (ast.Include, self._include), (ast.SpatialComparisonPredicate, self._spatial),
            (ast.TemporalPredicate, self._temporal), (ast.Function, self._function),
        ]  # fmt: skip

    def condition(self, node: Any) -> str:
        if isinstance(node, bool):
            return "TRUE" if node else "FALSE"
        for cls, handler in self.handlers:
            if isinstance(node, cls):
                return handler(node)
        raise bad(f"{describe(node)} is not a condition")

    def _chain(self, node: ast.Combination) -> str:
        """``a AND b AND c`` without recursing down the chain pygeofilter builds."""
        parts, stack = [], [node]
        while stack:
            item = stack.pop()
            if type(item) is type(node):
                stack += [item.rhs, item.lhs]
            else:
                parts.append(self.condition(item))
        return "(" + f" {node.op.value} ".join(parts) + ")"

    def _not(self, node: ast.Not) -> str:
        return f"(NOT {self.condition(node.sub_node)})"

    def _include(self, node: ast.Include) -> str:
        return "FALSE" if node.not_ else "TRUE"

    def _comparison(self, node: ast.Comparison) -> str:
        op = COMPARISONS.get(type(node))
        if op is None:
            raise bad(f"unsupported comparison {describe(node)}")
        left, right = self.values.operand(node.lhs), self.values.operand(node.rhs)
        prop = self._property_side(left, right)
        if prop.kind == GEOMETRY:
            raise bad("geometries are compared with S_INTERSECTS and the other S_ functions")
        codes = op in ("=", "<>")
        return f"{self._side(left, prop, codes)} {op} {self._side(right, prop, codes)}"

    def _property_side(self, left: Operand, right: Operand) -> Operand:
        if left.literal and right.literal:
            raise bad("a comparison needs a queryable property on one side")
        if not left.literal and not right.literal and left.kind != right.kind:
            raise bad(f"{left.name!r} ({left.kind}) and {right.name!r} ({right.kind}) differ")
        return right if left.literal else left

    def _side(self, side: Operand, prop: Operand, codes: bool = False) -> str:
        return self.values.value(side, prop, codes) if side.literal else side.sql

    def _between(self, node: ast.Between) -> str:
        prop = self.values.property(node.lhs, ("number", "date", "timestamp"), "BETWEEN")
        low, high = (self._side(self.values.operand(v), prop) for v in (node.low, node.high))
        return f"({prop.sql} {'NOT ' if node.not_ else ''}BETWEEN {low} AND {high})"

    def _like(self, node: ast.Like) -> str:
        prop = self.values.property(node.lhs, ("text",), "LIKE")
        pattern = self.values.operand(node.pattern)
        if not pattern.literal or not isinstance(pattern.value, str):
            raise bad("LIKE needs a text pattern")
        trailing = len(pattern.value) - len(pattern.value.rstrip("\\"))
        if trailing % 2:
            raise bad("a LIKE pattern cannot end with the escape character \\")
        return f"({prop.sql} {'NOT ' if node.not_ else ''}LIKE {self.values.value(pattern, prop)})"

    def _in(self, node: ast.In) -> str:
        prop = self.values.property(node.lhs, None, "IN")
        if not node.sub_nodes or not isinstance(node.sub_nodes, list):
            raise bad("IN needs a list of values")
        items = [self._side(self.values.operand(v), prop, True) for v in node.sub_nodes]
        return f"({prop.sql} {'NOT ' if node.not_ else ''}IN ({', '.join(items)}))"

    def _is_null(self, node: ast.IsNull) -> str:
        prop = self.values.property(node.lhs, None, "IS NULL")
        return f"({prop.sql} IS {'NOT ' if node.not_ else ''}NULL)"

    def _spatial(self, node: ast.SpatialComparisonPredicate) -> str:
        function = SPATIAL.get(type(node))
        if function is None:
            raise bad(f"unsupported spatial function {describe(node)}")
        self.spatial += 1
        return f"{function}({self.values.geometry(node.lhs)}, {self.values.geometry(node.rhs)})"

    def _function(self, node: ast.Function) -> str:
        name = str(node.name).lower()
        if name == "s_dwithin":
            return self._dwithin(node.arguments)
        if name in ("t_intersects", "t_disjoint") and len(node.arguments) == 2:
            return self._temporal_sql(name[2:], *node.arguments)
        if name.startswith("t_"):
            raise bad(f"{name.upper()[:50]}: this server's times are instants; supported: "
                      f"{TEMPORAL_NAMES}")  # fmt: skip
        raise bad(f"unknown function {str(node.name)[:50]!r} (as a condition: S_DWITHIN, "
                  f"S_INTERSECTS and the other S_ functions, {TEMPORAL_NAMES})")  # fmt: skip

    def _dwithin(self, args: list) -> str:
        """S_DWITHIN(a, b, distance[, meters]): within a distance in metres on the spheroid."""
        if len(args) not in (3, 4):
            raise bad("S_DWITHIN takes two geometries, a distance and optionally meters")
        units = args[3] if len(args) == 4 else "meters"
        units = units.name if isinstance(units, ast.Attribute) else units
        if not isinstance(units, str) or units.lower() not in METRES:
            raise bad(f"S_DWITHIN: distances are in meters, not {describe(units)}")
        distance = args[2]
        if isinstance(distance, bool) or not isinstance(distance, int | float):
            raise bad("S_DWITHIN: the distance must be a number of metres")
        if not 0 <= distance <= MAX_DISTANCE:
            raise bad(f"S_DWITHIN: the distance must be 0…{MAX_DISTANCE:.0f} metres")
        a, b = self.values.geometry(args[0]), self.values.geometry(args[1])
        d = self.values.bind(float(distance))
        self.spatial += 1
        return f"ST_DWithin(CAST({a} AS geography), CAST({b} AS geography), {d})"

    def _temporal(self, node: ast.TemporalPredicate) -> str:
        name = TEMPORAL.get(type(node))
        if name is None:
            raise bad(f"{describe(node)}: this server's times are instants; supported: "
                      f"{TEMPORAL_NAMES}")  # fmt: skip
        return self._temporal_sql(name, node.lhs, node.rhs)

    def _temporal_sql(self, name: str, lhs: Any, rhs: Any) -> str:
        """An instant property against an instant or an interval literal (bounds inclusive)."""
        prop = self.values.property(lhs, ("date", "timestamp"), f"T_{name.upper()}")
        if not isinstance(rhs, values.Interval):
            op = {"before": "<", "after": ">", "equals": "=", "intersects": "=",
                  "disjoint": "<>"}.get(name)  # fmt: skip
            if op is None:
                raise bad(f"T_{name.upper()} needs an INTERVAL")
            return f"{prop.sql} {op} {self._side(self.values.operand(rhs), prop)}"
        if name == "equals":
            raise bad("T_EQUALS of an instant property needs an instant, not an INTERVAL")
        start, end = self.values.interval(rhs, prop)
        if name in ("before", "after"):
            bound = start if name == "before" else end
            if bound is None:
                raise bad(f"T_{name.upper()}: the interval is open on that side")
            return f"{prop.sql} {'<' if name == 'before' else '>'} {bound}"
        inside = [f"{prop.sql} >= {start}" if start else "", f"{prop.sql} <= {end}" if end else ""]
        inside = [c for c in inside if c] or [f"{prop.sql} IS NOT NULL"]
        sql = "(" + " AND ".join(inside) + ")"
        return f"(NOT {sql})" if name == "disjoint" else sql
