"""Who may write which battle-map record: every write × role × own/other county, over HTTP;
then the same with the app's checks switched off, where the database refuses instead."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tests.battle import OTHER, OWN, auth, battle_env, snapshot

THIS_MONTH = dt.datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")  # open for reporting
# (case id, method, path template, body, county editors may: on their own county's record)
WRITES = [
    ("milestone-create", "POST", "/battle/milestones", {"name": "新节点", "planned_date": "2026-12-01"}, False),
    ("milestone-actual", "PATCH", "/battle/milestones/{milestones}", {"actual_date": "2026-03-05", "note": "完成"}, True),
    ("milestone-rename", "PATCH", "/battle/milestones/{milestones}", {"name": "改名"}, False),
    ("investment-create", "POST", "/battle/investment", {"month": THIS_MONTH, "amount": 12.5}, True),
    ("investment-amount", "PATCH", "/battle/investment/{investment_reports}", {"amount": 99}, True),
    # The review (审核), in turn on the same record: a county submits, the city approves or returns.
    ("investment-submit", "PATCH", "/battle/investment/{investment_reports}", {"review": "submitted"}, True),
    ("investment-approve", "PATCH", "/battle/investment/{investment_reports}", {"review": "approved"}, False),
    ("investment-return", "PATCH", "/battle/investment/{investment_reports}", {"review": "returned", "return_reason": "核实"}, False),
    ("problem-create", "POST", "/battle/problems", {"description": "缺电", "responsible_unit": "供电公司"}, True),
    ("problem-resolve", "PATCH", "/battle/problems/{problems}", {"status": "resolved", "resolution": "已解决"}, True),
    ("problem-submit", "PATCH", "/battle/problems/{problems}", {"status": "resolved", "resolution": "已解决", "review": "submitted"}, True),
    ("problem-approve", "PATCH", "/battle/problems/{problems}", {"status": "resolved", "resolution": "已解决", "review": "approved"}, False),
    ("problem-return", "PATCH", "/battle/problems/{problems}", {"status": "resolved", "resolution": "已解决", "review": "returned", "return_reason": "未见成效"}, False),
    ("problem-reassign", "PATCH", "/battle/problems/{problems}", {"responsible_unit": "别的单位"}, False),
    ("callout-issue", "POST", "/battle/callouts", {"responsible_unit": "交通局", "deadline": "2099-12-31", "demand": "限期开工"}, False),
    ("callout-respond", "PATCH", "/battle/callouts/{callouts}", {"status": "responded", "response": "已开工"}, True),
    ("callout-close", "PATCH", "/battle/callouts/{callouts}", {"status": "closed"}, False),
    ("callout-deadline", "PATCH", "/battle/callouts/{callouts}", {"deadline": "2099-12-31"}, False),
    ("ranking-publish", "POST", "/battle/ranking/2026-01/publish", None, False),
]  # fmt: skip
ROLES = ["admin", "dispatcher", "county_editor", "viewer", "anonymous", "revoked"]
CASES = [(w, where) for w in WRITES for where in ("own", "other") if "publish" not in w[0]]
CASES += [(w, "city") for w in WRITES if "publish" in w[0]]


@pytest.fixture
def env(fresh_url):
    with battle_env(fresh_url) as e:
        yield e


def send(client, tokens, ids, role, write, where):
    _name, method, template, body, _ = write
    keys = {"milestones", "investment_reports", "problems", "callouts"}
    path = template.format(**{k: ids.get((k, where), 0) for k in keys})
    if body is not None and method == "POST":
        body = {"project": OWN if where == "own" else OTHER, **body}
    return client.open(path, method=method, json=body, headers=auth(tokens[role], "*"))


def allowed(role, write, where):
    if role in ("admin", "dispatcher"):
        return True
    return role == "county_editor" and write[4] and where == "own"


def run_matrix(env, role, expect_refusal) -> list[str]:
    """Every write as ``role``, in turn; the cases whose outcome is wrong."""
    client, engine, tokens, ids = env
    wrong = []
    for write, where in CASES:
        before = snapshot(engine)
        response = send(client, tokens, ids, role, write, where)
        case = f"{write[0]}-{where}: {response.status_code} {response.get_json()}"
        if allowed(role, write, where):
            if response.status_code not in (200, 201) or snapshot(engine) == before:
                wrong.append(case)
        elif not expect_refusal(response) or snapshot(engine) != before:
            wrong.append(case)
    return wrong


@pytest.mark.parametrize("role", ROLES)
def test_authorization_matrix(env, role):
    status = 401 if role in ("anonymous", "revoked") else 403

    def refused(response):
        return response.status_code == status and response.mimetype == "application/problem+json"

    assert run_matrix(env, role, refused) == []


@pytest.mark.parametrize("role", ["admin", "dispatcher", "county_editor", "viewer"])
def test_the_database_refuses_when_the_app_checks_are_bypassed(env, monkeypatch, role):
    from mapserver.battle import ranking_periods, records
    from mapserver.web import auth as auth_bp
    from mapserver.web import ranking as ranking_bp
    from mapserver.web import records as records_bp

    for module in (records_bp, ranking_bp):
        monkeypatch.setattr(module, "require_actor", lambda write: auth_bp.current_actor())
    monkeypatch.setattr(records, "check_permission", lambda *args: None)
    monkeypatch.setattr(records.review, "check", lambda *args: None)
    monkeypatch.setattr(ranking_periods, "check_publisher", lambda actor: None)

    def refused_by_the_database(response):
        return response.status_code == 403 and "数据库拒绝" in response.get_json()["detail"]

    assert run_matrix(env, role, refused_by_the_database) == []
