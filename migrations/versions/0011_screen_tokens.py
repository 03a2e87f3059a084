"""Screen tokens (大屏令牌): a big screen's read-only, named, revocable access (issue #12 §5).

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-03

Only the SHA-256 digest of a token is stored. ``cidr``: when set, the token works only
from addresses in that range. Revoked tokens stay listed (``revoked_at``). Written only
by mapserver/screens.py.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0009"
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


def downgrade() -> None:
    op.drop_table("screen_tokens")
