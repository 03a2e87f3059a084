"""问题清单 The list of problems to solve, each with a responsible unit and a due date.

Dispatchers and county editors (for their own county's projects) raise problems;
county editors may then only change the status (open ↔ resolved) and the resolution.
The day a problem is resolved is set by the server. A resolution is reviewed by the city
(mapserver/battle/review.py): until approved the problem counts as open. Open past its due date:
overdue.
"""

from __future__ import annotations

from mapserver.battle import review
from mapserver.battle.records import Change, Column, CountyRule, Kind, Listing, failure

# Open for every figure until the city has approved its resolution (mapserver/battle/review.py).
OVERDUE = "r.review IS DISTINCT FROM 'approved' AND r.due_date < mapserver_today()"


def _prepare(change: Change) -> None:
    v, old = change.values, change.old or {}
    if change.old is None:
        v.setdefault("raised_on", change.today)
    if v.get("raised_on") is not None and v["raised_on"] > change.today:
        raise failure("raised_on", "不能晚于今天 cannot be in the future")
    if "status" in v and v["status"] != old.get("status"):
        v["resolved_on"] = change.today if v["status"] == "resolved" else None
        if v["status"] == "resolved" and v.get("review") is None:
            v["review"] = review.initial(change)
    _review(v, v.get("status", old.get("status", "open")), old.get("review"))
    raised, due = v.get("raised_on", old.get("raised_on")), v.get("due_date", old.get("due_date"))
    if due is not None and due < raised:
        raise failure("due_date", f"早于提出日期 {raised} is before the problem was raised")


def _review(v: dict, status: str, old_review: str | None) -> None:
    """The review is the resolution's: none while open, always one once resolved."""
    if status == "open":
        if v.get("review") is not None:
            raise failure("review", "未解决的问题没有审核状态 an open problem has no review")
        if old_review is not None:
            v["review"] = None
    elif "review" in v and v["review"] is None:
        raise failure("review", "已解决的问题须有审核状态 a resolved problem has a review")


COLUMNS = (
    Column("description", "text", required=True, max_length=4000),
    Column("category", "text", max_length=50),
    Column("raised_on", "date"),
    Column("responsible_unit", "text", required=True),
    Column("due_date", "date"),
    Column("status", "choice", choices=("open", "resolved"), on_create=False),
    Column("resolution", "text", max_length=4000),
    Column("review", "choice", choices=review.REVIEWS),
    Column("return_reason", "text", max_length=2000),
)
COUNTY = CountyRule(
    creates=True,
    changes=frozenset({"status", "resolution", "resolved_on", "review"}),
    statuses=("open", "resolved"),
)
KIND = Kind(
    "problems",
    "问题",
    COLUMNS,
    COUNTY,
    Listing("raised_on", f"({OVERDUE}) AS overdue", OVERDUE, "due_date"),
    prepare=_prepare,
    server_set=frozenset({"resolved_on"}),
    read_only=frozenset({"overdue"}) | review.STAMPS,
    reviewed=True,
)
