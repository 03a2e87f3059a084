"""The page arrives with its catalog and settings, and preloads exactly what it asks for."""

from __future__ import annotations

import json
import re

import pytest
import requests
import sqlalchemy as sa

from mapserver.web import startpage
from tests import apps
from tests.browser import chromium, serve, severe_logs, wait_for, wait_ready
from tests.tilemode import THRESHOLD, layers_dir, tiles_settled

pytestmark = pytest.mark.browser

QUERIES = [
    "",
    "county=511622,511621&working_group=transport",
    "status=suspended,under_construction&county=511681",
    "county=999999,511602&bogus=1",
    "kiosk=1&interval=5",
]


PRELOADS = r'<link rel="preload" as="fetch" crossorigin="anonymous" href="([^"]+)"'
# what the page fetches from the server, in request order (resource timing)
FETCHED = (
    "return performance.getEntriesByType('resource')"
    ".filter((r) => !r.name.startsWith(location.origin + '/static/'))"
    ".filter((r) => !r.name.startsWith(location.origin + '/events'))"
    ".map((r) => ({name: r.name.slice(location.origin.length), start: r.startTime,"
    " end: r.responseEnd}))"
)


def boot_of(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="boot">(.*?)</script>', html)
    assert match
    return json.loads(match.group(1))


def test_boot_json_cannot_close_its_script_element():
    boot = {"layers": [], "config": {"tile_attribution": "</script><img src=x onerror=alert(1)>&"}}
    html = startpage.render("<html><head></head><body></body></html>", boot, ["/a?b=1&c=2"])
    assert "</script><img" not in html
    assert boot_of(html) == boot
    assert 'href="/a?b=1&amp;c=2"' in html


def test_page_carries_the_catalog_and_settings(client):
    html = client.get("/").get_data(as_text=True)
    boot = boot_of(html)
    assert boot["layers"] == client.get("/layers").get_json()["layers"]
    assert boot["config"] == client.get("/config").get_json()


@pytest.mark.parametrize("query", QUERIES)
def test_the_page_requests_exactly_what_was_preloaded(app, base, query):
    """Each preloaded URL is fetched once (the page's own fetch reuses it), nothing else."""
    with app.test_client() as client:
        html = client.get(f"/?{query}").get_data(as_text=True)
    preloaded = re.findall(PRELOADS, html)
    assert len(preloaded) == 8
    assert boot_of(html)["many_projects"] is False  # the demo's ~100 < 5,000
    with chromium() as driver:
        driver.get(f"{base}/?{query}")
        wait_ready(driver)
        fetched = [r["name"] for r in driver.execute_script(FETCHED)]
        assert [entry["message"] for entry in severe_logs(driver)] == []
    preloaded = [p.replace("&amp;", "&") for p in preloaded]
    features = [f for f in fetched if ".geojson" in f]
    assert sorted(features) == sorted(p for p in preloaded if ".geojson" in p)
    assert set(preloaded) <= set(fetched)
    if "kiosk" not in query:  # the tour asks for each county's statistics later
        assert sorted(fetched) == sorted(preloaded)


@pytest.fixture(scope="module")
def many(demo_url, tmp_path_factory):
    """The demo served with a tile threshold of 10: its ~100 projects are "many"."""
    layers = layers_dir(
        tmp_path_factory.mktemp("startpage-many"), f"{{screen_threshold: {THRESHOLD}}}"
    )
    with apps.built(database_url=demo_url, layers_dir=layers) as app, serve(app) as url:
        yield url


def few_filter(engine) -> str:
    """A county and status with projects, but no more than the threshold (GeoJSON mode),
    as the page's query, from SQL."""
    with engine.connect() as conn:
        county, status = conn.execute(
            sa.text(
                "SELECT county, status FROM projects GROUP BY county, status"
                " HAVING count(*) BETWEEN 1 AND :n ORDER BY county, status LIMIT 1"
            ),
            {"n": THRESHOLD},
        ).one()
    return f"county={county}&status={status}"


def test_many_projects_preload_no_feature_page(many):
    """Above the threshold the page learns its mode from /stats: no feed is preloaded."""
    html = requests.get(f"{many}/?status=under_construction", timeout=10).text
    assert boot_of(html)["many_projects"] is True
    preloaded = [p.replace("&amp;", "&") for p in re.findall(PRELOADS, html)]
    assert [p.split("?")[0] for p in preloaded] == [
        "/layers/counties.geojson",
        "/layers/city.geojson",
        "/stats",
    ]
    assert preloaded[-1] == "/stats?status=under_construction"


@pytest.mark.parametrize("query", ["", "status=under_construction,suspended"])
def test_tile_mode_loads_no_features(many, query):
    """Tile mode at load: what was preloaded is fetched once, and no page of project
    features (the GeoJSON feed, a long OGC items page) is asked for at all."""
    html = requests.get(f"{many}/?{query}", timeout=10).text
    preloaded = [p.replace("&amp;", "&") for p in re.findall(PRELOADS, html)]
    with chromium() as driver:
        driver.get(f"{many}/?{query}")
        wait_for(
            lambda: (
                tiles_settled(driver)
                and driver.execute_script("return document.documentElement.dataset.state")
                == "ready"
            )
        )
        fetched = [r["name"] for r in driver.execute_script(FETCHED)]
        assert severe_logs(driver) == []
    assert not [f for f in fetched if f.startswith("/layers/projects.geojson")]
    items = [f for f in fetched if f.startswith("/ogc/collections/projects/items")]
    # the lists ask for their first rows only (滞后项目: one screen of them), never a page
    assert all(int(re.search(r"[?&]limit=(\d+)", f).group(1)) <= 100 for f in items)
    geojson = sorted(f for f in fetched if ".geojson" in f)
    assert geojson == sorted(p for p in preloaded if ".geojson" in p)
    assert all(fetched.count(p) == 1 for p in preloaded)


def test_many_projects_few_in_filter_ask_the_feed_after_stats(many, demo_engine):
    """A filter with few projects on a server with many: GeoJSON mode, its feed asked
    once /stats has answered (one round trip more, never a page dropped)."""
    query = few_filter(demo_engine)
    html = requests.get(f"{many}/?{query}", timeout=10).text
    preloaded = [p.replace("&amp;", "&") for p in re.findall(PRELOADS, html)]
    assert preloaded[-1].startswith("/stats?") and len(preloaded) == 3
    with chromium() as driver:
        driver.get(f"{many}/?{query}")
        wait_ready(driver)
        assert driver.execute_script("return document.documentElement.dataset.mapMode") != "tiles"
        fetched = driver.execute_script(FETCHED)
        assert severe_logs(driver) == []
    names = [r["name"] for r in fetched]
    feeds = [r for r in fetched if r["name"].startswith("/layers/projects.geojson")]
    stats = next(r for r in fetched if r["name"] == preloaded[-1])
    assert len(feeds) == 1 and feeds[0]["start"] >= stats["end"]
    assert all(names.count(p) == 1 for p in preloaded)
