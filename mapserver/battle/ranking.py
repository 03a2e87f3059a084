"""The red/black list (红黑榜): scores for counties or responsible units, from plain values.

Every figure is taken "as of" one day (a period's last day, or today while it runs).
Four components, each a share between 0 and 1:

- ``investment``: year-to-date investment over the annual plans, against the time-line
  (rate / elapsed share of the year), capped at 1;
- ``punctuality``: milestones done on time over milestones that count (due before the
  day, or done by it);
- ``problems``: problems resolved over problems raised (none raised: 1);
- ``callouts``: 点球 call-outs answered by their deadline over those that count (none: 1).

The score is the weighted mean ×100 over the components a unit has data for (a unit with
no annual plan or no milestones due is scored on the others). A unit with neither an
annual plan nor a milestone that counts has no data: it is not ranked but listed
under ``no_data``. Ties on the score are broken by the configured components, then by
the key (county adcode or unit name), so the order is total and repeatable. Arithmetic
is exact (fractions); figures are rounded only for the output.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from mapserver.battle import health
from mapserver.battle.health import Deadline

COMPONENTS = ("investment", "punctuality", "problems", "callouts")
TRACKS = ("county", "unit")
TIE_KEYS = (*COMPONENTS, "key")
DEFAULT_WEIGHTS = {"investment": 40, "punctuality": 30, "problems": 15, "callouts": 15}


@dataclass(frozen=True)
class TrackRules:
    top_n: int
    bottom_n: int


@dataclass(frozen=True)
class RankingRules:
    weights: Mapping[str, Decimal] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    tie_break: tuple[str, ...] = ("investment", "punctuality", "key")
    tracks: Mapping[str, TrackRules] = field(
        default_factory=lambda: {"county": TrackRules(2, 2), "unit": TrackRules(5, 5)}
    )
    statuses: tuple[str, ...] = ("preparing", "under_construction", "completed", "suspended")


@dataclass(frozen=True)
class ProjectFigures:
    code: str
    county: str
    unit: str  # the project's responsible unit (owner_unit)
    annual_plan: Decimal
    reports: tuple[health.Report, ...] = ()
    milestones: tuple[Deadline, ...] = ()


@dataclass(frozen=True)
class Problem:
    county: str  # of its project
    unit: str  # its responsible unit
    raised_on: dt.date
    resolved_on: dt.date | None = None


@dataclass(frozen=True)
class Callout:
    county: str
    unit: str
    issued_on: dt.date
    deadline: dt.date
    handled_on: dt.date | None = None  # responded, or closed without a response


@dataclass
class Tally:
    """What one county or unit adds up to."""

    key: str
    name: str
    projects: int = 0
    plan: Decimal = Decimal(0)
    ytd: Decimal = Decimal(0)
    milestones: list[int] = field(default_factory=lambda: [0, 0])  # counted, on time
    problems: list[int] = field(default_factory=lambda: [0, 0])  # raised, resolved
    callouts: list[int] = field(default_factory=lambda: [0, 0])  # counted, on time

    @property
    def has_data(self) -> bool:
        return self.plan > 0 or self.milestones[0] > 0


def on_time(items: Iterable[Deadline], as_of: dt.date) -> list[int]:
    """[counted, on time]: an item counts once its day has passed or it is done."""
    counted = done = 0
    for item in items:
        finished = item.done is not None and item.done <= as_of
        if item.due < as_of or finished:
            counted += 1
            done += finished and item.done <= item.due
    return [counted, done]


def against_time_line(t: Tally, as_of: dt.date) -> Fraction | None:
    """Year-to-date investment over the plans, over the elapsed share of the year (uncapped)."""
    if t.plan <= 0:
        return None
    return Fraction(t.ytd) / Fraction(t.plan) / health.elapsed_share(as_of)


def components(t: Tally, as_of: dt.date) -> dict[str, Fraction | None]:
    """Each component's share (None: no data for it)."""
    invest = against_time_line(t, as_of)
    return {
        "investment": None if invest is None else min(Fraction(1), invest),
        "punctuality": _share(t.milestones, None),
        "problems": _share(t.problems, Fraction(1)),
        "callouts": _share(t.callouts, Fraction(1)),
    }


def _share(pair: list[int], empty: Fraction | None) -> Fraction | None:
    return Fraction(pair[1], pair[0]) if pair[0] else empty


def score(parts: Mapping[str, Fraction | None], weights: Mapping[str, Decimal]) -> Fraction:
    """The weighted mean ×100 over the components present."""
    present = [(Fraction(weights[k]), v) for k, v in parts.items() if v is not None]
    total = sum(w for w, _ in present)
    return 100 * sum(w * v for w, v in present) / total if total else Fraction(0)


def tally(
    track: str,
    names: Mapping[str, str],
    projects: Iterable[ProjectFigures],
    problems: Iterable[Problem],
    callouts: Iterable[Callout],
    as_of: dt.date,
) -> dict[str, Tally]:
    """Figures per county (``track='county'``) or responsible unit (``'unit'``)."""
    out = {k: Tally(k, v) for k, v in names.items()}

    def of(key: str) -> Tally:
        return out.setdefault(key, Tally(key, key))

    for p in projects:
        t = of(p.county if track == "county" else p.unit)
        t.projects += 1
        t.plan += p.annual_plan
        t.ytd += health.year_to_date(p.reports, as_of)
        t.milestones = [a + b for a, b in zip(t.milestones, on_time(p.milestones, as_of))]
    for q in problems:
        if q.raised_on <= as_of:
            t = of(q.county if track == "county" else q.unit)
            resolved = q.resolved_on is not None and q.resolved_on <= as_of
            t.problems = [t.problems[0] + 1, t.problems[1] + resolved]
    for c in callouts:
        if c.issued_on <= as_of:
            t = of(c.county if track == "county" else c.unit)
            pair = on_time([Deadline(c.deadline, c.handled_on)], as_of)
            t.callouts = [a + b for a, b in zip(t.callouts, pair)]
    return out


def without_data(projects: Iterable[ProjectFigures], as_of: dt.date) -> list[str]:
    """Codes of projects with neither an annual plan nor a milestone that counts."""
    return sorted(
        p.code for p in projects if p.annual_plan <= 0 and not on_time(p.milestones, as_of)[0]
    )


def rank(tallies: Mapping[str, Tally], as_of: dt.date, rules: RankingRules, track: str) -> dict:
    """The ordered list with red and black marks, and the units without data."""
    scored = []
    for t in tallies.values():
        if t.has_data:
            parts = components(t, as_of)
            scored.append((t, parts, score(parts, rules.weights)))
    scored.sort(key=lambda item: _order(item, rules.tie_break, as_of))
    n = len(scored)
    limits = rules.tracks[track]
    red = min(limits.top_n, n)
    black = min(limits.bottom_n, n - red)
    ranked = []
    for i, (t, parts, value) in enumerate(scored):
        mark = "red" if i < red else "black" if i >= n - black else None
        ranked.append(_entry(i + 1, t, parts, value, mark, as_of))
    empty = sorted((t for t in tallies.values() if not t.has_data), key=lambda t: t.key)
    no_data = [{"key": t.key, "name": t.name, "projects": t.projects} for t in empty]
    return {
        "track": track,
        "as_of": as_of.isoformat(),
        "elapsed_share": round(float(health.elapsed_share(as_of)), 4),
        "ranked": ranked,
        "red": [e["key"] for e in ranked[:red]],
        "black": [e["key"] for e in reversed(ranked[n - black :])],
        "no_data": no_data,
    }


def _order(item: tuple[Tally, dict, Fraction], tie_break: tuple[str, ...], as_of: dt.date) -> tuple:
    """Score, then the tie-break figures (investment uncapped: further ahead ranks higher),
    then the key; a missing figure sorts after any figure."""
    t, parts, value = item
    keys: list[Any] = [-value]
    for name in tie_break:
        figure = against_time_line(t, as_of) if name == "investment" else parts.get(name)
        keys.append(t.key if name == "key" else 1 if figure is None else -figure)
    return (*keys, t.key)


def _entry(
    rank_no: int, t: Tally, parts: dict, value: Fraction, mark: str | None, as_of: dt.date
) -> dict:
    def share(name: str) -> float | None:
        return None if parts[name] is None else round(float(parts[name]), 4)

    rate = round(float(t.ytd / t.plan), 4) if t.plan > 0 else None
    ahead = against_time_line(t, as_of)
    return {
        "rank": rank_no,
        "key": t.key,
        "name": t.name,
        "score": round(float(value), 2),
        "list": mark,
        "projects": t.projects,
        "investment": {"annual_plan": float(t.plan), "year_to_date": float(t.ytd), "rate": rate,
                       "against_time_line": None if ahead is None else round(float(ahead), 4),
                       "share": share("investment")},
        "punctuality": {"counted": t.milestones[0], "on_time": t.milestones[1],
                        "share": share("punctuality")},
        "problems": {"raised": t.problems[0], "resolved": t.problems[1],
                     "open": t.problems[0] - t.problems[1], "share": share("problems")},
        "callouts": {"counted": t.callouts[0], "on_time": t.callouts[1],
                     "overdue": t.callouts[0] - t.callouts[1], "share": share("callouts")},
    }  # fmt: skip


TRACK_PROPERTY = {"county": "county", "unit": "owner_unit"}  # the projects' property a key is


def narrowed(doc: Mapping[str, Any], keys: Mapping[str, Collection[str]]) -> dict[str, Any]:
    """The lists kept to the keys in ``keys[track]`` (a big screen's filter): entries keep
    their rank, score and mark, as the city's list gives them; ``doc`` is left as it is."""
    tracks = {}
    for track, lists in doc["tracks"].items():
        keep = keys[track]
        tracks[track] = {
            **lists,
            "ranked": [e for e in lists["ranked"] if e["key"] in keep],
            "red": [k for k in lists["red"] if k in keep],
            "black": [k for k in lists["black"] if k in keep],
            "no_data": [e for e in lists["no_data"] if e["key"] in keep],
        }
    return {**doc, "tracks": tracks}
