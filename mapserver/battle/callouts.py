"""点球 Call-outs: a dispatcher names a project, a responsible unit, a demand and a deadline.

Dispatchers (and administrators) issue, change and close them; a county editor may
answer one of their county's (status ``responded`` with a response). Who issued it and
the days of the answer and the closing are set by the server. Still ``issued`` after
its deadline: overdue (on the deadline day itself it is not yet).
"""

from __future__ import annotations

from mapserver.battle.records import Change, Column, CountyRule, Kind, Listing, failure

OVERDUE = "r.status = 'issued' AND r.deadline < mapserver_today()"
DERIVED = (
    f"({OVERDUE}) AS overdue,"
    f" CASE WHEN {OVERDUE} THEN mapserver_today() - r.deadline ELSE 0 END AS days_overdue"
)


def _prepare(change: Change) -> None:
    v, old = change.values, change.old
    if old is None:
        v["issued_by"] = change.actor.username
        v.setdefault("issued_on", change.today)
        if v["issued_on"] > change.today:
            raise failure("issued_on", "不能晚于今天 cannot be in the future")
    issued = v["issued_on"] if old is None else old["issued_on"]
    if v.get("deadline") is not None and v["deadline"] < issued:
        raise failure("deadline", f"早于下达日期 {issued} is before the call-out was issued")
    if old is not None and v.get("status") not in (None, old["status"]):
        _move(change, v["status"])


def _move(change: Change, status: str) -> None:
    """The days that go with a new status."""
    v, old = change.values, change.old
    if status == "responded":
        if not (v.get("response") or old["response"]):
            raise failure("response", "答复时须填写 a response is required to respond")
        v["responded_on"] = old["responded_on"] or change.today
        v["closed_on"] = None
    elif status == "closed":
        v["closed_on"] = change.today
    else:  # issued again
        v["responded_on"] = v["closed_on"] = None


COLUMNS = (
    Column("responsible_unit", "text", required=True),
    Column("deadline", "date", required=True),
    Column("demand", "text", required=True, max_length=4000),
    Column("issued_on", "date", on_update=False),
    Column("status", "choice", choices=("issued", "responded", "closed"), on_create=False),
    Column("response", "text", max_length=4000),
)
KIND = Kind(
    "callouts",
    "点球",
    COLUMNS,
    CountyRule(changes=frozenset({"status", "response", "responded_on"}), statuses=("responded",)),
    Listing("issued_on", DERIVED, OVERDUE, "deadline"),
    prepare=_prepare,
    server_set=frozenset({"issued_by", "responded_on", "closed_on"}),
    read_only=frozenset({"overdue", "days_overdue"}),
)
