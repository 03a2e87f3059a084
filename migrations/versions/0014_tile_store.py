"""Store a rendered tile in one statement (issue #15 §4; docs/tiles.md).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04

``mapserver_tiles_store`` takes the change log's advisory lock, checks that the change
log has not moved since the tile's snapshot, and keeps the tile, all on the server. The
app sent these as four statements (BEGIN, the lock, the insert, COMMIT), holding the one
lock every store and every logged write share across three round trips: at 16
connections, requests spent most of their time waiting for it. In READ COMMITTED, each
statement of a volatile function takes a new snapshot, so the check sees every change
committed before the lock was granted, as the app's second statement did.
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

STORE = """
CREATE FUNCTION mapserver_tiles_store(
    layer_id text, variant_key text, zoom int, col int, row_index int, tile_day date,
    data bytea, tag text, owned_count int, version bigint
) RETURNS boolean LANGUAGE plpgsql VOLATILE SET search_path = public, pg_temp AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'mapserver_tiles_store needs READ COMMITTED, not %',
            current_setting('transaction_isolation');
    END IF;
    PERFORM pg_advisory_xact_lock(7243190);
    IF (SELECT coalesce(max(id), 0) FROM change_log) <> version THEN
        RETURN false;  -- a change came after the snapshot: the tile may be stale
    END IF;
    INSERT INTO tile_cache (layer, variant, z, x, y, day, tile, etag, owned)
    VALUES (layer_id, variant_key, zoom, col, row_index, tile_day, data, tag, owned_count)
    ON CONFLICT (layer, variant, z, x, y) DO UPDATE SET day = EXCLUDED.day,
        tile = EXCLUDED.tile, etag = EXCLUDED.etag, owned = EXCLUDED.owned,
        created_at = now();
    RETURN true;
END $$
"""


def upgrade() -> None:
    op.execute(STORE)


def downgrade() -> None:
    op.execute(
        "DROP FUNCTION mapserver_tiles_store(text, text, int, int, int, date, bytea, text,"
        " int, bigint)"
    )
