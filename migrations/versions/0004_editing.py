"""Editing: soft delete, an append-only project history, and the county rule in the database.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26

The app checks who may write what before it writes (mapserver/editing/projects.py); these
triggers check it again for the acting user the app sets per transaction
(``mapserver.actor``, ``mapserver.actor_role``, ``mapserver.actor_county``), so a bug in
the app cannot break the county rule or skip the history. (Since 0010 the acting user is a
signed claim instead, so SQL run in the app's transaction cannot forge it either.) Writes run as the
``mapserver_app`` role: it may insert and update projects but not delete them (deleting is
soft), and may only read the history, which a trigger also keeps append-only.
"""

import geoalchemy2
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

APP_ROLE = "mapserver_app"
# CGCS2000 / 3-degree Gauss-Kruger CM 105E: metres, for the county tolerance buffer.
METRIC_SRID = 4544
# Sizes on the ellipsoid, kept with the row: the app computes them with pyproj's Geod on
# every write; rows that exist when this runs get PostGIS's (also ellipsoidal) figures.
MEASURES = ("area_mu", "area_ha", "length_km")

CREATE_ROLE = f"""
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
        CREATE ROLE {APP_ROLE} NOLOGIN;
    END IF;
END $$
"""

SITE_FITS = f"""
CREATE FUNCTION mapserver_site_fits(site geometry, county_code text, tolerance_m float8)
RETURNS boolean LANGUAGE sql STABLE AS $$
    -- Lines (roads, pipes) may leave the county but must touch it; points and polygons
    -- must lie within it, give or take the tolerance.
    SELECT CASE WHEN ST_Dimension(site) = 1 THEN ST_Intersects(site, c.boundary)
           ELSE ST_CoveredBy(ST_Transform(site, {METRIC_SRID}),
                             ST_Buffer(ST_Transform(c.boundary, {METRIC_SRID}), tolerance_m))
           END
    FROM counties c WHERE c.adcode = county_code
$$
"""

CHECK_ACTOR = f"""
CREATE FUNCTION mapserver_check_actor() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    actor_role text := nullif(current_setting('mapserver.actor_role', true), '');
    actor_county text := nullif(current_setting('mapserver.actor_county', true), '');
    tolerance float8 := coalesce(
        nullif(current_setting('mapserver.county_tolerance_m', true), '')::float8, 200);
BEGIN
    IF actor_role IS NULL THEN
        -- Maintenance by the owner (migrations, loaders) has no acting user; the app has.
        IF pg_has_role(current_user, '{APP_ROLE}', 'MEMBER')
           AND NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
            RAISE EXCEPTION 'no acting user for this write' USING ERRCODE = '42501';
        END IF;
    ELSIF actor_role = 'county_editor' THEN
        IF actor_county IS NULL THEN
            RAISE EXCEPTION 'county editor without a county' USING ERRCODE = '42501';
        END IF;
        IF TG_OP <> 'INSERT' AND OLD.county IS DISTINCT FROM actor_county THEN
            RAISE EXCEPTION 'project % belongs to county %, not %', OLD.code, OLD.county,
                actor_county USING ERRCODE = '42501';
        END IF;
        IF TG_OP <> 'DELETE' THEN
            IF NEW.county IS DISTINCT FROM actor_county THEN
                RAISE EXCEPTION 'project % may not be put in county %', NEW.code, NEW.county
                    USING ERRCODE = '42501';
            END IF;
            IF NEW.geom IS NOT NULL
               AND (TG_OP = 'INSERT' OR ST_AsEWKB(NEW.geom) IS DISTINCT FROM ST_AsEWKB(OLD.geom))
               AND NOT mapserver_site_fits(NEW.geom, actor_county, tolerance) THEN
                RAISE EXCEPTION 'site of project % lies outside county %', NEW.code,
                    actor_county USING ERRCODE = '42501';
            END IF;
        END IF;
    ELSIF actor_role NOT IN ('admin', 'dispatcher') THEN
        RAISE EXCEPTION 'role % may not change projects', actor_role USING ERRCODE = '42501';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$
"""

RECORD_HISTORY = """
CREATE FUNCTION mapserver_record_history() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    old_doc jsonb := CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE to_jsonb(OLD) - 'geom' END;
    new_doc jsonb := CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE to_jsonb(NEW) - 'geom' END;
    row_doc jsonb := coalesce(new_doc, old_doc);
    kind text;
    changed text[];
BEGIN
    kind := CASE
        WHEN TG_OP = 'INSERT' THEN 'create'
        WHEN TG_OP = 'DELETE' THEN 'purge'
        WHEN OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL THEN 'delete'
        WHEN OLD.deleted_at IS NOT NULL AND NEW.deleted_at IS NULL THEN 'undelete'
        ELSE 'update' END;
    SELECT coalesce(array_agg(k ORDER BY k), '{}') INTO changed
    FROM jsonb_object_keys(row_doc) k
    WHERE k NOT IN ('version', 'updated_at')
      AND (old_doc IS NULL OR new_doc IS NULL OR old_doc -> k IS DISTINCT FROM new_doc -> k);
    IF TG_OP = 'UPDATE' AND ST_AsEWKB(OLD.geom) IS DISTINCT FROM ST_AsEWKB(NEW.geom) THEN
        changed := changed || ARRAY['geom'];
    END IF;
    INSERT INTO project_history (project_id, code, version, op, actor, actor_role, note,
                                 changed, old_properties, new_properties, old_geom, new_geom)
    VALUES ((row_doc ->> 'id')::bigint, row_doc ->> 'code', (row_doc ->> 'version')::int, kind,
            coalesce(nullif(current_setting('mapserver.actor', true), ''), session_user),
            nullif(current_setting('mapserver.actor_role', true), ''),
            nullif(current_setting('mapserver.note', true), ''),
            changed, old_doc, new_doc,
            CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE OLD.geom END,
            CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE NEW.geom END);
    RETURN NULL;
END $$
"""

APPEND_ONLY = """
CREATE FUNCTION mapserver_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = '42501';
END $$
"""


def _history_table() -> None:
    geom = geoalchemy2.Geometry("GEOMETRY", srid=4326, spatial_index=False)
    op.create_table(
        "project_history",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False, index=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("op", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("actor_role", sa.Text()),
        sa.Column("note", sa.Text()),
        sa.Column("changed", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("old_properties", sa.dialects.postgresql.JSONB()),
        sa.Column("new_properties", sa.dialects.postgresql.JSONB()),
        sa.Column("old_geom", geom),
        sa.Column("new_geom", geom),
        sa.CheckConstraint(
            "op IN ('create', 'update', 'delete', 'undelete', 'purge')",
            name="project_history_op_check",
        ),
    )


def _grants() -> None:
    op.execute(CREATE_ROLE)
    op.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {APP_ROLE}")
    op.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}")
    op.execute(f"GRANT INSERT, UPDATE ON projects, users, api_tokens TO {APP_ROLE}")
    op.execute(f"GRANT INSERT, UPDATE, DELETE ON user_sessions TO {APP_ROLE}")
    op.execute("REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON project_history FROM PUBLIC")
    # Change-log rows are written by the trigger as the owner, not by the app's role.
    op.execute(
        "ALTER FUNCTION mapserver_log_change() SECURITY DEFINER SET search_path = public, pg_temp"
    )


def upgrade() -> None:
    op.add_column("projects", sa.Column("deleted_at", sa.DateTime(timezone=True)))
    op.add_column("projects", sa.Column("deleted_by", sa.Text()))
    for name in MEASURES:
        op.add_column("projects", sa.Column(name, sa.Float()))
    op.execute(
        "UPDATE projects SET area_mu = ST_Area(geom::geography) / (10000.0 / 15),"
        " area_ha = ST_Area(geom::geography) / 10000,"
        " length_km = ST_Length(geom::geography) / 1000 WHERE geom IS NOT NULL"
    )
    _history_table()
    for sql in (SITE_FITS, CHECK_ACTOR, RECORD_HISTORY, APPEND_ONLY):
        op.execute(sql)
    op.execute(
        "CREATE TRIGGER projects_check_actor BEFORE INSERT OR UPDATE OR DELETE ON projects "
        "FOR EACH ROW EXECUTE FUNCTION mapserver_check_actor()"
    )
    op.execute(
        "CREATE TRIGGER projects_record_history AFTER INSERT OR UPDATE OR DELETE ON projects "
        "FOR EACH ROW EXECUTE FUNCTION mapserver_record_history()"
    )
    op.execute(
        "CREATE TRIGGER project_history_append_only BEFORE UPDATE OR DELETE ON project_history "
        "FOR EACH ROW EXECUTE FUNCTION mapserver_append_only()"
    )
    op.execute(
        "CREATE TRIGGER project_history_no_truncate BEFORE TRUNCATE ON project_history "
        "FOR EACH STATEMENT EXECUTE FUNCTION mapserver_append_only()"
    )
    _grants()


def downgrade() -> None:
    op.execute("ALTER FUNCTION mapserver_log_change() SECURITY INVOKER RESET search_path")
    op.execute("DROP TRIGGER projects_record_history ON projects")
    op.execute("DROP TRIGGER projects_check_actor ON projects")
    op.drop_table("project_history")
    for fn in (
        "mapserver_append_only()",
        "mapserver_record_history()",
        "mapserver_check_actor()",
        "mapserver_site_fits(geometry, text, float8)",
    ):
        op.execute(f"DROP FUNCTION {fn}")
    for name in MEASURES:
        op.drop_column("projects", name)
    op.drop_column("projects", "deleted_by")
    op.drop_column("projects", "deleted_at")
    # The role stays: other databases of the cluster may use it. Its grants went with
    # the tables above or stay harmless (SELECT).
