"""CQL2 filters (OGC API – Features Part 3): text or JSON in, pygeofilter's AST out.

pygeofilter parses both encodings; :mod:`mapserver.cql.sql` turns the AST into
SQL. Its CQL2-text grammar (0.4.0) misses parts of CQL2 1.0, so it is extended
here rather than forked: the function form of the temporal operators
(``T_BEFORE(a, b)``), ``''`` inside strings, ``INTERVAL`` with dates and ``..``,
and ``S_DWITHIN(geom, geometry, distance[, meters])``. The JSON encoding is
brought to the shape pygeofilter reads (``between`` with three arguments,
``bbox`` literals, the two functions). Size, depth and node count are limited
before anything reaches the database.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from functools import cache
from typing import Any

from lark import Lark, v_args
from lark.exceptions import LarkError, UnexpectedInput, VisitError
from pygeofilter import ast, values
from pygeofilter.cql2 import TEMPORAL_PREDICATES_MAP
from pygeofilter.parsers.cql2_json.parser import walk_cql_json
from pygeofilter.parsers.cql2_text import parser as text_parser

LANGS = ("cql2-text", "cql2-json")
MAX_BYTES = 10_000
MAX_DEPTH = 20  # nested conditions (a chain of ANDs or of ORs counts once)
MAX_NODES = 200
MAX_JSON_NESTING = 60  # containers, counted before pygeofilter's recursive walk
# The cost of a spatial filter grows with its literals' vertices times the sites' vertices:
# these bound it (and MAPSERVER_STATEMENT_TIMEOUT_MS whatever remains), for text and JSON alike.
MAX_VERTICES = 500  # in all geometry literals of one filter
MAX_SPATIAL = 4  # spatial operators (S_INTERSECTS …, S_DWITHIN) in one filter
MAX_COLLECTION_NESTING = 4  # GEOMETRYCOLLECTIONs inside GEOMETRYCOLLECTIONs
FUNCTIONS = ("s_dwithin", "t_intersects", "t_disjoint")  # predicates pygeofilter lacks
TEMPORAL_OPS = (
    "AFTER|BEFORE|CONTAINS|DISJOINT|DURING|EQUALS|FINISHEDBY|FINISHES|INTERSECTS|MEETS|METBY"
    "|OVERLAPPEDBY|OVERLAPS|STARTEDBY|STARTS"
)
WKT_Z = r"""
%extend wkt__point: "POINT" "Z" "(" wkt__coordinate ")"
%extend wkt__linestring: "LINESTRING" "Z" "(" wkt__coordinate_list ")"
%extend wkt__polygon: "POLYGON" "Z" "(" wkt__coordinate_lists ")"
%extend wkt__multipoint: "MULTIPOINT" "Z" "(" wkt__coordinate_list ")"
    | "MULTIPOINT" "Z" "(" _z_points ")" -> wkt__multipoint_2
_z_points: "(" wkt__coordinate ")" ("," "(" wkt__coordinate ")")*
%extend wkt__multilinestring: "MULTILINESTRING" "Z" "(" wkt__coordinate_lists ")"
%extend wkt__multipolygon: "MULTIPOLYGON" "Z" "(" _z_polygons ")"
_z_polygons: "(" wkt__coordinate_lists ")" ("," "(" wkt__coordinate_lists ")")*
%extend wkt__geometrycollection: "GEOMETRYCOLLECTION" "Z" "(" wkt__geometry ("," wkt__geometry)* ")"
"""
GRAMMAR = (
    r"""
%extend predicate: TEMPORAL_FUNCTION "(" expression "," expression ")" -> temporal_function
    | "S_DWITHIN"i "(" expression "," expression "," full_number ["," attribute] ")" -> dwithin
TEMPORAL_FUNCTION.3: /T_("""
    + TEMPORAL_OPS
    + r""")(?![A-Za-z0-9_])/i
%override ?condition_1: predicate
    | "NOT"i condition_1 -> not_
    | "(" condition ")"
%override SINGLE_QUOTED: "'" /([^']|'')*/ "'"
%override interval: "INTERVAL"i "(" INSTANT "," INSTANT ")"
INSTANT: "'" /(\.\.|[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9:.]+(Z|[+-][0-9]{2}:[0-9]{2})?)?)/ "'"
"""
    + WKT_Z
)


class FilterError(ValueError):
    """A filter that cannot be read; the message says why (the web layer adds the parameter).

    ``limit`` names the limit a filter exceeded (and its value), for the problem body.
    """

    def __init__(self, message: str, limit: tuple[str, int] | None = None) -> None:
        super().__init__(message)
        self.limit = limit


@v_args(meta=False, inline=True)
class _Text(text_parser.CQLTransformer):
    """pygeofilter's transformer plus the grammar additions, without its debugging prints."""

    def SINGLE_QUOTED(self, token):  # a Lark terminal's name
        return token[1:-1].replace("''", "'")

    def INSTANT(self, token):
        return str(token)[1:-1]

    def interval(self, start, end):
        return values.Interval(start, end)

    def temporal_function(self, name, lhs, rhs):
        name = str(name).lower()
        if name in FUNCTIONS or name not in TEMPORAL_PREDICATES_MAP:
            return ast.Function(name, [lhs, rhs])
        return TEMPORAL_PREDICATES_MAP[name](lhs, rhs)

    def dwithin(self, lhs, rhs, distance, units=None):
        return ast.Function("s_dwithin", [lhs, rhs, distance, *([units] if units else [])])

    def wkt__geometry_with_srid(self, srid, geometry):
        raise FilterError("SRID=…; in a geometry: give the CRS with filter-crs instead")

    def wkt__multipoint_2(self, *coordinates):
        return {"type": "MultiPoint", "coordinates": coordinates}


@cache
def parser() -> Lark:
    here = os.path.dirname(text_parser.__file__)
    with open(os.path.join(here, "grammar.lark"), encoding="utf-8") as f:
        grammar = f.read() + GRAMMAR
    return Lark(grammar, parser="lalr", maybe_placeholders=False, transformer=_Text(),
                import_paths=[os.path.dirname(here)])  # fmt: skip


def parse(text: str, lang: str = "cql2-text") -> Any:
    """pygeofilter's AST for a filter; raises :class:`FilterError` for anything unreadable."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise FilterError(f"longer than {MAX_BYTES} bytes", ("bytes", MAX_BYTES))
    if "\x00" in text:
        raise FilterError("contains a NUL character")
    lark = parser()  # built once; a grammar error here is a bug, not a bad filter
    try:
        tree = lark.parse(text) if lang == "cql2-text" else _from_json(text)
    except FilterError:
        raise
    except VisitError as exc:
        if isinstance(exc.orig_exc, FilterError):
            raise exc.orig_exc from None
        raise _unreadable(lang, exc.orig_exc) from None
    except UnexpectedInput as exc:
        raise FilterError(f"not valid {lang} at character {exc.column}") from None
    except (LarkError, ValueError, TypeError, KeyError, IndexError, RecursionError) as exc:
        raise _unreadable(lang, exc) from None
    check_size(tree)
    return tree


def _unreadable(lang: str, exc: BaseException) -> FilterError:
    if "int_max_str_digits" in str(exc):  # Python's own limit on int(), not ours to explain
        return FilterError(f"not valid {lang}: a number with too many digits")
    return FilterError(f"not valid {lang}: {str(exc)[:200]}")


def _from_json(text: str) -> Any:
    try:
        doc = json.loads(text, object_pairs_hook=_unique_keys)
    except FilterError:
        raise
    except (ValueError, RecursionError):
        raise FilterError("not valid JSON") from None
    _check_nesting(doc)
    return walk_cql_json(_normalise(doc))


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A key given twice is ambiguous (parsers disagree on which wins), as in write bodies."""
    keys = [key for key, _ in pairs]
    for key in keys:
        if keys.count(key) > 1:
            raise FilterError(f"duplicate JSON key {key[:50]!r}")
    return dict(pairs)


def _check_nesting(doc: Any) -> None:
    stack = [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_JSON_NESTING:
            raise FilterError(
                f"JSON nested deeper than {MAX_JSON_NESTING} levels",
                ("json_nesting", MAX_JSON_NESTING),
            )
        children = node.values() if isinstance(node, dict) else node
        if isinstance(node, dict | list):
            stack.extend((child, depth + 1) for child in children)


def _normalise(node: Any) -> Any:
    """CQL2-JSON 1.0 in the shape pygeofilter 0.4.0 reads."""
    if isinstance(node, list):
        return [_normalise(n) for n in node]
    if not isinstance(node, dict):
        return node
    if "bbox" in node:
        return {"function": {"name": "bbox", "arguments": _normalise(node["bbox"])}}
    if node.get("type") == "GeometryCollection" and "coordinates" not in node:
        return {**node, "coordinates": None}  # pygeofilter knows geometries by "coordinates"
    if "op" not in node:
        return node
    op, args = node["op"], node.get("args")
    if not isinstance(op, str) or not isinstance(args, list):
        raise FilterError("an operation needs a name in 'op' and a list in 'args'")
    args = _normalise(args)
    if op == "between" and len(args) == 3:
        args = [args[0], args[1:]]
    if op in FUNCTIONS:
        return {"function": {"name": op, "arguments": args}}
    return {"op": op, "args": args}


def children(node: Any) -> list[Any]:
    """The sub-expressions of an AST node (literals have none)."""
    if isinstance(node, ast.Node):
        return list(node.get_sub_nodes())
    if isinstance(node, list):
        return node
    if isinstance(node, values.Interval):
        return [node.start, node.end]
    return []


def check_size(tree: Any) -> None:
    """The limits on terms, depth, spatial operators and geometry literals, without recursion."""
    nodes = spatial = vertices = 0
    for node, depth in _depths(tree):
        nodes += 1
        if nodes > MAX_NODES:
            raise FilterError(f"more than {MAX_NODES} terms", ("nodes", MAX_NODES))
        if depth > MAX_DEPTH:
            raise FilterError(f"nested deeper than {MAX_DEPTH} levels", ("depth", MAX_DEPTH))
        spatial += _is_spatial(node)
        if spatial > MAX_SPATIAL:
            raise FilterError(
                f"more than {MAX_SPATIAL} spatial operators", ("spatial", MAX_SPATIAL)
            )
        if isinstance(node, values.Geometry):
            vertices += _vertices(node.geometry)
            if vertices > MAX_VERTICES:
                raise FilterError(f"geometry literals with more than {MAX_VERTICES} vertices",
                                  ("vertices", MAX_VERTICES))  # fmt: skip


def _is_spatial(node: Any) -> bool:
    named = isinstance(node, ast.Function) and str(node.name).lower() == "s_dwithin"
    return named or isinstance(node, ast.SpatialComparisonPredicate)


def _vertices(geometry: Any) -> int:
    """Coordinates in a GeoJSON-like literal; GEOMETRYCOLLECTION nesting checked on the way."""
    count, stack = 0, [(geometry, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict) and isinstance(item.get("geometries"), list | tuple):
            if level >= MAX_COLLECTION_NESTING:
                raise FilterError(
                    f"GEOMETRYCOLLECTIONs nested deeper than {MAX_COLLECTION_NESTING} levels",
                    ("collection_nesting", MAX_COLLECTION_NESTING),
                )
            stack.extend((g, level + 1) for g in item["geometries"])
        elif isinstance(item, dict):
            stack.append((item.get("coordinates"), level))
        elif isinstance(item, list | tuple) and item and isinstance(item[0], list | tuple):
            stack.extend((c, level) for c in item)
        elif isinstance(item, list | tuple):
            count += 1
    return count


def _depths(tree: Any) -> Iterator[tuple[Any, int]]:
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        yield node, depth
        for child in children(node):
            same_chain = isinstance(node, ast.Combination) and type(child) is type(node)
            stack.append((child, depth if same_chain else depth + 1))
