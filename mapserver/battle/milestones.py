"""节点 Milestones on a project's time-line.

Dispatchers (and administrators) plan them; county editors enter the actual date and a
note for their own county's projects. A milestone is overdue once its planned date has
passed without an actual date (one due today is not overdue yet).
"""

from __future__ import annotations

from mapserver.battle.records import Change, Column, CountyRule, Kind, Listing, failure

OVERDUE = "r.actual_date IS NULL AND r.planned_date < mapserver_today()"
DERIVED = (
    f"({OVERDUE}) AS overdue,"
    " CASE WHEN r.actual_date IS NOT NULL THEN greatest(r.actual_date - r.planned_date, 0)"
    " WHEN r.planned_date < mapserver_today() THEN mapserver_today() - r.planned_date"
    " ELSE 0 END AS days_late"
)


def _prepare(change: Change) -> None:
    actual = change.values.get("actual_date")
    if actual is not None and actual > change.today:
        raise failure("actual_date", f"不能晚于今天 {change.today} cannot be in the future")


COLUMNS = (
    Column("name", "text", required=True),
    Column("planned_date", "date", required=True),
    Column("actual_date", "date"),
    Column("note", "text", max_length=2000),
)
KIND = Kind(
    "milestones",
    "节点",
    COLUMNS,
    CountyRule(changes=frozenset({"actual_date", "note"})),
    Listing("planned_date", DERIVED, OVERDUE),
    prepare=_prepare,
    read_only=frozenset({"overdue", "days_late"}),
)
