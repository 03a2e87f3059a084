"""Problems and 点球 call-outs that moved in a window, from ``record_history``.

A problem is raised when it is written, and resolved when it becomes resolved *and*
approved (审核); one written before problems had a ``review`` column counts as approved. A
call-out is issued when written, answered when its status becomes ``responded`` and closed
when it becomes ``closed``. Each counts once per row and kind, at its first such write.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa

from mapserver.features import history
from mapserver.features.change_health import approved

Row = Mapping[str, Any] | None


def _resolved(row: Row) -> bool:
    return row is not None and row.get("status") == "resolved" and approved(row)


def _status(status: str) -> Callable[[Row], bool]:
    return lambda row: row is not None and row.get("status") == status


PROBLEM_KINDS = {"resolved": _resolved}
CALLOUT_KINDS = {"answered": _status("responded"), "closed": _status("closed")}
PROBLEM_FIELDS = ("description", "responsible_unit", "raised_on", "due_date", "status")
CALLOUT_FIELDS = ("responsible_unit", "demand", "issued_on", "deadline", "status")


def _moves(
    conn: sa.Connection,
    table: str,
    window: tuple[dt.date, dt.date],
    projects: Mapping[int, Mapping[str, Any]],
    created: str,
    kinds: Mapping[str, Callable[[Row], bool]],
    fields: tuple[str, ...],
) -> list[dict[str, Any]]:
    """One item per row and kind: written (``created``), or a write that made ``kinds[k]``
    true where it was not."""
    seen: set[tuple[int, str]] = set()
    items = []
    for e in history.events(conn, table, *window, projects):
        found = [created] if e.op == "create" else []
        found += [k for k, test in kinds.items() if test(e.new) and not test(e.old)]
        for kind in found:
            if (e.row_id, kind) in seen:
                continue
            seen.add((e.row_id, kind))
            p = projects[int((e.new or e.old)["project_id"])]
            row = e.new or e.old
            items.append(
                {"event": kind, "id": e.row_id, "code": p["code"], "name": p["name"],
                 "county": p["county"], **{f: row.get(f) for f in fields},
                 "at": history.local(e.at)}
            )  # fmt: skip
    return items


def _count(items: list[dict[str, Any]], kind: str) -> int:
    return sum(1 for i in items if i["event"] == kind)


def problems(
    conn: sa.Connection, start: dt.date, end: dt.date, projects: Mapping[int, Mapping[str, Any]]
) -> dict[str, Any]:
    """``{raised, resolved, items}`` for the window (start, end]."""
    items = _moves(
        conn, "problems", (start, end), projects, "raised", PROBLEM_KINDS, PROBLEM_FIELDS
    )
    return {k: _count(items, k) for k in ("raised", "resolved")} | {"items": items}


def callouts(
    conn: sa.Connection, start: dt.date, end: dt.date, projects: Mapping[int, Mapping[str, Any]]
) -> dict[str, Any]:
    """``{issued, answered, closed, items}`` for the window (start, end]."""
    items = _moves(
        conn, "callouts", (start, end), projects, "issued", CALLOUT_KINDS, CALLOUT_FIELDS
    )
    return {k: _count(items, k) for k in ("issued", "answered", "closed")} | {"items": items}
