"""The city's review (审核) of monthly reports and resolutions: the whole loop over HTTP,
figures that follow approved rows only, the reporting deadline, the queue and the to-do
list, and the database holding the rules for SQL run as the write role."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from mapserver.accounts.roles import Actor
from mapserver.store import claims
from tests.battle import GUANG_AN, OWN, YUECHI, auth, battle_env, turn_day

APPROVED_YTD = """SELECT coalesce(sum(r.amount), 0) FROM investment_reports r
JOIN projects p ON p.id = r.project_id WHERE p.code = :c AND r.review = 'approved'
AND r.month >= date_trunc('year', mapserver_today()) AND r.month <= mapserver_today()"""
PENDING = """SELECT coalesce(sum(r.amount), 0) FROM investment_reports r
JOIN projects p ON p.id = r.project_id WHERE p.code = :c AND r.review = 'submitted'"""


@pytest.fixture
def env(fresh_url):
    with battle_env(fresh_url) as e:
        yield e


def scalar(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar_one()


def feature(client, code: str) -> dict:
    body = client.get(f"/ogc/collections/projects/items/{code}").get_json()
    return body["properties"]


def this_month(engine) -> str:
    return scalar(engine, "SELECT to_char(mapserver_today(), 'YYYY-MM')")


def test_report_submit_return_resubmit_approve(env):
    client, engine, tokens, _ = env
    editor, dispatcher = tokens["county_editor"], tokens["dispatcher"]
    month = this_month(engine)
    before = feature(client, OWN)
    body = {"project": OWN, "month": month, "amount": 321.5, "review": "submitted"}
    created = client.post("/battle/investment", json=body, headers=auth(editor))
    assert created.status_code == 201, created.get_json()
    report = created.get_json()
    assert report["review"] == "submitted" and report["submitted_by"] == "u_county_editor"
    url = f"/battle/investment/{report['id']}"
    # Submitted: shown apart, not counted.
    after = feature(client, OWN)
    assert after["year_to_date"] == before["year_to_date"]
    assert after["pending_investment"] == pytest.approx(float(scalar(engine, PENDING, c=OWN)))
    assert after["pending_investment"] >= 321.5
    # Locked for the county once submitted.
    again = client.patch(url, json={"amount": 1}, headers=auth(editor, "*"))
    assert again.status_code == 403 and again.mimetype == "application/problem+json"
    # Returned: a reason is required; the county sees it and may edit and resubmit.
    bare = client.patch(url, json={"review": "returned"}, headers=auth(dispatcher, "*"))
    assert bare.status_code == 422 and bare.get_json()["pointer"] == "/return_reason"
    returned = client.patch(
        url,
        json={"review": "returned", "return_reason": "与现场不符"},
        headers=auth(dispatcher, "*"),
    )
    assert returned.get_json()["review"] == "returned"
    assert returned.get_json()["return_reason"] == "与现场不符"
    assert returned.get_json()["reviewed_by"] == "u_dispatcher"
    fixed = client.patch(
        url, json={"amount": 300, "review": "submitted"}, headers=auth(editor, "*")
    )
    assert fixed.status_code == 200 and fixed.get_json()["review"] == "submitted"
    assert fixed.get_json()["return_reason"] is None
    assert feature(client, OWN)["year_to_date"] == before["year_to_date"]
    # Approved: counted, exactly as direct SQL over approved rows says.
    approved = client.patch(url, json={"review": "approved"}, headers=auth(dispatcher, "*"))
    assert approved.status_code == 200
    now = feature(client, OWN)
    assert now["year_to_date"] == pytest.approx(float(scalar(engine, APPROVED_YTD, c=OWN)))
    assert now["year_to_date"] == pytest.approx(before["year_to_date"] + 300)
    # Every transition is in the history, with who.
    history = client.get(f"{url}/history", headers=auth(dispatcher)).get_json()["revisions"]
    moves = [(r["actor"], r["new"]["review"]) for r in reversed(history)]
    assert moves == [
        ("u_county_editor", "submitted"),
        ("u_dispatcher", "returned"),
        ("u_county_editor", "submitted"),
        ("u_dispatcher", "approved"),
    ]


def test_a_resolution_counts_only_once_approved(env):
    client, _engine, tokens, ids = env
    url = f"/battle/problems/{ids[('problems', 'own')]}"
    open_before = feature(client, OWN)["open_problems"]
    body = {"status": "resolved", "resolution": "协调到位", "review": "submitted"}
    resolved = client.patch(url, json=body, headers=auth(tokens["county_editor"], "*"))
    assert resolved.get_json()["review"] == "submitted"
    assert feature(client, OWN)["open_problems"] == open_before  # still open for the figures
    queue = client.get("/battle/reviews", headers=auth(tokens["dispatcher"])).get_json()
    assert ("problems", ids[("problems", "own")]) in {(i["noun"], i["id"]) for i in queue["items"]}
    client.patch(url, json={"review": "approved"}, headers=auth(tokens["dispatcher"], "*"))
    assert feature(client, OWN)["open_problems"] == open_before - 1
    reopened = client.patch(url, json={"status": "open"}, headers=auth(tokens["dispatcher"], "*"))
    assert reopened.get_json()["review"] is None


@pytest.mark.parametrize(
    ("day", "county_may"),
    [("-05", True), ("-06", False)],
    ids=["on the deadline day", "the day after"],
)
def test_a_month_closes_for_counties_on_the_deadline_day(env, day, county_may):
    client, engine, tokens, ids = env
    month = scalar(engine, "SELECT to_char(mapserver_today(), 'YYYY-MM')")
    following = scalar(
        engine,
        "SELECT to_char(date_trunc('month', mapserver_today()) + interval '1 month', 'YYYY-MM')",
    )
    turn_day(engine, following + day)
    url = f"/battle/investment/{ids[('investment_reports', 'own')]}"
    r = client.patch(url, json={"amount": 77}, headers=auth(tokens["county_editor"], "*"))
    assert r.status_code == (200 if county_may else 403), r.get_json()
    if not county_may:
        assert month in r.get_json()["detail"] and r.get_json()["closed_on"] == following + "-05"
    city = client.patch(url, json={"amount": 78}, headers=auth(tokens["dispatcher"], "*"))
    assert city.status_code == 200


def test_queue_oldest_first_and_for_the_city_only(env):
    client, engine, tokens, _ids = env
    queue = client.get("/battle/reviews", headers=auth(tokens["admin"])).get_json()
    want = scalar(
        engine,
        "SELECT (SELECT count(*) FROM investment_reports WHERE review = 'submitted')"
        " + (SELECT count(*) FROM problems WHERE review = 'submitted')",
    )
    assert queue["numberMatched"] == want > 0
    stamps = [i["submitted_at"] for i in queue["items"]]
    assert stamps == sorted(stamps)
    assert client.get("/battle/reviews", headers=auth(tokens["county_editor"])).status_code == 403
    assert client.get("/battle/reviews").status_code == 401
    bad = client.get("/battle/reviews?county=999999", headers=auth(tokens["admin"]))
    assert bad.status_code == 400 and bad.get_json()["parameter"] == "county"


def test_todo_lists_what_is_missing(env):
    client, engine, tokens, _ = env
    body = client.get("/battle/todo", headers=auth(tokens["county_editor"])).get_json()
    assert body["county"] == GUANG_AN and body["month"] == this_month(engine)
    by_code = {i["project"]: i for i in body["items"]}
    assert by_code[OWN]["investment"]["id"] is None  # this month's report was removed
    want = scalar(
        engine,
        "SELECT count(*) FROM projects p, health_rules h WHERE p.county = :c"
        " AND p.deleted_at IS NULL AND p.status = ANY(h.statuses)",
        c=GUANG_AN,
    )
    assert len(body["items"]) == want
    for item in body["items"]:
        reported = item["investment"]["review"] in ("submitted", "approved")
        assert (
            item["missing"]
            == (not reported) + item["overdue_milestones"] + item["unanswered_callouts"]
        )
    other = client.get(f"/battle/todo?county={YUECHI}", headers=auth(tokens["county_editor"]))
    assert other.status_code == 403
    city = client.get(f"/battle/todo?county={YUECHI}", headers=auth(tokens["dispatcher"]))
    assert city.status_code == 200 and {i["county"] for i in city.get_json()["items"]} == {YUECHI}


@pytest.mark.parametrize(
    "query", ["month=2026-13", "month=9999-01", "county=x", "colour=red", "month=a&month=b"]
)
def test_todo_bad_parameters(env, query):
    client, _, tokens, _ = env
    r = client.get(f"/battle/todo?{query}", headers=auth(tokens["dispatcher"]))
    assert r.status_code == 400 and r.mimetype == "application/problem+json"


EDITOR = Actor(0, "u_county_editor", "county_editor", GUANG_AN)  # as the app signs it
SQL_BYPASSES = {
    "approve": "UPDATE investment_reports SET review = 'approved' WHERE id = :report",
    "return": "UPDATE investment_reports SET review = 'returned', return_reason = 'x'"
    " WHERE id = :report",
    "insert approved": "INSERT INTO investment_reports (project_id, month, amount, review)"
    " SELECT id, date_trunc('month', mapserver_today()), 1, 'approved' FROM projects"
    " WHERE code = :own",
    "insert by default": "INSERT INTO investment_reports (project_id, month, amount)"
    " SELECT id, date_trunc('month', mapserver_today()), 1 FROM projects WHERE code = :own",
    "forge the reviewer": "UPDATE investment_reports SET reviewed_by = 'someone' WHERE id = :report",
    "approve a resolution": "UPDATE problems SET status = 'resolved', resolved_on = raised_on,"
    " resolution = 'x', review = 'approved' WHERE id = :problem",
}


@pytest.mark.parametrize("bypass", list(SQL_BYPASSES))
def test_the_database_refuses_a_county_editors_review_moves_in_sql(env, bypass):
    _, engine, _, ids = env
    params = {"report": ids[("investment_reports", "own")], "problem": ids[("problems", "own")]}
    params["own"] = OWN
    with engine.connect() as conn, pytest.raises(sa.exc.DBAPIError) as caught:
        with conn.begin():
            conn.execute(sa.text("SET LOCAL ROLE mapserver_app"))
            claims.claim(conn, EDITOR)
            conn.execute(sa.text(SQL_BYPASSES[bypass]), params)
    assert caught.value.orig.sqlstate in ("42501", "23514")  # refused, or a check violated
