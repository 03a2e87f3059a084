"""Site photos (现场照片): one row per uploaded photo; the image itself lives outside the
database in a content-addressed store (``MAPSERVER_MEDIA_DIR``), named by its SHA-256.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

The county rule is 0005's ``mapserver_check_record_actor``: county editors may add photos
to their own county's projects and (softly) delete them, nothing else; dispatchers and
admins any. The write role may insert photos and update only ``deleted_at`` and
``deleted_by``, so a stored photo's content and place never change. Every write is a
revision in ``record_history`` and a ``photos`` entry in the change log (live clients).
A photo's location is its EXIF GPS position (WGS84); ``distance_m`` the ellipsoidal
distance to its project's site when uploaded; ``site`` what that means (on_site within
``MAPSERVER_PHOTO_SITE_M``).
"""

import geoalchemy2
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

APP_ROLE = "mapserver_app"
MEDIA_TYPES = "('image/jpeg', 'image/png', 'image/webp', 'image/heic')"
SITES = "('on_site', 'off_site', 'no_location')"
# 0005's county rule: (may create, columns a county editor may change, statuses).
COUNTY_EDITOR = ("true", "deleted_at,deleted_by", "")

SAME_PROJECT = """
CREATE FUNCTION mapserver_photo_report() RETURNS trigger LANGUAGE plpgsql AS $$
-- A photo may illustrate an investment report of its own project only.
BEGIN
    IF NEW.report_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM investment_reports WHERE id = NEW.report_id AND project_id = NEW.project_id
    ) THEN
        RAISE EXCEPTION 'investment report % is not one of project %', NEW.report_id,
            NEW.project_id USING ERRCODE = '23514';
    END IF;
    RETURN NEW;
END $$
"""

# The photos as a read-only map layer (layers/photos.yaml): positioned ones of live projects.
# Feature ids are text, as the feed compares them (``photo_id`` keeps the numeric order).
VIEW = """
CREATE VIEW photo_points AS
SELECT ph.id::text AS id, ph.id AS photo_id, p.code AS project, p.name, p.county, ph.site,
       ph.distance_m, ph.taken_at, ph.caption, ph.uploaded_by, ph.uploaded_at,
       '/battle/photos/' || ph.id || '/thumbnail' AS thumbnail_url, ph.location, ph.deleted_at
FROM photos ph JOIN projects p ON p.id = ph.project_id
WHERE p.deleted_at IS NULL AND ph.location IS NOT NULL
"""

CHECKS = (
    ("sha256", "sha256 ~ '^[0-9a-f]{64}$'"),
    ("media_type", f"media_type IN {MEDIA_TYPES}"),
    ("size", "bytes > 0 AND width > 0 AND height > 0"),
    ("site", f"site IN {SITES}"),
    ("location", "(site = 'no_location') = (location IS NULL)"),
    ("distance", "distance_m IS NULL OR (distance_m >= 0 AND location IS NOT NULL)"),
    ("deleted", "(deleted_at IS NULL) = (deleted_by IS NULL)"),
)


def _table() -> None:
    point = geoalchemy2.Geometry("POINT", srid=4326, spatial_index=False)
    project = sa.ForeignKey("projects.id", ondelete="CASCADE")
    report = sa.ForeignKey("investment_reports.id", ondelete="SET NULL")
    now = sa.func.now()
    op.create_table(
        "photos",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("project_id", sa.BigInteger(), project, nullable=False, index=True),
        sa.Column("report_id", sa.BigInteger(), report, index=True),
        sa.Column("sha256", sa.Text(), nullable=False, index=True),
        sa.Column("media_type", sa.Text(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("original_name", sa.Text()),
        sa.Column("caption", sa.Text()),
        sa.Column("taken_at", sa.DateTime(timezone=True)),
        sa.Column("location", point),
        sa.Column("distance_m", sa.Numeric()),
        sa.Column("site", sa.Text(), nullable=False),
        sa.Column("uploaded_by", sa.Text(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False, server_default=now),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
        sa.Column("deleted_by", sa.Text()),
        sa.Column("demo", sa.Boolean(), nullable=False, server_default=sa.false()),
        *(sa.CheckConstraint(sql, name=f"photos_{name}_check") for name, sql in CHECKS),
    )
    op.create_index("idx_photos_location", "photos", ["location"], postgresql_using="gist")


def _triggers() -> None:
    op.execute(SAME_PROJECT)
    args = "', '".join(COUNTY_EDITOR)
    triggers = (
        ("check_actor", "BEFORE INSERT OR UPDATE OR DELETE", "ROW",
         f"mapserver_check_record_actor('{args}')"),
        ("report", "BEFORE INSERT OR UPDATE", "ROW", "mapserver_photo_report()"),
        ("record_history", "AFTER INSERT OR UPDATE OR DELETE", "ROW",
         "mapserver_record_row_history()"),
    )  # fmt: skip
    for name, when, each, call in triggers:
        op.execute(
            f"CREATE TRIGGER photos_{name} {when} ON photos FOR EACH {each} EXECUTE FUNCTION {call}"
        )
    op.execute(
        "CREATE CONSTRAINT TRIGGER photos_log_change AFTER INSERT OR UPDATE OR DELETE ON photos"
        " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
        " EXECUTE FUNCTION mapserver_log_change('photos', 'id')"
    )


def upgrade() -> None:
    _table()
    _triggers()
    op.execute(VIEW)
    op.execute(f"GRANT SELECT, INSERT ON photos TO {APP_ROLE}")
    op.execute(f"GRANT SELECT ON photo_points TO {APP_ROLE}")
    op.execute(f"GRANT UPDATE (deleted_at, deleted_by) ON photos TO {APP_ROLE}")


def downgrade() -> None:
    op.execute("DROP VIEW photo_points")
    op.drop_table("photos")
    op.execute("DROP FUNCTION mapserver_photo_report()")
