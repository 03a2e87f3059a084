"""From request parameters to a checked :class:`FeatureQuery`, one for every rendering.

Parameters are checked against the layer's allowlists, so that the SQL built from the
query (mapserver/features/query_sql.py) takes identifiers only from the (validated) layer file;
every value is a bound parameter.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from mapserver.cql import syntax as cql
from mapserver.cql.sql import Filter, compile_filter
from mapserver.errors import InvalidParameter
from mapserver.geo import ogc_crs
from mapserver.layers import Layer
from mapserver.vocabulary import Vocabulary

FILTERING = ("filter", "filter-lang", "filter-crs")  # OGC API – Features Part 3 (CQL2)
SEARCH = "q"  # a substring of the id or the layer's ``search`` properties
PAGING = ("bbox", "limit", "offset", "count", "properties", "labels", SEARCH, *FILTERING)
SEARCH_MAX = 100  # characters of ``q``
FEATURE_ID = "id"  # the name sortby gives the feature id (the layer's id_column)
TEMPORAL = "updated_at"  # the property ``datetime`` filters on, when a layer exposes it
OPEN = {"", ".."}
# RFC 3339: a full date, or a date-time with seconds and Z or an offset (what the server reads)
INSTANT = r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2}))?"
# ``datetime``: an instant, or start/end with at most one end open (``..`` or empty)
DATETIME = rf"^({INSTANT}|{INSTANT}/({INSTANT}|\.\.)?|(\.\.)?/{INSTANT})$"
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
    bbox_crs: ogc_crs.OgcCrs = ogc_crs.DEFAULT  # ``bbox`` holds x/y in this CRS
    crs: ogc_crs.OgcCrs = ogc_crs.DEFAULT  # the geometry is rendered in this CRS
    filter: Filter | None = None
    sortby: tuple[tuple[str, bool], ...] = ()  # (column, descending), before the layer's order
    properties: tuple[str, ...] | None = None  # only these properties (None: all)
    labels: bool = True  # coded properties with their ``_label`` (False: codes only)
    search: str | None = None  # ``q``: a substring, matched case-insensitively, as typed

    def canonical(self) -> str:
        """A stable text of the query, for ETags."""
        key: list = [self.layer.id, self.filters, self.bbox, self.limit, self.offset, self.count]
        if self.interval is not None:
            key.append(self.interval)
        if self.ids is not None:
            key.append(self.ids)
        extra = {
            "crs": self.crs.key,
            "bbox-crs": self.bbox_crs.key,
            "filter": self.filter and [self.filter.lang, self.filter.crs, self.filter.text],
            "sortby": self.sortby or None,
            "properties": self.properties,
            "labels": None if self.labels else False,
            "q": self.search,
        }
        key.append({k: v for k, v in extra.items() if v not in (None, ogc_crs.DEFAULT.key)})
        return json.dumps(key, separators=(",", ":"), ensure_ascii=False)


def parse(
    layer: Layer,
    args: Mapping[str, Sequence[str]],
    vocab: Vocabulary,
    paging: Sequence[str] = PAGING,
    clamp: bool = False,
    limits: tuple[int, int] | None = None,
) -> FeatureQuery:
    """Check every parameter; raise :class:`InvalidParameter` naming the first bad one.

    ``clamp``: a ``limit`` above the layer's maximum is lowered to it instead of refused
    (OGC API – Features allows either; ``/layers`` refuses). ``limits``: the default and
    maximum ``limit`` instead of the layer's (downloads).
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
    bbox_crs = ogc_crs.parse(single.get("bbox-crs"), "bbox-crs")
    return FeatureQuery(
        layer=layer,
        filters=filters,
        bbox=_bbox(single["bbox"], bbox_crs) if "bbox" in single else None,
        bbox_crs=bbox_crs,
        limit=_limit(single.get("limit"), limits or (layer.default_limit, layer.max_limit), clamp),
        offset=_integer("offset", single.get("offset"), 0, 0),
        count=_boolean("count", single.get("count")),
        interval=_interval(layer, single["datetime"]) if "datetime" in single else None,
        crs=ogc_crs.parse(single.get("crs"), "crs"),
        filter=_filter(layer, single, vocab),
        sortby=_sortby(layer, single["sortby"]) if "sortby" in single else (),
        properties=_selected(layer, single["properties"]) if "properties" in single else None,
        labels=single.get("labels") is None or _boolean("labels", single["labels"]),
        search=_search(single[SEARCH]) if SEARCH in single else None,
    )


def _search(raw: str) -> str:
    """``q``: 1 to :data:`SEARCH_MAX` characters after trimming, no control characters
    (PostgreSQL refuses a NUL in text: a 500 otherwise). Matched literally: see
    :func:`mapserver.features.query_sql.search_sql`."""
    text = raw.strip()
    if not text:
        raise InvalidParameter("q: empty search text", parameter=SEARCH)
    if len(text) > SEARCH_MAX:
        raise InvalidParameter(
            f"q: at most {SEARCH_MAX} characters, got {len(text)}",
            parameter=SEARCH, maximum=SEARCH_MAX,
        )  # fmt: skip
    if any(unicodedata.category(c) == "Cc" for c in text):
        raise InvalidParameter("q: control characters are not allowed", parameter=SEARCH)
    return text


def _limit(raw: str | None, limits: tuple[int, int], clamp: bool) -> int:
    default, maximum = limits
    limit = _integer("limit", raw, default, 1)
    if clamp:
        limit = min(limit, maximum)
    if limit > maximum:
        raise InvalidParameter(
            f"limit {limit} is above the maximum of {maximum}", parameter="limit", maximum=maximum
        )
    return limit


def _filter(layer: Layer, single: Mapping[str, str], vocab: Vocabulary) -> Filter | None:
    """``filter`` in ``filter-lang`` (CQL2 text by default), literals in ``filter-crs``."""
    lang = single.get("filter-lang", cql.LANGS[0])
    if lang not in cql.LANGS:
        raise InvalidParameter(
            f"filter-lang: unsupported {lang[:50]!r}", parameter="filter-lang", allowed=cql.LANGS
        )
    crs = ogc_crs.parse(single.get("filter-crs"), "filter-crs")
    if "filter" not in single:
        return None
    return compile_filter(layer, vocab, single["filter"], lang, crs)


def _names(layer: Layer, parameter: str, raw: str, extra: tuple[str, ...] = ()) -> list[str]:
    """A comma list of names, each one of the layer's properties (or ``extra``)."""
    allowed = [*extra, *layer.properties]
    names = [n.strip() for n in raw.split(",")] if raw.strip() else []
    for name in names:
        if name.lstrip("+-") not in allowed:
            raise InvalidParameter(
                f"{parameter}: unknown property {name[:50]!r}"
                if name
                else f"{parameter}: empty name",
                parameter=parameter,
                allowed=allowed,
            )
    return names


def _sortby(layer: Layer, raw: str) -> tuple[tuple[str, bool], ...]:
    """``name``, ``+name`` (ascending) or ``-name`` (descending), comma separated."""
    keys = []
    for name in _names(layer, "sortby", raw, (FEATURE_ID,)):
        column = name.lstrip("+-")
        keys.append((layer.id_column if column == FEATURE_ID else column, name.startswith("-")))
    if not keys:
        raise InvalidParameter("sortby: no property named", parameter="sortby")
    return tuple(dict.fromkeys(keys))


def _selected(layer: Layer, raw: str) -> tuple[str, ...]:
    names = _names(layer, "properties", raw)
    if any(n != n.lstrip("+-") for n in names):
        raise InvalidParameter("properties: plain names only", parameter="properties")
    return tuple(dict.fromkeys(names))


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


def _bbox(raw: str, crs: ogc_crs.OgcCrs) -> tuple[float, float, float, float]:
    """Four numbers in ``crs``'s axis order, returned as minx, miny, maxx, maxy."""
    parts = raw.split(",")
    problem = None
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        numbers = []
    if len(parts) != 4 or len(numbers) != 4 or not all(math.isfinite(n) for n in numbers):
        problem = f"bbox must be four numbers: {_axes(crs)}"
    else:
        x0, y0, x1, y1 = ogc_crs.to_xy(numbers, crs)
        (wx0, wx1), (wy0, wy1) = crs.x_range, crs.y_range
        if not all(wx0 <= x <= wx1 for x in (x0, x1)) or not all(wy0 <= y <= wy1 for y in (y0, y1)):
            problem = f"bbox is outside {crs.key}: x {wx0:g}…{wx1:g}, y {wy0:g}…{wy1:g}"
        elif x0 > x1 or y0 > y1:
            problem = f"bbox is inverted: need {_axes(crs)} with each minimum ≤ its maximum"
    if problem:
        raise InvalidParameter(f"{problem} (got {raw[:100]!r})", parameter="bbox")
    return x0, y0, x1, y1


def _axes(crs: ogc_crs.OgcCrs) -> str:
    first, second = ("lon", "lat") if crs.geographic else ("x", "y")
    if crs.flip:
        first, second = ("lat", "lon") if crs.geographic else ("northing", "easting")
    return f"min{first},min{second},max{first},max{second}"


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
    if not re.fullmatch(INSTANT, text, re.ASCII):
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
