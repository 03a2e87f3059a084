"""The battle-map records over HTTP: create, read, change with If-Match, validation, lists
and their filters against independent SQL, derived figures, history and the change log."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.battle import GUANG_AN, OTHER, OWN, auth, battle_env


@pytest.fixture
def env(fresh_url):
    with battle_env(fresh_url) as e:
        yield e


def today(engine):
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT mapserver_today()")).scalar_one()


def test_create_read_and_change_a_milestone(env):
    client, engine, tokens, _ = env
    body = {"project": OWN, "name": "主体完工", "planned_date": "2026-02-01", "note": " 备注 "}
    created = client.post("/battle/milestones", json=body, headers=auth(tokens["dispatcher"]))
    assert created.status_code == 201, created.get_json()
    doc = created.get_json()
    assert created.headers["ETag"] == '"v1"'
    assert created.headers["Location"].endswith(f"/battle/milestones/{doc['id']}")
    assert doc["project"] == OWN and doc["county"] == GUANG_AN and doc["note"] == "备注"
    assert doc["overdue"] is True and doc["days_late"] == (today(engine) - _d("2026-02-01")).days
    url = f"/battle/milestones/{doc['id']}"
    editor = tokens["county_editor"]
    assert (
        client.patch(url, json={"actual_date": "2026-02-03"}, headers=auth(editor)).status_code
        == 428
    )
    done = client.patch(url, json={"actual_date": "2026-02-03"}, headers=auth(editor, '"v1"'))
    assert done.status_code == 200 and done.headers["ETag"] == '"v2"'
    assert done.get_json()["overdue"] is False and done.get_json()["days_late"] == 2
    stale = client.patch(url, json={"note": "旧"}, headers=auth(editor, '"v1"'))
    assert stale.status_code == 412 and stale.get_json()["current_version"] == 2
    assert client.get(url).headers["ETag"] == '"v2"'


def _d(text):
    import datetime as dt

    return dt.date.fromisoformat(text)


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        ("/battle/milestones", {"project": OWN, "name": "x", "planned_date": "2026-02-30"}, 422, "planned_date"),
        ("/battle/milestones", {"project": OWN, "planned_date": "2026-02-01"}, 422, "name"),
        ("/battle/milestones", {"project": OWN, "name": "x", "planned_date": "2026-02-01", "colour": 1}, 422, "colour"),
        ("/battle/milestones", {"project": "GA-0000-999", "name": "x", "planned_date": "2026-02-01"}, 422, "project"),
        ("/battle/milestones", {"project": OWN, "name": "x", "planned_date": "2026-02-01", "actual_date": "2999-01-01"}, 422, "actual_date"),
        ("/battle/milestones", ["not", "an", "object"], 400, None),
        ("/battle/investment", {"project": OWN, "month": "2026-13", "amount": 1}, 422, "month"),
        ("/battle/investment", {"project": OWN, "month": "2999-01", "amount": 1}, 422, "month"),
        ("/battle/investment", {"project": OWN, "month": "2025-10", "amount": -1}, 422, "amount"),
        ("/battle/investment", {"project": OWN, "month": "2025-10", "amount": "十"}, 422, "amount"),
        ("/battle/investment", {"project": OWN, "month": "2025-10", "amount": True}, 422, "amount"),
        ("/battle/problems", {"project": OWN, "description": "x", "responsible_unit": "u", "status": "resolved"}, 422, "status"),
        ("/battle/problems", {"project": OWN, "description": "x", "responsible_unit": "u", "raised_on": "2026-03-01", "due_date": "2026-02-01"}, 422, "due_date"),
        ("/battle/callouts", {"project": OWN, "responsible_unit": "u", "demand": "d", "deadline": "2000-01-01"}, 422, "deadline"),
        ("/battle/callouts", {"project": OWN, "responsible_unit": "u", "demand": "", "deadline": "2099-12-31"}, 422, "demand"),
    ],
)  # fmt: skip
def test_bodies_are_checked_and_the_field_named(env, path, body, status, field):
    client, _engine, tokens, _ = env
    response = client.post(path, json=body, headers=auth(tokens["admin"]))
    assert response.status_code == status, response.get_json()
    assert response.mimetype == "application/problem+json"
    if field:
        assert response.get_json()["pointer"] == f"/{field}"


def test_not_json_and_fixed_fields(env):
    client, _, tokens, ids = env
    headers = {**auth(tokens["admin"]), "Content-Type": "text/plain"}
    assert client.post("/battle/milestones", data="x", headers=headers).status_code == 415
    url = f"/battle/investment/{ids[('investment_reports', 'own')]}"
    moved = client.patch(url, json={"month": "2025-09"}, headers=auth(tokens["admin"], "*"))
    assert moved.status_code == 422 and moved.get_json()["pointer"] == "/month"
    other = client.patch(url, json={"project": OTHER}, headers=auth(tokens["admin"], "*"))
    assert other.status_code == 422 and other.get_json()["pointer"] == "/project"
    # What a GET returned may be sent back: read-only fields are ignored.
    echoed = client.get(url).get_json() | {"amount": 11}
    assert client.patch(url, json=echoed, headers=auth(tokens["admin"], "*")).status_code == 200


def test_one_report_per_month_and_derived_totals(env):
    client, engine, tokens, _ = env
    editor = auth(tokens["dispatcher"])  # the city may enter any month; its entries are approved
    first = client.post(
        "/battle/investment", json={"project": OWN, "month": "2025-11", "amount": 5}, headers=editor
    )
    assert first.status_code == 201 and first.get_json()["month"] == "2025-11"
    again = client.post(
        "/battle/investment",
        json={"project": OWN, "month": "2025-11-01", "amount": 6},
        headers=editor,
    )
    assert again.status_code == 409
    items = client.get(f"/battle/investment?project={OWN}").get_json()["items"]
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT r.month, r.amount FROM investment_reports r JOIN projects p ON p.id = r.project_id"
            " WHERE p.code = :c ORDER BY r.month"), {"c": OWN}).all()  # fmt: skip
    assert [i["month"] for i in items] == [r.month.isoformat()[:7] for r in rows]
    running = 0
    for item, row in zip(items, rows):
        running += row.amount
        ytd = sum(r.amount for r in rows if r.month.year == row.month.year and r.month <= row.month)
        assert item["cumulative"] == pytest.approx(float(running))
        assert item["year_to_date"] == pytest.approx(float(ytd))


def test_problem_resolved_and_reopened(env):
    client, engine, tokens, ids = env
    url = f"/battle/problems/{ids[('problems', 'own')]}"
    editor = tokens["county_editor"]
    resolved = client.patch(
        url, json={"status": "resolved", "resolution": "协调到位"}, headers=auth(editor, '"v1"')
    )
    assert resolved.status_code == 200, resolved.get_json()
    assert resolved.get_json()["resolved_on"] == today(engine).isoformat()
    reopened = client.patch(url, json={"status": "open"}, headers=auth(editor, '"v2"'))
    assert reopened.get_json()["resolved_on"] is None and reopened.get_json()["status"] == "open"


def test_callout_issued_answered_closed(env):
    client, engine, tokens, _ = env
    body = {
        "project": OWN,
        "responsible_unit": "广安区交通运输局",
        "deadline": "2099-01-01",
        "demand": "限期开工",
    }
    issued = client.post("/battle/callouts", json=body, headers=auth(tokens["dispatcher"]))
    assert issued.status_code == 201, issued.get_json()
    doc = issued.get_json()
    assert (doc["issued_by"], doc["status"], doc["overdue"]) == ("u_dispatcher", "issued", False)
    assert doc["issued_on"] == today(engine).isoformat()
    url = f"/battle/callouts/{doc['id']}"
    editor = tokens["county_editor"]
    no_text = client.patch(url, json={"status": "responded"}, headers=auth(editor, '"v1"'))
    assert no_text.status_code == 422 and no_text.get_json()["pointer"] == "/response"
    answered = client.patch(
        url, json={"status": "responded", "response": "已开工"}, headers=auth(editor, '"v1"')
    )
    assert answered.get_json()["responded_on"] == today(engine).isoformat()
    closed = client.patch(
        url, json={"status": "closed"}, headers=auth(tokens["dispatcher"], '"v2"')
    )
    assert closed.get_json()["closed_on"] == today(engine).isoformat()
    assert closed.get_json()["responded_on"] == today(engine).isoformat()
    history = client.get(f"{url}/history", headers=auth(tokens["viewer"])).get_json()["revisions"]
    assert [(r["op"], r["actor"]) for r in history] == [
        ("update", "u_dispatcher"), ("update", "u_county_editor"), ("create", "u_dispatcher")
    ]  # fmt: skip
    assert history[0]["changed"] == ["closed_on", "status"]
    assert client.get(f"{url}/history").status_code == 401


def test_a_write_is_in_the_change_log_for_the_record_and_its_project(env):
    client, engine, tokens, ids = env
    with engine.connect() as conn:
        start = conn.execute(sa.text("SELECT max(id) FROM change_log")).scalar()
    url = f"/battle/milestones/{ids[('milestones', 'own')]}"
    client.patch(
        url, json={"actual_date": "2026-03-02"}, headers=auth(tokens["county_editor"], "*")
    )
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT layer, op, feature_id FROM change_log WHERE id > :s ORDER BY id"), {"s": start}).all()  # fmt: skip
    assert {tuple(r) for r in rows} == {
        ("milestones", "update", str(ids[("milestones", "own")])), ("projects", "update", OWN)
    }  # fmt: skip


LISTS = [
    ("milestones", "county=511621", "p.county = '511621'"),
    ("milestones", "working_group=transport,energy&period=2026-Q1",
     "p.working_group IN ('transport', 'energy') AND r.planned_date BETWEEN '2026-01-01' AND '2026-03-31'"),
    ("milestones", "overdue=true", "r.actual_date IS NULL AND r.planned_date < mapserver_today()"),
    ("investment_reports", "month=2026-03&county=511602", "r.month = '2026-03-01' AND p.county = '511602'"),
    ("investment_reports", f"project={OWN},{OTHER}&period=2026", f"p.code IN ('{OWN}', '{OTHER}') AND extract(year FROM r.month) = 2026"),
    ("problems", "status=open", "r.status = 'open'"),
    ("problems", "overdue=true&county=511602,511603", "r.review IS DISTINCT FROM 'approved' AND r.due_date < mapserver_today() AND p.county IN ('511602', '511603')"),
    ("callouts", "overdue=true", "r.status = 'issued' AND r.deadline < mapserver_today()"),
    ("callouts", "overdue=false&status=issued", "r.status = 'issued' AND r.deadline >= mapserver_today()"),
    ("callouts", "period=2026-11", "r.issued_on BETWEEN '2026-11-01' AND '2026-11-30'"),
]  # fmt: skip
NOUNS = {"investment_reports": "investment"}


@pytest.mark.parametrize(("table", "query", "where"), LISTS)
def test_list_filters_match_sql(client, demo_engine, table, query, where):
    body = client.get(f"/battle/{NOUNS.get(table, table)}?{query}").get_json()
    with demo_engine.connect() as conn:
        expected = conn.execute(sa.text(
            f"SELECT r.id FROM {table} r JOIN projects p ON p.id = r.project_id WHERE {where}"
            " ORDER BY r.id")).scalars().all()  # fmt: skip
    assert sorted(i["id"] for i in body["items"]) == expected
    assert body["numberMatched"] == body["numberReturned"] == len(expected)


@pytest.mark.parametrize(
    ("query", "parameter"),
    [("county=999999", "county"), ("status=done", "status"), ("period=2026-13", "period"),
     ("month=2026-Q1", "month"), ("overdue=yes", "overdue"), ("colour=red", "colour"),
     ("limit=0", "limit"), ("limit=10001", "limit"), ("county=511602&county=511603", "county")],
)  # fmt: skip
def test_bad_list_parameters(client, query, parameter):
    response = client.get(f"/battle/callouts?{query}")
    assert response.status_code == 400
    assert response.get_json()["parameter"] == parameter


def test_paging(client):
    first = client.get("/battle/investment?limit=100").get_json()
    second = client.get("/battle/investment?limit=100&offset=100").get_json()
    assert first["numberReturned"] == second["numberReturned"] == 100
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}
    assert first["numberMatched"] > 200
    assert client.get("/battle/investment?overdue=true").status_code == 400  # no such notion


def test_a_browser_session_writes_with_its_csrf_token(env):
    client, engine, _, _ = env
    from mapserver.accounts import users

    users.create_user(engine, "zhang", "dispatcher", None, "张三", "a-long-password-1")
    token = client.get("/login", headers={"Accept": "application/json"}).get_json()["csrf_token"]
    credentials = {"username": "zhang", "password": "a-long-password-1"}
    assert (
        client.post("/login", json=credentials, headers={"X-CSRFToken": token}).status_code == 200
    )
    csrf = client.get("/auth/me").get_json()["csrf_token"]
    body = {
        "project": OWN,
        "responsible_unit": "广安区交通运输局",
        "deadline": "2099-01-01",
        "demand": "限期",
    }
    refused = client.post("/battle/callouts", json=body)
    assert refused.status_code == 403 and "CSRF" in refused.get_json()["detail"]
    issued = client.post("/battle/callouts", json=body, headers={"X-CSRFToken": csrf})
    assert issued.status_code == 201 and issued.get_json()["issued_by"] == "zhang"
