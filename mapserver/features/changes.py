"""What changed (本期变化) between the end of one day and the end of another, for the
filtered projects: new projects, status changes, projects that became lagging or recovered,
approved investment added, problems raised and resolved, 点球 issued, answered and closed.

Everything comes from the history tables (:mod:`mapserver.features.history`), never from a second
copy of the data. The window is (``from``, ``to``]: after the end of day ``from`` up to the
end of day ``to``, Guang'an's days. By default ``to`` is the database's today and ``from``
the last day of the month before ``to``'s (the server keeps no record of dispatch meetings,
so "since the previous month's end"). Projects are those the feed shows for the filters
(current values; softly deleted ones are left out).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from mapserver.errors import InvalidParameter
from mapserver.features import change_health, change_records, history, query, query_sql
from mapserver.layers import Layer
from mapserver.vocabulary import Vocabulary

FILTERS = ("working_group", "status", "county")
WINDOW = ("from", "to")
MAX_DAYS = 366
LAGGING = ("lagging", "seriously_lagging")
SEVERITY = {None: 0, "not_tracked": 0, "on_track": 0, "lagging": 1, "seriously_lagging": 2}
PROJECTS = """SELECT p.id, p.code, p.name, p.county, p.working_group FROM projects p
WHERE p.id IN (SELECT t.id FROM "{table}" t WHERE {where}) ORDER BY p.code"""


@dataclass(frozen=True)
class Window:
    """(start, end]: after the end of day ``start`` up to the end of day ``end``."""

    start: dt.date
    end: dt.date


def previous_month_end(day: dt.date) -> dt.date:
    return day.replace(day=1) - dt.timedelta(days=1)


def _day(name: str, text: str) -> dt.date:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip(), re.ASCII):
        raise InvalidParameter(f"{name}: expected YYYY-MM-DD, got {text[:30]!r}", parameter=name)
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidParameter(f"{name}: no such day {text[:30]!r}", parameter=name) from None


def window(start: str | None, end: str | None, today: dt.date) -> Window:
    """``from`` and ``to`` (YYYY-MM-DD), checked; defaults as the module says."""
    last = _day("to", end) if end is not None else today
    if last > today:
        raise InvalidParameter(f"to {last} is after today ({today})", parameter="to")
    first = _day("from", start) if start is not None else previous_month_end(last)
    if first > last:
        raise InvalidParameter(f"from {first} is after to {last}", parameter="from")
    if (last - first).days > MAX_DAYS:
        raise InvalidParameter(
            f"from {first} to {last} spans more than {MAX_DAYS} days", parameter="from"
        )
    return Window(first, last)


def parse(
    layer: Layer, args: Mapping[str, Sequence[str]], vocab: Vocabulary, today: dt.date
) -> tuple[query.FeatureQuery, Window]:
    """The request's filters and window; raises :class:`InvalidParameter` naming the first bad
    parameter."""
    allowed = (*WINDOW, *FILTERS)
    for name, values in args.items():
        if name not in allowed:
            raise InvalidParameter(
                f"unknown parameter {name!r}", parameter=name, allowed=list(allowed)
            )
        if name in WINDOW and len(values) != 1:
            raise InvalidParameter(f"parameter {name!r} given {len(values)} times", parameter=name)
    filters = {name: values for name, values in args.items() if name in FILTERS}
    q = query.parse(layer, filters, vocab, paging=())
    return q, window(args.get("from", [None])[0], args.get("to", [None])[0], today)


def filters_of(args: Mapping[str, Sequence[str]]) -> dict[str, Sequence[str]]:
    """Of a page's parameters, those that filter the changes."""
    return {name: values for name, values in args.items() if name in FILTERS}


def compute(
    conn: sa.Connection, q: query.FeatureQuery, w: Window, vocab: Vocabulary
) -> dict[str, Any]:
    """The changes document (docs/api.md, ``GET /changes``); ``conn`` should be a
    REPEATABLE READ snapshot so that every part sees the same history."""
    where, params = query_sql.where_sql(q)
    sql = PROJECTS.format(table=q.layer.table, where=where)
    projects = {row.id: row._asdict() for row in conn.execute(sa.text(sql), params)}
    ids = list(projects)
    counties = vocab.labels(q.layer.properties["county"])
    groups = vocab.labels(q.layer.properties["working_group"])
    for p in projects.values():
        p["county_name"] = counties.get(p["county"], p["county"])
    rules = change_health.rules(conn)
    before = change_health.at_end_of(conn, w.start, ids, rules)
    after = change_health.at_end_of(conn, w.end, ids, rules)
    lagging, recovered = _health_changes(projects, before, after)
    events = history.events(conn, "projects", w.start, w.end, ids)
    doc: dict[str, Any] = {
        "from": w.start.isoformat(),
        "to": w.end.isoformat(),
        "new_projects": _new_projects(projects, events),
        "status_changes": _status_changes(projects, events),
        "became_lagging": lagging,
        "recovered": recovered,
        "investment": _investment(projects, before, after, groups),
        "problems": change_records.problems(conn, w.start, w.end, projects),
        "callouts": change_records.callouts(conn, w.start, w.end, projects),
    }
    doc["counts"] = counts(doc)
    return doc


def counts(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The size of every list (and the investment total), for panels and headings."""
    p, c = doc["problems"], doc["callouts"]
    return {
        **{k: len(doc[k]) for k in ("new_projects", "status_changes", "became_lagging")},
        "recovered": len(doc["recovered"]),
        "investment": doc["investment"]["total"],
        "problems_raised": p["raised"],
        "problems_resolved": p["resolved"],
        "callouts_issued": c["issued"],
        "callouts_answered": c["answered"],
        "callouts_closed": c["closed"],
    }


def _project(p: Mapping[str, Any]) -> dict[str, Any]:
    return {"code": p["code"], "name": p["name"], "county": p["county"]}


def _new_projects(projects: Mapping[int, dict], events: list[history.Event]) -> list[dict]:
    created = {e.row_id: e.at for e in events if e.op == "create"}
    return [
        {**_project(p), "county_name": p["county_name"], "working_group": p["working_group"],
         "created_at": history.local(created[pid])}
        for pid, p in projects.items() if pid in created
    ]  # fmt: skip


def _status_changes(projects: Mapping[int, dict], events: list[history.Event]) -> list[dict]:
    return [
        {**_project(projects[e.row_id]), "from": e.old["status"], "to": e.new["status"],
         "at": history.local(e.at)}
        for e in events
        if e.op != "create" and e.old and e.new and e.old["status"] != e.new["status"]
    ]  # fmt: skip


def _health_changes(
    projects: Mapping[int, dict], before: change_health.DayState, after: change_health.DayState
) -> tuple[list[dict], list[dict]]:
    """Worse into 滞后/严重滞后; and out of them (to 正常 or 不考核)."""
    lagging, recovered = [], []
    for pid, p in projects.items():
        was, now = before.health[pid], after.health[pid]
        item = {**_project(p), "health_from": was, "health_to": now}
        if now in LAGGING and SEVERITY[now] > SEVERITY[was]:
            lagging.append(item)
        elif was in LAGGING and now is not None and now not in LAGGING:
            recovered.append(item)
    return lagging, recovered


def _money(amount: Decimal) -> float:
    return float(round(amount, 2))


def _investment(
    projects: Mapping[int, dict],
    before: change_health.DayState,
    after: change_health.DayState,
    groups: Mapping[str, str],
) -> dict[str, Any]:
    """Approved investment added: the approved total at the end minus that at the start."""
    added = {pid: after.approved[pid] - before.approved[pid] for pid in projects}
    by_county: dict[tuple[str, str], Decimal] = {}
    by_group: dict[tuple[str, str], Decimal] = {}
    for pid, amount in added.items():
        p = projects[pid]
        key = (p["county"], p["county_name"])
        by_county[key] = by_county.get(key, Decimal(0)) + amount
        key = (p["working_group"], groups.get(p["working_group"], p["working_group"]))
        by_group[key] = by_group.get(key, Decimal(0)) + amount
    return {
        "total": _money(sum(added.values(), Decimal(0))),
        "by_county": [
            {"county": c, "county_name": n, "amount": _money(a)}
            for (c, n), a in sorted(by_county.items()) if a
        ],
        "by_working_group": [
            {"working_group": g, "name": n, "amount": _money(a)}
            for (g, n), a in sorted(by_group.items()) if a
        ],
        "items": [
            {**_project(projects[pid]), "amount": _money(a)}
            for pid, a in added.items() if a
        ],
    }  # fmt: skip
