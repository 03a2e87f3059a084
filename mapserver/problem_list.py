"""问题清单 The list of problems to solve, each with a responsible unit and a due date.

Dispatchers and county editors (for their own county's projects) raise problems;
county editors may then only change the status (open ↔ resolved) and the resolution.
The day a problem is resolved is set by the server. Open past its due date: overdue.
"""

from __future__ import annotations

from mapserver.records import Change, Column, CountyRule, Kind, Listing, failure

OVERDUE = "r.status = 'open' AND r.due_date < mapserver_today()"


def _prepare(change: Change) -> None:
    v, old = change.values, change.old or {}
    if change.old is None:
        v.setdefault("raised_on", change.today)
    if v.get("raised_on") is not None and v["raised_on"] > change.today:
        raise failure("raised_on", "不能晚于今天 cannot be in the future")
    if "status" in v and v["status"] != old.get("status"):
        v["resolved_on"] = change.today if v["status"] == "resolved" else None
    raised, due = v.get("raised_on", old.get("raised_on")), v.get("due_date", old.get("due_date"))
    if due is not None and due < raised:
        raise failure("due_date", f"早于提出日期 {raised} is before the problem was raised")


COLUMNS = (
    Column("description", "text", required=True, max_length=4000),
    Column("category", "text", max_length=50),
    Column("raised_on", "date"),
    Column("responsible_unit", "text", required=True),
    Column("due_date", "date"),
    Column("status", "choice", choices=("open", "resolved"), on_create=False),
    Column("resolution", "text", max_length=4000),
)
COUNTY = CountyRule(True, frozenset({"status", "resolution", "resolved_on"}), ("open", "resolved"))
KIND = Kind(
    "problems",
    "问题",
    COLUMNS,
    COUNTY,
    Listing("raised_on", f"({OVERDUE}) AS overdue", OVERDUE),
    prepare=_prepare,
    server_set=frozenset({"resolved_on"}),
    read_only=frozenset({"overdue"}),
)
