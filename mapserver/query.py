"""From request parameters to SQL: one query builder for every rendering.

Parameters are checked against the layer's allowlists; identifiers in the SQL
come only from the (validated) layer file, and every value is a bound
parameter.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from mapserver.errors import InvalidParameter
from mapserver.layers import Layer
from mapserver.vocabulary import Vocabulary

PAGING = ("bbox", "limit", "offset", "count")
TEMPORAL = "updated_at"  # the property ``datetime`` filters on, when a layer exposes it
OPEN = {"", ".."}
TRUE = {"true", "1", "yes"}
FALSE = {"false", "0", "no"}


@dataclass(frozen=True)
class FeatureQuery:
    """What to select from a layer; built only by :func:`parse`."""

    layer: Layer
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()
    bbox: tuple[float, float, float, float] | None = None
    limit: int = 100
    offset: int = 0
    count: bool = False
    ids: tuple[str, ...] | None = None
    interval: tuple[str | None, str | None] | None = None  # [start, end) on TEMPORAL, ISO text

    def canonical(self) -> str:
        """A stable text of the query, for ETags."""
        key = [self.layer.id, self.filters, self.bbox, self.limit, self.offset, self.count]
        if self.interval is not None:
            key.append(self.interval)
        if self.ids is not None:
            key.append(self.ids)
        return json.dumps(key, separators=(",", ":"))


def parse(
    layer: Layer,
    args: Mapping[str, Sequence[str]],
    vocab: Vocabulary,
    paging: Sequence[str] = PAGING,
    clamp: bool = False,
) -> FeatureQuery:
    """Check every parameter; raise :class:`InvalidParameter` naming the first bad one.

    ``clamp``: a ``limit`` above the layer's maximum is lowered to it instead of refused
    (OGC API – Features allows either; ``/layers`` refuses).
    """
    allowed = (*layer.filters, *paging)
    for name in args:
        if name not in allowed:
            raise InvalidParameter(
                f"unknown parameter {name!r}", parameter=name, allowed=list(allowed)
            )
    single = {name: _single(name, values) for name, values in args.items() if name in paging}
    filters = tuple(
        (name, _codes(layer, name, args[name], vocab)) for name in layer.filters if name in args
    )
    limit = _integer("limit", single.get("limit"), layer.default_limit, 1)
    if clamp:
        limit = min(limit, layer.max_limit)
    if limit > layer.max_limit:
        raise InvalidParameter(
            f"limit {limit} is above this layer's maximum of {layer.max_limit}",
            parameter="limit",
            maximum=layer.max_limit,
        )
    return FeatureQuery(
        layer=layer,
        filters=filters,
        bbox=_bbox(single["bbox"]) if "bbox" in single else None,
        limit=limit,
        offset=_integer("offset", single.get("offset"), 0, 0),
        count=_boolean("count", single.get("count")),
        interval=_interval(layer, single["datetime"]) if "datetime" in single else None,
    )


def _single(name: str, values: Sequence[str]) -> str:
    if len(values) != 1:
        raise InvalidParameter(f"parameter {name!r} given {len(values)} times", parameter=name)
    return values[0]


def _codes(layer: Layer, name: str, values: Sequence[str], vocab: Vocabulary) -> tuple[str, ...]:
    known = vocab.labels(layer.properties[name])
    codes: list[str] = []
    for value in values:
        for code in value.split(","):
            code = code.strip()
            if code not in known:
                raise InvalidParameter(
                    f"{name}: unknown code {code[:100]!r}" if code else f"{name}: empty code",
                    parameter=name,
                    allowed=[{"code": k, "label": v} for k, v in known.items()],
                )
            if code not in codes:
                codes.append(code)
    return tuple(sorted(codes))


def _integer(name: str, raw: str | None, default: int, minimum: int) -> int:
    if raw is None:
        return default
    text = raw.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 12:
        raise InvalidParameter(
            f"{name} must be a whole number ≥ {minimum}, got {raw[:50]!r}",
            parameter=name,
        )
    value = int(text)
    if value < minimum:
        raise InvalidParameter(f"{name} must be ≥ {minimum}, got {value}", parameter=name)
    return value


def _boolean(name: str, raw: str | None) -> bool:
    if raw is None or raw.lower() in FALSE:
        return False
    if raw.lower() in TRUE:
        return True
    raise InvalidParameter(f"{name} must be true or false, got {raw[:50]!r}", parameter=name)


def _bbox(raw: str) -> tuple[float, float, float, float]:
    parts = raw.split(",")
    problem = None
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        numbers = []
    if len(parts) != 4 or len(numbers) != 4 or not all(math.isfinite(n) for n in numbers):
        problem = "bbox must be four numbers: minlon,minlat,maxlon,maxlat"
    else:
        minx, miny, maxx, maxy = numbers
        if not (
            -180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= 90 and -90 <= maxy <= 90
        ):
            problem = "bbox is outside longitude −180…180 / latitude −90…90"
        elif minx > maxx or miny > maxy:
            problem = "bbox is inverted: need minlon ≤ maxlon and minlat ≤ maxlat"
    if problem:
        raise InvalidParameter(f"{problem} (got {raw[:100]!r})", parameter="bbox")
    return tuple(numbers)  # type: ignore[return-value]


def temporal_column(layer: Layer) -> str | None:
    """The column ``datetime`` filters on: :data:`TEMPORAL` when the layer file exposes it."""
    return TEMPORAL if TEMPORAL in layer.properties else None


def _interval(layer: Layer, raw: str) -> tuple[str | None, str | None]:
    """RFC 3339 instant or ``start/end`` (``..`` or empty = open) as a half-open [start, end)."""
    if temporal_column(layer) is None:
        raise InvalidParameter(f"layer {layer.id!r} has no time to filter", parameter="datetime")
    parts = raw.split("/")
    if len(parts) > 2 or (len(parts) == 2 and parts[0] in OPEN and parts[1] in OPEN):
        raise InvalidParameter(
            f"datetime must be an instant or start/end, got {raw[:100]!r}", parameter="datetime"
        )
    if len(parts) == 1:
        start, end = _instant(parts[0])
        return start.isoformat(), end.isoformat()
    start = None if parts[0] in OPEN else _instant(parts[0])[0]
    end = None if parts[1] in OPEN else _instant(parts[1])[1]
    if start is not None and end is not None and start >= end:
        raise InvalidParameter(
            f"datetime interval is inverted: {raw[:100]!r}", parameter="datetime"
        )
    return (start and start.isoformat(), end and end.isoformat())


def _instant(text: str) -> tuple[datetime, datetime]:
    """[start, end) covered by one value: a day for a date (UTC), one microsecond otherwise."""
    bad = InvalidParameter(
        f"datetime: {text[:100]!r} is not an RFC 3339 date-time (with Z or an offset) or date",
        parameter="datetime",
    )
    if not text.isascii() or len(text) > 40:
        raise bad
    try:
        if len(text) == 10:
            day = datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
            return day, day + timedelta(days=1)
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            raise bad
        return moment, moment + timedelta(microseconds=1)
    except (ValueError, OverflowError):  # OverflowError: the last day or instant of year 9999
        raise bad from None


def live_sql(layer: Layer, alias: str = "t") -> str:
    """The condition for rows that are not (soft-)deleted."""
    if layer.deleted_column is None:
        return "TRUE"
    return f'{alias}."{layer.deleted_column}" IS NULL'


def where_sql(q: FeatureQuery) -> tuple[str, dict]:
    """The WHERE clause (alias ``t``) and its parameters."""
    clauses, params = [live_sql(q.layer)], {}
    if q.ids is not None:
        clauses.append(f't."{q.layer.id_column}" = ANY(:ids)')
        params["ids"] = list(q.ids)
    for i, (name, codes) in enumerate(q.filters):
        clauses.append(f't."{name}" = ANY(:f{i})')
        params[f"f{i}"] = list(codes)
    if q.bbox is not None:
        geom = q.layer.geometry_column
        clauses.append(f't."{geom}" && ST_MakeEnvelope(:bx0, :by0, :bx1, :by1, 4326)')
        clauses.append(f'ST_Intersects(t."{geom}", ST_MakeEnvelope(:bx0, :by0, :bx1, :by1, 4326))')
        params.update(zip(("bx0", "by0", "bx1", "by1"), q.bbox))
    if q.interval is not None:
        column = temporal_column(q.layer)
        for name, op, value in zip(("t0", "t1"), (">=", "<"), q.interval):
            if value is not None:
                clauses.append(f't."{column}" {op} CAST(:{name} AS timestamptz)')
                params[name] = value
    return " AND ".join(clauses), params


def properties_sql(layer: Layer) -> tuple[str, str, dict]:
    """``json_build_object(...)`` of the exposed properties with labels, its joins and params."""
    pairs, joins, params = [], [], {}
    for i, prop in enumerate(layer.properties.values()):
        col = f't."{prop.name}"'
        pairs.append(f"'{prop.name}', {col}")
        if prop.labels is not None:
            src = prop.labels
            joins.append(f'LEFT JOIN "{src.table}" l{i} ON l{i}."{src.key}" = {col}')
            pairs.append(f"'{prop.name}_label', l{i}.\"{src.label}\"")
        elif prop.values is not None:
            params[f"labels{i}"] = json.dumps(dict(prop.values), ensure_ascii=False)
            pairs.append(f"'{prop.name}_label', CAST(:labels{i} AS jsonb) ->> {col}::text")
    return f"json_build_object({', '.join(pairs)})", " ".join(joins), params


def features_sql(q: FeatureQuery, with_key: bool = False) -> tuple[str, dict]:
    """One row per feature, GeoJSON text last (after its id when ``with_key``).

    The query asks for ``limit + 1`` rows: an extra row means there is a next page.
    """
    layer = q.layer
    props, joins, params = properties_sql(layer)
    geom = layer.geometry_column
    key = f't."{layer.id_column}"::text, ' if with_key else ""
    where, where_params = where_sql(q)
    params.update(where_params, limit=q.limit + 1, offset=q.offset)
    sql = (
        f"SELECT {key}"
        f"""'{{"type":"Feature","id":' || to_json(t."{layer.id_column}")::text"""
        f""" || ',"geometry":' || COALESCE(ST_AsGeoJSON(t."{geom}", 7, 0), 'null')"""
        f""" || ',"properties":' || {props}::text || '}}'"""
        # Page first, then build JSON for that page only: PostgreSQL evaluates the
        # select list for every row it skips with OFFSET, not just the ones it returns.
        f' FROM (SELECT * FROM "{layer.table}" t WHERE {where}'
        f' ORDER BY t."{layer.order_by}" LIMIT :limit OFFSET :offset) t {joins}'
        f' ORDER BY t."{layer.order_by}"'
    )
    return sql, params


def count_sql(q: FeatureQuery) -> tuple[str, dict]:
    where, params = where_sql(q)
    return f'SELECT count(*) FROM "{q.layer.table}" t WHERE {where}', params
