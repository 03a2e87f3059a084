"""Login throttling counters, shared by every worker and app host (issue #12 §3).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

One row per throttled key: ``addr:<client address>`` (a fixed window of
``MAPSERVER_LOGIN_LIMIT`` attempts) or ``user:<username as typed>`` (a growing delay
between attempts after a few failures). ``next_allowed``: attempts before it are
refused (429); ``expires_at``: after it the row is forgotten. See mapserver/accounts/throttle.py.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

APP_ROLE = "mapserver_app"


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("next_allowed", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("count >= 0", name="login_failures_count_check"),
    )
    op.create_index("ix_login_failures_expires_at", "login_failures", ["expires_at"])
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON login_failures TO {APP_ROLE}")


def downgrade() -> None:
    op.drop_table("login_failures")
