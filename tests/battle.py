"""Helpers for the battle-map tests: an app on a private database with a token per role,
and a few records of known counties written directly (as the owner, like the loader):
the investment report is this month's draft, so county editors may still change it."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from mapserver import create_app
from mapserver.accounts import credentials, users
from mapserver.store.db import make_engine
from tests import apps

GUANG_AN = "511602"  # the county editor's county
YUECHI = "511621"
OWN = "GA-2024-001"  # a project in 广安区
OTHER = "GA-2026-003"  # a project in 岳池县
ROLES = [("admin", None), ("dispatcher", None), ("county_editor", GUANG_AN), ("viewer", None)]

FIXTURES = """
INSERT INTO milestones (project_id, name, planned_date) VALUES (:p, '测试节点', '2026-03-01');
DELETE FROM investment_reports WHERE project_id IN (:p, :sibling)
    AND month = date_trunc('month', mapserver_today());
INSERT INTO investment_reports (project_id, month, amount, review)
    VALUES (:sibling, date_trunc('month', mapserver_today()), 10, 'draft');
INSERT INTO problems (project_id, description, raised_on, responsible_unit)
    VALUES (:p, '测试问题', '2026-03-01', '测试单位');
INSERT INTO callouts (project_id, responsible_unit, issued_by, issued_on, deadline, demand)
    VALUES (:p, '测试单位', 'dispatcher', '2026-03-01', '2026-03-15', '测试要求');
"""
TABLES = ("milestones", "investment_reports", "problems", "callouts")
# Another project of the same county: its report of this month is a draft (the projects'
# own reports of this month are removed, so that one may be created).
SIBLING = """SELECT s.id FROM projects s JOIN projects p ON p.county = s.county
WHERE p.id = :p AND s.id <> p.id AND s.deleted_at IS NULL ORDER BY s.id LIMIT 1"""


@contextmanager
def battle_env(url: str) -> Iterator[tuple]:
    """(client, engine, tokens, ids): ids[(table, 'own'|'other')] is a record's id."""
    app = create_app({"database_url": url})
    engine = make_engine(url, 2)
    tokens = {}
    for role, county in ROLES:
        account, _ = users.create_user(engine, f"u_{role}", role, county)
        tokens[role] = credentials.issue_token(engine, account.id, "test")[1]
    revoked_id, tokens["revoked"] = credentials.issue_token(engine, account.id, "old")
    credentials.revoke_token(engine, revoked_id)
    tokens["anonymous"] = None
    ids = {}
    with engine.begin() as conn:
        for where, code in (("own", OWN), ("other", OTHER)):
            pid = conn.execute(sa.text("SELECT id FROM projects WHERE code = :c"), {"c": code})
            pid = pid.scalar_one()
            sibling = conn.execute(sa.text(SIBLING), {"p": pid}).scalar_one()
            for statement in FIXTURES.strip().split(";"):
                if statement.strip():
                    conn.execute(sa.text(statement), {"p": pid, "sibling": sibling})
            for table in TABLES:
                sql = f"SELECT max(id) FROM {table} WHERE project_id = :p"
                owner = sibling if table == "investment_reports" else pid
                ids[(table, where)] = conn.execute(sa.text(sql), {"p": owner}).scalar_one()
    try:
        yield app.test_client(), engine, tokens, ids
    finally:
        apps.close(app)
        engine.dispose()


def auth(token: str | None, etag: str | None = None) -> dict:
    h = {}
    if token:
        h["Authorization"] = f"Bearer {token}"
    if etag:
        h["If-Match"] = etag
    return h


def snapshot(engine) -> tuple:
    """Everything a write touches: every record table, history, change log, published lists."""
    parts = [f"(SELECT coalesce(jsonb_agg(to_jsonb(t) - 'updated_at' ORDER BY id), '[]') FROM {t} t)"
             for t in (*TABLES, "ranking_periods")]  # fmt: skip
    parts += ["(SELECT count(*) FROM record_history)", "(SELECT count(*) FROM change_log)"]
    with engine.connect() as conn:
        return tuple(conn.execute(sa.text(f"SELECT {', '.join(parts)}")).one())


def turn_day(engine: sa.Engine, day: str) -> None:
    """Midnight for every open session at once: ``mapserver_today()`` redefined to ``day``
    (``mapserver.today`` reaches new connections only; tests' databases are thrown away)."""
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "CREATE OR REPLACE FUNCTION mapserver_today() RETURNS date LANGUAGE sql STABLE "
                f"AS $$ SELECT date '{day}' $$"
            )
        )


def past_periods(engine: sa.Engine) -> dict[str, tuple[str, str, str]]:
    """Finished periods relative to the database's today, so a test passes on any date:
    ``last_month``, ``month_before`` and ``last_quarter`` as (name, first day, last day)."""
    with engine.connect() as conn:
        today = conn.execute(sa.text("SELECT mapserver_today()")).scalar_one()
    last = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    before = (last - dt.timedelta(days=1)).replace(day=1)
    quarter = (today.month - 1) // 3
    year, q = (today.year, quarter) if quarter else (today.year - 1, 4)
    start, end = dt.date(year, 3 * q - 2, 1), dt.date(year, 3 * q, 1)
    end = end.replace(day=calendar.monthrange(year, 3 * q)[1])

    def month(d: dt.date) -> tuple[str, str, str]:
        days = calendar.monthrange(d.year, d.month)[1]
        return f"{d:%Y-%m}", d.isoformat(), d.replace(day=days).isoformat()

    return {
        "last_month": month(last),
        "month_before": month(before),
        "last_quarter": (f"{year}-Q{q}", start.isoformat(), end.isoformat()),
    }
