"""The battle-map rules: ``layers/rules/battle.yaml``, checked at startup.

Health thresholds and the red/black list's score, in configuration rather than code.
Every key is optional (the defaults are in docs/battle.md and in
:class:`~mapserver.battle.health.HealthRules` / :class:`~mapserver.battle.ranking.RankingRules`); an
unknown key or a bad value stops the server, naming the file and the key. Without the
file the defaults apply. The health thresholds are also written to the database's
``health_rules`` row, which the ``battle_projects`` view reads.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, is_dataclass
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa
import yaml

from mapserver.battle.health import HealthRules
from mapserver.battle.ranking import COMPONENTS, TIE_KEYS, TRACKS, RankingRules, TrackRules
from mapserver.configfile import Where
from mapserver.errors import ConfigError
from mapserver.store.models import STATUSES

RULES_FILE = Path("rules") / "battle.yaml"  # below the layers directory
DAYS = ("lagging_days", "seriously_lagging_days")
POINTS = ("lagging_points", "seriously_lagging_points")


@dataclass(frozen=True)
class ReportingRules:
    """填报: a month may be reported by county editors until this day of the next month."""

    deadline_day: int = 5


@dataclass(frozen=True)
class Rules:
    health: HealthRules = field(default_factory=HealthRules)
    ranking: RankingRules = field(default_factory=RankingRules)
    reporting: ReportingRules = field(default_factory=ReportingRules)

    def as_json(self) -> dict[str, Any]:
        return _plain(self)


def _plain(value: Any) -> Any:
    if is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict | MappingProxyType):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return float(value) if isinstance(value, Decimal) else value


def load(layers_dir: Path, engine: sa.Engine | None = None) -> Rules:
    """The rules file below ``layers_dir``, or the defaults when there is none; with an
    ``engine``, the health thresholds are written where the database's view reads them."""
    rules = _read(layers_dir / RULES_FILE)
    if engine is not None:
        sync_health(engine, rules.health)
        sync_reporting(engine, rules.reporting)
    return rules


def _read(path: Path) -> Rules:
    if not path.exists():
        return Rules()
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    where = Where(path)
    doc = where.mapping(doc if doc is not None else {}, "", {"health", "ranking", "reporting"})
    return Rules(
        _health(where, doc.get("health", {})),
        _ranking(where, doc.get("ranking", {})),
        _reporting(where, doc.get("reporting", {})),
    )


def _reporting(where: Where, raw: Any) -> ReportingRules:
    raw = where.mapping(raw if raw is not None else {}, "reporting", {"deadline_day"})
    day = raw.get("deadline_day", ReportingRules.deadline_day)
    if not isinstance(day, int) or isinstance(day, bool) or not 1 <= day <= 28:
        raise where.fail("reporting.deadline_day", "must be a whole number from 1 to 28")
    return ReportingRules(day)


def _health(where: Where, raw: Any) -> HealthRules:
    raw = where.mapping(raw, "health", {"statuses", "milestones", "investment"})
    d = HealthRules()
    names = {"milestones": DAYS, "investment": POINTS}
    given = {k: where.mapping(raw.get(k, {}), f"health.{k}", set(v)) for k, v in names.items()}
    days = {
        k: where.integer(given["milestones"].get(k, getattr(d, k)), f"health.milestones.{k}")
        for k in DAYS
    }
    points = {
        k: _number(where, given["investment"].get(k, getattr(d, k)), f"health.investment.{k}", True)
        for k in POINTS
    }
    statuses = _choices(where, raw.get("statuses", d.statuses), "health.statuses", STATUSES)
    rules = HealthRules(**days, **points, statuses=statuses)
    if rules.seriously_lagging_days < rules.lagging_days:
        raise where.fail("health.milestones.seriously_lagging_days", "is below lagging_days")
    if rules.seriously_lagging_points < rules.lagging_points:
        raise where.fail("health.investment.seriously_lagging_points", "is below lagging_points")
    return rules


def _ranking(where: Where, raw: Any) -> RankingRules:
    raw = where.mapping(raw, "ranking", {"statuses", "weights", "tie_break", "tracks"})
    d = RankingRules()
    weights = where.mapping(raw.get("weights", d.weights), "ranking.weights", set(COMPONENTS))
    weights = {k: _number(where, weights.get(k, 0), f"ranking.weights.{k}") for k in COMPONENTS}
    if not any(weights.values()):
        raise where.fail("ranking.weights", "at least one weight must be above 0")
    tracks = where.mapping(raw.get("tracks", {}), "ranking.tracks", set(TRACKS))
    return RankingRules(
        weights=MappingProxyType(weights),
        tie_break=_choices(where, raw.get("tie_break", d.tie_break), "ranking.tie_break", TIE_KEYS),
        tracks=MappingProxyType({t: _track(where, tracks.get(t), t, d.tracks[t]) for t in TRACKS}),
        statuses=_choices(where, raw.get("statuses", d.statuses), "ranking.statuses", STATUSES),
    )


def _track(where: Where, raw: Any, name: str, default: TrackRules) -> TrackRules:
    key = f"ranking.tracks.{name}"
    raw = where.mapping(raw if raw is not None else {}, key, {"top_n", "bottom_n"})
    counts = {}
    for k in ("top_n", "bottom_n"):
        value = raw.get(k, getattr(default, k))
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
            raise where.fail(f"{key}.{k}", "must be a whole number from 0 to 100")
        counts[k] = value
    return TrackRules(**counts)


def _number(where: Where, value: Any, key: str, positive: bool = False) -> Decimal:
    ok = isinstance(value, int | float | Decimal) and not isinstance(value, bool)
    number = Decimal(str(value)) if ok else Decimal(-1)
    if not ok or not number.is_finite() or number < 0 or (positive and number == 0):
        raise where.fail(key, "must be a number above 0" if positive else "must be a number ≥ 0")
    if number > 1000:
        raise where.fail(key, "must be at most 1000")
    return number


def _choices(where: Where, value: Any, key: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not value:
        raise where.fail(key, f"must be a non-empty list of: {', '.join(allowed)}")
    for item in value:
        if item not in allowed:
            raise where.fail(key, f"{item!r} is not one of: {', '.join(allowed)}")
    if len(set(value)) != len(value):
        raise where.fail(key, "lists a value twice")
    return tuple(value)


SYNC = """
INSERT INTO health_rules (id, lagging_days, seriously_lagging_days, lagging_points,
                          seriously_lagging_points, statuses)
VALUES (true, :lagging_days, :seriously_lagging_days, :lagging_points,
        :seriously_lagging_points, :statuses)
ON CONFLICT (id) DO UPDATE SET lagging_days = EXCLUDED.lagging_days,
    seriously_lagging_days = EXCLUDED.seriously_lagging_days,
    lagging_points = EXCLUDED.lagging_points,
    seriously_lagging_points = EXCLUDED.seriously_lagging_points,
    statuses = EXCLUDED.statuses
WHERE (health_rules.lagging_days, health_rules.seriously_lagging_days,
       health_rules.lagging_points, health_rules.seriously_lagging_points,
       health_rules.statuses)
   IS DISTINCT FROM (EXCLUDED.lagging_days, EXCLUDED.seriously_lagging_days,
       EXCLUDED.lagging_points, EXCLUDED.seriously_lagging_points, EXCLUDED.statuses)
"""


SAME_HEALTH = """
SELECT EXISTS (SELECT 1 FROM health_rules WHERE (lagging_days, seriously_lagging_days,
    lagging_points, seriously_lagging_points, statuses) IS NOT DISTINCT FROM
    (CAST(:lagging_days AS int), CAST(:seriously_lagging_days AS int),
     CAST(:lagging_points AS numeric), CAST(:seriously_lagging_points AS numeric),
     CAST(:statuses AS text[])))
"""


def sync_health(engine: sa.Engine, rules: HealthRules) -> None:
    """Put the thresholds where the database's view reads them (only when they differ:
    the app's login role, which may not write them, starts when they are the same)."""
    params = {**asdict(rules), "statuses": list(rules.statuses)}
    with engine.begin() as conn:
        if not conn.execute(sa.text(SAME_HEALTH), params).scalar_one():
            conn.execute(sa.text(SYNC), params)


def sync_reporting(engine: sa.Engine, rules: ReportingRules) -> None:
    """Put the reporting deadline where the database's review trigger reads it."""
    with engine.begin() as conn:
        same = "SELECT EXISTS (SELECT 1 FROM reporting_rules WHERE deadline_day = :d)"
        if not conn.execute(sa.text(same), {"d": rules.deadline_day}).scalar_one():
            sql = "UPDATE reporting_rules SET deadline_day = :d WHERE deadline_day <> :d"
            conn.execute(sa.text(sql), {"d": rules.deadline_day})
