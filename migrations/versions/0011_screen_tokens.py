"""Screen tokens (大屏令牌): a big screen's read-only, named, revocable access (issue #12 §5).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

Only the SHA-256 digest of a token is stored. ``cidr``: when set, the token works only
from addresses in that range. Revoked tokens stay listed (``revoked_at``). Written only
by mapserver/accounts/screens.py.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

APP_ROLE = "mapserver_app"
DEFINER = "SECURITY DEFINER SET search_path = public, pg_temp"
MANAGER = """
CREATE FUNCTION mapserver_screen_manager() RETURNS bigint LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp AS $$
-- The claimed dispatcher or admin managing screen tokens (NULL: owner maintenance).
DECLARE
    c record;
BEGIN
    SELECT * INTO c FROM mapserver_acting();
    IF c.actor IS NULL OR c.role IN ('admin', 'dispatcher') THEN
        RETURN c.user_id;
    END IF;
    RAISE EXCEPTION 'user % may not manage screen tokens', c.actor USING ERRCODE = '42501';
END $$
"""
FUNCTIONS = {
    "mapserver_issue_screen_token(text, text, cidr)": """
RETURNS bigint LANGUAGE sql {definer} AS $$
    INSERT INTO screen_tokens (name, token_hash, cidr, created_by)
    VALUES ($1, $2, $3, mapserver_screen_manager()) RETURNING id
$$""",
    "mapserver_revoke_screen_token(bigint)": """
RETURNS SETOF bigint LANGUAGE sql {definer} AS $$
    SELECT mapserver_screen_manager();
    UPDATE screen_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1
    RETURNING id
$$""",
    # Using one is whoever holds the secret (given as its digest), from its range; ``touch``
    # notes the use, at most once a minute.
    "mapserver_use_screen_token(text, inet, boolean)": """
RETURNS bigint LANGUAGE plpgsql {definer} AS $$
DECLARE
    found bigint;
BEGIN
    SELECT id INTO found FROM screen_tokens WHERE token_hash = $1 AND revoked_at IS NULL
    AND (cidr IS NULL OR $2 <<= cidr);
    IF found IS NOT NULL AND $3 THEN
        UPDATE screen_tokens SET last_used_at = now() WHERE id = found
        AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute');
    END IF;
    RETURN found;
END $$""",
}

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "screen_tokens",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("token_hash", sa.Text(), nullable=False, unique=True),
        sa.Column("cidr", postgresql.CIDR()),
        sa.Column("created_by", sa.BigInteger(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.now(),
        ),
        sa.Column("last_used_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("length(name) BETWEEN 1 AND 100", name="screen_tokens_name_check"),
    )
    op.execute(MANAGER)
    for signature, body in FUNCTIONS.items():
        op.execute(f"CREATE FUNCTION {signature} {body.format(definer=DEFINER)}")
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {APP_ROLE}")
    op.execute(f"REVOKE ALL ON screen_tokens FROM PUBLIC, {APP_ROLE}")
    op.execute(f"GRANT SELECT ON screen_tokens TO {APP_ROLE}")


def downgrade() -> None:
    for signature in FUNCTIONS:
        op.execute(f"DROP FUNCTION {signature}")
    op.execute("DROP FUNCTION mapserver_screen_manager()")
    op.drop_table("screen_tokens")
