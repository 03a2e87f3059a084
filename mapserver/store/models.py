"""Tables as SQLAlchemy models: the schema Alembic compares migrations against.

The read path does not use these classes (it builds SQL from the layer files);
the loaders and the write path do.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import CIDR, JSONB
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


class User(Base):
    """A person who logs in; county editors are bound to one county."""

    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint(
            "role IN ('admin', 'dispatcher', 'county_editor', 'viewer')", name="users_role_check"
        ),
        sa.CheckConstraint(
            "(role = 'county_editor') = (county IS NOT NULL)", name="users_county_check"
        ),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    username: Mapped[str] = mapped_column(sa.Text, nullable=False, unique=True)
    display_name: Mapped[str] = mapped_column(sa.Text, nullable=False, server_default="")
    role: Mapped[str] = mapped_column(sa.Text, nullable=False)
    county: Mapped[str | None] = mapped_column(sa.Text, sa.ForeignKey("counties.adcode"))
    password_hash: Mapped[str] = mapped_column(sa.Text, nullable=False)
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, server_default=sa.true())
    created_at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )
    last_login_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))


class UserSession(Base):
    """A login; ``id`` is the SHA-256 of the token in the session cookie."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.BigInteger, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )
    expires_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))


class ApiToken(Base):
    """A revocable bearer token for machine clients; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.BigInteger, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(sa.Text, nullable=False)
    token_hash: Mapped[str] = mapped_column(sa.Text, nullable=False, unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )
    last_used_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))


class ScreenToken(Base):
    """A big screen's read-only token (accounts/screens.py); only its SHA-256 is stored."""

    __tablename__ = "screen_tokens"
    __table_args__ = (
        sa.CheckConstraint("length(name) BETWEEN 1 AND 100", name="screen_tokens_name_check"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text, nullable=False)
    token_hash: Mapped[str] = mapped_column(sa.Text, nullable=False, unique=True)
    cidr: Mapped[str | None] = mapped_column(CIDR)
    created_by: Mapped[int | None] = mapped_column(
        sa.BigInteger, sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )
    last_used_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))


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


# ---- the battle map (migration 0005) -------------------------------------------------


def _project_id(index: bool = True) -> Mapped[int]:
    fk = sa.ForeignKey("projects.id", ondelete="CASCADE")
    return mapped_column(sa.BigInteger, fk, nullable=False, index=index)


class _Stamped:
    """Demo flag, version (bumped by a trigger) and times of a battle-map record."""

    demo: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, server_default=sa.false())
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="1")
    created_at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )


class _Reviewed:
    """The city's review of a county's claim (migration 0007): stamps set by the database."""

    submitted_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    submitted_by: Mapped[str | None] = mapped_column(sa.Text)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    reviewed_by: Mapped[str | None] = mapped_column(sa.Text)
    return_reason: Mapped[str | None] = mapped_column(sa.Text)


RETURN_CHECK = "review IS DISTINCT FROM 'returned' OR coalesce(return_reason, '') <> ''"
REVIEWS = "('draft', 'submitted', 'approved', 'returned')"


class Milestone(_Stamped, Base):
    """节点: a milestone on a project's time-line."""

    __tablename__ = "milestones"
    __table_args__ = (sa.CheckConstraint("name <> ''", name="milestones_name_check"),)

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    project_id: Mapped[int] = _project_id()
    name: Mapped[str] = mapped_column(sa.Text, nullable=False)
    planned_date: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    actual_date: Mapped[dt.date | None] = mapped_column(sa.Date)
    note: Mapped[str | None] = mapped_column(sa.Text)


class InvestmentReport(_Reviewed, _Stamped, Base):
    """月度投资: investment completed in one month (万元); totals are derived, not stored."""

    __tablename__ = "investment_reports"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "month", name="investment_reports_project_month_key"),
        sa.CheckConstraint(
            "month = date_trunc('month', month)::date", name="investment_reports_month_check"
        ),
        sa.CheckConstraint("amount >= 0", name="investment_reports_amount_check"),
        sa.CheckConstraint(f"review IN {REVIEWS}", name="investment_reports_review_check"),
        sa.CheckConstraint(RETURN_CHECK, name="investment_reports_return_check"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    project_id: Mapped[int] = _project_id(index=False)
    month: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    amount: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2), nullable=False)
    remarks: Mapped[str | None] = mapped_column(sa.Text)
    review: Mapped[str] = mapped_column(sa.Text, nullable=False, server_default="approved")


class Problem(_Reviewed, _Stamped, Base):
    """问题清单: a problem to solve, with a responsible unit and a due date."""

    __tablename__ = "problems"
    __table_args__ = (
        sa.CheckConstraint("status IN ('open', 'resolved')", name="problems_status_check"),
        sa.CheckConstraint(
            "(status = 'resolved') = (resolved_on IS NOT NULL)", name="problems_resolved_check"
        ),
        sa.CheckConstraint(
            "due_date >= raised_on AND resolved_on >= raised_on", name="problems_dates_check"
        ),
        sa.CheckConstraint(
            f"CASE status WHEN 'open' THEN review IS NULL ELSE review IN {REVIEWS} END",
            name="problems_review_check",
        ),
        sa.CheckConstraint(RETURN_CHECK, name="problems_return_check"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    project_id: Mapped[int] = _project_id()
    description: Mapped[str] = mapped_column(sa.Text, nullable=False)
    category: Mapped[str | None] = mapped_column(sa.Text)
    raised_on: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    responsible_unit: Mapped[str] = mapped_column(sa.Text, nullable=False)
    due_date: Mapped[dt.date | None] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.Text, nullable=False, server_default="open")
    resolution: Mapped[str | None] = mapped_column(sa.Text)
    resolved_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    review: Mapped[str | None] = mapped_column(sa.Text)


class Callout(_Stamped, Base):
    """点球: a call-out naming a project, a responsible unit, a demand and a deadline."""

    __tablename__ = "callouts"
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('issued', 'responded', 'closed')", name="callouts_status_check"
        ),
        sa.CheckConstraint(
            "CASE status WHEN 'issued' THEN responded_on IS NULL AND closed_on IS NULL"
            " WHEN 'responded' THEN responded_on IS NOT NULL AND closed_on IS NULL"
            " ELSE closed_on IS NOT NULL END",
            name="callouts_state_check",
        ),
        sa.CheckConstraint(
            "deadline >= issued_on AND responded_on >= issued_on AND closed_on >= issued_on",
            name="callouts_dates_check",
        ),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    project_id: Mapped[int] = _project_id()
    responsible_unit: Mapped[str] = mapped_column(sa.Text, nullable=False)
    issued_by: Mapped[str] = mapped_column(sa.Text, nullable=False)
    issued_on: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    deadline: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    demand: Mapped[str] = mapped_column(sa.Text, nullable=False)
    status: Mapped[str] = mapped_column(sa.Text, nullable=False, server_default="issued")
    response: Mapped[str | None] = mapped_column(sa.Text)
    responded_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    closed_on: Mapped[dt.date | None] = mapped_column(sa.Date)


class RankingPeriod(Base):
    """红黑榜: a published red/black list, frozen (a trigger refuses any change)."""

    __tablename__ = "ranking_periods"
    __table_args__ = (
        sa.CheckConstraint(
            "(kind = 'month' AND period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$')"
            " OR (kind = 'quarter' AND period ~ '^[0-9]{4}-Q[1-4]$')",
            name="ranking_periods_period_check",
        ),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    period: Mapped[str] = mapped_column(sa.Text, nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(sa.Text, nullable=False)
    as_of: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    published_at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )
    published_by: Mapped[str] = mapped_column(sa.Text, nullable=False)
    rules = mapped_column(JSONB, nullable=False)
    snapshot = mapped_column(JSONB, nullable=False)


class RecordHistory(Base):
    """One revision of a battle-map record, written by a trigger (append-only)."""

    __tablename__ = "record_history"
    __table_args__ = (
        sa.CheckConstraint("op IN ('create', 'update', 'purge')", name="record_history_op_check"),
        sa.Index("ix_record_history_row", "table_name", "row_id"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    table_name: Mapped[str] = mapped_column(sa.Text, nullable=False)
    row_id: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    version: Mapped[int | None] = mapped_column(sa.Integer)
    op: Mapped[str] = mapped_column(sa.Text, nullable=False)
    at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )
    actor: Mapped[str] = mapped_column(sa.Text, nullable=False)
    actor_role: Mapped[str | None] = mapped_column(sa.Text)
    changed: Mapped[list[str]] = mapped_column(sa.ARRAY(sa.Text), nullable=False)
    old_values = mapped_column(JSONB)
    new_values = mapped_column(JSONB)


class HealthRule(Base):
    """The health thresholds the ``battle_projects`` view uses (one row, from the rules file)."""

    __tablename__ = "health_rules"
    __table_args__ = (
        sa.CheckConstraint("id", name="health_rules_one_row"),
        sa.CheckConstraint(
            "1 <= lagging_days AND lagging_days <= seriously_lagging_days"
            " AND 0 < lagging_points AND lagging_points <= seriously_lagging_points",
            name="health_rules_order_check",
        ),
    )

    id: Mapped[bool] = mapped_column(sa.Boolean, primary_key=True, server_default=sa.true())
    lagging_days: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    seriously_lagging_days: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    lagging_points: Mapped[Decimal] = mapped_column(sa.Numeric, nullable=False)
    seriously_lagging_points: Mapped[Decimal] = mapped_column(sa.Numeric, nullable=False)
    statuses: Mapped[list[str]] = mapped_column(sa.ARRAY(sa.Text), nullable=False)


class ProjectRecordSummary(Base):
    """What health needs from a project's records, kept by triggers (migration 0006) so the
    ``battle_projects`` view reads one row per project instead of aggregating its records."""

    __tablename__ = "project_record_summary"

    project_id: Mapped[int] = mapped_column(
        sa.BigInteger, sa.ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    first_open_milestone: Mapped[dt.date | None] = mapped_column(sa.Date)
    report_months: Mapped[list[dt.date]] = mapped_column(sa.ARRAY(sa.Date), nullable=False)
    report_totals: Mapped[list[Decimal]] = mapped_column(sa.ARRAY(sa.Numeric), nullable=False)
    open_problems: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    first_open_due: Mapped[dt.date | None] = mapped_column(sa.Date)
    issued_deadlines: Mapped[list[dt.date]] = mapped_column(sa.ARRAY(sa.Date), nullable=False)
    pending_amount: Mapped[Decimal] = mapped_column(sa.Numeric, nullable=False)
    pending_reviews: Mapped[int] = mapped_column(sa.Integer, nullable=False)


class ReportingRule(Base):
    """When a month's reporting closes for county editors (one row, from the rules file)."""

    __tablename__ = "reporting_rules"
    __table_args__ = (
        sa.CheckConstraint("id", name="reporting_rules_one_row"),
        sa.CheckConstraint("deadline_day BETWEEN 1 AND 28", name="reporting_rules_day_check"),
    )

    id: Mapped[bool] = mapped_column(sa.Boolean, primary_key=True, server_default=sa.true())
    deadline_day: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="5")


# ---- site photos (migration 0008) ----------------------------------------------------

PHOTO_CHECKS = (
    ("sha256", "sha256 ~ '^[0-9a-f]{64}$'"),
    ("media_type", "media_type IN ('image/jpeg', 'image/png', 'image/webp', 'image/heic')"),
    ("size", "bytes > 0 AND width > 0 AND height > 0"),
    ("site", "site IN ('on_site', 'off_site', 'no_location')"),
    ("location", "(site = 'no_location') = (location IS NULL)"),
    ("distance", "distance_m IS NULL OR (distance_m >= 0 AND location IS NOT NULL)"),
    ("deleted", "(deleted_at IS NULL) = (deleted_by IS NULL)"),
)


class Photo(Base):
    """现场照片: a photo of a project's site; the image is in the media store, by SHA-256."""

    __tablename__ = "photos"
    __table_args__ = (
        *(sa.CheckConstraint(sql, name=f"photos_{name}_check") for name, sql in PHOTO_CHECKS),
        sa.Index("idx_photos_location", "location", postgresql_using="gist"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    project_id: Mapped[int] = _project_id()
    report_id: Mapped[int | None] = mapped_column(
        sa.BigInteger, sa.ForeignKey("investment_reports.id", ondelete="SET NULL"), index=True
    )
    sha256: Mapped[str] = mapped_column(sa.Text, nullable=False, index=True)
    media_type: Mapped[str] = mapped_column(sa.Text, nullable=False)
    bytes: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    width: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    height: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    original_name: Mapped[str | None] = mapped_column(sa.Text)
    caption: Mapped[str | None] = mapped_column(sa.Text)
    taken_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    location = mapped_column(Geometry("POINT", srid=4326, spatial_index=False))
    distance_m: Mapped[Decimal | None] = mapped_column(sa.Numeric)
    site: Mapped[str] = mapped_column(sa.Text, nullable=False)
    uploaded_by: Mapped[str] = mapped_column(sa.Text, nullable=False)
    uploaded_at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )
    deleted_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    deleted_by: Mapped[str | None] = mapped_column(sa.Text)
    demo: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, server_default=sa.false())


class LoginFailure(Base):
    """A login throttle counter: ``addr:<address>`` or ``user:<username>`` (accounts.throttle)."""

    __tablename__ = "login_failures"
    __table_args__ = (sa.CheckConstraint("count >= 0", name="login_failures_count_check"),)

    key: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    count: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    next_allowed: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    expires_at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, index=True
    )


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
