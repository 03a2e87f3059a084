"""Progress health of a project: 正常 / 滞后 / 严重滞后, from plain values and a day.

Two signals; the worse one decides:

- milestones (节点): the most days an unfinished milestone is past its planned date
  (one due today is not late yet);
- investment (超时序进度): the points by which the year-to-date completion rate of the
  annual plan is behind the elapsed share of the year (day of the year / days in it,
  so 29 February counts). Reports of this year up to today make the year-to-date
  figure; without an annual plan there is no investment signal.

Projects whose status the rules do not track (e.g. reserve, completed) are
``not_tracked``. Comparisons are exact (fractions), so a project exactly on a threshold
is on it, and the database's ``battle_projects`` view (migrations 0005, 0006), which does the
same arithmetic in ``numeric``, gives the same answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from mapserver.store.periods import day_of_year, days_in_year

ON_TRACK = "on_track"
LAGGING = "lagging"
SERIOUSLY_LAGGING = "seriously_lagging"
NOT_TRACKED = "not_tracked"
HEALTHS = (ON_TRACK, LAGGING, SERIOUSLY_LAGGING, NOT_TRACKED)
LABELS = {ON_TRACK: "正常", LAGGING: "滞后", SERIOUSLY_LAGGING: "严重滞后", NOT_TRACKED: "不考核"}


@dataclass(frozen=True)
class HealthRules:
    """Thresholds (defaults as documented in docs/battle.md)."""

    lagging_days: int = 1
    seriously_lagging_days: int = 30
    lagging_points: Decimal = Decimal(10)
    seriously_lagging_points: Decimal = Decimal(25)
    statuses: tuple[str, ...] = ("preparing", "under_construction", "suspended")


@dataclass(frozen=True)
class Deadline:
    """A milestone (or a call-out): due on a day, done on a day or not yet."""

    due: dt.date
    done: dt.date | None = None


@dataclass(frozen=True)
class Report:
    month: dt.date  # first day of the month
    amount: Decimal


@dataclass(frozen=True)
class Assessment:
    health: str
    days_late: int
    points_behind: Fraction | None  # None: no annual plan
    year_to_date: Decimal


def days_late(milestones: Iterable[Deadline], today: dt.date) -> int:
    """Days the most overdue unfinished milestone is past its planned date (0: none)."""
    late = [(today - m.due).days for m in milestones if m.done is None]
    return max([d for d in late if d > 0], default=0)


def year_to_date(reports: Iterable[Report], today: dt.date) -> Decimal:
    """Completed this year up to today: the reports of this year's months so far."""
    start = dt.date(today.year, 1, 1)
    return sum((r.amount for r in reports if start <= r.month <= today), Decimal(0))


def elapsed_share(today: dt.date) -> Fraction:
    """The share of the year gone by at the end of ``today`` (时序进度), 0 < share ≤ 1."""
    return Fraction(day_of_year(today), days_in_year(today.year))


def points_behind(annual_plan: Decimal, ytd: Decimal, today: dt.date) -> Fraction | None:
    """Elapsed share minus completion rate, in percentage points (negative: ahead)."""
    if annual_plan <= 0:
        return None
    return 100 * (elapsed_share(today) - Fraction(ytd) / Fraction(annual_plan))


def level(days: int, behind: Fraction | None, rules: HealthRules) -> str:
    """The health for the two signals."""
    lag = behind if behind is not None else Fraction(-(10**9))
    if days >= rules.seriously_lagging_days or lag >= Fraction(rules.seriously_lagging_points):
        return SERIOUSLY_LAGGING
    if days >= rules.lagging_days or lag >= Fraction(rules.lagging_points):
        return LAGGING
    return ON_TRACK


def assess(
    status: str,
    annual_plan: Decimal,
    milestones: Iterable[Deadline],
    reports: Iterable[Report],
    today: dt.date,
    rules: HealthRules,
) -> Assessment:
    """A project's health on ``today``."""
    days = days_late(milestones, today)
    ytd = year_to_date(reports, today)
    behind = points_behind(annual_plan, ytd, today)
    health = level(days, behind, rules) if status in rules.statuses else NOT_TRACKED
    return Assessment(health, days, behind, ytd)
