"""The battle map's tables (migration 0005 on): records, their history and rules, photos.

Registered on :class:`mapserver.store.models.Base`, which imports this module, so Alembic
sees them with every other table.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from mapserver.store.models import Base

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
