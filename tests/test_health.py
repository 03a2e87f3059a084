"""Project health (正常/滞后/严重滞后) against hand-worked fixtures: no framework, no database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest

from mapserver.battle.health import (
    LAGGING,
    NOT_TRACKED,
    ON_TRACK,
    SERIOUSLY_LAGGING,
    Deadline,
    HealthRules,
    Report,
    assess,
    elapsed_share,
    points_behind,
)
from mapserver.store import periods

RULES = HealthRules()  # 1 / 30 days; 10 / 25 points
D = dt.date


def health_of(today, milestones=(), reports=(), plan="1000", status="under_construction"):
    return assess(status, Decimal(plan), milestones, reports, today, RULES)


def test_no_milestones_no_reports_on_new_year():
    # 1 January: 1/365 of the year gone, nothing done: 0.27 points behind.
    got = health_of(D(2026, 1, 1))
    assert got.health == ON_TRACK and got.days_late == 0
    assert got.points_behind == Fraction(100, 365) and got.year_to_date == 0


def test_no_reports_later_in_the_year_is_behind_by_the_elapsed_share():
    # 6 February 2026: day 37 of 365 → 10.14 points behind with nothing reported.
    assert health_of(D(2026, 2, 5)).health == ON_TRACK  # day 36: 9.86 points
    assert health_of(D(2026, 2, 6)).health == LAGGING


def test_no_annual_plan_means_no_investment_signal():
    got = health_of(D(2026, 11, 30), plan="0")
    assert got.points_behind is None and got.health == ON_TRACK


@pytest.mark.parametrize(
    ("planned", "health", "days"),
    [
        (D(2026, 5, 10), ON_TRACK, 0),  # due today: not late yet
        (D(2026, 5, 11), ON_TRACK, 0),  # due tomorrow
        (D(2026, 5, 9), LAGGING, 1),  # yesterday: one day late
        (D(2026, 4, 11), LAGGING, 29),
        (D(2026, 4, 10), SERIOUSLY_LAGGING, 30),
    ],
)
def test_milestone_days_late(planned, health, days):
    got = health_of(D(2026, 5, 10), [Deadline(planned)], plan="0")
    assert (got.health, got.days_late) == (health, days)


def test_a_done_milestone_is_not_late_however_late_it_was_done():
    done_late = Deadline(D(2026, 1, 10), D(2026, 4, 1))
    assert health_of(D(2026, 5, 10), [done_late], plan="0").health == ON_TRACK


def test_the_most_overdue_open_milestone_counts():
    ms = [
        Deadline(D(2026, 5, 1)),
        Deadline(D(2026, 3, 1), D(2026, 3, 2)),
        Deadline(D(2026, 4, 1)),
    ]
    assert health_of(D(2026, 5, 10), ms, plan="0").days_late == 39


def test_leap_day_exactly_on_the_threshold():
    # 29 Feb 2028 is day 60 of 366: 16.39 % of the year. Plan 366, 23.40 done: 6.39 %.
    # 100·60/366 − 100·23.4/366 = 100·36.6/366 = exactly 10 points: lagging.
    today = D(2028, 2, 29)
    assert elapsed_share(today) == Fraction(60, 366)
    reports = [Report(D(2028, 1, 1), Decimal("12.00")), Report(D(2028, 2, 1), Decimal("11.40"))]
    got = health_of(today, reports=reports, plan="366")
    assert got.points_behind == 10 and got.health == LAGGING
    one_cent_more = [*reports, Report(D(2028, 2, 1), Decimal("0.01"))]
    assert health_of(today, reports=one_cent_more, plan="366").health == ON_TRACK


def test_year_boundary_december_reports_do_not_count_in_january():
    # 31 Dec 2026: the whole year gone; 750 of 1000 done: exactly 25 points behind.
    reports = [Report(D(2026, m, 1), Decimal("62.50")) for m in range(1, 13)]
    assert health_of(D(2026, 12, 31), reports=reports).points_behind == 25
    assert health_of(D(2026, 12, 31), reports=reports).health == SERIOUSLY_LAGGING
    # 1 Jan 2027: a new year, nothing of it reported yet, 1/365 gone.
    new_year = health_of(D(2027, 1, 1), reports=reports)
    assert new_year.year_to_date == 0 and new_year.health == ON_TRACK


def test_this_months_report_counts_next_months_does_not():
    reports = [Report(D(2026, 4, 1), Decimal("100")), Report(D(2026, 5, 1), Decimal("900"))]
    assert health_of(D(2026, 4, 15), reports=reports).year_to_date == 100


def test_ahead_of_the_time_line_is_negative():
    assert points_behind(Decimal(100), Decimal(100), D(2026, 6, 30)) < 0


def test_the_worse_signal_decides():
    late_5_days = [Deadline(D(2026, 6, 25))]
    far_behind = [Report(D(2026, 1, 1), Decimal(1))]  # 49.6 % of the year gone, 0.1 % done
    got = health_of(D(2026, 6, 30), late_5_days, far_behind)
    assert got.days_late == 5 and got.health == SERIOUSLY_LAGGING


def test_untracked_statuses():
    late = [Deadline(D(2026, 1, 1))]
    for status in ("reserve", "completed"):
        assert health_of(D(2026, 6, 30), late, status=status).health == NOT_TRACKED
    assert health_of(D(2026, 6, 30), late, status="suspended").health == SERIOUSLY_LAGGING


def test_thresholds_come_from_the_rules():
    strict = HealthRules(lagging_days=5, seriously_lagging_days=10, lagging_points=Decimal("2.5"))
    got = assess("preparing", Decimal(0), [Deadline(D(2026, 5, 6))], [], D(2026, 5, 10), strict)
    assert got.days_late == 4 and got.health == ON_TRACK
    behind = assess("preparing", Decimal(365), [], [], D(2026, 1, 10), strict)  # 2.74 points
    assert behind.health == LAGGING


@pytest.mark.parametrize(
    ("text", "kind", "start", "end"),
    [
        ("2026-04", "month", D(2026, 4, 1), D(2026, 4, 30)),
        ("2028-02", "month", D(2028, 2, 1), D(2028, 2, 29)),
        ("2026-12", "month", D(2026, 12, 1), D(2026, 12, 31)),
        ("2026-Q2", "quarter", D(2026, 4, 1), D(2026, 6, 30)),
        ("2026-Q4", "quarter", D(2026, 10, 1), D(2026, 12, 31)),
        ("2026", "year", D(2026, 1, 1), D(2026, 12, 31)),
    ],
)
def test_periods(text, kind, start, end):
    period = periods.parse(text)
    assert (period.kind, period.start, period.end, period.text) == (kind, start, end, text)
    assert period.as_of(D(2026, 5, 10)) == min(end, D(2026, 5, 10))


@pytest.mark.parametrize(
    "text", ["2026-13", "2026-00", "2026-Q5", "26-04", "2026-4", "", "2026-04-01"]
)
def test_bad_periods(text):
    with pytest.raises(periods.PeriodError):
        periods.parse(text)


def test_report_months():
    assert periods.parse_month("2026-04") == periods.parse_month("2026-04-01") == D(2026, 4, 1)
    for bad in ("2026-04-02", "2026-Q1", "2026"):
        with pytest.raises(periods.PeriodError):
            periods.parse_month(bad)
