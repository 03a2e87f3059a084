"""The battle map's lists in tile mode (docs/tiles.md, "The big screen on tiles"): the page
holds no projects, so 滞后项目, 红黑榜, 点球 and 问题清单 are narrowed to its filter by the
server. Each list's hooks equal direct SQL on the demo for the filter (the demo's ~100
projects are made "many" by a layers directory with a threshold of 10)."""

from __future__ import annotations

import json

import pytest
import requests
import sqlalchemy as sa

from mapserver import create_app
from tests.browser import hook, open_page, serve, wait_for
from tests.tilemode import THRESHOLD, assert_clean, layers_dir, tiles_settled

pytestmark = pytest.mark.browser

# (page query, SQL condition on battle_projects p)
FILTERS = [
    ("status=under_construction,preparing", "p.status IN ('under_construction', 'preparing')"),
    ("county=511621,511623", "p.county IN ('511621', '511623')"),
    ("working_group=transport,urban,ecology&overdue=false",
     "p.working_group IN ('transport', 'urban', 'ecology') AND NOT p.overdue"),
    ("health=on_track,not_tracked", "p.health IN ('on_track', 'not_tracked')"),
]  # fmt: skip
PROBLEM_OVERDUE = "r.review IS DISTINCT FROM 'approved' AND r.due_date < mapserver_today()"
CALLOUT_OVERDUE = "r.status = 'issued' AND r.deadline < mapserver_today()"


def served(demo_url: str, tmp, tiles: str):
    """The demo served with the projects' ``tiles:`` set to ``tiles``."""
    app = create_app({"database_url": demo_url, "layers_dir": layers_dir(tmp, tiles)})
    with serve(app) as url:
        yield url
    app.extensions["mapserver"].notifier.stop()
    app.extensions["mapserver"].engine.dispose()


@pytest.fixture(scope="module")
def tiled(demo_url, tmp_path_factory):
    """Tiles from 10 features."""
    tmp = tmp_path_factory.mktemp("tiles-lists")
    yield from served(demo_url, tmp, f"{{screen_threshold: {THRESHOLD}}}")


@pytest.fixture(scope="module")
def clustered(demo_url, tmp_path_factory):
    """Tiles from 10 features, clusters from 5 owned per tile."""
    tmp = tmp_path_factory.mktemp("tiles-health")
    yield from served(demo_url, tmp, f"{{screen_threshold: {THRESHOLD}, cluster_threshold: 5}}")


def rows(engine, sql: str) -> list:
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(sa.text(sql))]


def records(engine, table: str, status: str, overdue: str, due: str, where: str) -> dict:
    """ids (urgent first), count and overdue count of the open records of ``where``'s projects."""
    base = (
        f"FROM {table} r JOIN battle_projects p ON p.id = r.project_id"
        f" WHERE p.deleted_at IS NULL AND r.status IN ({status}) AND {where}"
    )
    order = f" ORDER BY coalesce(({overdue}), false) DESC, r.{due} NULLS LAST, r.id"
    ids = rows(engine, f"SELECT r.id {base}{order}")
    late = rows(engine, f"SELECT count(*) {base} AND coalesce(({overdue}), false)")[0]
    return {"ids": ids, "count": len(ids), "overdue": late}


def lagging(engine, where: str) -> list[str]:
    return rows(
        engine,
        "SELECT code FROM battle_projects p WHERE deleted_at IS NULL"
        f" AND health IN ('lagging', 'seriously_lagging') AND {where}"
        " ORDER BY health = 'seriously_lagging' DESC, days_late DESC, code COLLATE \"C\"",
    )


def ranking_hooks(base: str, engine, where: str) -> dict[str, str]:
    """The red and black keys of the month's list (published if it is) whose county or unit
    has a project of the filter, as the page's hooks join them."""
    doc = requests.get(f"{base}/battle/ranking", timeout=10).json()
    published = requests.get(f"{base}/battle/ranking/periods", timeout=10).json()["periods"]
    if any(p["period"] == doc["period"] for p in published):
        doc = requests.get(f"{base}/battle/ranking/{doc['period']}", timeout=10).json()
    live = f"FROM battle_projects p WHERE deleted_at IS NULL AND {where}"
    keys = {
        "county": set(rows(engine, f"SELECT DISTINCT county {live}")),
        "unit": set(rows(engine, f"SELECT DISTINCT owner_unit {live}")),
    }
    out = {}
    for track in ("county", "unit"):
        ranked = [e for e in doc["tracks"][track]["ranked"] if e["key"] in keys[track]]
        out[f"{track}-red"] = "|".join(e["key"] for e in ranked if e["list"] == "red")
        out[f"{track}-black"] = "|".join(e["key"] for e in reversed(ranked) if e["list"] == "black")
    return out


@pytest.mark.parametrize(("query", "where"), FILTERS, ids=[q for q, _ in FILTERS])
def test_the_lists_follow_the_filter_in_tile_mode(driver, tiled, demo_engine, query, where):
    matched = rows(
        demo_engine, f"SELECT count(*) FROM battle_projects p WHERE deleted_at IS NULL AND {where}"
    )[0]
    assert matched > THRESHOLD, "the filter must be above the lowered threshold"
    problems = records(demo_engine, "problems", "'open'", PROBLEM_OVERDUE, "due_date", where)
    callouts = records(
        demo_engine, "callouts", "'issued', 'responded'", CALLOUT_OVERDUE, "deadline", where
    )
    late = lagging(demo_engine, where)
    ranking = ranking_hooks(tiled, demo_engine, where)
    open_page(driver, f"{tiled}/?{query}")
    wait_for(lambda: tiles_settled(driver))
    expected = {
        "problem-count": str(problems["count"]),
        "problem-overdue-count": str(problems["overdue"]),
        "problem-ids": ",".join(map(str, problems["ids"][:12])),
        "callout-count": str(callouts["count"]),
        "callout-overdue-count": str(callouts["overdue"]),
        "callout-ids": ",".join(map(str, callouts["ids"][:9])),
        "lagging-count": str(len(late)),
        "lagging-codes": ",".join(late[:9]),
        **{f"ranking-{k}": v for k, v in ranking.items()},
    }

    def shown() -> dict:
        return {name: hook(driver, name) for name in expected}

    try:
        wait_for(lambda: shown() == expected, timeout=10)
    finally:
        assert shown() == expected
    assert problems["count"] and callouts["count"] + len(late) > 0  # not all empty
    count = driver.execute_script(
        "return document.querySelector('[data-part=\"lagging\"]').getAttribute('data-count')"
    )
    assert count == str(len(late))
    urls = driver.execute_script(
        "return performance.getEntriesByType('resource').map((r) => r.name)"
    )
    listed = [u for u in urls if "/battle/" in u or "/ogc/collections/projects/items" in u]
    assert listed and not [u for u in listed if "limit=10000" in u]  # bounded: the first rows
    assert_clean(driver, tiled)


HEALTH = {"on_track", "lagging", "seriously_lagging", "not_tracked"}


def test_clusters_take_their_health_under_progress_colouring(driver, clustered, demo_engine):
    """按进度 in tile mode: every cluster counts under its commonest health (none under an
    unknown class, which drew the default colour), and the classes add up to the sites."""
    sited = rows(demo_engine, "SELECT count(geom) FROM projects WHERE deleted_at IS NULL")[0]
    open_page(driver, f"{clustered}/?color=health")
    wait_for(lambda: tiles_settled(driver) and int(hook(driver, "tile-clusters") or 0) > 0)
    wait_for(lambda: hook(driver, "symbology") == "health")

    def counts() -> dict:
        return json.loads(hook(driver, "class-counts") or "{}")

    wait_for(lambda: sum(counts().values()) == sited)
    assert set(counts()) <= HEALTH and len(counts()) > 1
    assert_clean(driver, clustered)
