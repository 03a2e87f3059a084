"""Project health and approved investment as they were at the end of a past day.

The projects, their milestones and their monthly investment reports are rebuilt from the
history tables (:mod:`mapserver.features.history`) as they stood at the end of the day, and
judged by the rules of :mod:`mapserver.battle.health` (the ones the ``battle_projects`` view
applies) with the thresholds in the ``health_rules`` table. So the health at today's end is
the view's, and a past day's is what the view said that day, rules aside
(their history is not kept).

Review (审核): a report counts only once approved; a row written before reports had a
``review`` column counts from its creation (such rows migrate as approved).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from mapserver.battle import health
from mapserver.features import history

APPROVED = "approved"
PROJECT_COLUMNS = ("t.id", "t.status", "t.annual_plan", "t.deleted_at")
MILESTONE_COLUMNS = ("t.project_id", "t.planned_date", "t.actual_date")
REPORT_COLUMNS = ("t.project_id", "t.month", "t.amount")
RULES = """SELECT lagging_days, seriously_lagging_days, lagging_points,
seriously_lagging_points, statuses FROM health_rules"""


@dataclass(frozen=True)
class DayState:
    """Per project id: its health (None: did not exist, or deleted) and approved investment."""

    health: Mapping[int, str | None]
    approved: Mapping[int, Decimal]


def rules(conn: sa.Connection) -> health.HealthRules:
    """The thresholds the database's view uses."""
    row = conn.execute(sa.text(RULES)).one()
    return health.HealthRules(row[0], row[1], row[2], row[3], tuple(row[4]))


def approved(row: Mapping[str, Any] | None) -> bool:
    """A record counts: approved, or from before there was review."""
    return row is not None and row.get("review", APPROVED) == APPROVED


def _by_project(rows: Iterable[sa.Row]) -> dict[int, list[sa.Row]]:
    out: dict[int, list[sa.Row]] = {}
    for row in rows:
        out.setdefault(row.project_id, []).append(row)
    return out


def assess(
    project: Any | None,
    milestones: Iterable[Any],
    reports: Iterable[Any],
    day: dt.date,
    rules: health.HealthRules,
) -> str | None:
    """A project's health at the end of ``day`` from its rows then (None: not there). Rows
    have attributes: a project ``status``, ``annual_plan``, ``deleted_at``; a milestone
    ``planned_date``, ``actual_date``; a report ``month``, ``amount``, ``review``."""
    if project is None or project.deleted_at is not None:
        return None
    deadlines = [health.Deadline(m.planned_date, m.actual_date) for m in milestones]
    counted = [health.Report(r.month, r.amount) for r in reports if r.review == APPROVED]
    return health.assess(project.status, project.annual_plan, deadlines, counted, day, rules).health


def at_end_of(
    conn: sa.Connection, day: dt.date, project_ids: Collection[int], rules: health.HealthRules
) -> DayState:
    """Health and approved investment (all months) of ``project_ids`` at the end of ``day``."""
    review = "coalesce(t.review, 'approved')"  # NULL: a row from before review
    if not history.has_column(conn, "investment_reports", "review"):
        review = "'approved'"
    rows = history.rows_at(conn, "projects", day, project_ids, PROJECT_COLUMNS)
    projects = {p.id: p for p in rows}
    columns = MILESTONE_COLUMNS
    milestones = _by_project(history.rows_at(conn, "milestones", day, project_ids, columns))
    columns = (*REPORT_COLUMNS, f"{review} AS review")
    reports = _by_project(history.rows_at(conn, "investment_reports", day, project_ids, columns))
    states = {
        pid: assess(projects.get(pid), milestones.get(pid, ()), reports.get(pid, ()), day, rules)
        for pid in project_ids
    }
    money = {
        pid: sum((r.amount for r in reports.get(pid, ()) if r.review == APPROVED), Decimal(0))
        for pid in project_ids
    }
    return DayState(states, money)
