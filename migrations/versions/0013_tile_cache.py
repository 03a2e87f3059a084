"""Vector tile cache with exact invalidation (issue #15 §1; docs/tiles.md).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03

``tile_cache`` holds rendered tiles per layer, filter variant (a hash of the layer file
and the normalised filters), day (derived properties move at midnight) and tile. At
commit, a deferred trigger on each geometry table deletes the cached tiles that the row's
old and new geometry touch at every zoom (0–24, with the tiles' buffer); a trigger on the
change log does the same for a project whose records (hence health) changed, and one on
``health_rules`` drops every project tile. Both take the change log's advisory lock, as
the app does when it stores a tile, and the app stores a tile only if the change log has
not moved since the tile was read: no stale tile can outlive a commit.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import BYTEA

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

APP_ROLE = "mapserver_app"
# table -> (layer id, as in the change log, and its geometry column)
TABLES = {
    "projects": ("projects", "geom"),
    "counties": ("counties", "boundary"),
    "cities": ("city", "boundary"),
    "photos": ("photos", "location"),
}
SAFE = "SECURITY DEFINER SET search_path = public, pg_temp"

# Tiles of one layer that a geometry touches at every zoom: its EPSG:3857 box widened by
# the tiles' buffer (256/4096 of a tile), as tile column and row ranges.
INVALIDATE = f"""
CREATE FUNCTION mapserver_tiles_invalidate(layer_id text, shape geometry) RETURNS void
LANGUAGE plpgsql {SAFE} AS $$
DECLARE
    e box2d;
    b geometry;
    o constant float8 := 20037508.342789244;
    span float8;
    top int;
BEGIN
    IF shape IS NULL OR NOT EXISTS (SELECT 1 FROM tile_cache WHERE layer = layer_id) THEN
        RETURN;
    END IF;
    e := ST_Transform(ST_Envelope(shape), 4326)::box2d;
    b := ST_Transform(ST_MakeEnvelope(
        greatest(ST_XMin(e), -180), greatest(ST_YMin(e), -85.0511),
        least(ST_XMax(e), 180), least(ST_YMax(e), 85.0511), 4326), 3857);
    FOR zoom IN 0..24 LOOP  -- one index range per zoom
        span := 2 * o / (1 << zoom);
        top := (1 << zoom) - 1;
        DELETE FROM tile_cache
        WHERE layer = layer_id AND z = zoom
          AND x BETWEEN greatest(floor((ST_XMin(b) + o) / span - 0.0625)::int, 0)
                    AND least(floor((ST_XMax(b) + o) / span + 0.0625)::int, top)
          AND y BETWEEN greatest(floor((o - ST_YMax(b)) / span - 0.0625)::int, 0)
                    AND least(floor((o - ST_YMin(b)) / span + 0.0625)::int, top);
    END LOOP;
END $$
"""

# A row of a geometry table changed: its old and new place (and for a project, the places
# of its photos, which show its name and county).
ROW = f"""
CREATE FUNCTION mapserver_tiles_row() RETURNS trigger LANGUAGE plpgsql {SAFE} AS $$
DECLARE old_shape geometry; new_shape geometry;
BEGIN
    PERFORM pg_advisory_xact_lock(7243190);
    IF TG_OP <> 'INSERT' THEN
        EXECUTE format('SELECT ($1).%I', TG_ARGV[1]) USING OLD INTO old_shape;
        PERFORM mapserver_tiles_invalidate(TG_ARGV[0], old_shape);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        EXECUTE format('SELECT ($1).%I', TG_ARGV[1]) USING NEW INTO new_shape;
        IF old_shape IS DISTINCT FROM new_shape THEN
            PERFORM mapserver_tiles_invalidate(TG_ARGV[0], new_shape);
        END IF;
    END IF;
    IF TG_TABLE_NAME = 'projects' THEN
        PERFORM mapserver_tiles_invalidate('photos', ph.location) FROM photos ph
        WHERE ph.project_id = CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END;
    END IF;
    RETURN NULL;
END $$
"""

# A project's records changed (the change log says so): its derived properties may have.
# A project row this transaction wrote itself is left to its own trigger (same place).
LOGGED = f"""
CREATE FUNCTION mapserver_tiles_logged() RETURNS trigger LANGUAGE plpgsql {SAFE} AS $$
BEGIN
    PERFORM mapserver_tiles_invalidate('projects', p.geom) FROM projects p
    WHERE p.code = NEW.feature_id AND p.xmin::text::bigint <> txid_current() % 4294967296;
    RETURN NULL;
END $$
"""

RULES = f"""
CREATE FUNCTION mapserver_tiles_rules() RETURNS trigger LANGUAGE plpgsql {SAFE} AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(7243190);
    DELETE FROM tile_cache WHERE layer = 'projects';
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.create_table(
        "tile_cache",
        sa.Column("layer", sa.Text(), primary_key=True),
        sa.Column("variant", sa.Text(), primary_key=True),
        sa.Column("z", sa.SmallInteger(), primary_key=True),
        sa.Column("x", sa.Integer(), primary_key=True),
        sa.Column("y", sa.Integer(), primary_key=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("tile", BYTEA(), nullable=False),
        sa.Column("etag", sa.Text(), nullable=False),
        sa.Column("owned", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    )
    op.create_index("ix_tile_cache_place", "tile_cache", ["layer", "z", "x", "y"])
    for sql in (INVALIDATE, ROW, LOGGED, RULES):
        op.execute(sql)
    for table, (layer, column) in TABLES.items():
        op.execute(
            f"CREATE CONSTRAINT TRIGGER {table}_tiles AFTER INSERT OR UPDATE OR DELETE"
            f" ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
            f" EXECUTE FUNCTION mapserver_tiles_row('{layer}', '{column}')"
        )
    op.execute(
        "CREATE TRIGGER change_log_tiles AFTER INSERT ON change_log FOR EACH ROW"
        " WHEN (NEW.layer = 'projects' AND NEW.op = 'update')"
        " EXECUTE FUNCTION mapserver_tiles_logged()"
    )
    op.execute(
        "CREATE TRIGGER health_rules_tiles AFTER INSERT OR UPDATE OR DELETE ON health_rules"
        " FOR EACH STATEMENT EXECUTE FUNCTION mapserver_tiles_rules()"
    )
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON tile_cache TO {APP_ROLE}")


def downgrade() -> None:
    op.execute("DROP TRIGGER health_rules_tiles ON health_rules")
    op.execute("DROP TRIGGER change_log_tiles ON change_log")
    for table in TABLES:
        op.execute(f"DROP TRIGGER {table}_tiles ON {table}")
    for name in ("rules()", "logged()", "row()", "invalidate(text, geometry)"):
        op.execute(f"DROP FUNCTION mapserver_tiles_{name}")
    op.drop_table("tile_cache")
