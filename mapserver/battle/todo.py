"""The county's to-do list for a month's reporting (填报): per project, what is missing.

A project misses its month's investment report until one is submitted or approved, and
each overdue milestone and each unanswered 点球 is missing too. Returned reports and open
problems are counted beside them, so the list says where to start.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from mapserver.accounts.roles import Actor
from mapserver.battle import review
from mapserver.battle.record_lists import plain
from mapserver.errors import Forbidden, InvalidParameter
from mapserver.store import periods

PARAMETERS = ("county", "month")

TODO = """
SELECT p.code AS project, p.name AS project_name, p.county, c.name AS county_name,
    p.working_group, p.status, p.annual_plan,
    i.id AS report_id, i.review AS report_review, i.amount AS report_amount,
    i.version AS report_version, i.return_reason AS report_return_reason,
    (SELECT count(*) FROM milestones m WHERE m.project_id = p.id
     AND m.actual_date IS NULL AND m.planned_date < mapserver_today()) AS overdue_milestones,
    (SELECT count(*) FROM callouts k WHERE k.project_id = p.id
     AND k.status = 'issued') AS unanswered_callouts,
    (SELECT count(*) FROM problems q WHERE q.project_id = p.id
     AND q.review IS DISTINCT FROM 'approved') AS open_problems,
    (SELECT count(*) FROM problems q WHERE q.project_id = p.id AND q.review = 'returned')
    + (SELECT count(*) FROM investment_reports x WHERE x.project_id = p.id
       AND x.review = 'returned') AS returned
FROM projects p
LEFT JOIN counties c ON c.adcode = p.county
LEFT JOIN investment_reports i ON i.project_id = p.id AND i.month = :month
WHERE p.deleted_at IS NULL AND p.status = ANY(:statuses)
  AND (CAST(:county AS text) IS NULL OR p.county = :county)
ORDER BY p.county, p.code
"""
# Projects that report: those whose health is tracked (layers/rules/battle.yaml).
STATUSES = "SELECT statuses FROM health_rules"


def todo(conn: sa.Connection, month: dt.date, county: str | None) -> dict[str, Any]:
    """The month's to-do list of ``county`` (None: every county)."""
    statuses = conn.execute(sa.text(STATUSES)).scalar_one()
    params = {"month": month, "county": county, "statuses": statuses}
    items = [_item(row) for row in conn.execute(sa.text(TODO), params).mappings()]
    closes = review.closes(month, review.deadline_day(conn))
    return {
        "month": f"{month:%Y-%m}",
        "county": county,
        "closes_on": closes.isoformat(),
        "items": items,
        "numberMatched": len(items),
    }


def _item(row: sa.RowMapping) -> dict[str, Any]:
    out = plain({k: v for k, v in row.items() if not k.startswith("report_")})
    report = {
        "id": row["report_id"],
        "review": row["report_review"],
        "amount": None if row["report_amount"] is None else float(row["report_amount"]),
        "version": row["report_version"],
        "return_reason": row["report_return_reason"],
    }
    reported = report["review"] in ("submitted", "approved")
    out["investment"] = report
    out["missing"] = (0 if reported else 1) + out["overdue_milestones"] + out["unanswered_callouts"]
    return out


def parse(
    args: dict[str, list[str]], actor: Actor, counties: list[str], today: dt.date
) -> tuple[dt.date, str | None]:
    """(month, county) of a to-do request: a county editor sees their own county only."""
    for name, values in args.items():
        if name not in PARAMETERS or len(values) != 1:
            raise InvalidParameter(
                f"unknown or repeated parameter {name!r}", parameter=name, allowed=PARAMETERS
            )
    county = args.get("county", [actor.county])[0]
    if county is not None and county not in counties:
        raise InvalidParameter(f"county: unknown code {county[:64]!r}", parameter="county")
    if not actor.city_wide and county != actor.county:
        raise Forbidden(f"您只能查看 {actor.county} 的填报 Only your own county", county=county)
    try:
        month = periods.parse_month(args.get("month", [f"{today:%Y-%m}"])[0])
    except ValueError as exc:
        raise InvalidParameter(f"month: {exc}", parameter="month") from None
    if month > today:
        raise InvalidParameter("month: 尚未开始 has not begun", parameter="month")
    return month, county
