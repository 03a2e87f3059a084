"""The battle_projects view on its trigger-kept summary (migration 0006) answers exactly as
0005's per-row sub-queries did, on any day and after any kind of record write."""

from __future__ import annotations

import datetime as dt
import importlib.util

import pytest
import sqlalchemy as sa

from mapserver.settings import ROOT
from mapserver.store.db import make_engine

COLUMNS = "id, health, overdue, days_late, points_behind, year_to_date, open_problems"
COLUMNS += ", overdue_callouts, pending_investment, pending_reviews"
# 0007: approved reports and resolutions only; what awaits review beside them.
APPROVED = (
    ("FROM investment_reports\n    WHERE project_id = p.id AND",
     "FROM investment_reports\n    WHERE review = 'approved' AND project_id = p.id AND"),
    ("FILTER (WHERE status = 'open')", "FILTER (WHERE review IS DISTINCT FROM 'approved')"),
    ("FILTER (WHERE status = 'open' AND", "FILTER (WHERE review IS DISTINCT FROM 'approved' AND"),
    ("    c.overdue AS overdue_callouts\n",
     "    c.overdue AS overdue_callouts,\n"
     "    (SELECT coalesce(sum(amount), 0) FROM investment_reports"
     "     WHERE project_id = p.id AND review = 'submitted') AS pending_investment,\n"
     "    (SELECT count(*) FROM (SELECT 1 FROM investment_reports WHERE project_id = p.id"
     "     AND review = 'submitted' UNION ALL SELECT 1 FROM problems WHERE project_id = p.id"
     "     AND review = 'submitted') s) AS pending_reviews\n"),
)  # fmt: skip


def sub_query_view() -> str:
    """0005's definition with 0007's review, as a temporary view: the reference the summary
    must equal."""
    path = ROOT / "migrations" / "versions" / "0005_battle.py"
    spec = importlib.util.spec_from_file_location("migration_0005", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    view = module.VIEW.replace("CREATE VIEW battle_projects", "CREATE TEMP VIEW reference")
    for old, new in APPROVED:
        assert old in view, old
        view = view.replace(old, new)
    return view


@pytest.fixture
def conn(fresh_url):
    engine = make_engine(fresh_url, 1)
    with engine.connect() as conn:
        conn.execute(sa.text(sub_query_view()))
        yield conn
        conn.rollback()
    engine.dispose()


def days(conn: sa.Connection) -> list[dt.date]:
    """Today, the turns of the years, and the day before, of and after every date in the
    records: where a comparison could be off by one."""
    today = conn.execute(sa.text("SELECT mapserver_today()")).scalar_one()
    dates = conn.execute(sa.text(
        "SELECT planned_date FROM milestones UNION SELECT month FROM investment_reports"
        " UNION SELECT due_date FROM problems WHERE due_date IS NOT NULL"
        " UNION SELECT deadline FROM callouts")).scalars().all()  # fmt: skip
    chosen = {today, dt.date(today.year, 1, 1), dt.date(today.year - 1, 12, 31)}
    chosen |= {dt.date(today.year + 1, 1, 1), dt.date(2028, 2, 29), dt.date(2028, 3, 1)}
    for d in sorted(dates)[:: max(1, len(dates) // 25)]:
        chosen |= {d - dt.timedelta(days=1), d, d + dt.timedelta(days=1)}
    return sorted(chosen)


def assert_equal_on(conn: sa.Connection, day: dt.date) -> None:
    conn.execute(sa.text("SELECT set_config('mapserver.today', :d, false)"), {"d": str(day)})
    got = conn.execute(sa.text(f"SELECT {COLUMNS} FROM battle_projects ORDER BY id")).all()
    want = conn.execute(sa.text(f"SELECT {COLUMNS} FROM reference ORDER BY id")).all()
    assert got == want, day


def test_equal_to_the_sub_queries_on_every_edge_day(conn):
    checked = days(conn)
    assert len(checked) > 40
    for day in checked:
        assert_equal_on(conn, day)


WRITES = {
    "milestone done": "UPDATE milestones SET actual_date = planned_date"
    " WHERE id IN (SELECT min(id) FROM milestones WHERE actual_date IS NULL GROUP BY project_id)",
    "milestone reopened": "UPDATE milestones SET actual_date = NULL WHERE id % 3 = 0",
    "milestone moved": "UPDATE milestones SET planned_date = planned_date - 40 WHERE id % 4 = 1",
    "milestone deleted": "DELETE FROM milestones WHERE id % 5 = 0",
    "report changed": "UPDATE investment_reports SET amount = amount * 2 WHERE id % 3 = 0",
    "report deleted": "DELETE FROM investment_reports WHERE id % 4 = 0",
    "report added": "INSERT INTO investment_reports (project_id, month, amount)"
    " SELECT p.id, date_trunc('month', mapserver_today() + 40)::date, 123.45 FROM projects p"
    " WHERE p.id % 7 = 0 ON CONFLICT DO NOTHING",
    "problem resolved": "UPDATE problems SET status = 'resolved', resolution = 'done',"
    " resolved_on = raised_on, review = CASE WHEN id % 4 = 0 THEN 'approved' ELSE 'submitted'"
    " END WHERE id % 2 = 0",
    "resolution returned": "UPDATE problems SET review = 'returned', return_reason = 'x'"
    " WHERE review IS NOT NULL",
    "report submitted": "UPDATE investment_reports SET review = 'submitted' WHERE id % 3 = 1",
    "report returned": "UPDATE investment_reports SET review = 'returned', return_reason = 'x'"
    " WHERE id % 5 = 2",
    "report approved again": "UPDATE investment_reports SET review = 'approved'"
    " WHERE review = 'submitted' AND id % 2 = 0",
    "problem added": "INSERT INTO problems (project_id, description, raised_on, responsible_unit,"
    " due_date) SELECT id, 'x', mapserver_today() - 9, 'u', mapserver_today() - 1 FROM projects"
    " WHERE id % 9 = 0",
    "callout responded": "UPDATE callouts SET status = 'responded', response = 'x',"
    " responded_on = issued_on WHERE status = 'issued'",
    "record moved to another project": "UPDATE milestones SET project_id = project_id % 50 + 1"
    " WHERE id % 6 = 2",
    "callout moved": "UPDATE callouts SET project_id = project_id % 40 + 1",
}


@pytest.mark.parametrize("write", list(WRITES))
def test_equal_after_a_write(conn, write):
    before = conn.execute(sa.text("SELECT count(*) FROM project_record_summary")).scalar_one()
    assert conn.execute(sa.text(WRITES[write])).rowcount > 0
    for day in days(conn)[::4]:
        assert_equal_on(conn, day)
    assert conn.execute(sa.text("SELECT count(*) FROM project_record_summary")).scalar() >= before


def test_purging_a_project_purges_its_summary(conn):
    pid = conn.execute(sa.text("SELECT project_id FROM callouts LIMIT 1")).scalar_one()
    conn.execute(sa.text("DELETE FROM projects WHERE id = :p"), {"p": pid})
    left = "SELECT count(*) FROM project_record_summary WHERE project_id = :p"
    assert conn.execute(sa.text(left), {"p": pid}).scalar_one() == 0
    assert_equal_on(conn, dt.date.today())
