"""Change-log epochs: a restore starts a new history that open screens must reload for.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03

A restore (``python -m mapserver restore``) moves the change-log ids on to the next
billion and writes one row with ``op = 'epoch'`` (mapserver.features.live.start_epoch). A live
stream that meets it, or a client whose last id is older than it, gets ``reset``. The
partial index finds the newest epoch without reading the whole log.
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX change_log_epochs ON change_log (id) WHERE op = 'epoch'")


def downgrade() -> None:
    op.execute("DROP INDEX change_log_epochs")
