"""Project health from a per-project summary of its records, kept by triggers.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26

0005's ``battle_projects`` view ran four aggregate sub-queries per project on every read:
the 100-feature page of a 100,000-project layer fell from 265 to 140 requests a second.
The records change rarely and the map reads all day, so each write now keeps one summary
row per project (``project_record_summary``) and the view only does arithmetic on it.

The summary holds nothing that depends on the day, so the view still answers for
``mapserver_today()`` (and rehearsal days) exactly as before: the earliest unfinished
milestone gives the days late; the months reported, sorted, with their running totals give
the year to date by binary search (``width_bucket``); the sorted deadlines of issued 点球
give how many are overdue; the earliest due date of an open problem whether one is.
"""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

APP_ROLE = "mapserver_app"
RECORDS = ("milestones", "investment_reports", "problems", "callouts")

SUMMARISE = """
CREATE FUNCTION mapserver_summarise(pid bigint) RETURNS void LANGUAGE sql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
    INSERT INTO project_record_summary AS s
    SELECT pid,
        (SELECT min(planned_date) FROM milestones
         WHERE project_id = pid AND actual_date IS NULL),
        coalesce(r.months, '{}'), coalesce(r.totals, '{}'),
        (SELECT count(*) FROM problems WHERE project_id = pid AND status = 'open'),
        (SELECT min(due_date) FROM problems WHERE project_id = pid AND status = 'open'),
        coalesce((SELECT array_agg(deadline ORDER BY deadline) FROM callouts
                  WHERE project_id = pid AND status = 'issued'), '{}')
    FROM (SELECT array_agg(month ORDER BY month) AS months,
                 array_agg(total ORDER BY month) AS totals
          FROM (SELECT month, sum(amount) OVER (ORDER BY month) AS total
                FROM investment_reports WHERE project_id = pid) m) r
    WHERE EXISTS (SELECT 1 FROM projects WHERE id = pid)  -- not while it is being purged
    ON CONFLICT (project_id) DO UPDATE SET
        first_open_milestone = EXCLUDED.first_open_milestone,
        report_months = EXCLUDED.report_months, report_totals = EXCLUDED.report_totals,
        open_problems = EXCLUDED.open_problems, first_open_due = EXCLUDED.first_open_due,
        issued_deadlines = EXCLUDED.issued_deadlines
$$
"""

SUMMARY_TRIGGER = """
CREATE FUNCTION mapserver_summary_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM mapserver_summarise(OLD.project_id);
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.project_id <> OLD.project_id) THEN
        PERFORM mapserver_summarise(NEW.project_id);
    END IF;
    RETURN NULL;
END $$
"""

# Everything that depends only on the day is computed once per query in ``d`` (OFFSET 0
# keeps PostgreSQL from copying those expressions into every row), and a project's year to
# date and days late once per row in ``x``: repeated per row, the arithmetic cost as much as
# the sub-queries did. Year to date: the running total at the last month <= today minus that
# at the last month of an earlier year (``width_bucket`` = how many sorted months are <= a
# day; index 0 is NULL). Behind by at least `points` ⇔ 100·doy·plan − 100·ytd·diy ≥
# points·diy·plan, exactly as mapserver_behind (0005) and mapserver/battle/health.py.
VIEW = """
CREATE VIEW battle_projects AS
SELECT p.*,
    CASE WHEN NOT p.status = ANY (d.statuses) THEN 'not_tracked'
         WHEN x.late >= d.seriously_lagging_days OR (p.annual_plan > 0 AND d.elapsed
              * p.annual_plan - 100 * x.ytd * d.diy >= d.seriously_lagging_points * d.diy
              * p.annual_plan)
         THEN 'seriously_lagging'
         WHEN x.late >= d.lagging_days OR (p.annual_plan > 0 AND d.elapsed
              * p.annual_plan - 100 * x.ytd * d.diy >= d.lagging_points * d.diy
              * p.annual_plan)
         THEN 'lagging'
         ELSE 'on_track' END AS health,
    coalesce(s.first_open_due < d.today OR s.issued_deadlines[1] < d.today, false) AS overdue,
    x.late AS days_late,
    CASE WHEN p.annual_plan > 0 THEN round(d.share - 100 * x.ytd / p.annual_plan, 2) END
        AS points_behind,
    x.ytd AS year_to_date,
    coalesce(s.open_problems, 0)::bigint AS open_problems,
    coalesce(width_bucket(d.today - 1, s.issued_deadlines), 0)::bigint AS overdue_callouts
FROM projects p
CROSS JOIN (
    SELECT r.*, t.today, date_trunc('year', t.today)::date - 1 AS last_year_end,
        100 * extract(doy FROM t.today) AS elapsed, y.diy,
        100 * extract(doy FROM t.today) / y.diy AS share
    FROM health_rules r, (SELECT mapserver_today() AS today) t,
        LATERAL (SELECT extract(doy FROM make_date(extract(year FROM t.today)::int, 12, 31))
                 AS diy) y
    OFFSET 0) d
LEFT JOIN project_record_summary s ON s.project_id = p.id
CROSS JOIN LATERAL (SELECT
    coalesce(s.report_totals[width_bucket(d.today, s.report_months)], 0)
        - coalesce(s.report_totals[width_bucket(d.last_year_end, s.report_months)], 0) AS ytd,
    greatest(d.today - s.first_open_milestone, 0) AS late
    OFFSET 0) x
"""


def _summary_table() -> None:
    fk = sa.ForeignKey("projects.id", ondelete="CASCADE")
    empty = sa.text("'{}'")
    op.create_table(
        "project_record_summary",
        sa.Column("project_id", sa.BigInteger(), fk, primary_key=True),
        sa.Column("first_open_milestone", sa.Date()),
        sa.Column("report_months", ARRAY(sa.Date()), nullable=False, server_default=empty),
        sa.Column("report_totals", ARRAY(sa.Numeric()), nullable=False, server_default=empty),
        sa.Column("open_problems", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("first_open_due", sa.Date()),
        sa.Column("issued_deadlines", ARRAY(sa.Date()), nullable=False, server_default=empty),
    )


def upgrade() -> None:
    _summary_table()
    for sql in (SUMMARISE, SUMMARY_TRIGGER):
        op.execute(sql)
    for table in RECORDS:
        op.execute(
            f"CREATE TRIGGER {table}_summary AFTER INSERT OR UPDATE OR DELETE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION mapserver_summary_trigger()"
        )
    op.execute(
        "SELECT mapserver_summarise(project_id) FROM"
        f" ({' UNION '.join(f'SELECT project_id FROM {t}' for t in RECORDS)}) r"
    )
    op.execute("DROP VIEW battle_projects")
    op.execute(VIEW)
    op.execute(f"GRANT SELECT ON project_record_summary, battle_projects TO {APP_ROLE}")
    op.execute("REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON project_record_summary FROM PUBLIC")


def _previous_view() -> str:
    path = Path(__file__).with_name("0005_battle.py")
    spec = importlib.util.spec_from_file_location("migration_0005", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.VIEW


def downgrade() -> None:
    op.execute("DROP VIEW battle_projects")
    op.execute(_previous_view())
    op.execute(f"GRANT SELECT ON battle_projects TO {APP_ROLE}")
    for table in RECORDS:
        op.execute(f"DROP TRIGGER {table}_summary ON {table}")
    op.drop_table("project_record_summary")
    for fn in (
        "mapserver_summary_trigger()",
        "mapserver_summarise(bigint)",
    ):
        op.execute(f"DROP FUNCTION {fn}")
