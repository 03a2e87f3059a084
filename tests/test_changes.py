"""What changed (本期变化): ``/changes`` against figures taken independently.

History is made by writing with SQL (as the owner, like the loader) in batches, and moving
each batch's history rows to a chosen instant (the history is append-only, so with triggers
off for that one statement). After each simulated day the test records what the database's
own ``battle_projects`` view says with ``mapserver_today()`` turned to that day, and the
approved investment per project straight from the table: ``/changes`` rebuilds both from the
history alone and must agree.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from mapserver.battle import health
from mapserver.features import change_health, history
from mapserver.store.db import make_engine
from tests.battle import turn_day

START, END = "2026-05-31", "2026-06-20"  # the window (START, END]
LAGGING = ("lagging", "seriously_lagging")
SEVERITY = {None: 0, "not_tracked": 0, "on_track": 0, "lagging": 1, "seriously_lagging": 2}
NEW_PROJECT = """INSERT INTO projects (code, name, level, working_group, county, status,
    owner_unit, total_investment, annual_plan, completed_this_year)
SELECT :code, :name, level, working_group, county, 'under_construction', owner_unit,
    total_investment, 100000, 0 FROM projects WHERE code = :like"""


@pytest.fixture
def env(fresh_url, make_app):
    app = make_app(database_url=fresh_url)
    engine = make_engine(fresh_url, 2)
    try:
        yield app.test_client(), engine
    finally:
        engine.dispose()


def marks(conn) -> tuple[int, int]:
    sql = "SELECT (SELECT coalesce(max(id), 0) FROM record_history),"
    sql += " (SELECT coalesce(max(id), 0) FROM project_history)"
    return tuple(conn.execute(sa.text(sql)).one())


def backdate(engine, since: tuple[int, int], at: str) -> tuple[int, int]:
    """Move the history written after ``since`` to the instant ``at``; the new marks."""
    with engine.begin() as conn:
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        for table, mark in zip(("record_history", "project_history"), since):
            sql = f"UPDATE {table} SET at = CAST(:at AS timestamptz) WHERE id > :mark"
            conn.execute(sa.text(sql), {"at": at, "mark": mark})
        return marks(conn)


def has_review(conn, table: str) -> bool:
    sql = (
        "SELECT 1 FROM information_schema.columns WHERE table_name = :t AND column_name = 'review'"
    )
    return conn.execute(sa.text(sql), {"t": table}).first() is not None


def approved_sql(conn) -> str:
    return "r.review = 'approved'" if has_review(conn, "investment_reports") else "true"


def observe(engine, day: str) -> dict:
    """The view's health of every live project on ``day``, and its approved investment."""
    turn_day(engine, day)
    with engine.connect() as conn:
        health = dict(
            conn.execute(
                sa.text("SELECT code, health FROM battle_projects WHERE deleted_at IS NULL")
            ).all()
        )
        money = dict(conn.execute(sa.text(
            "SELECT p.code, coalesce(sum(r.amount) FILTER (WHERE " + approved_sql(conn) + "), 0)"
            " FROM projects p LEFT JOIN investment_reports r ON r.project_id = p.id"
            " GROUP BY p.code")).all())  # fmt: skip
    return {"health": health, "money": money}


def run(engine, statements: list[tuple[str, dict]]) -> None:
    with engine.begin() as conn:
        review = has_review(conn, "problems")
        for sql, params in statements:
            if review and "SET status = 'resolved'" in sql:
                sql = sql.replace("SET status", "SET review = 'approved', status")
            conn.execute(sa.text(sql), params)


def one(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar_one()


def problem(project: str, text: str) -> tuple[str, dict]:
    sql = "INSERT INTO problems (project_id, description, raised_on, responsible_unit)"
    sql += " SELECT id, :d, '2026-06-01', '测试单位' FROM projects WHERE code = :c"
    return sql, {"d": text, "c": project}


def make_history(engine) -> dict:
    """Three batches: in the window (two, one a minute before its end in Guang'an) and one
    just after it (ten minutes past midnight there, still the same day in UTC)."""
    backdate(engine, (0, 0), "2026-05-10 12:00+08")  # the demo: before the window
    before = observe(engine, START)
    picks = pick(engine)
    since = marks_now(engine)
    run(engine, batch_in_window(picks))
    since = backdate(engine, since, "2026-06-12 09:00+08")
    run(engine, [problem(picks["status"], "窗口末尾的问题")])
    since = backdate(engine, since, "2026-06-20 23:50+08")
    after = observe(engine, END)
    run(engine, batch_after(picks))
    backdate(engine, since, "2026-06-21 00:10+08")
    turn_day(engine, "2026-06-25")
    return {"before": before, "after": after, "picks": picks}


def marks_now(engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return marks(conn)


def pick(engine) -> dict:
    """Projects to change, chosen on the window's first day (``observe`` turned to it)."""
    tracked = "status IN ('preparing', 'under_construction', 'suspended')"
    status = one(
        engine,
        "SELECT code FROM battle_projects WHERE status = 'under_construction'"
        " AND health IN ('lagging', 'seriously_lagging') ORDER BY code LIMIT 1",
    )
    late = one(
        engine,
        f"SELECT code FROM battle_projects WHERE {tracked} AND health = 'on_track'"
        " AND code <> :s ORDER BY code LIMIT 1",
        s=status,
    )
    resolved = one(engine, "SELECT min(id) FROM problems WHERE status = 'open'")
    answered = one(engine, "SELECT min(id) FROM callouts WHERE status = 'issued'")
    closed = one(engine, "SELECT max(id) FROM callouts WHERE status = 'issued'")
    report = one(engine, "SELECT min(id) FROM investment_reports")
    busy = "SELECT project_id FROM problems UNION SELECT project_id FROM callouts"
    busy += " UNION SELECT project_id FROM investment_reports"
    gone = one(engine, f"SELECT code FROM projects WHERE id NOT IN ({busy}) AND code NOT IN"
               " (:s, :l) ORDER BY code LIMIT 1", s=status, l=late)  # fmt: skip
    return {"status": status, "late": late, "resolved": resolved, "answered": answered,
            "closed": closed, "report": report, "gone": gone}  # fmt: skip


def batch_in_window(p: dict) -> list[tuple[str, dict]]:
    return [
        (NEW_PROJECT, {"code": "CHG-NEW-1", "name": "本期新增项目", "like": p["status"]}),
        ("INSERT INTO investment_reports (project_id, month, amount) SELECT id, '2026-06-01',"
         " 1234.56 FROM projects WHERE code = 'CHG-NEW-1'", {}),
        ("UPDATE projects SET status = 'completed' WHERE code = :c", {"c": p["status"]}),
        ("INSERT INTO milestones (project_id, name, planned_date) SELECT id, '本期节点',"
         " '2026-06-01' FROM projects WHERE code = :c", {"c": p["late"]}),
        ("UPDATE investment_reports SET amount = amount + 100 WHERE id = :i", {"i": p["report"]}),
        problem(p["status"], "本期问题"),
        problem(p["gone"], "已删除项目的问题"),
        ("UPDATE problems SET status = 'resolved', resolved_on = greatest(raised_on,"
         " date '2026-06-12'), resolution = '已解决' WHERE id = :i", {"i": p["resolved"]}),
        ("INSERT INTO callouts (project_id, responsible_unit, issued_by, issued_on, deadline,"
         " demand) SELECT id, '测试单位', 'dispatcher', '2026-06-12', '2026-06-30', '本期点球'"
         " FROM projects WHERE code = :c", {"c": p["late"]}),
        ("UPDATE callouts SET status = 'responded', response = '已整改', responded_on ="
         " greatest(issued_on, date '2026-06-12') WHERE id = :i", {"i": p["answered"]}),
        ("UPDATE callouts SET status = 'closed', closed_on = greatest(issued_on,"
         " date '2026-06-12') WHERE id = :i", {"i": p["closed"]}),
        ("UPDATE projects SET deleted_at = now() WHERE code = :c", {"c": p["gone"]}),
    ]  # fmt: skip


def batch_after(p: dict) -> list[tuple[str, dict]]:
    return [
        (NEW_PROJECT, {"code": "CHG-NEW-2", "name": "窗口之后的项目", "like": p["late"]}),
        ("INSERT INTO investment_reports (project_id, month, amount) SELECT id, '2026-05-01',"
         " 777 FROM projects WHERE code = 'CHG-NEW-1'", {}),
        ("UPDATE projects SET status = 'suspended' WHERE code = :c", {"c": p["late"]}),
        problem(p["late"], "窗口之后的问题"),
    ]  # fmt: skip


@pytest.fixture
def made(env):
    client, engine = env
    return client, engine, make_history(engine)


def expected_health(made_doc: dict, live: set[str]) -> tuple[dict, dict]:
    before, after = made_doc["before"]["health"], made_doc["after"]["health"]
    lagging, recovered = {}, {}
    for code in live:
        was, now = before.get(code), after.get(code)
        if now in LAGGING and SEVERITY[now] > SEVERITY[was]:
            lagging[code] = (was, now)
        elif was in LAGGING and now is not None and now not in LAGGING:
            recovered[code] = (was, now)
    return lagging, recovered


def live_projects(engine, county: str | None = None) -> dict[str, str]:
    sql = "SELECT code, county FROM projects WHERE deleted_at IS NULL"
    with engine.connect() as conn:
        rows = conn.execute(sa.text(sql)).all()
    return {code: c for code, c in rows if county is None or c == county}


def added_money(made_doc: dict, live: dict[str, str]) -> dict[str, Decimal]:
    before, after = made_doc["before"]["money"], made_doc["after"]["money"]
    out: dict[str, Decimal] = {}
    for code, county in live.items():
        gain = after.get(code, Decimal(0)) - before.get(code, Decimal(0))
        out[county] = out.get(county, Decimal(0)) + gain
    return {c: a for c, a in out.items() if a}


def test_changes_equal_the_view_and_the_tables_of_each_day(made):
    client, engine, m = made
    p = m["picks"]
    response = client.get(f"/changes?from={START}&to={END}")
    assert response.status_code == 200, response.get_json()
    doc = response.get_json()
    assert (doc["from"], doc["to"], doc["today"]) == (START, END, "2026-06-25")
    version = one(engine, "SELECT max(id) FROM change_log")
    assert doc["version"] == version and response.headers["X-Data-Version"] == str(version)
    assert [n["code"] for n in doc["new_projects"]] == ["CHG-NEW-1"]
    assert doc["new_projects"][0]["created_at"] == "2026-06-12T09:00:00+08:00"
    changes = [(s["code"], s["from"], s["to"]) for s in doc["status_changes"]]
    assert changes == [(p["status"], "under_construction", "completed")]
    live = live_projects(engine)
    lagging, recovered = expected_health(m, set(live))
    got = {i["code"]: (i["health_from"], i["health_to"]) for i in doc["became_lagging"]}
    assert got == lagging and p["late"] in got and got["CHG-NEW-1"][0] is None
    got = {i["code"]: (i["health_from"], i["health_to"]) for i in doc["recovered"]}
    assert got == recovered and got[p["status"]][1] == "not_tracked"
    money = added_money(m, live)
    assert Decimal(str(doc["investment"]["total"])) == sum(money.values()) == Decimal("1334.56")
    got = {c["county"]: Decimal(str(c["amount"])) for c in doc["investment"]["by_county"]}
    assert got == money
    by_group = sum(Decimal(str(g["amount"])) for g in doc["investment"]["by_working_group"])
    assert by_group == sum(money.values())
    problems, callouts = doc["problems"], doc["callouts"]
    assert (problems["raised"], problems["resolved"]) == (2, 1)
    assert {i["code"] for i in problems["items"]} <= {p["status"], *live}
    assert [i["id"] for i in problems["items"] if i["event"] == "resolved"] == [p["resolved"]]
    assert (callouts["issued"], callouts["answered"], callouts["closed"]) == (1, 1, 1)
    assert {i["id"]: i["event"] for i in callouts["items"] if i["event"] != "issued"} == {
        p["answered"]: "answered", p["closed"]: "closed"}  # fmt: skip
    assert doc["counts"] == {
        "new_projects": 1, "status_changes": 1, "became_lagging": len(lagging),
        "recovered": len(recovered), "investment": 1334.56, "problems_raised": 2,
        "problems_resolved": 1, "callouts_issued": 1, "callouts_answered": 1,
        "callouts_closed": 1,
    }  # fmt: skip
    assert p["gone"] not in str(doc)


def test_the_default_window_ends_today_and_starts_at_the_previous_month_end(made):
    client, engine, _ = made
    turn_day(engine, END)
    doc = client.get("/changes").get_json()
    explicit = client.get(f"/changes?from={START}&to={END}").get_json()
    assert (doc["from"], doc["to"]) == (START, END) and doc == explicit
    assert client.get(f"/changes?to={END}").get_json()["from"] == START


def test_filters_narrow_every_list(made):
    client, engine, m = made
    county = one(engine, "SELECT county FROM projects WHERE code = :c", c=m["picks"]["late"])
    doc = client.get(f"/changes?from={START}&to={END}&county={county}").get_json()
    live = live_projects(engine, county)
    lagging, recovered = expected_health(m, set(live))
    assert {i["code"] for i in doc["became_lagging"]} == set(lagging)
    assert {i["code"] for i in doc["recovered"]} == set(recovered)
    money = added_money(m, live)
    assert Decimal(str(doc["investment"]["total"])) == sum(money.values(), Decimal(0))
    lists = [doc["new_projects"], doc["status_changes"], doc["problems"]["items"]]
    lists += [doc["callouts"]["items"], doc["investment"]["items"]]
    assert all(i["county"] == county for items in lists for i in items)
    assert doc["callouts"]["issued"] == 1  # the new one is on the "late" project
    other = client.get(f"/changes?from={START}&to={END}&county={county}&status=reserve")
    assert other.get_json()["counts"]["callouts_issued"] == 0


def test_a_window_after_the_changes_sees_only_what_came_later(made):
    client, _engine, m = made
    doc = client.get(f"/changes?from={END}&to=2026-06-25").get_json()
    assert [n["code"] for n in doc["new_projects"]] == ["CHG-NEW-2"]
    assert [(s["code"], s["to"]) for s in doc["status_changes"]] == [
        (m["picks"]["late"], "suspended")]  # fmt: skip
    assert doc["problems"]["raised"] == 1 and doc["investment"]["total"] == 777.0


BAD = [
    ("from=2026-13-01", "from"),
    ("from=20260101", "from"),
    ("to=2026-02-30", "to"),
    ("to=yesterday", "to"),
    ("to=", "to"),
    ("from=%00", "from"),
    ("to=2999-01-01", "to"),
    ("county=", "county"),
    ("from=2026-06-02&to=2026-06-01", "from"),
    ("from=2025-01-01&to=2026-06-01", "from"),
    ("from=2026-01-01&from=2026-02-01", "from"),
    ("health=lagging", "health"),
    ("limit=10", "limit"),
    ("county=999999", "county"),
    ("status=built", "status"),
]


@pytest.mark.parametrize(("query", "parameter"), BAD)
def test_bad_input_is_a_problem_naming_the_parameter(client, query, parameter):
    response = client.get(f"/changes?{query}")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["parameter"] == parameter


def test_an_empty_window_and_a_whole_year_are_fine(client):
    doc = client.get("/changes?from=2026-03-01&to=2026-03-01").get_json()
    assert doc["counts"]["new_projects"] == 0 and doc["investment"]["total"] == 0
    assert client.get("/changes?from=2025-03-01&to=2026-03-02").status_code == 200


def test_the_report_has_the_section_in_html_and_xlsx(made):
    client, _engine, _m = made
    want = client.get("/changes?from=2026-05-31&to=2026-06-25").get_json()
    rows = sum(want["counts"][k] for k in ("new_projects", "status_changes", "became_lagging"))
    rows += want["counts"]["recovered"] + len(want["investment"]["items"])
    rows += len(want["problems"]["items"]) + len(want["callouts"]["items"])
    html = client.get("/report?period=2026-06").get_data(as_text=True)
    assert "本期变化" in html and 'id="table-changes"' in html
    assert f'data-changes-from="{START}"' in html and 'data-changes-to="2026-06-25"' in html
    assert "CHG-NEW-2" in html and f'data-rows="{rows}"' in html
    book = load_workbook(io.BytesIO(client.get("/report.xlsx?period=2026-06").data))
    sheet = book["本期变化"]
    assert "本期变化" in sheet["A1"].value and sheet.max_row - 2 == rows
    assert "CHG-NEW-1" in [r[1] for r in sheet.iter_rows(min_row=3, values_only=True)]


def test_the_report_without_a_period_uses_the_default_window(made):
    client, _engine, _m = made
    html = client.get("/report").get_data(as_text=True)
    assert 'data-changes-from="2026-05-31"' in html and 'data-changes-to="2026-06-25"' in html


def test_a_day_boundary_is_guang_ans_midnight(made):
    """The last batch is at 00:10 on 21 June in Guang'an, still 20 June in UTC."""
    client, _engine, _m = made
    early = client.get(f"/changes?from={START}&to={END}").get_json()
    assert "CHG-NEW-2" not in str(early)
    late = client.get(f"/changes?from={START}&to=2026-06-21").get_json()
    assert "CHG-NEW-2" in [n["code"] for n in late["new_projects"]]
    assert dt.date.fromisoformat(late["to"]) == dt.date(2026, 6, 21)


def test_approved_means_review_approved_or_no_review_at_all():
    assert change_health.approved({"amount": 1})
    assert change_health.approved({"review": "approved"})
    assert not change_health.approved({"review": "submitted"}) and not change_health.approved(None)


def test_a_milestone_finished_later_was_late_until_then(env):
    """Small case: rows rebuilt for a day between two writes are the rows of that day."""
    _client, engine = env
    backdate(engine, (0, 0), "2026-05-10 12:00+08")
    code = one(engine, "SELECT code FROM projects WHERE status = 'under_construction' LIMIT 1")
    pid = one(engine, "SELECT id FROM projects WHERE code = :c", c=code)
    since = marks_now(engine)
    run(engine, [("INSERT INTO milestones (project_id, name, planned_date) VALUES (:p, '小节点',"
                  " '2026-06-01')", {"p": pid})])  # fmt: skip
    since = backdate(engine, since, "2026-06-05 10:00+08")
    run(engine, [("UPDATE milestones SET actual_date = '2026-06-10' WHERE project_id = :p AND"
                  " name = '小节点'", {"p": pid})])  # fmt: skip
    backdate(engine, since, "2026-06-15 10:00+08")
    rules = health.HealthRules(statuses=("under_construction",))
    columns = ("t.project_id", "t.name", "t.planned_date", "t.actual_date")
    with engine.connect() as conn:
        states = {d: history.rows_at(conn, "milestones", dt.date(2026, 6, d), [pid], columns)
                  for d in (4, 12, 15)}  # fmt: skip
        project = history.rows_at(
            conn, "projects", dt.date(2026, 6, 12), [pid], change_health.PROJECT_COLUMNS
        )[0]
    mine = {d: [m for m in rows if m.name == "小节点"] for d, rows in states.items()}
    assert mine[4] == [] and mine[12][0].actual_date is None
    assert mine[15][0].actual_date == dt.date(2026, 6, 10)
    day = dt.date(2026, 6, 12)
    zero = SimpleNamespace(**{**project._asdict(), "annual_plan": 0})  # milestones alone decide
    assert change_health.assess(zero, mine[12], [], day, rules) == "lagging"
    assert change_health.assess(zero, mine[15], [], day, rules) == "on_track"
    gone = SimpleNamespace(**{**zero.__dict__, "deleted_at": day})
    assert change_health.assess(gone, [], [], day, rules) is None


def test_with_review_only_approval_adds_investment_and_resolves(env):
    """Reports and problems have ``review`` (migration 0007): approval is what counts."""
    client, engine = env
    backdate(engine, (0, 0), "2026-05-10 12:00+08")
    code = one(engine, "SELECT code FROM projects ORDER BY code LIMIT 1")
    problem_id = one(engine, "SELECT min(id) FROM problems WHERE status = 'open'")
    since = marks_now(engine)
    report = ("INSERT INTO investment_reports (project_id, month, amount, review) SELECT id,"
              " :m, :a, :r FROM projects WHERE code = :c")  # fmt: skip
    resolve = ("UPDATE problems SET status = 'resolved', review = :r, resolved_on = raised_on,"
               " resolution = '已解决' WHERE id = :i")  # fmt: skip
    with engine.begin() as conn:
        conn.execute(sa.text(report), {"m": "2019-01-01", "a": 50, "r": "submitted", "c": code})
        conn.execute(sa.text(report), {"m": "2019-02-01", "a": 70, "r": "approved", "c": code})
        conn.execute(sa.text(resolve), {"r": "submitted", "i": problem_id})
    since = backdate(engine, since, "2026-06-05 10:00+08")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE investment_reports SET review = 'approved' WHERE amount = 50"
                             " AND month = '2019-01-01' AND review = 'submitted'"))  # fmt: skip
        conn.execute(sa.text(resolve), {"r": "approved", "i": problem_id})
    backdate(engine, since, "2026-06-15 10:00+08")
    turn_day(engine, "2026-06-20")
    first = client.get("/changes?from=2026-05-31&to=2026-06-10").get_json()
    assert first["investment"]["total"] == 70.0 and first["problems"]["resolved"] == 0
    second = client.get("/changes?from=2026-06-10&to=2026-06-20").get_json()
    assert second["investment"]["total"] == 50.0 and second["problems"]["resolved"] == 1
    assert [i["id"] for i in second["problems"]["items"]] == [problem_id]
