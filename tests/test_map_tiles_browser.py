"""The battle map on vector tiles (docs/tiles.md, "The big screen on tiles"): above the
layer's `tiles.screen_threshold` features it draws the projects from tiles, with the same
counts as /stats, live recolouring, the detail panel and nothing from another origin.
The demo's ~100 projects are made "many" by a layers directory with a threshold of 10."""

from __future__ import annotations

import json
import math
import re

import mapbox_vector_tile
import pytest
import requests
import sqlalchemy as sa
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from tests import apps
from tests.browser import (
    hook,
    map_offset,
    open_page,
    serve,
    wait_for,
)
from tests.tilemode import (
    PIXEL,
    THRESHOLD,
    assert_clean,
    class_colours,
    close_to,
    layers_dir,
    patch_project,
    point_project,
    screen_point,
    served_in_tile_mode,
    tiles_settled,
)

pytestmark = pytest.mark.browser

# (query, SQL condition on projects) — the expected figures come from SQL, not from the app.
FILTERS = [
    ("", "TRUE"),
    ("status=under_construction,suspended", "status IN ('under_construction', 'suspended')"),
    ("county=511602,511621", "county IN ('511602', '511621')"),
]


@pytest.fixture(scope="module")
def clustered(demo_url, tmp_path_factory):
    """The demo served with tiles from 10 features, clusters from 5 owned per tile."""
    tmp = tmp_path_factory.mktemp("tiles-clustered")
    tiles = f"{{screen_threshold: {THRESHOLD}, cluster_threshold: 5}}"
    with apps.built(database_url=demo_url, layers_dir=layers_dir(tmp, tiles)) as app:
        with serve(app) as url:
            yield url


@pytest.fixture
def writable(fresh_url, tmp_path):
    """A private database served in tile mode (no clusters), an owner's engine, an admin token."""
    with served_in_tile_mode(fresh_url, tmp_path, "tile_admin") as served:
        yield served


def sited(engine, condition: str) -> tuple[int, int]:
    """(matching projects, those with a site) straight from the table."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(f"SELECT count(*), count(geom) FROM projects WHERE {condition}")
        ).one()
    return row[0], row[1]


@pytest.mark.parametrize(("query", "condition"), FILTERS, ids=[q or "all" for q, _ in FILTERS])
def test_tiles_draw_the_counts_of_stats(driver, clustered, demo_engine, query, condition):
    matched, with_site = sited(demo_engine, condition)
    assert matched > THRESHOLD, "the filter must be above the lowered threshold"
    open_page(driver, f"{clustered}/?{query}")
    wait_for(lambda: tiles_settled(driver))
    stats = requests.get(f"{clustered}/stats?{query}", timeout=10).json()
    assert stats["count"] == matched
    assert int(hook(driver, "feature-count")) == matched
    # the view is the whole city: every owned feature and cluster member counted once
    wait_for(lambda: int(hook(driver, "drawn-count")) == with_site, timeout=5)
    assert int(hook(driver, "tile-clusters")) > 0  # clusters from 5 owned features per tile
    counts = json.loads(hook(driver, "class-counts"))
    assert sum(counts.values()) == with_site
    assert_clean(driver, clustered)


TILE = re.compile(r"/tiles/WebMercatorQuad/(\d+)/(\d+)/(\d+)")


def a_cluster(driver) -> tuple[float, float, int]:
    """lon, lat and count of a cluster in a tile the page loaded, decoded here."""
    urls = driver.execute_script(
        "return performance.getEntriesByType('resource').map((r) => r.name)"
    )
    for url in urls:
        found = TILE.search(url)
        response = requests.get(url, timeout=10) if found else None
        if not response or response.status_code != 200:
            continue
        z, y, x = map(int, found.groups())
        layers = mapbox_vector_tile.decode(response.content, default_options={"y_coord_down": True})
        for feature in layers["projects"]["features"]:
            if feature["properties"].get("cluster"):
                px, py = feature["geometry"]["coordinates"]
                lon = (x + px / 4096) / 2**z * 360 - 180
                lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (y + py / 4096) / 2**z))))
                return lon, lat, feature["properties"]["count"]
    raise AssertionError("no cluster in the loaded tiles")


def test_a_click_on_a_cluster_zooms_in(driver, clustered):
    open_page(driver, f"{clustered}/")
    wait_for(lambda: tiles_settled(driver) and int(hook(driver, "tile-clusters")) > 0)
    lon, lat, count = a_cluster(driver)
    assert count > 1
    west, _, east, _ = map(float, hook(driver, "map-bounds").split(","))
    dx, dy = map_offset(driver, lon, lat)
    ActionChains(driver).move_to_element_with_offset(
        driver.find_element(By.ID, "map"), dx, dy
    ).click().perform()

    def width() -> float:
        bounds = hook(driver, "map-bounds").split(",")
        return float(bounds[2]) - float(bounds[0])

    wait_for(lambda: width() < (east - west) / 3)  # two zoom levels in
    assert hook(driver, "selected") is None  # a cluster is no project
    assert_clean(driver, clustered)


def test_an_edit_recolours_the_site_within_a_second(driver, writable):
    base, engine, token = writable
    code, lon, lat, status = point_project(engine)
    new_status = "completed" if status != "completed" else "suspended"
    colours = class_colours(base)
    open_page(driver, f"{base}/")
    wait_for(lambda: tiles_settled(driver) and hook(driver, "connection") == "open")
    x, y = screen_point(driver, lon, lat)
    wait_for(lambda: close_to(driver.execute_script(PIXEL, x, y), colours[status]))
    before = json.loads(hook(driver, "class-counts"))
    patch_project(base, token, code, {"properties": {"status": new_status}})
    want = colours[new_status]
    wait_for(lambda: close_to(driver.execute_script(PIXEL, x, y), want), timeout=1)
    expected = {**before, new_status: before.get(new_status, 0) + 1, status: before[status] - 1}
    expected = {k: v for k, v in expected.items() if v}
    # the counts follow at the next animation frame after the redraw
    wait_for(lambda: json.loads(hook(driver, "class-counts")) == expected, timeout=1)
    assert_clean(driver, base)


def test_a_move_clears_the_old_site_and_draws_the_new_within_a_second(driver, writable):
    """The old position is known from the drawn tiles only: its tiles must be redrawn too."""
    base, engine, token = writable
    code, lon, lat, status = point_project(engine)
    color = class_colours(base)[status]
    open_page(driver, f"{base}/")
    wait_for(lambda: tiles_settled(driver) and hook(driver, "connection") == "open")
    old, new = screen_point(driver, lon, lat), screen_point(driver, lon + 0.08, lat)
    wait_for(lambda: close_to(driver.execute_script(PIXEL, *old), color))
    assert (driver.execute_script(PIXEL, *new) or [0, 0, 0, 0])[3] == 0, (
        "the new place must be empty"
    )
    point = {"type": "Point", "coordinates": [lon + 0.08, lat]}
    patch_project(base, token, code, {"properties": {}, "geometry": point})
    wait_for(lambda: close_to(driver.execute_script(PIXEL, *new), color), timeout=1)
    wait_for(lambda: (driver.execute_script(PIXEL, *old) or [0, 0, 0, 0])[3] == 0, timeout=1)
    assert_clean(driver, base)


def test_a_click_opens_the_full_record(driver, writable):
    base, engine, _ = writable
    code, lon, lat, _ = point_project(engine)
    with engine.connect() as conn:
        name = conn.execute(
            sa.text("SELECT name FROM projects WHERE code = :c"), {"c": code}
        ).scalar()
    open_page(driver, f"{base}/")
    wait_for(lambda: tiles_settled(driver))
    dx, dy = map_offset(driver, lon, lat)
    ActionChains(driver).move_to_element_with_offset(
        driver.find_element(By.ID, "map"), dx, dy
    ).click().perform()
    wait_for(lambda: hook(driver, "selected") == code)
    wait_for(lambda: hook(driver, "detail") == "complete")
    shown = driver.find_element(By.CSS_SELECTOR, '#detail [data-field="name"]').text
    assert shown == name
    assert_clean(driver, base)


def test_a_filter_at_or_below_the_threshold_loads_geojson(driver, clustered, demo_engine):
    """The mode follows the filter's count: a county's few suspended projects are GeoJSON."""
    with demo_engine.connect() as conn:
        county, status, n = conn.execute(
            sa.text(
                "SELECT county, status, count(*) FROM projects GROUP BY county, status "
                "HAVING count(*) BETWEEN 1 AND :t ORDER BY count(*) DESC LIMIT 1"
            ),
            {"t": THRESHOLD},
        ).one()
    open_page(driver, f"{clustered}/")
    wait_for(lambda: tiles_settled(driver))
    driver.get(f"{clustered}/?county={county}&status={status}")
    wait_for(lambda: hook(driver, "state") == "ready" and hook(driver, "map-mode") == "geojson")
    assert int(hook(driver, "feature-count")) == n
    assert (
        driver.execute_script("return document.querySelectorAll('canvas.vector-tile').length") == 0
    )
    assert_clean(driver, clustered)


def test_the_kiosk_tour_runs_on_tiles(driver, clustered):
    open_page(driver, f"{clustered}/?kiosk=1&interval=3")
    wait_for(lambda: tiles_settled(driver))
    first = wait_for(lambda: hook(driver, "kiosk-county"))
    wait_for(lambda: hook(driver, "kiosk-county") not in (None, first), timeout=8)
    wait_for(lambda: tiles_settled(driver) and int(hook(driver, "drawn-count")) > 0)
    assert_clean(driver, clustered)
