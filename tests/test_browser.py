"""The battle map in a real headless Chromium, against a real server and a real PostGIS."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from PIL import Image
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from mapserver.store.db import make_engine
from tests.browser import (
    Relay,
    assert_only_own_origin,
    detail_text,
    get_json,
    hook,
    map_offset,
    open_page,
    serve,
    severe_logs,
    stat_values,
    wait_for,
    wait_ready,
)
from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

HOSTILE = "<img src=x onerror=alert(1)>"
FILTERS = [
    "",
    "working_group=transport&county=511621,511622",
    "status=under_construction,suspended",
    "county=511681&status=reserve,preparing",
    "working_group=energy,social&status=completed,under_construction&county=511602,511603,511623",
]


@pytest.fixture
def writable(fresh_url, make_app):
    """A server on a private copy of the demo database, and an engine to write to it."""
    engine = make_engine(fresh_url, 2)
    with serve(make_app(database_url=fresh_url)) as url:
        yield url, engine
    engine.dispose()


def feed(base: str, query: str) -> dict:
    return get_json(f"{base}/layers/projects.geojson?limit=10000&{query}")


def stats(base: str, query: str) -> dict:
    return get_json(f"{base}/stats?{query}")


def expected_figures(s: dict) -> dict[str, float]:
    """What the statistics panel must show for a /stats body: data-stat → value."""
    out = {"count": s["count"], "on-map": s["count"], "completion_rate": s["completion_rate"]}
    # The panel shows approved completion (year_to_date), not the typed completed_this_year.
    out |= {k: v for k, v in s["sums"].items() if k != "completed_this_year"}
    for group, entries in s["groups"].items():
        out |= {f"{group}.{e['code']}": e["count"] for e in entries}
    return out


def panel_matches(driver, expected: dict[str, float]) -> bool:
    shown = stat_values(driver)
    for key, value in expected.items():
        text = shown.get(key)
        if value is None:
            if text not in ("", None):
                return False
        elif text in ("", None) or float(text) != float(value):
            return False
    return True


def element_count(driver) -> int:
    """Elements on the page, leaving out the change ticker (a fixed-length list)."""
    return driver.execute_script(
        "return document.querySelectorAll('body *:not(#ticker):not(#ticker *)').length"
    )


def assert_no_console_errors(driver) -> None:
    assert [entry["message"] for entry in severe_logs(driver)] == []


def pointer_to(driver, lon: float, lat: float) -> ActionChains:
    """Real mouse actions that start by moving to lon/lat on the map."""
    dx, dy = map_offset(driver, lon, lat)
    element = driver.find_element(By.ID, "map")
    return ActionChains(driver).move_to_element_with_offset(element, dx, dy)


def click_at(driver, lon: float, lat: float) -> None:
    """A real mouse click on the map at lon/lat."""
    pointer_to(driver, lon, lat).click().perform()


def tooltip_text(driver) -> str | None:
    """The text of the project name tooltip, if one is open."""
    return driver.execute_script(
        "const n = document.querySelector('.project-tip'); return n ? n.textContent : null;"
    )


def coordinates(geometry: dict) -> list[tuple[float, float]]:
    flat: list = []

    def walk(c):
        if isinstance(c[0], (int, float)):
            flat.append((c[0], c[1]))
        else:
            for part in c:
                walk(part)

    walk(geometry["coordinates"])
    return flat


def test_page_loads_clean_with_title_legend_and_counties(driver, base):
    open_page(driver, base + "/")
    assert "挂图作战" in driver.find_element(By.TAG_NAME, "h1").text
    layers = {layer["id"]: layer for layer in get_json(base + "/layers")["layers"]}
    classes = layers["projects"]["style"]["classes"]
    legend = driver.find_elements(By.CSS_SELECTOR, "#legend [data-class]")
    assert [e.get_attribute("data-class") for e in legend] == list(classes)
    assert [e.text for e in legend] == ["储备", "前期", "在建", "竣工", "停缓建"]
    labels = driver.find_elements(By.CSS_SELECTOR, ".county-label")
    assert sorted(e.text for e in labels) == sorted(
        v["label"] for v in layers["projects"]["filters"][2]["values"]
    )
    wait_for(lambda: hook(driver, "connection") == "open")
    assert hook(driver, "data-version") is not None
    assert_no_console_errors(driver)
    assert_only_own_origin(driver, base)


@pytest.mark.parametrize("query", FILTERS)
def test_map_and_statistics_equal_the_feed(driver, base, query):
    """Features drawn = feed's numberReturned; statistics panel = /stats; map fits them."""
    open_page(driver, f"{base}/?{query}")
    body = feed(base, query)
    sited = [f for f in body["features"] if f["geometry"]]
    assert int(hook(driver, "feature-count")) == body["numberReturned"]
    assert int(hook(driver, "drawn-count")) == len(sited)
    assert panel_matches(driver, expected_figures(stats(base, query)))
    if query:
        west, south, east, north = map(float, hook(driver, "map-bounds").split(","))
        for f in sited:
            for lon, lat in coordinates(f["geometry"]):
                assert west <= lon <= east and south <= lat <= north, f["id"]
    assert_no_console_errors(driver)


def test_filter_panel_writes_the_url_and_the_url_reopens_it(driver, base):
    open_page(driver, base + "/")
    for code in ("511621", "511622", "under_construction"):
        driver.find_element(By.CSS_SELECTOR, f'#filters button[data-code="{code}"]').click()
    wait_for(lambda: "county=511621,511622" in driver.current_url)
    wait_ready(driver)
    query = urlsplit(driver.current_url).query
    assert parse_qs(query) == {"status": ["under_construction"], "county": ["511621,511622"]}
    assert int(hook(driver, "feature-count")) == feed(base, query)["numberReturned"]
    open_page(driver, driver.current_url)
    pressed = driver.find_elements(By.CSS_SELECTOR, '#filters .chip[aria-pressed="true"]')
    assert sorted(e.get_attribute("data-code") for e in pressed) == sorted(
        ["", "", "", "511621", "511622", "under_construction"]  # "all" of group, health, overdue
    )
    driver.find_element(By.CSS_SELECTOR, "#filters .reset").click()
    wait_for(lambda: urlsplit(driver.current_url).query == "")
    wait_ready(driver)
    assert int(hook(driver, "feature-count")) == 100
    assert_no_console_errors(driver)


def test_detail_panel_on_click(driver, base):
    body = feed(base, "")
    point = next(f for f in body["features"] if f["geometry"] and f["geometry"]["type"] == "Point")
    open_page(driver, f"{base}/?county={point['properties']['county']}")
    click_at(driver, *point["geometry"]["coordinates"])
    wait_for(lambda: hook(driver, "selected") == point["id"])
    wait_for(lambda: hook(driver, "detail") == "complete")  # the map holds only some properties
    panel = driver.find_element(By.ID, "detail")
    assert (
        panel.find_element(By.CSS_SELECTOR, '[data-field="name"]').text
        == point["properties"]["name"]
    )
    for field in ("working_group", "county", "owner_unit", "leader", "planned_start"):
        text = panel.find_element(By.CSS_SELECTOR, f'[data-field="{field}"]').text
        props = point["properties"]
        assert text == str(props.get(f"{field}_label") or props[field])
    assert "%" in panel.find_element(By.CSS_SELECTOR, '[data-field="completion"]').text
    assert "万元" in panel.find_element(By.CSS_SELECTOR, '[data-field="total_investment"]').text
    assert f"project={point['id']}" in driver.current_url
    panel.find_element(By.CSS_SELECTOR, ".close").click()
    wait_for(lambda: not panel.is_displayed())
    assert_no_console_errors(driver)


def test_update_in_the_database_appears_within_two_seconds(driver, writable):
    base, engine = writable
    body = feed(base, "status=preparing")
    target = next(f for f in body["features"] if f["geometry"])
    open_page(driver, f"{base}/?project={target['id']}")
    wait_for(lambda: hook(driver, "connection") == "open")
    wait_for(lambda: hook(driver, "detail") == "complete")  # the panel's full record is in
    driver.execute_script("document.documentElement.setAttribute('data-no-reload', '1')")
    before = stat_values(driver)
    nodes, count = element_count(driver), hook(driver, "feature-count")
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE projects SET status = 'under_construction' WHERE code = :c"),
            {"c": target["id"]},
        )
    committed = time.monotonic()
    wait_for(lambda: detail_text(driver, "status") == "在建", timeout=2)
    wait_for(
        lambda: stat_values(driver)["status.preparing"] == str(int(before["status.preparing"]) - 1),
        timeout=2 - (time.monotonic() - committed),
    )
    assert hook(driver, "no-reload") == "1"
    assert hook(driver, "feature-count") == count
    assert element_count(driver) == nodes  # restyled in place: no new layers or elements
    assert panel_matches(driver, expected_figures(stats(base, "")))
    assert (
        driver.find_element(By.CSS_SELECTOR, "#ticker li .name").text
        == target["properties"]["name"]
    )
    # The map holds codes only (labels=false): the labels come from the layer's vocabulary.
    assert driver.find_element(By.CSS_SELECTOR, "#ticker li .what").text == "前期 → 在建"
    assert_no_console_errors(driver)


def test_change_leaving_the_filter_removes_the_feature(driver, writable):
    base, engine = writable
    query = "status=suspended"
    open_page(driver, f"{base}/?{query}")
    wait_for(lambda: hook(driver, "connection") == "open")
    count = int(hook(driver, "feature-count"))
    code = feed(base, query)["features"][0]["id"]
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE projects SET status = 'completed' WHERE code = :c"), {"c": code}
        )
    expected = expected_figures(stats(base, query))  # fixed once committed: ask once
    wait_for(lambda: int(hook(driver, "feature-count")) == count - 1, timeout=2)
    wait_for(lambda: panel_matches(driver, expected), timeout=2)
    assert int(hook(driver, "feature-count")) == feed(base, query)["numberReturned"]
    assert_no_console_errors(driver)


def test_hostile_name_is_shown_as_text_and_runs_nothing(driver, writable):
    base, engine = writable
    open_page(driver, f"{base}/?county=511602")
    wait_for(lambda: hook(driver, "connection") == "open")
    count = int(hook(driver, "feature-count"))
    west, south, east, north = map(float, hook(driver, "map-bounds").split(","))
    lon, lat = west + (east - west) * 0.5, south + (north - south) * 0.5
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO projects (code, name, level, working_group, county, status, "
                "owner_unit, total_investment, annual_plan, completed_this_year, geom) VALUES "
                "('GA-TEST-XSS', :name, 'municipal', 'transport', '511602', 'preparing', "
                ":name, 100, 50, 5, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))"
            ),
            {"name": HOSTILE, "lon": lon, "lat": lat},
        )
    wait_for(lambda: int(hook(driver, "feature-count")) == count + 1, timeout=2)
    pointer_to(driver, lon, lat).perform()  # hovering shows the name in a tooltip, as text
    wait_for(lambda: tooltip_text(driver) == HOSTILE)
    rect = driver.find_element(By.ID, "map").rect
    dx, dy = map_offset(driver, lon, lat)
    x, y = rect["x"] + rect["width"] / 2 + dx, rect["y"] + rect["height"] / 2 + dy
    cursor = "return getComputedStyle(document.elementFromPoint(arguments[0], arguments[1])).cursor"
    assert driver.execute_script(cursor, x, y) == "pointer"
    click_at(driver, lon, lat)
    wait_for(lambda: hook(driver, "selected") == "GA-TEST-XSS")
    wait_for(lambda: hook(driver, "detail") == "complete")  # the map holds only some properties
    name = driver.find_element(By.CSS_SELECTOR, '#detail [data-field="name"]')
    assert name.text == HOSTILE
    assert driver.find_element(By.CSS_SELECTOR, '#detail [data-field="owner_unit"]').text == HOSTILE
    assert driver.find_element(By.CSS_SELECTOR, "#ticker li .name").text == HOSTILE
    assert driver.execute_script("return document.querySelectorAll('img[src=\"x\"]').length") == 0
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018
    assert_no_console_errors(driver)


def test_reconnects_after_losing_the_stream_and_misses_nothing(driver, writable):
    base, engine = writable
    relay = Relay(int(base.rsplit(":", 1)[1]))
    try:
        open_page(driver, f"http://127.0.0.1:{relay.port}/")
        wait_for(lambda: hook(driver, "connection") == "open")
        relay.cut()
        wait_for(lambda: hook(driver, "connection") == "closed", timeout=5)
        assert "重连" in driver.find_element(By.ID, "connection").text
        with engine.begin() as conn:
            conn.execute(
                sa.text("DELETE FROM projects WHERE code IN ('GA-2024-001', 'GA-2025-002')")
            )
        relay.restore()
        wait_for(lambda: hook(driver, "connection") == "open", timeout=10)
        wait_for(lambda: hook(driver, "feature-count") == "98", timeout=10)
        expected = expected_figures(stats(base, ""))
        wait_for(lambda: panel_matches(driver, expected), timeout=10)
    finally:
        driver.get("about:blank")
        relay.close()
    driver.get_log("browser")  # the lost connection is logged as a network error: expected


def test_kiosk_tours_the_counties_with_their_statistics(driver, base):
    open_page(driver, base + "/?kiosk=1&interval=4")
    assert not driver.find_element(By.ID, "filters").is_displayed()
    assert driver.find_element(By.ID, "kiosk-banner").is_displayed()
    figures = {}
    counties = [str(f["id"]) for f in get_json(f"{base}/layers/counties.geojson")["features"]]
    for county in counties:  # asked before the tour runs: each step is only 4 s long
        figures[county] = expected_figures(stats(base, f"county={county}"))
        del figures[county]["on-map"]  # the map keeps every county; figures are the step's

    def step_shown(county: str | None) -> bool:
        return county is not None and panel_matches(driver, figures[county])

    first = wait_for(lambda: hook(driver, "kiosk-county"))
    wait_for(lambda: step_shown(hook(driver, "kiosk-county")))
    wait_for(lambda: hook(driver, "kiosk-county") not in (None, first), timeout=8)
    wait_for(lambda: step_shown(hook(driver, "kiosk-county")), timeout=8)
    assert driver.find_element(By.ID, "kiosk-county").text
    assert_no_console_errors(driver)


def test_configured_tile_layer_with_attribution_as_text(driver, demo_url, make_app):
    tiles = "/static/vendor/leaflet-1.9.4/images/layers.png?z={z}&x={x}&y={y}"
    attribution = "<b>天地图</b> 测试底图"
    app = make_app(database_url=demo_url, tile_url=tiles, tile_attribution=attribution)
    with serve(app) as url:
        open_page(driver, url + "/")
        wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, "img.leaflet-tile-loaded"))
        srcs = driver.execute_script(  # one look: Leaflet adds and prunes tiles meanwhile
            "return [...document.querySelectorAll('img.leaflet-tile')].map((i) => i.src)"
        )
        assert all(
            src.startswith(url + "/static/vendor/leaflet-1.9.4/images/layers.png?z=")
            for src in srcs
        )
        credit = driver.find_element(By.CSS_SELECTOR, ".leaflet-control-attribution").text
        assert attribution in credit
        assert_no_console_errors(driver)
        driver.get("about:blank")


def test_big_screen_screenshot(driver, base):
    """The picture shows a drawn map and a title, not a blank page."""
    open_page(driver, base + "/")
    settled = (  # the bars' transitions are over; pulsing markers loop forever
        "return document.getAnimations().every(a => a.effect.getTiming().iterations === Infinity)"
    )
    wait_for(lambda: driver.execute_script(settled))
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "bigscreen.png"
    assert driver.save_screenshot(str(path))
    picture = Image.open(path).convert("RGB")
    rect = driver.execute_script(
        "const r = document.getElementById('map').getBoundingClientRect();"
        "return [r.left, r.top, r.right, r.bottom].map(Math.round)"
    )
    scale = picture.width / driver.execute_script("return window.innerWidth")
    map_area = picture.crop(tuple(round(v * scale) for v in rect))
    assert len(map_area.getcolors(1 << 24)) > 50, "the map area is nearly one colour"
    title = driver.find_element(By.CSS_SELECTOR, "h1")
    box = title.rect
    crop = (box["x"], box["y"], box["x"] + box["width"], box["y"] + box["height"])
    glyphs = picture.crop(tuple(round(v * scale) for v in crop)).convert("L")
    low, high = glyphs.getextrema()
    assert high - low > 100, "the title has no visible text"
    assert_no_console_errors(driver)
