"""Tables as SQLAlchemy models: the schema Alembic compares migrations against.

The read path does not use these classes (it builds SQL from the layer files);
the loaders and the write path do.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

STATUSES = ("reserve", "preparing", "under_construction", "completed", "suspended")
LEVELS = ("provincial", "municipal")


class Base(DeclarativeBase):
    pass


class City(Base):
    __tablename__ = "cities"

    adcode: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text, nullable=False)
    boundary = mapped_column(
        Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False
    )


class County(Base):
    __tablename__ = "counties"

    adcode: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text, nullable=False, unique=True)
    boundary = mapped_column(
        Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False
    )


class WorkingGroup(Base):
    __tablename__ = "working_groups"

    code: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text, nullable=False, unique=True)


class Project(Base):
    __tablename__ = "projects"
    __table_args__ = (
        sa.CheckConstraint(f"level IN {LEVELS}", name="projects_level_check"),
        sa.CheckConstraint(f"status IN {STATUSES}", name="projects_status_check"),
        sa.CheckConstraint("geom IS NULL OR ST_IsValid(geom)", name="projects_geom_valid"),
        sa.CheckConstraint("geom IS NULL OR NOT ST_IsEmpty(geom)", name="projects_geom_nonempty"),
        sa.CheckConstraint("version >= 1", name="projects_version_check"),
        sa.Index("idx_projects_geom", "geom", postgresql_using="gist"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    code: Mapped[str] = mapped_column(sa.Text, nullable=False, unique=True)
    name: Mapped[str] = mapped_column(sa.Text, nullable=False)
    level: Mapped[str] = mapped_column(sa.Text, nullable=False)
    working_group: Mapped[str] = mapped_column(
        sa.ForeignKey("working_groups.code"), nullable=False, index=True
    )
    county: Mapped[str] = mapped_column(
        sa.ForeignKey("counties.adcode"), nullable=False, index=True
    )
    status: Mapped[str] = mapped_column(sa.Text, nullable=False, index=True)
    owner_unit: Mapped[str] = mapped_column(sa.Text, nullable=False)
    leader: Mapped[str | None] = mapped_column(sa.Text)
    total_investment: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2), nullable=False)
    annual_plan: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2), nullable=False)
    completed_this_year: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2), nullable=False)
    planned_start: Mapped[dt.date | None] = mapped_column(sa.Date)
    planned_end: Mapped[dt.date | None] = mapped_column(sa.Date)
    description: Mapped[str | None] = mapped_column(sa.Text)
    demo: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, server_default=sa.false())
    geom = mapped_column(Geometry("GEOMETRY", srid=4326, spatial_index=False))
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="1")
    created_at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )

    deleted_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    deleted_by: Mapped[str | None] = mapped_column(sa.Text)
    area_mu: Mapped[float | None] = mapped_column(sa.Float)
    area_ha: Mapped[float | None] = mapped_column(sa.Float)
    length_km: Mapped[float | None] = mapped_column(sa.Float)


class ChangeLog(Base):
    """One row per committed change to a layer's table, in commit order."""

    __tablename__ = "change_log"
    # A restore's new epoch (mapserver.features.live.start_epoch), found without reading the log.
    __table_args__ = (
        sa.Index("change_log_epochs", "id", postgresql_where=sa.text("op = 'epoch'")),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )
    layer: Mapped[str] = mapped_column(sa.Text, nullable=False)
    op: Mapped[str] = mapped_column(sa.Text, nullable=False)
    feature_id: Mapped[str] = mapped_column(sa.Text, nullable=False)


class ProjectHistory(Base):
    """One revision of a project, written by a trigger in the same transaction (append-only)."""

    __tablename__ = "project_history"
    __table_args__ = (
        sa.CheckConstraint(
            "op IN ('create', 'update', 'delete', 'undelete', 'purge')",
            name="project_history_op_check",
        ),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    code: Mapped[str] = mapped_column(sa.Text, nullable=False, index=True)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    op: Mapped[str] = mapped_column(sa.Text, nullable=False)
    at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )
    actor: Mapped[str] = mapped_column(sa.Text, nullable=False)
    actor_role: Mapped[str | None] = mapped_column(sa.Text)
    note: Mapped[str | None] = mapped_column(sa.Text)
    changed: Mapped[list[str]] = mapped_column(sa.ARRAY(sa.Text), nullable=False)
    old_properties = mapped_column(JSONB)
    new_properties = mapped_column(JSONB)
    old_geom = mapped_column(Geometry("GEOMETRY", srid=4326, spatial_index=False))
    new_geom = mapped_column(Geometry("GEOMETRY", srid=4326, spatial_index=False))


class TileCache(Base):
    """A rendered vector tile (mapserver.features.tile_cache); deleted by triggers when the data it
    shows changes (migration 0013)."""

    __tablename__ = "tile_cache"
    __table_args__ = (sa.Index("ix_tile_cache_place", "layer", "z", "x", "y"),)

    layer: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    variant: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    z: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    x: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    y: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    day: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    tile: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)
    etag: Mapped[str] = mapped_column(sa.Text, nullable=False)
    owned: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )


# The account and battle-map tables register on Base when imported: whoever has Base
# (Alembic's env.py, the migration test) has every table.
from mapserver.store import account_models, battle_models  # noqa: E402, F401
