"""审核 The city's review of what counties report: ``draft → submitted → approved |
returned``.

A county editor's monthly investment report or problem resolution is a claim until a
dispatcher (or admin) approves it; only approved figures count. County editors draft and
submit, and may change a record again only while it is a draft or returned; the city
approves or returns with a reason. A month closes for county editors on the reporting
deadline day of the next month. The database's ``mapserver_check_review`` trigger
(migration 0007) holds the same rules and sets who submitted or reviewed and when.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import sqlalchemy as sa

from mapserver.errors import Forbidden

if TYPE_CHECKING:
    from mapserver.battle.records import Change

REVIEWS = ("draft", "submitted", "approved", "returned")
COUNTY_SETS = ("draft", "submitted")  # what a county editor may set
LOCKED = ("submitted", "approved")  # a county editor may no longer change these
TITLES = {"draft": "草稿", "submitted": "待审核", "approved": "已审核", "returned": "已退回"}
STAMPS = frozenset({"submitted_at", "submitted_by", "reviewed_at", "reviewed_by"})


def deadline_day(conn: sa.Connection) -> int:
    """The day of the next month a month's reporting closes (``reporting_rules``)."""
    return conn.execute(sa.text("SELECT deadline_day FROM reporting_rules")).scalar_one()


def closes(month: dt.date, day: int) -> dt.date:
    """The last day county editors may report ``month`` (its first day)."""
    year, index = divmod(month.year * 12 + month.month, 12)  # the next month, 0-based
    return dt.date(year, index + 1, day)


def initial(change: Change) -> str:
    """The review of a new claim: the city's own entries are approved as they are made."""
    return "approved" if change.actor.city_wide else "draft"


def check(change: Change, review: str | None, month: dt.date | None, day: int) -> None:
    """Refuse, as the database would, a county editor's move of ``review`` (the city's
    roles are not checked: the caller leaves them out)."""
    old = (change.old or {}).get("review")
    if old in LOCKED:
        raise Forbidden(
            f"该记录{TITLES[old]}，只能由市级调度员修改 It is {old}: only the city may change it",
            review=old,
        )
    if review not in (None, *COUNTY_SETS) and review != old:
        raise Forbidden(
            f"县区编辑不能把审核状态改为 {review} County editors cannot set review to {review}",
            allowed=list(COUNTY_SETS),
        )
    if month is not None and change.today > closes(month, day):
        last = closes(month, day)
        raise Forbidden(
            f"{month:%Y-%m} 的填报已于 {last} 截止，请联系市级调度员 "
            f"Reporting for {month:%Y-%m} closed on {last}",
            closed_on=last.isoformat(),
        )
