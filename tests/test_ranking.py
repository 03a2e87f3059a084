"""The red/black list (红黑榜) against hand-worked fixtures: no framework, no database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

from mapserver.battle.health import Report
from mapserver.battle.ranking import (
    Callout,
    Deadline,
    Problem,
    ProjectFigures,
    RankingRules,
    TrackRules,
    components,
    on_time,
    rank,
    score,
    tally,
    without_data,
)

D = dt.date
AS_OF = D(2026, 6, 30)  # day 181 of 365
COUNTIES = {"511602": "广安区", "511603": "前锋区", "511621": "岳池县", "511622": "武胜县"}
ONE_EACH = RankingRules(tracks={"county": TrackRules(1, 1), "unit": TrackRules(1, 1)})


def project(code, county, unit, plan, ytd=0, milestones=()):
    reports = (Report(D(2026, 3, 1), Decimal(ytd)),) if ytd else ()
    return ProjectFigures(code, county, unit, Decimal(plan), reports, tuple(milestones))


# 广安区: on the time-line (181 of 365 done by day 181): investment 1; one milestone on
# time, one late: punctuality 1/2; two problems, one resolved: 1/2; no call-outs: 1.
# Score 40·1 + 30·½ + 15·½ + 15·1 = 77.5.
# 前锋区: half the time-line (181 of 730): ½; no milestones due: its weight (30) drops out;
# no problems: 1; one call-out answered after its deadline: 0.
# Score (40·½ + 15·1 + 15·0) / 70 · 100 = 50.
# 岳池县: no annual plan, no milestone due: no data (its problem does not make it data).
# 武胜县: no projects at all: no data.
PROJECTS = [
    project("A", "511602", "甲局", 365, 181, [Deadline(D(2026, 3, 1), D(2026, 2, 28)),
                                              Deadline(D(2026, 5, 1), D(2026, 5, 10))]),
    project("B", "511603", "乙局", 730, 181),
    project("C", "511621", "丙局", 0, 0, [Deadline(D(2026, 9, 1))]),
]  # fmt: skip
PROBLEMS = [
    Problem("511602", "甲局", D(2026, 4, 1), D(2026, 4, 20)),
    Problem("511602", "甲局", D(2026, 6, 1)),
    Problem("511621", "丙局", D(2026, 6, 1)),
    Problem("511602", "甲局", D(2026, 7, 1)),  # raised after the day: does not count
]
CALLOUTS = [
    Callout("511603", "乙局", D(2026, 6, 1), D(2026, 6, 10), D(2026, 6, 12)),
    Callout("511603", "乙局", D(2026, 7, 1), D(2026, 7, 10)),  # issued after the day
]


def county_list(rules=ONE_EACH, as_of=AS_OF):
    tallies = tally("county", COUNTIES, PROJECTS, PROBLEMS, CALLOUTS, as_of)
    return rank(tallies, as_of, rules, "county")


def test_hand_worked_county_scores():
    result = county_list()
    assert [(e["key"], e["score"], e["rank"]) for e in result["ranked"]] == [
        ("511602", 77.5, 1),
        ("511603", 50.0, 2),
    ]
    first, second = result["ranked"]
    assert first["punctuality"] == {"counted": 2, "on_time": 1, "share": 0.5}
    assert first["problems"] == {"raised": 2, "resolved": 1, "open": 1, "share": 0.5}
    assert second["punctuality"]["share"] is None
    assert second["callouts"] == {"counted": 1, "on_time": 0, "overdue": 1, "share": 0.0}
    assert result["red"] == ["511602"] and result["black"] == ["511603"]
    assert [e["list"] for e in result["ranked"]] == ["red", "black"]


def test_no_data_is_listed_not_ranked():
    result = county_list()
    assert [(u["key"], u["projects"]) for u in result["no_data"]] == [("511621", 1), ("511622", 0)]
    assert without_data(PROJECTS, AS_OF) == ["C"]


def test_red_and_black_never_overlap():
    result = county_list(RankingRules())  # top 2, bottom 2 of 2 ranked
    assert result["red"] == ["511602", "511603"] and result["black"] == []


def test_unit_track_attributes_problems_and_callouts_to_their_unit():
    tallies = tally("unit", {}, PROJECTS, PROBLEMS, CALLOUTS, AS_OF)
    result = rank(tallies, AS_OF, ONE_EACH, "unit")
    assert [e["key"] for e in result["ranked"]] == ["甲局", "乙局"]
    assert [u["key"] for u in result["no_data"]] == ["丙局"]


def test_deadline_today_and_early_completion():
    due_today = Deadline(AS_OF)
    done_today = Deadline(AS_OF, AS_OF)
    done_early = Deadline(D(2026, 9, 1), D(2026, 6, 1))  # counts, on time
    done_later = Deadline(D(2026, 6, 1), D(2026, 7, 1))  # done after the day: not yet done
    assert on_time([due_today], AS_OF) == [0, 0]
    assert on_time([done_today], AS_OF) == [1, 1]
    assert on_time([done_early], AS_OF) == [1, 1]
    assert on_time([done_later], AS_OF) == [1, 0]


def test_leap_year_time_line():
    # 29 Feb 2028: day 60 of 366. 30 of 183 done = 60/366: exactly on the time-line.
    p = ProjectFigures("L", "511602", "甲局", Decimal(183), (Report(D(2028, 2, 1), Decimal(30)),))
    t = tally("county", {}, [p], [], [], D(2028, 2, 29))["511602"]
    assert components(t, D(2028, 2, 29))["investment"] == 1
    # A day earlier (28 Feb, day 59): ahead, still capped at 1.
    assert components(t, D(2028, 2, 28))["investment"] == 1


def test_year_boundary_uses_only_this_years_reports():
    p = ProjectFigures("Y", "511602", "甲局", Decimal(100), (Report(D(2026, 12, 1), Decimal(100)),))
    december = tally("county", {}, [p], [], [], D(2026, 12, 31))["511602"]
    january = tally("county", {}, [p], [], [], D(2027, 1, 31))["511602"]
    assert components(december, D(2026, 12, 31))["investment"] == 1
    assert components(january, D(2027, 1, 31))["investment"] == 0


def test_score_renormalizes_over_present_components():
    weights = {"investment": 40, "punctuality": 30, "problems": 15, "callouts": 15}
    parts = {"investment": Fraction(1, 2), "punctuality": None, "problems": 1, "callouts": 0}
    assert score(parts, weights) == 50


def test_ties_broken_by_investment_then_punctuality_then_key():
    # X: investment 1 (ahead: 2× the time-line), punctuality ½ → 40 + 15 + 15 + 15 = 85.
    # Y: investment ⅝ of the time-line, punctuality 1 → 25 + 30 + 15 + 15 = 85.
    half_year = 181
    x = project(
        "X",
        "511602",
        "X局",
        365,
        2 * half_year,
        [Deadline(D(2026, 1, 1), D(2026, 1, 1)), Deadline(D(2026, 2, 1))],
    )
    y = project(
        "Y", "511603", "Y局", 365 * 8, 5 * half_year, [Deadline(D(2026, 1, 1), D(2026, 1, 1))]
    )
    tallies = tally("county", {}, [x, y], [], [], AS_OF)
    default = rank(tallies, AS_OF, RankingRules(), "county")
    assert [(e["key"], e["score"]) for e in default["ranked"]] == [
        ("511602", 85.0),
        ("511603", 85.0),
    ]
    by_punctuality = RankingRules(tie_break=("punctuality", "key"))
    assert [e["key"] for e in rank(tallies, AS_OF, by_punctuality, "county")["ranked"]] == [
        "511603", "511602"
    ]  # fmt: skip


def test_full_tie_falls_back_to_the_key():
    same = [project(c, c, "局", 365, 181) for c in ("511622", "511602", "511621")]
    result = rank(tally("county", {}, same, [], [], AS_OF), AS_OF, RankingRules(), "county")
    assert [e["key"] for e in result["ranked"]] == ["511602", "511621", "511622"]
    assert len({e["score"] for e in result["ranked"]}) == 1


def test_nothing_at_all():
    result = rank(tally("county", COUNTIES, [], [], [], AS_OF), AS_OF, RankingRules(), "county")
    assert result["ranked"] == [] and result["red"] == [] and result["black"] == []
    assert len(result["no_data"]) == 4
