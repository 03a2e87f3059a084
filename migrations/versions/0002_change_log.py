"""Change log: every committed change to a layer table, in commit order, with NOTIFY.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

The trigger is a deferred constraint trigger that takes a transaction-level
advisory lock before drawing its id, so ids are handed out in commit order: a
reader that has seen id N has seen every change before it. ETags and the live
event stream both rely on that.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

LOG_CHANGE = """
CREATE FUNCTION mapserver_log_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    row_key text;
    new_id bigint;
BEGIN
    row_key := CASE WHEN TG_OP = 'DELETE' THEN to_jsonb(OLD) ->> TG_ARGV[1]
                    ELSE to_jsonb(NEW) ->> TG_ARGV[1] END;
    PERFORM pg_advisory_xact_lock(7243190);
    new_id := nextval('change_log_id_seq');
    INSERT INTO change_log (id, layer, op, feature_id)
        VALUES (new_id, TG_ARGV[0], lower(TG_OP), row_key);
    PERFORM pg_notify('mapserver_changes', new_id::text);
    IF TG_OP = 'UPDATE' AND (to_jsonb(OLD) ->> TG_ARGV[1]) IS DISTINCT FROM row_key THEN
        -- A renamed key: tell listeners the old feature is gone.
        new_id := nextval('change_log_id_seq');
        INSERT INTO change_log (id, layer, op, feature_id)
            VALUES (new_id, TG_ARGV[0], 'delete', to_jsonb(OLD) ->> TG_ARGV[1]);
        PERFORM pg_notify('mapserver_changes', new_id::text);
    END IF;
    RETURN NULL;
END $$
"""

TABLES = {
    "projects": ("projects", "code"),
    "counties": ("counties", "adcode"),
    "cities": ("city", "adcode"),
}


def upgrade() -> None:
    op.execute("CREATE SEQUENCE change_log_id_seq")
    op.create_table(
        "change_log",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("layer", sa.Text(), nullable=False),
        sa.Column("op", sa.Text(), nullable=False),
        sa.Column("feature_id", sa.Text(), nullable=False),
    )
    op.execute(LOG_CHANGE)
    for table, (layer, key) in TABLES.items():
        op.execute(
            f"CREATE CONSTRAINT TRIGGER {table}_log_change AFTER INSERT OR UPDATE OR DELETE "
            f"ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
            f"EXECUTE FUNCTION mapserver_log_change('{layer}', '{key}')"
        )


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER {table}_log_change ON {table}")
    op.execute("DROP FUNCTION mapserver_log_change()")
    op.drop_table("change_log")
    op.execute("DROP SEQUENCE change_log_id_seq")
