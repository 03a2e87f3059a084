"""PostGIS, counties, working groups and the project registry.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import geoalchemy2
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

STATUSES = "('reserve', 'preparing', 'under_construction', 'completed', 'suspended')"


def _region_table(name: str) -> None:
    op.create_table(
        name,
        sa.Column("adcode", sa.Text(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False, unique=name == "counties"),
        sa.Column(
            "boundary",
            geoalchemy2.Geometry("MULTIPOLYGON", srid=4326, spatial_index=False),
            nullable=False,
        ),
    )


def upgrade() -> None:
    # Kept on downgrade: other schemas may use it, and it is harmless.
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    _region_table("cities")
    _region_table("counties")
    op.create_table(
        "working_groups",
        sa.Column("code", sa.Text(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False, unique=True),
    )
    _projects()
    op.create_index("ix_projects_working_group", "projects", ["working_group"])
    op.create_index("ix_projects_county", "projects", ["county"])
    op.create_index("ix_projects_status", "projects", ["status"])
    op.create_geospatial_index(
        "idx_projects_geom", "projects", ["geom"], unique=False, postgresql_using="gist"
    )
    op.execute(BUMP_VERSION)
    op.execute(
        "CREATE TRIGGER projects_bump_version BEFORE UPDATE ON projects "
        "FOR EACH ROW EXECUTE FUNCTION mapserver_bump_version()"
    )


def _projects() -> None:
    money = sa.Numeric(14, 2)
    op.create_table(
        "projects",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("code", sa.Text(), nullable=False, unique=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("working_group", sa.Text(), sa.ForeignKey("working_groups.code"), nullable=False),
        sa.Column("county", sa.Text(), sa.ForeignKey("counties.adcode"), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("owner_unit", sa.Text(), nullable=False),
        sa.Column("leader", sa.Text()),
        sa.Column("total_investment", money, nullable=False),
        sa.Column("annual_plan", money, nullable=False),
        sa.Column("completed_this_year", money, nullable=False),
        sa.Column("planned_start", sa.Date()),
        sa.Column("planned_end", sa.Date()),
        sa.Column("description", sa.Text()),
        sa.Column("demo", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("geom", geoalchemy2.Geometry("GEOMETRY", srid=4326, spatial_index=False)),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.CheckConstraint("level IN ('provincial', 'municipal')", name="projects_level_check"),
        sa.CheckConstraint(f"status IN {STATUSES}", name="projects_status_check"),
        sa.CheckConstraint("geom IS NULL OR ST_IsValid(geom)", name="projects_geom_valid"),
        sa.CheckConstraint("geom IS NULL OR NOT ST_IsEmpty(geom)", name="projects_geom_nonempty"),
        sa.CheckConstraint("version >= 1", name="projects_version_check"),
    )


BUMP_VERSION = """
CREATE FUNCTION mapserver_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Every write moves the version on by one, whatever the client sent.
    NEW.version := OLD.version + 1;
    NEW.updated_at := now();
    RETURN NEW;
END $$
"""


def downgrade() -> None:
    op.drop_table("projects")
    op.execute("DROP FUNCTION mapserver_bump_version()")
    op.drop_table("working_groups")
    op.drop_table("counties")
    op.drop_table("cities")
