"""The battle-map mechanism: milestones, monthly investment, problems, 点球 call-outs,
published red/black lists; their history, the county rule, and project health.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26

As for projects (0004): a trigger checks who may write what for the acting user the app
sets per transaction, another records every change in an append-only ``record_history``,
and the change log (0002) tells live clients, also about the project whose health the
change may move. A published red/black list (``ranking_periods``) can never change.

Health is derived, never stored: the ``battle_projects`` view is the projects table plus
``health`` and the overdue flags, computed for ``mapserver_today()`` (Guang'an's date, or
the ``mapserver.today`` setting for rehearsals and tests) with the thresholds in the
one-row ``health_rules`` table (written from layers/rules/battle.yaml at startup).
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

APP_ROLE = "mapserver_app"
RECORDS = ("milestones", "investment_reports", "problems", "callouts")
# What a county editor may do, per table (the app checks the same, see mapserver/battle/records.py):
# (may create, columns they may change, statuses they may set).
COUNTY_EDITOR = {
    "milestones": ("false", "actual_date,note", ""),
    "investment_reports": ("true", "amount,remarks", ""),
    "problems": ("true", "status,resolution,resolved_on", "open,resolved"),
    "callouts": ("false", "status,response,responded_on", "responded"),
    "ranking_periods": ("false", "", ""),
}

TODAY = """
CREATE FUNCTION mapserver_today() RETURNS date LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(current_setting('mapserver.today', true), '')::date,
                    (now() AT TIME ZONE 'Asia/Shanghai')::date)
$$
"""

MAINTENANCE = f"""
CREATE FUNCTION mapserver_maintenance() RETURNS boolean LANGUAGE sql STABLE AS $$
    -- A write without an acting user is maintenance by the owner (migrations, loaders);
    -- the app's write role always names its user.
    SELECT NOT pg_has_role(current_user, '{APP_ROLE}', 'MEMBER')
        OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
$$
"""

CHECK_RECORD_ACTOR = """
CREATE FUNCTION mapserver_check_record_actor() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    actor_role text := nullif(current_setting('mapserver.actor_role', true), '');
    actor_county text := nullif(current_setting('mapserver.actor_county', true), '');
    may_create boolean := TG_ARGV[0]::boolean;
    may_change text[] := string_to_array(nullif(TG_ARGV[1], ''), ',');
    may_set text[] := string_to_array(nullif(TG_ARGV[2], ''), ',');
    project_county text;
    refused text;
    old_status text;
    new_status text;
BEGIN
    IF actor_role IS NULL AND NOT mapserver_maintenance() THEN
        RAISE EXCEPTION 'no acting user for this write' USING ERRCODE = '42501';
    ELSIF actor_role IS NULL OR actor_role IN ('admin', 'dispatcher') THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    ELSIF actor_role <> 'county_editor' OR TG_OP = 'DELETE'
          OR (TG_OP = 'INSERT' AND NOT may_create) THEN
        RAISE EXCEPTION 'role % may not % %', actor_role, lower(TG_OP), TG_TABLE_NAME
            USING ERRCODE = '42501';
    END IF;
    SELECT county INTO project_county FROM projects WHERE id = NEW.project_id;
    IF project_county IS DISTINCT FROM actor_county THEN
        RAISE EXCEPTION '% of project % (county %): not county %', TG_TABLE_NAME,
            NEW.project_id, project_county, actor_county USING ERRCODE = '42501';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        SELECT string_agg(k, ', ' ORDER BY k) INTO refused
        FROM jsonb_object_keys(to_jsonb(NEW)) k
        WHERE k NOT IN ('version', 'updated_at') AND k <> ALL (coalesce(may_change, '{}'))
          AND to_jsonb(OLD) -> k IS DISTINCT FROM to_jsonb(NEW) -> k;
        IF refused IS NOT NULL THEN
            RAISE EXCEPTION 'a county editor may not change % of %', refused, TG_TABLE_NAME
                USING ERRCODE = '42501';
        END IF;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        old_status := to_jsonb(OLD) ->> 'status';
    END IF;
    new_status := to_jsonb(NEW) ->> 'status';
    IF new_status IS DISTINCT FROM old_status
       AND new_status <> ALL (coalesce(may_set, '{}')) THEN
        RAISE EXCEPTION 'a county editor may not set % to %', TG_TABLE_NAME, new_status
            USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END $$
"""

RECORD_HISTORY = """
CREATE FUNCTION mapserver_record_row_history() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    old_doc jsonb := CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE to_jsonb(OLD) END;
    new_doc jsonb := CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE to_jsonb(NEW) END;
    row_doc jsonb := coalesce(new_doc, old_doc);
    changed text[];
BEGIN
    SELECT coalesce(array_agg(k ORDER BY k), '{}') INTO changed
    FROM jsonb_object_keys(row_doc) k
    WHERE k NOT IN ('version', 'updated_at')
      AND (old_doc IS NULL OR new_doc IS NULL OR old_doc -> k IS DISTINCT FROM new_doc -> k);
    INSERT INTO record_history (table_name, row_id, version, op, actor, actor_role, changed,
                                old_values, new_values)
    VALUES (TG_TABLE_NAME, (row_doc ->> 'id')::bigint, (row_doc ->> 'version')::int,
            CASE TG_OP WHEN 'INSERT' THEN 'create' WHEN 'UPDATE' THEN 'update' ELSE 'purge' END,
            coalesce(nullif(current_setting('mapserver.actor', true), ''), session_user),
            nullif(current_setting('mapserver.actor_role', true), ''),
            changed, old_doc, new_doc);
    RETURN NULL;
END $$
"""

LOG_PROJECT = """
CREATE FUNCTION mapserver_log_project_change() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
-- A record changed: its project's health may have too; live maps re-read the project.
DECLARE project_code text; new_id bigint;
BEGIN
    SELECT code INTO project_code FROM projects
    WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.project_id ELSE NEW.project_id END;
    IF project_code IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(7243190);
        new_id := nextval('change_log_id_seq');
        INSERT INTO change_log (id, layer, op, feature_id)
            VALUES (new_id, 'projects', 'update', project_code);
        PERFORM pg_notify('mapserver_changes', new_id::text);
    END IF;
    RETURN NULL;
END $$
"""

# Exact arithmetic, as mapserver/battle/health.py: behind by at least `points` of the time-line
# ⇔ 100·doy/diy − 100·ytd/plan ≥ points ⇔ 100·doy·plan − 100·ytd·diy ≥ points·diy·plan.
BEHIND = """
CREATE FUNCTION mapserver_behind(plan numeric, ytd numeric, day date, points numeric)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT plan > 0 AND 100 * extract(doy FROM day) * plan
        - 100 * ytd * extract(doy FROM make_date(extract(year FROM day)::int, 12, 31))
        >= points * extract(doy FROM make_date(extract(year FROM day)::int, 12, 31)) * plan
$$
"""

VIEW = """
CREATE VIEW battle_projects AS
SELECT p.*,
    CASE WHEN NOT p.status = ANY (r.statuses) THEN 'not_tracked'
         WHEN m.days_late >= r.seriously_lagging_days
              OR mapserver_behind(p.annual_plan, i.ytd, d.today, r.seriously_lagging_points)
         THEN 'seriously_lagging'
         WHEN m.days_late >= r.lagging_days
              OR mapserver_behind(p.annual_plan, i.ytd, d.today, r.lagging_points)
         THEN 'lagging'
         ELSE 'on_track' END AS health,
    (c.overdue + q.overdue) > 0 AS overdue,
    m.days_late,
    CASE WHEN p.annual_plan > 0 THEN round(100 * extract(doy FROM d.today)
        / extract(doy FROM make_date(extract(year FROM d.today)::int, 12, 31))
        - 100 * i.ytd / p.annual_plan, 2) END AS points_behind,
    i.ytd AS year_to_date,
    q.open AS open_problems,
    c.overdue AS overdue_callouts
FROM projects p
CROSS JOIN health_rules r
CROSS JOIN (SELECT mapserver_today() AS today) d
CROSS JOIN LATERAL (
    SELECT coalesce(max(d.today - planned_date), 0) AS days_late FROM milestones
    WHERE project_id = p.id AND actual_date IS NULL AND planned_date < d.today) m
CROSS JOIN LATERAL (
    SELECT coalesce(sum(amount), 0) AS ytd FROM investment_reports
    WHERE project_id = p.id AND month >= date_trunc('year', d.today) AND month <= d.today) i
CROSS JOIN LATERAL (
    SELECT count(*) FILTER (WHERE status = 'open') AS open,
           count(*) FILTER (WHERE status = 'open' AND due_date < d.today) AS overdue
    FROM problems WHERE project_id = p.id) q
CROSS JOIN LATERAL (
    SELECT count(*) AS overdue FROM callouts
    WHERE project_id = p.id AND status = 'issued' AND deadline < d.today) c
"""


def _stamps() -> list[sa.Column]:
    now = sa.func.now()
    return [
        sa.Column("demo", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=now),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=now),
    ]


def _project(index: bool = True) -> sa.Column:
    # Projects are deleted softly; purging one (maintenance) purges its records too.
    fk = sa.ForeignKey("projects.id", ondelete="CASCADE")
    return sa.Column("project_id", sa.BigInteger(), fk, nullable=False, index=index)


def _record_table(name: str, *items: sa.schema.SchemaItem, index: bool = True) -> None:
    """A battle-map record table: id, project, its own columns, demo flag, version, times."""
    op.create_table(name, _id(), _project(index), *items, *_stamps())


def _id() -> sa.Column:
    return sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True)


def _records() -> None:
    _record_table(
        "milestones",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("planned_date", sa.Date(), nullable=False),
        sa.Column("actual_date", sa.Date()),
        sa.Column("note", sa.Text()),
        sa.CheckConstraint("name <> ''", name="milestones_name_check"),
    )
    _record_table(
        "investment_reports",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("remarks", sa.Text()),
        sa.UniqueConstraint("project_id", "month", name="investment_reports_project_month_key"),
        sa.CheckConstraint(
            "month = date_trunc('month', month)::date", name="investment_reports_month_check"
        ),
        sa.CheckConstraint("amount >= 0", name="investment_reports_amount_check"),
        index=False,  # the unique key leads with project_id
    )
    _problems()
    _callouts()


def _problems() -> None:
    _record_table(
        "problems",
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.Text()),
        sa.Column("raised_on", sa.Date(), nullable=False),
        sa.Column("responsible_unit", sa.Text(), nullable=False),
        sa.Column("due_date", sa.Date()),
        sa.Column("status", sa.Text(), nullable=False, server_default="open"),
        sa.Column("resolution", sa.Text()),
        sa.Column("resolved_on", sa.Date()),
        sa.CheckConstraint("status IN ('open', 'resolved')", name="problems_status_check"),
        sa.CheckConstraint(
            "(status = 'resolved') = (resolved_on IS NOT NULL)", name="problems_resolved_check"
        ),
        sa.CheckConstraint(
            "due_date >= raised_on AND resolved_on >= raised_on", name="problems_dates_check"
        ),
    )


CALLOUT_CHECKS = (
    ("status", "status IN ('issued', 'responded', 'closed')"),
    # The days go with the status: answered ones have a response day, closed ones a closing day.
    ("state", "CASE status WHEN 'issued' THEN responded_on IS NULL AND closed_on IS NULL"
              " WHEN 'responded' THEN responded_on IS NOT NULL AND closed_on IS NULL"
              " ELSE closed_on IS NOT NULL END"),
    ("dates", "deadline >= issued_on AND responded_on >= issued_on AND closed_on >= issued_on"),
)  # fmt: skip


def _callouts() -> None:
    _record_table(
        "callouts",
        sa.Column("responsible_unit", sa.Text(), nullable=False),
        sa.Column("issued_by", sa.Text(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("demand", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False, server_default="issued"),
        sa.Column("response", sa.Text()),
        sa.Column("responded_on", sa.Date()),
        sa.Column("closed_on", sa.Date()),
        *(sa.CheckConstraint(sql, name=f"callouts_{name}_check") for name, sql in CALLOUT_CHECKS),
    )


PERIOD_CHECK = (
    "(kind = 'month' AND period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$')"
    " OR (kind = 'quarter' AND period ~ '^[0-9]{4}-Q[1-4]$')"
)


def _other_tables() -> None:
    op.create_table(
        "ranking_periods",
        _id(),
        sa.Column("period", sa.Text(), nullable=False, unique=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column(
            "published_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("published_by", sa.Text(), nullable=False),
        sa.Column("rules", JSONB(), nullable=False),
        sa.Column("snapshot", JSONB(), nullable=False),
        sa.CheckConstraint(PERIOD_CHECK, name="ranking_periods_period_check"),
    )
    op.create_table(
        "record_history",
        _id(),
        sa.Column("table_name", sa.Text(), nullable=False),
        sa.Column("row_id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer()),
        sa.Column("op", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("actor_role", sa.Text()),
        sa.Column("changed", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("old_values", JSONB()),
        sa.Column("new_values", JSONB()),
        sa.CheckConstraint("op IN ('create', 'update', 'purge')", name="record_history_op_check"),
    )
    op.create_index("ix_record_history_row", "record_history", ["table_name", "row_id"])
    _health_rules()


def _health_rules() -> None:
    op.create_table(
        "health_rules",
        sa.Column("id", sa.Boolean(), primary_key=True, server_default=sa.true()),
        sa.Column("lagging_days", sa.Integer(), nullable=False),
        sa.Column("seriously_lagging_days", sa.Integer(), nullable=False),
        sa.Column("lagging_points", sa.Numeric(), nullable=False),
        sa.Column("seriously_lagging_points", sa.Numeric(), nullable=False),
        sa.Column("statuses", sa.ARRAY(sa.Text()), nullable=False),
        sa.CheckConstraint("id", name="health_rules_one_row"),
        sa.CheckConstraint(
            "1 <= lagging_days AND lagging_days <= seriously_lagging_days"
            " AND 0 < lagging_points AND lagging_points <= seriously_lagging_points",
            name="health_rules_order_check",
        ),
    )
    # The documented defaults; the server writes layers/rules/battle.yaml's at startup.
    op.execute(
        "INSERT INTO health_rules VALUES (true, 1, 30, 10, 25,"
        " ARRAY['preparing', 'under_construction', 'suspended'])"
    )


ANY_WRITE = "AFTER INSERT OR UPDATE OR DELETE"


def _trigger(table: str, name: str, when: str, call: str, *, deferred: bool = False) -> None:
    kind = "CONSTRAINT TRIGGER" if deferred else "TRIGGER"
    later = " DEFERRABLE INITIALLY DEFERRED" if deferred else ""
    each = "STATEMENT" if "TRUNCATE" in when else "ROW"
    op.execute(
        f"CREATE {kind} {table}_{name} {when} ON {table}{later}"
        f" FOR EACH {each} EXECUTE FUNCTION {call}"
    )


def _triggers() -> None:
    for table in (*RECORDS, "ranking_periods"):
        args = "', '".join(COUNTY_EDITOR[table])
        call = f"mapserver_check_record_actor('{args}')"
        _trigger(table, "check_actor", "BEFORE INSERT OR UPDATE OR DELETE", call)
    for table in RECORDS:
        _trigger(table, "bump_version", "BEFORE UPDATE", "mapserver_bump_version()")
        _trigger(table, "record_history", ANY_WRITE, "mapserver_record_row_history()")
        _trigger(table, "log_project", ANY_WRITE, "mapserver_log_project_change()", deferred=True)
        call = f"mapserver_log_change('{table}', 'id')"
        _trigger(table, "log_change", ANY_WRITE, call, deferred=True)
    call = "mapserver_log_change('ranking', 'period')"
    _trigger("ranking_periods", "log_change", ANY_WRITE, call, deferred=True)
    for table in ("ranking_periods", "record_history"):
        _trigger(table, "append_only", "BEFORE UPDATE OR DELETE", "mapserver_append_only()")
        _trigger(table, "no_truncate", "BEFORE TRUNCATE", "mapserver_append_only()")


def _grants() -> None:
    tables = (*RECORDS, "ranking_periods", "record_history", "health_rules", "battle_projects")
    op.execute(f"GRANT SELECT ON {', '.join(tables)} TO {APP_ROLE}")
    op.execute(f"GRANT INSERT, UPDATE ON {', '.join(RECORDS)} TO {APP_ROLE}")
    op.execute(f"GRANT INSERT ON ranking_periods TO {APP_ROLE}")
    op.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}")
    op.execute("REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON record_history FROM PUBLIC")


def upgrade() -> None:
    _records()
    _other_tables()
    for sql in (TODAY, MAINTENANCE, CHECK_RECORD_ACTOR, RECORD_HISTORY, LOG_PROJECT, BEHIND, VIEW):
        op.execute(sql)
    _triggers()
    _grants()


def downgrade() -> None:
    op.execute("DROP VIEW battle_projects")
    for table in ("ranking_periods", "record_history", "health_rules", *reversed(RECORDS)):
        op.drop_table(table)
    for fn in (
        "mapserver_behind(numeric, numeric, date, numeric)",
        "mapserver_log_project_change()",
        "mapserver_record_row_history()",
        "mapserver_check_record_actor()",
        "mapserver_maintenance()",
        "mapserver_today()",
    ):
        op.execute(f"DROP FUNCTION {fn}")
