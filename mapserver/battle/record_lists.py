"""Reading battle-map records: lists filtered by project, county, working group, period,
status and overdue; one record; its history.

Every parameter is checked against what the record type and the projects layer know;
identifiers in the SQL come from the record type only and every value is bound.
Records of (softly) deleted projects are left out, as their projects are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from mapserver.battle import project_scope, review
from mapserver.battle.records import Kind
from mapserver.errors import InvalidParameter, NotFound
from mapserver.features.query import FeatureQuery
from mapserver.store import periods

PARAMETERS = ("project", "county", "working_group", "status", "review", "period", "month")
PARAMETERS += ("overdue", "sort")
PAGING = ("limit", "offset")
CODED = ("project", "county", "working_group", "status", "review")
MAX_LIMIT = 10000


@dataclass(frozen=True)
class ListQuery:
    kind: Kind
    codes: Mapping[str, tuple[str, ...]]  # project, county, working_group, status
    period: periods.Period | None = None
    overdue: bool | None = None
    limit: int = 1000
    offset: int = 0
    scope: FeatureQuery | None = None  # only records of these projects (project_scope.py)
    urgent: bool = False  # sort=urgent: the overdue first, then by due date (none last)


def parse(
    kind: Kind,
    args: Mapping[str, Sequence[str]],
    known: Mapping[str, Collection[str]],
    scope: FeatureQuery | None = None,
) -> ListQuery:
    """The list's parameters, checked; ``known``: the codes of county and working_group;
    ``scope``: the ``project.*`` parameters, parsed by the caller (project_scope.parse)."""
    for name, values in args.items():
        if name in project_scope.names(args):
            continue
        if name not in (*PARAMETERS, *PAGING):
            raise InvalidParameter(
                f"unknown parameter {name!r}", parameter=name, allowed=[*PARAMETERS, *PAGING]
            )
        if len(values) != 1:
            raise InvalidParameter(f"parameter {name!r} given {len(values)} times", parameter=name)
    one = {name: values[0] for name, values in args.items()}
    if "review" in one and not kind.reviewed:
        raise InvalidParameter(f"{kind.title}不经审核 not reviewed", parameter="review")
    allowed = {**known, "status": kind.statuses, "review": review.REVIEWS, "project": None}
    codes = {n: _codes(n, one[n], allowed[n]) for n in CODED if n in one}
    return ListQuery(
        kind,
        codes,
        _period(one),
        _overdue(kind, one.get("overdue")),
        _number("limit", one.get("limit"), 1000, 1),
        _number("offset", one.get("offset"), 0, 0),
        scope,
        _urgent(kind, one.get("sort")),
    )


def _urgent(kind: Kind, raw: str | None) -> bool:
    if raw is None:
        return False
    if raw != "urgent" or kind.listing.due_column is None:
        allowed = ["urgent"] if kind.listing.due_column else []
        message = f"sort: unknown order {raw[:50]!r}"
        raise InvalidParameter(message, parameter="sort", allowed=allowed)
    return True


def _codes(name: str, raw: str, allowed: Collection[str] | None) -> tuple[str, ...]:
    codes = tuple(dict.fromkeys(c.strip() for c in raw.split(",")))
    for code in codes:
        if not code or (allowed is not None and code not in allowed) or len(code) > 64:
            raise InvalidParameter(
                f"{name}: unknown code {code[:64]!r}",
                parameter=name,
                allowed=None if allowed is None else list(allowed),
            )
    return codes


def _period(one: Mapping[str, str]) -> periods.Period | None:
    if "period" in one and "month" in one:
        raise InvalidParameter("give period or month, not both", parameter="month")
    try:
        if "month" in one:
            return periods.parse(one["month"], ("month",))
        return periods.parse(one["period"]) if "period" in one else None
    except periods.PeriodError as exc:
        raise InvalidParameter(
            str(exc), parameter="month" if "month" in one else "period"
        ) from None


def _overdue(kind: Kind, raw: str | None) -> bool | None:
    if raw is None:
        return None
    if kind.listing.overdue is None:
        raise InvalidParameter(
            f"{kind.title}没有逾期之分 no overdue filter here", parameter="overdue"
        )
    if raw not in ("true", "false"):
        raise InvalidParameter("overdue must be true or false", parameter="overdue")
    return raw == "true"


def _number(name: str, raw: str | None, default: int, minimum: int) -> int:
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9 or int(raw) < minimum:
        raise InvalidParameter(f"{name} must be a whole number ≥ {minimum}", parameter=name)
    value = int(raw)
    if name == "limit" and value > MAX_LIMIT:
        raise InvalidParameter(f"limit is at most {MAX_LIMIT}", parameter=name, maximum=MAX_LIMIT)
    return value


def _select(kind: Kind) -> str:
    derived = f", {kind.listing.derived}" if kind.listing.derived else ""
    return (
        "SELECT r.*, p.code AS project, p.name AS project_name, p.county,"
        f" c.name AS county_name, p.working_group{derived}"
        f" FROM {kind.table} r JOIN projects p ON p.id = r.project_id"
        " LEFT JOIN counties c ON c.adcode = p.county WHERE p.deleted_at IS NULL"
    )


COLUMNS = {"project": "p.code", "county": "p.county", "working_group": "p.working_group"}
COLUMNS |= {"status": "r.status", "review": "r.review"}


def where_sql(q: ListQuery) -> tuple[str, dict[str, Any]]:
    clauses, params = [], {}
    for name, codes in q.codes.items():
        clauses.append(f"{COLUMNS[name]} = ANY(:{name})")
        params[name] = list(codes)
    if q.period is not None:
        clauses.append(f"r.{q.kind.listing.period_column} BETWEEN :start AND :end")
        params |= {"start": q.period.start, "end": q.period.end}
    if q.overdue is not None:
        clauses.append(f"({q.kind.listing.overdue}) = :overdue")
        params["overdue"] = q.overdue
    if q.scope is not None:
        clause, scoped = project_scope.condition(q.scope, "p.code")
        clauses.append(clause)
        params |= scoped
    return "".join(f" AND {c}" for c in clauses), params


def _order(q: ListQuery) -> str:
    """By project and date; or the most urgent first (what the big screen's panels show)."""
    listing = q.kind.listing
    if q.urgent:
        return f"coalesce(({listing.overdue}), false) DESC, r.{listing.due_column} NULLS LAST, r.id"
    return f"p.code, r.{listing.period_column}, r.id"


def listing(conn: sa.Connection, q: ListQuery) -> dict[str, Any]:
    """``{"items": [...], "numberMatched", "numberReturned"}``, one snapshot."""
    where, params = where_sql(q)
    order = f" ORDER BY {_order(q)} LIMIT :limit OFFSET :offset"
    page = {**params, "limit": q.limit, "offset": q.offset}
    rows = conn.execute(sa.text(_select(q.kind) + where + order), page)
    items = [plain(row) for row in rows.mappings()]
    count = f"SELECT count(*) FROM ({_select(q.kind)}{where}) s"
    matched = conn.execute(sa.text(count), params).scalar_one()
    return {"items": items, "numberMatched": matched, "numberReturned": len(items)}


def one(conn: sa.Connection, kind: Kind, record_id: int) -> dict[str, Any]:
    row = conn.execute(sa.text(_select(kind) + " AND r.id = :id"), {"id": record_id})
    found = row.mappings().one_or_none()
    if found is None:
        raise NotFound(f"没有这条{kind.title} no such record {record_id}", parameter="id")
    return plain(found)


def plain(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row as JSON values: dates ISO, months YYYY-MM, amounts as numbers."""
    out = {}
    for key, value in row.items():
        if key == "project_id":
            continue
        if isinstance(value, dt.datetime | dt.date):
            value = value.isoformat()[:7] if key == "month" else value.isoformat()
        elif isinstance(value, Decimal):
            value = float(value)
        out[key] = value
    return out


HISTORY = """
SELECT id AS revision, version, op, at, actor, actor_role, changed,
       old_values AS old, new_values AS new
FROM record_history WHERE table_name = :t AND row_id = :id ORDER BY id DESC LIMIT 500
"""


def history(conn: sa.Connection, kind: Kind, record_id: int) -> list[dict[str, Any]]:
    """The record's revisions, newest first (404 when there is no such record)."""
    one(conn, kind, record_id)
    rows = conn.execute(sa.text(HISTORY), {"t": kind.table, "id": record_id}).mappings()
    return [plain(r) for r in rows]
