"""layers/rules/battle.yaml is checked at startup: every mistake names the file and the key."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from mapserver.battle import rules
from mapserver.errors import ConfigError
from mapserver.settings import ROOT
from mapserver.store.db import make_engine

GOOD = yaml.safe_load((ROOT / "layers" / "rules" / "battle.yaml").read_text(encoding="utf-8"))


def write(directory: Path, doc) -> Path:
    path = directory / "rules" / "battle.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def variant(dotted: str, value) -> dict:
    doc = yaml.safe_load(yaml.safe_dump(GOOD))
    *path, last = dotted.split(".")
    node = doc
    for key in path:
        node = node[key]
    node[last] = value
    return doc


def test_the_shipped_file_is_the_documented_defaults():
    assert rules.load(ROOT / "layers") == rules.Rules()
    assert rules.Rules().health.lagging_points == Decimal(10)


def test_no_file_means_the_defaults(tmp_path):
    assert rules.load(tmp_path) == rules.Rules()


CASES = [
    ("colour", "red", "colour", "unknown key"),
    ("health.milestones.late_days", 3, "health.milestones.late_days", "unknown key"),
    ("health.milestones.lagging_days", 0, "health.milestones.lagging_days", "positive integer"),
    ("health.milestones.lagging_days", "1", "health.milestones.lagging_days", "positive integer"),
    ("health.milestones.seriously_lagging_days", 0, "health.milestones.seriously_lagging_days", "positive integer"),
    ("health.milestones.lagging_days", 40, "health.milestones.seriously_lagging_days", "below lagging_days"),
    ("health.investment.lagging_points", -1, "health.investment.lagging_points", "above 0"),
    ("health.investment.lagging_points", 0, "health.investment.lagging_points", "above 0"),
    ("health.investment.seriously_lagging_points", 5, "health.investment.seriously_lagging_points", "below lagging_points"),
    ("health.investment.lagging_points", float("nan"), "health.investment.lagging_points", "above 0"),
    ("health.statuses", ["building"], "health.statuses", "'building' is not one of"),
    ("health.statuses", [], "health.statuses", "non-empty list"),
    ("ranking.weights.speed", 10, "ranking.weights.speed", "unknown key"),
    ("ranking.weights.investment", True, "ranking.weights.investment", "number ≥ 0"),
    ("ranking.weights", {"investment": 0, "punctuality": 0, "problems": 0, "callouts": 0}, "ranking.weights", "above 0"),
    ("ranking.tie_break", ["name"], "ranking.tie_break", "'name' is not one of"),
    ("ranking.tie_break", ["key", "key"], "ranking.tie_break", "twice"),
    ("ranking.tracks.region", {"top_n": 1}, "ranking.tracks.region", "unknown key"),
    ("ranking.tracks.county.top_n", -1, "ranking.tracks.county.top_n", "whole number from 0 to 100"),
    ("ranking.tracks.unit.best_n", 3, "ranking.tracks.unit.best_n", "unknown key"),
    ("reporting.deadline_day", 0, "reporting.deadline_day", "whole number from 1 to 28"),
    ("reporting.deadline_day", 31, "reporting.deadline_day", "whole number from 1 to 28"),
    ("reporting.deadline_day", "5", "reporting.deadline_day", "whole number from 1 to 28"),
    ("reporting.grace_days", 3, "reporting.grace_days", "unknown key"),
]  # fmt: skip


@pytest.mark.parametrize(("dotted", "value", "key", "words"), CASES)
def test_bad_rules_file(tmp_path: Path, dotted, value, key, words):
    path = write(tmp_path, variant(dotted, value))
    with pytest.raises(ConfigError) as info:
        rules.load(tmp_path)
    message = str(info.value)
    assert str(path) in message and key in message and words in message


def test_not_yaml(tmp_path: Path):
    path = tmp_path / "rules" / "battle.yaml"
    path.parent.mkdir()
    path.write_text("health: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"battle\.yaml: not valid YAML"):
        rules.load(tmp_path)


def test_a_bad_rules_file_stops_the_server(tmp_path: Path, demo_url, make_app):
    shutil.copy(ROOT / "layers" / "projects.yaml", tmp_path / "projects.yaml")
    path = write(tmp_path, variant("ranking.weights.speed", 1))
    with pytest.raises(ConfigError, match=r"ranking\.weights\.speed") as info:
        make_app(database_url=demo_url, layers_dir=tmp_path)
    assert str(path) in str(info.value)


def test_thresholds_reach_the_database_at_startup(tmp_path: Path, fresh_url, make_app):
    """The view reads the thresholds the server was started with."""
    shutil.copy(ROOT / "layers" / "projects.yaml", tmp_path / "projects.yaml")
    strict = variant("health.milestones.seriously_lagging_days", 2)
    strict["health"]["milestones"]["lagging_days"] = 1
    strict["health"]["investment"] = {"lagging_points": 0.5, "seriously_lagging_points": 0.75}
    write(tmp_path, strict)
    engine = make_engine(fresh_url, 1)
    sql = sa.text("SELECT health, count(*) FROM battle_projects GROUP BY 1")
    with engine.connect() as conn:
        before = dict(conn.execute(sql).all())
    make_app(database_url=fresh_url, layers_dir=tmp_path)  # its startup writes the rules
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT * FROM health_rules")).mappings().one()
        after = dict(conn.execute(sql).all())
    engine.dispose()
    assert (row["seriously_lagging_days"], row["lagging_points"]) == (2, Decimal("0.5"))
    assert after.get("seriously_lagging", 0) > before.get("seriously_lagging", 0)
    assert sum(after.values()) == sum(before.values())


def test_the_reporting_deadline_reaches_the_database_at_startup(
    tmp_path: Path, fresh_url, make_app
):
    """The review trigger closes a month on the day the server was started with."""
    shutil.copy(ROOT / "layers" / "projects.yaml", tmp_path / "projects.yaml")
    write(tmp_path, variant("reporting.deadline_day", 12))
    app = make_app(database_url=fresh_url, layers_dir=tmp_path)
    engine = make_engine(fresh_url, 1)
    with engine.connect() as conn:
        day = conn.execute(sa.text("SELECT deadline_day FROM reporting_rules")).scalar_one()
    rules = app.test_client().get("/battle/rules").get_json()
    engine.dispose()
    assert day == 12 and rules["reporting"] == {"deadline_day": 12}
