"""The history tables read back: rows as they were at the end of a day, and the events of a
window of days.

``project_history`` (migration 0004) and ``record_history`` (0005) keep, for every write,
the row before (``old_…``) and after (``new_…``) it. A row's state at the end of day D is
therefore the "before" of its first event after D, or, without such an event, the row as it
is now (rows older than the history have no events at all). Days are Guang'an's
(Asia/Shanghai), whatever the server's zone. Identifiers come from :data:`SOURCES` only.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from mapserver.store.periods import ZONE


@dataclass(frozen=True)
class Source:
    """Where a table's history is: the history table, its row key and before/after columns."""

    table: str
    history: str
    key: str
    old: str
    new: str
    kind: str = ""  # record_history.table_name ('' for project_history)


SOURCES = {
    "projects": Source("projects", "project_history", "project_id", "old_properties",
                       "new_properties"),
    **{name: Source(name, "record_history", "row_id", "old_values", "new_values", name)
       for name in ("milestones", "investment_reports", "problems", "callouts")},
}  # fmt: skip


@dataclass(frozen=True)
class Event:
    """One write in the window: which row, when, and the row before and after it."""

    table: str
    row_id: int
    op: str
    at: dt.datetime
    changed: tuple[str, ...]
    old: dict[str, Any] | None
    new: dict[str, Any] | None


def edge(day: dt.date) -> dt.datetime:
    """The end of ``day`` in Guang'an: the first instant of the next day there."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), ZONE)


DECODER = json.JSONDecoder(parse_float=Decimal)


def doc(text: str | None) -> dict[str, Any] | None:
    """A row's JSON text as a dict, numbers exact (``Decimal``), so sums add up to the cent."""
    return None if text is None else DECODER.decode(text)


IDS = "(SELECT unnest(CAST(:ids AS bigint[])))"  # hashed by the planner, unlike = ANY(:ids)


def _scope(source: Source, alias: str) -> str:
    """Rows of the projects in ``:ids``: a project by its id, a record by its project."""
    column = "id" if source.table == "projects" else "project_id"
    return f"({alias} ->> '{column}')::bigint IN {IDS}"


def has_column(conn: sa.Connection, table: str, column: str) -> bool:
    """Whether ``table`` has ``column`` (e.g. ``review``, which a later migration adds)."""
    sql = "SELECT 1 FROM information_schema.columns WHERE table_name = :t AND column_name = :c"
    return conn.execute(sa.text(sql), {"t": table, "c": column}).first() is not None


def rows_at(
    conn: sa.Connection,
    table: str,
    day: dt.date,
    project_ids: Collection[int],
    columns: Sequence[str],
) -> list[sa.Row]:
    """``columns`` (SQL on the row ``t``, typed as the table's) of the rows of ``table`` (of
    the projects ``project_ids``) as they were at the end of ``day``; a soft-deleted project
    is there, with its ``deleted_at``. The caller's ``columns`` are constants, never input."""
    s = SOURCES[table]
    kind = "AND h.table_name = :kind" if s.kind else ""
    project = "t.id" if table == "projects" else "t.project_id"
    select = ", ".join(columns)
    sql = f"""
WITH later AS (
    SELECT DISTINCT ON (h.{s.key}) h.{s.key} AS row_id, h.{s.old} AS doc FROM {s.history} h
    WHERE h.at >= :edge {kind} ORDER BY h.{s.key}, h.at, h.id)
SELECT {select} FROM later, jsonb_populate_record(NULL::{table}, later.doc) t
WHERE later.doc IS NOT NULL AND {project} IN {IDS}
UNION ALL
SELECT {select} FROM {table} t
WHERE NOT EXISTS (SELECT 1 FROM later WHERE later.row_id = t.id) AND {project} IN {IDS}"""
    params = {"edge": edge(day), "kind": s.kind, "ids": list(project_ids)}
    return conn.execute(sa.text(sql), params).all()


def events(
    conn: sa.Connection,
    table: str,
    start: dt.date,
    end: dt.date,
    project_ids: Collection[int],
) -> list[Event]:
    """The writes to ``table`` (rows of ``project_ids``) after day ``start`` up to the end of
    day ``end``, oldest first."""
    s = SOURCES[table]
    kind = "AND h.table_name = :kind" if s.kind else ""
    sql = f"""
SELECT h.{s.key}, h.op, h.at, h.changed, h.{s.old}::text, h.{s.new}::text
FROM {s.history} h
WHERE h.at >= :start AND h.at < :end {kind}
  AND {_scope(s, f"coalesce(h.{s.new}, h.{s.old})")}
ORDER BY h.at, h.id"""
    params = {"start": edge(start), "end": edge(end), "kind": s.kind, "ids": list(project_ids)}
    return [
        Event(table, row_id, op, at, tuple(changed), doc(old), doc(new))
        for row_id, op, at, changed, old, new in conn.execute(sa.text(sql), params)
    ]


def local(at: dt.datetime) -> str:
    """An instant as Guang'an's local time, ISO 8601 with its offset (+08:00)."""
    return at.astimezone(ZONE).isoformat(timespec="seconds")
