"""月度投资 Monthly investment reports: the amount completed in one month (万元).

One report per project and month; county editors enter them for their own county's
projects. Year-to-date and cumulative figures are derived in SQL from the reports,
never stored or typed twice.
"""

from __future__ import annotations

from mapserver.battle import review
from mapserver.battle.records import Change, Column, CountyRule, Kind, Listing, failure

# Approved reports only: a claim counts once the city has reviewed it (mapserver/battle/review.py).
_SUM = (
    "(SELECT sum(x.amount) FROM investment_reports x WHERE x.project_id = r.project_id"
    " AND x.review = 'approved'"
)
DERIVED = (
    f"{_SUM} AND x.month <= r.month AND x.month >= date_trunc('year', r.month)) AS year_to_date,"
    f" {_SUM} AND x.month <= r.month) AS cumulative, p.annual_plan"
)


def _prepare(change: Change) -> None:
    month = change.values.get("month")
    if month is not None and month > change.today:
        raise failure("month", "不能填报未来月份 cannot report a month that has not begun")
    if change.old is None:
        change.values.setdefault("review", review.initial(change))


KIND = Kind(
    "investment_reports",
    "月度投资",
    (
        Column("month", "month", required=True, on_update=False),
        Column("amount", "amount", required=True),
        Column("remarks", "text", max_length=2000),
        Column("review", "choice", choices=review.REVIEWS),
        Column("return_reason", "text", max_length=2000),
    ),
    CountyRule(creates=True, changes=frozenset({"amount", "remarks", "review"})),
    Listing("month", DERIVED),
    prepare=_prepare,
    read_only=frozenset({"year_to_date", "cumulative", "annual_plan"}) | review.STAMPS,
    reviewed=True,
)
