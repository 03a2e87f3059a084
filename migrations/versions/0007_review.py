"""The city's review (审核) of monthly investment reports and problem resolutions.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

A county editor's report or resolution is a claim until the city approves it: it goes
``draft → submitted → approved | returned (with a reason)``, and only approved figures
count for health, ``/stats``, the red/black list and the report. Submitted amounts are
shown apart (``pending_investment``). A trigger holds the transitions for the acting
user as the app does (an editor cannot approve, not even as the write role in SQL), stamps
who submitted or reviewed and when, and closes a month for county editors after the
``reporting_rules`` deadline day of the following month.

Rows already stored were entered before review existed and migrate as approved, so no
figure moves. Problems: ``review`` is NULL while open and says where the resolution stands
once resolved; a problem is resolved for every figure only when its review is approved.
"""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

APP_ROLE = "mapserver_app"
REVIEWED = ("investment_reports", "problems")
REVIEWS = "('draft', 'submitted', 'approved', 'returned')"
# The county rule's columns per table (0005's trigger arguments), now with the review.
COUNTY_EDITOR = {
    "investment_reports": ("true", "amount,remarks,review", ""),
    "problems": ("true", "status,resolution,resolved_on,review", "open,resolved"),
}

CHECK_REVIEW = """
CREATE FUNCTION mapserver_check_review() RETURNS trigger LANGUAGE plpgsql AS $$
-- Runs after the county rule (check_actor): who may move the review where, and the stamps.
DECLARE
    actor text := coalesce(nullif(current_setting('mapserver.actor', true), ''), session_user);
    actor_role text := nullif(current_setting('mapserver.actor_role', true), '');
    old_review text := CASE WHEN TG_OP = 'UPDATE' THEN OLD.review END;
    closes date;
BEGIN
    IF actor_role = 'county_editor' THEN
        IF NEW.review IN ('approved', 'returned') AND NEW.review IS DISTINCT FROM old_review THEN
            RAISE EXCEPTION 'a county editor may not set the review of % to %',
                TG_TABLE_NAME, NEW.review USING ERRCODE = '42501';
        END IF;
        IF old_review IN ('submitted', 'approved') THEN
            RAISE EXCEPTION '% % is %: only the city may change it', TG_TABLE_NAME, OLD.id,
                old_review USING ERRCODE = '42501';
        END IF;
        IF TG_TABLE_NAME = 'investment_reports' THEN
            SELECT (NEW.month + interval '1 month')::date + deadline_day - 1 INTO closes
            FROM reporting_rules;
            IF mapserver_today() > closes THEN
                RAISE EXCEPTION 'reporting for % closed on %: only the city may change it',
                    to_char(NEW.month, 'YYYY-MM'), closes USING ERRCODE = '42501';
            END IF;
        END IF;
    END IF;
    IF NEW.review IS DISTINCT FROM old_review THEN
        IF NEW.review = 'submitted' THEN
            NEW.submitted_at := now();
            NEW.submitted_by := actor;
        ELSIF NEW.review IN ('approved', 'returned') THEN
            NEW.reviewed_at := now();
            NEW.reviewed_by := actor;
        END IF;
        IF NEW.review <> 'returned' OR NEW.review IS NULL THEN
            NEW.return_reason := NULL;
        END IF;
    ELSIF TG_OP = 'UPDATE' THEN  -- the stamps are the trigger's alone
        NEW.submitted_at := OLD.submitted_at;
        NEW.submitted_by := OLD.submitted_by;
        NEW.reviewed_at := OLD.reviewed_at;
        NEW.reviewed_by := OLD.reviewed_by;
        NEW.return_reason := OLD.return_reason;
    END IF;
    RETURN NEW;
END $$
"""

# 0006's summary, with approved figures only and what awaits review beside them.
SUMMARISE = """
CREATE OR REPLACE FUNCTION mapserver_summarise(pid bigint) RETURNS void LANGUAGE sql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
    INSERT INTO project_record_summary AS s
    SELECT pid,
        (SELECT min(planned_date) FROM milestones
         WHERE project_id = pid AND actual_date IS NULL),
        coalesce(r.months, '{}'), coalesce(r.totals, '{}'),
        (SELECT count(*) FROM problems
         WHERE project_id = pid AND review IS DISTINCT FROM 'approved'),
        (SELECT min(due_date) FROM problems
         WHERE project_id = pid AND review IS DISTINCT FROM 'approved'),
        coalesce((SELECT array_agg(deadline ORDER BY deadline) FROM callouts
                  WHERE project_id = pid AND status = 'issued'), '{}'),
        (SELECT coalesce(sum(amount), 0) FROM investment_reports
         WHERE project_id = pid AND review = 'submitted'),
        (SELECT count(*) FROM investment_reports
         WHERE project_id = pid AND review = 'submitted')
        + (SELECT count(*) FROM problems WHERE project_id = pid AND review = 'submitted')
    FROM (SELECT array_agg(month ORDER BY month) AS months,
                 array_agg(total ORDER BY month) AS totals
          FROM (SELECT month, sum(amount) OVER (ORDER BY month) AS total
                FROM investment_reports WHERE project_id = pid AND review = 'approved') m) r
    WHERE EXISTS (SELECT 1 FROM projects WHERE id = pid)  -- not while it is being purged
    ON CONFLICT (project_id) DO UPDATE SET
        first_open_milestone = EXCLUDED.first_open_milestone,
        report_months = EXCLUDED.report_months, report_totals = EXCLUDED.report_totals,
        open_problems = EXCLUDED.open_problems, first_open_due = EXCLUDED.first_open_due,
        issued_deadlines = EXCLUDED.issued_deadlines,
        pending_amount = EXCLUDED.pending_amount, pending_reviews = EXCLUDED.pending_reviews
$$
"""

LAST_COLUMN = (
    "    coalesce(width_bucket(d.today - 1, s.issued_deadlines), 0)::bigint AS overdue_callouts\n"
)
PENDING = (
    "    coalesce(s.pending_amount, 0) AS pending_investment,\n"
    "    coalesce(s.pending_reviews, 0) AS pending_reviews\n"
)


def _migration(name: str):
    path = Path(__file__).with_name(name)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _view() -> str:
    """0006's view with the pending figures after its last column."""
    view = _migration("0006_record_summary.py").VIEW
    assert LAST_COLUMN in view
    return view.replace(LAST_COLUMN, LAST_COLUMN.rstrip("\n") + ",\n" + PENDING)


def _review_columns(table: str) -> None:
    op.add_column(table, sa.Column("review", sa.Text()))
    for name in ("submitted", "reviewed"):
        op.add_column(table, sa.Column(f"{name}_at", sa.DateTime(timezone=True)))
        op.add_column(table, sa.Column(f"{name}_by", sa.Text()))
    op.add_column(table, sa.Column("return_reason", sa.Text()))
    op.create_check_constraint(f"{table}_return_check", table,
        "review IS DISTINCT FROM 'returned' OR coalesce(return_reason, '') <> ''")  # fmt: skip


def _columns() -> None:
    for table in REVIEWED:
        _review_columns(table)
    # Entered before review existed: approved. Triggers off, or every row would be a revision.
    op.execute("ALTER TABLE investment_reports DISABLE TRIGGER USER")
    op.execute("UPDATE investment_reports SET review = 'approved'")
    op.execute("ALTER TABLE investment_reports ENABLE TRIGGER USER")
    op.execute("ALTER TABLE problems DISABLE TRIGGER USER")
    op.execute("UPDATE problems SET review = 'approved' WHERE status = 'resolved'")
    op.execute("ALTER TABLE problems ENABLE TRIGGER USER")
    op.alter_column("investment_reports", "review", nullable=False, server_default="approved")
    op.create_check_constraint(
        "investment_reports_review_check", "investment_reports", f"review IN {REVIEWS}"
    )
    op.create_check_constraint(
        "problems_review_check",
        "problems",
        f"CASE status WHEN 'open' THEN review IS NULL ELSE review IN {REVIEWS} END",
    )


def _rules() -> None:
    op.create_table(
        "reporting_rules",
        sa.Column("id", sa.Boolean(), primary_key=True, server_default=sa.true()),
        sa.Column("deadline_day", sa.Integer(), nullable=False, server_default="5"),
        sa.CheckConstraint("id", name="reporting_rules_one_row"),
        sa.CheckConstraint("deadline_day BETWEEN 1 AND 28", name="reporting_rules_day_check"),
    )
    op.execute("INSERT INTO reporting_rules DEFAULT VALUES")


def _triggers() -> None:
    op.execute(CHECK_REVIEW)
    for table, args in COUNTY_EDITOR.items():
        op.execute(f"DROP TRIGGER {table}_check_actor ON {table}")
        call = "mapserver_check_record_actor('" + "', '".join(args) + "')"
        op.execute(
            f"CREATE TRIGGER {table}_check_actor BEFORE INSERT OR UPDATE OR DELETE ON {table}"
            f" FOR EACH ROW EXECUTE FUNCTION {call}"
        )
        # Named to sort after check_actor: PostgreSQL fires BEFORE triggers by name.
        op.execute(
            f"CREATE TRIGGER {table}_review BEFORE INSERT OR UPDATE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION mapserver_check_review()"
        )


def _summary() -> None:
    op.add_column(
        "project_record_summary",
        sa.Column("pending_amount", sa.Numeric(), nullable=False, server_default="0"),
    )
    op.add_column(
        "project_record_summary",
        sa.Column("pending_reviews", sa.Integer(), nullable=False, server_default="0"),
    )
    op.execute(SUMMARISE)
    op.execute("SELECT mapserver_summarise(project_id) FROM project_record_summary")
    op.execute("DROP VIEW battle_projects")
    op.execute(_view())
    op.execute(f"GRANT SELECT ON battle_projects, reporting_rules TO {APP_ROLE}")


def upgrade() -> None:
    _columns()
    _rules()
    _triggers()
    _summary()


def downgrade() -> None:
    previous = _migration("0006_record_summary.py")
    op.execute("DROP VIEW battle_projects")
    op.execute(previous.VIEW)
    op.execute(f"GRANT SELECT ON battle_projects TO {APP_ROLE}")
    op.execute("DROP FUNCTION mapserver_summarise(bigint)")
    op.execute(previous.SUMMARISE)
    op.drop_column("project_record_summary", "pending_reviews")
    op.drop_column("project_record_summary", "pending_amount")
    before = _migration("0005_battle.py").COUNTY_EDITOR
    for table in REVIEWED:
        op.execute(f"DROP TRIGGER {table}_review ON {table}")
        op.execute(f"DROP TRIGGER {table}_check_actor ON {table}")
        call = "mapserver_check_record_actor('" + "', '".join(before[table]) + "')"
        op.execute(
            f"CREATE TRIGGER {table}_check_actor BEFORE INSERT OR UPDATE OR DELETE ON {table}"
            f" FOR EACH ROW EXECUTE FUNCTION {call}"
        )
        for column in ("review", "submitted_at", "submitted_by", "reviewed_at", "reviewed_by"):
            op.drop_column(table, column)
        op.drop_column(table, "return_reason")
    op.execute("DROP FUNCTION mapserver_check_review()")
    op.drop_table("reporting_rules")
    op.execute("SELECT mapserver_summarise(project_id) FROM project_record_summary")
