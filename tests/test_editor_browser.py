"""The editor page (/edit) in a real headless Chromium, against a real server and PostGIS.

A county editor logs in through the form, sees only their county's projects as editable,
draws a polygon with Leaflet-Geoman by real mouse clicks, saves it and finds it in the
feed and on the battle map open in a second window; a save on a stale version opens the
conflict view; a site the server refuses is shown on the map where the problem is.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit
from urllib.request import urlopen

import pytest
import sqlalchemy as sa
from pyproj import Geod, Transformer
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from shapely.geometry import Polygon, box, shape

from mapserver.accounts import users
from mapserver.store.db import make_engine
from tests.browser import (
    assert_only_own_origin,
    chromium,
    hook,
    map_offset,
    serve,
    settled_bounds,
    severe_logs,
    wait_for,
    wait_ready,
)
from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

COUNTY = "511602"  # 广安区
NEIGHBOUR = "511603"  # 前锋区
# A pentagon inside 广安区, over 2 km from every demo site and from the county line, so
# Geoman's snapping (15 px) leaves the clicked vertices where they were clicked.
SITE = [(106.675, 30.585), (106.695, 30.585), (106.698, 30.6), (106.685, 30.607), (106.672, 30.598)]
HOSTILE = "<img src=x onerror=alert(1)>"  # must show as text, never run
FORM = {
    "name": f"测试新建物流园{HOSTILE}",
    "owner_unit": "广安区测试责任单位",
    "total_investment": "12000",
    "annual_plan": "3000",
    "completed_this_year": "500",
}
CHOICES = {"level": "municipal", "working_group": "industry", "status": "preparing"}


@dataclass
class Site:
    base: str
    engine: sa.Engine
    password: str


@pytest.fixture(scope="module")
def driver():
    with chromium(1600, 1000) as d:
        yield d


@pytest.fixture
def site(fresh_url, make_app) -> Iterator[Site]:
    """A server on a private copy of the demo database, with a 广安区 county editor."""
    engine = make_engine(fresh_url, 2)
    _, password = users.create_user(engine, "editor_t", "county_editor", COUNTY)
    app = make_app(database_url=fresh_url)
    with serve(app) as base:
        yield Site(base, engine, password)
    engine.dispose()


def login(driver, base: str, username: str, password: str) -> None:
    """Open /edit, get sent to the login form, log in, and be back on a ready editor."""
    driver.get("about:blank")  # the last test's page, and what it logged, left behind
    severe_logs(driver)
    driver.get(base + "/edit")
    wait_for(lambda: urlsplit(driver.current_url).path == "/login")
    assert "next=/edit" in driver.current_url.replace("%2F", "/")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button[type=submit]").click()
    wait_for(lambda: urlsplit(driver.current_url).path == "/edit")
    wait_for(lambda: hook(driver, "state") in ("ready", "error"), 20)
    assert hook(driver, "state") == "ready"


@pytest.fixture
def editor(driver, site) -> Iterator:
    """The editor page for the county editor; extra windows closed after."""
    login(driver, site.base, "editor_t", site.password)
    yield driver
    for handle in driver.window_handles[1:]:
        driver.switch_to.window(handle)
        driver.close()
    driver.switch_to.window(driver.window_handles[0])


def get_json(url: str) -> dict:
    with urlopen(url, timeout=10) as response:
        return json.load(response)


def features(site: Site) -> list[dict]:
    return get_json(site.base + "/layers/projects.geojson?limit=10000")["features"]


def errors(driver, expected: tuple[int, ...] = ()) -> list[str]:
    """Console errors, leaving out the failed requests a test provoked on purpose."""
    allowed = tuple(f"status of {status}" for status in expected)
    messages = [entry["message"] for entry in severe_logs(driver)]
    return [m for m in messages if not any(a in m for a in allowed)]


def click_map(driver, lon: float, lat: float) -> None:
    dx, dy = map_offset(driver, lon, lat)
    element = driver.find_element(By.ID, "map")
    ActionChains(driver).move_to_element_with_offset(element, dx, dy).pause(0.05).click().perform()


def degrees_per_pixel(driver) -> float:
    west, _, east, _ = map(float, hook(driver, "map-bounds").split(","))
    return (east - west) / driver.find_element(By.ID, "map").size["width"]


def open_project(driver, code: str, mode: str) -> None:
    driver.find_element(By.CSS_SELECTOR, f'#project-list [data-code="{code}"]').click()
    wait_for(lambda: hook(driver, "selected") == code and hook(driver, "editor-mode") == mode)


def field(driver, name: str):
    return driver.find_element(By.CSS_SELECTOR, f'#attributes [name="{name}"]')


def text_of(driver, element_id: str) -> str:
    return driver.find_element(By.ID, element_id).text


def fill_form(driver, values: dict[str, str], choices: dict[str, str]) -> None:
    for name, value in values.items():
        field(driver, name).clear()
        field(driver, name).send_keys(value)
    for name, code in choices.items():
        Select(field(driver, name)).select_by_value(code)


def toolbar_visible(driver) -> bool:
    bars = driver.find_elements(By.CSS_SELECTOR, ".leaflet-pm-toolbar")
    return any(bar.is_displayed() for bar in bars)


def test_login_then_only_own_county_is_editable(editor, site):
    driver = editor
    assert errors(driver) == []
    assert hook(driver, "role") == "county_editor"
    every = features(site)
    own = {f["id"] for f in every if f["properties"]["county"] == COUNTY}
    assert int(hook(driver, "project-count")) == len(every)
    assert int(hook(driver, "editable-count")) == len(own)
    items = driver.find_elements(By.CSS_SELECTOR, "#project-list .project-item")
    assert {i.get_attribute("data-code") for i in items} == {f["id"] for f in every}
    editable = [i for i in items if i.get_attribute("data-editable") == "true"]
    assert {i.get_attribute("data-code") for i in editable} == own

    other = next(f for f in every if f["properties"]["county"] != COUNTY and f["geometry"])
    open_project(driver, other["id"], "view")
    assert field(driver, "name").get_attribute("disabled")
    assert not driver.find_element(By.ID, "save").is_displayed()
    assert not toolbar_visible(driver)

    mine = next(f for f in every if f["id"] in own and f["geometry"]["type"] == "Polygon")
    open_project(driver, mine["id"], "edit")
    assert toolbar_visible(driver)
    assert driver.find_elements(By.CSS_SELECTOR, ".leaflet-marker-pane .marker-icon")  # vertices
    county = field(driver, "county")
    assert county.get_attribute("disabled") and county.get_attribute("value") == COUNTY
    assert not driver.find_element(By.ID, "save").is_enabled()  # nothing changed yet
    assert errors(driver) == []
    assert_only_own_origin(driver, site.base)


def battle_map_window(driver, base: str) -> tuple[str, int]:
    """The battle map in a second window: its handle and how many projects it shows."""
    editor_window = driver.current_window_handle
    driver.switch_to.new_window("window")
    driver.get(base + "/")
    wait_ready(driver)
    wait_for(lambda: hook(driver, "connection") == "open")
    handle, count = driver.current_window_handle, int(hook(driver, "feature-count"))
    driver.switch_to.window(editor_window)
    return handle, count


def draw_polygon(driver, vertices: list[tuple[float, float]]) -> None:
    """Geoman's polygon tool, a click per vertex, then a click on the first to close it."""
    driver.find_element(By.CSS_SELECTOR, ".leaflet-pm-toolbar .leaflet-pm-icon-polygon").click()
    for index, (lon, lat) in enumerate(vertices):
        click_map(driver, lon, lat)
        if index == 2:  # a triangle so far: its area shows while drawing
            wait_for(lambda: "绘制中" in text_of(driver, "live-sizes"))
            assert float(hook(driver, "live-area-mu")) > 0
    click_map(driver, *vertices[0])


def test_draw_save_and_see_it_on_the_battle_map(editor, site):
    driver = editor
    every = features(site)
    outline = Polygon(SITE)
    assert min(shape(f["geometry"]).distance(outline) for f in every if f["geometry"]) > 0.015
    battle_map, before = battle_map_window(driver, site.base)

    driver.find_element(By.ID, "new-project").click()
    wait_for(lambda: hook(driver, "editor-mode") == "create")
    slack = 2 * degrees_per_pixel(driver)  # a click lands within a pixel of its point
    draw_polygon(driver, SITE)
    wait_for(
        lambda: hook(driver, "dirty") == "true" and "绘制中" not in text_of(driver, "live-sizes")
    )
    live = text_of(driver, "live-sizes")
    assert "亩" in live and "公顷" in live
    nominal = abs(Geod(ellps="WGS84").geometry_area_perimeter(outline)[0]) / (10000 / 15)
    assert float(hook(driver, "live-area-mu")) == pytest.approx(nominal, rel=0.05)

    fill_form(driver, FORM, CHOICES)
    driver.find_element(By.ID, "save").click()
    wait_for(lambda: hook(driver, "save-state") in ("saved", "error"), 10)
    assert hook(driver, "save-state") == "saved", text_of(driver, "notice")
    code = hook(driver, "selected")
    saved = next(f for f in features(site) if f["id"] == code)
    assert saved["properties"]["name"] == FORM["name"]
    assert saved["properties"]["county"] == COUNTY
    ring = saved["geometry"]["coordinates"][0]
    assert saved["geometry"]["type"] == "Polygon" and len(ring) == len(SITE) + 1
    for (lon, lat), (want_lon, want_lat) in zip(ring, SITE, strict=False):
        assert abs(lon - want_lon) < slack and abs(lat - want_lat) < slack
    # After saving, the live figure is of the server's geometry: close to the server's own.
    server_mu = saved["properties"]["area_mu"]
    assert float(hook(driver, "live-area-mu")) == pytest.approx(server_mu, rel=0.005)
    assert "已保存" in text_of(driver, "server-sizes")
    listed = f'#project-list [data-code="{code}"] .project-name'  # rebuilt by the stream too
    assert (
        driver.execute_script(f"return document.querySelector('{listed}').textContent")
        == FORM["name"]
    )
    assert not driver.find_elements(By.CSS_SELECTOR, "body img")
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "editor.png"))
    assert errors(driver) == []

    driver.switch_to.window(battle_map)
    wait_for(lambda: int(hook(driver, "feature-count")) == before + 1, timeout=10)
    assert errors(driver) == []


def test_stale_save_shows_the_conflict_view_and_reapplies(editor, site):
    driver = editor
    target = next(
        f for f in features(site) if f["properties"]["county"] == COUNTY and f["geometry"]
    )
    code, version = target["id"], target["properties"]["version"]
    open_project(driver, code, "edit")
    fill_form(driver, {"leader": "李测试"}, {})
    with site.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE projects SET owner_unit = '他人刚改的责任单位' WHERE code = :c"),
            {"c": code},
        )
    # The stream says so at once; the edits stay until the user chooses
    wait_for(lambda: "已被他人修改" in text_of(driver, "notice"), timeout=10)
    assert field(driver, "leader").get_attribute("value") == "李测试"
    driver.find_element(By.ID, "save").click()
    wait_for(lambda: hook(driver, "conflict") == "shown")
    row = driver.find_element(By.CSS_SELECTOR, '#conflict tr[data-field="owner_unit"]')
    assert "differs" in row.get_attribute("class")
    assert row.find_element(By.CSS_SELECTOR, "td.theirs").text == "他人刚改的责任单位"
    mine = driver.find_element(By.CSS_SELECTOR, '#conflict tr[data-field="leader"]')
    assert "mine" in mine.get_attribute("class")
    assert mine.find_element(By.CSS_SELECTOR, "td.yours").text == "李测试"
    paths = driver.find_elements(By.CSS_SELECTOR, ".leaflet-overlay-pane path")
    strokes = {p.get_attribute("stroke") for p in paths}
    assert {"#ffa94d", "#2fe0ff"} <= strokes  # theirs and yours, in two colours

    driver.find_element(By.CSS_SELECTOR, '#conflict button[data-action="reapply"]').click()
    wait_for(lambda: hook(driver, "save-state") == "saved")
    assert int(hook(driver, "version")) == version + 2
    with site.engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT owner_unit, leader, version FROM projects WHERE code = :c"), {"c": code}
        ).one()
    assert tuple(row) == ("他人刚改的责任单位", "李测试", version + 2)
    assert errors(driver, expected=(412,)) == []


def test_others_saves_appear_while_editing(editor, site):
    """The editor follows /events: a project another user saves is redrawn and relisted, and
    the open project, with no unsaved edits, is reloaded where the map is."""
    driver = editor
    mine = [f for f in features(site) if f["properties"]["county"] == COUNTY and f["geometry"]]
    code, other = mine[0]["id"], mine[1]["id"]
    open_project(driver, code, "edit")
    wait_for(lambda: hook(driver, "connection") == "open")
    bounds, count = settled_bounds(driver), int(hook(driver, "project-count"))
    with site.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE projects SET name = name || '（他人改名）' WHERE code IN (:a, :b)"),
            {"a": code, "b": other},
        )
        conn.execute(sa.text("UPDATE projects SET deleted_at = now() WHERE code = :c"),
                     {"c": mine[2]["id"]})  # fmt: skip
    wait_for(lambda: field(driver, "name").get_attribute("value").endswith("（他人改名）"), 5)
    assert int(hook(driver, "version")) == mine[0]["properties"]["version"] + 1
    assert hook(driver, "editor-mode") == "edit" and hook(driver, "map-bounds") == bounds
    assert "已载入最新版本" in text_of(driver, "notice")
    renamed = mine[1]["properties"]["name"] + "（他人改名）"
    listed = f'#project-list [data-code="{other}"] .project-name'  # the list is rebuilt: look again
    wait_for(lambda: driver.find_element(By.CSS_SELECTOR, listed).text == renamed, 5)
    wait_for(lambda: int(hook(driver, "project-count")) == count - 1, 5)
    assert not driver.find_elements(By.CSS_SELECTOR, f'#project-list [data-code="{mine[2]["id"]}"]')
    assert errors(driver) == []


def inside_neighbour(driver) -> tuple[float, float]:
    """A point of the neighbouring county inside the map's view, far from our county."""
    counties = get_json(hook_base(driver) + "/layers/counties.geojson?limit=100")["features"]
    by_code = {str(f["id"]): shape(f["geometry"]) for f in counties}
    west, south, east, north = map(float, hook(driver, "map-bounds").split(","))
    view = box(west, south, east, north).buffer(-0.05 * (east - west))
    area = by_code[NEIGHBOUR].intersection(view).difference(by_code[COUNTY].buffer(0.02))
    point = area.representative_point()
    return point.x, point.y


def hook_base(driver) -> str:
    parts = urlsplit(driver.current_url)
    return f"{parts.scheme}://{parts.netloc}"


def test_refused_input_shows_next_to_the_field_and_on_the_map(editor, site):
    driver = editor
    count = len(features(site))
    driver.find_element(By.ID, "new-project").click()
    wait_for(lambda: hook(driver, "editor-mode") == "create")
    lon, lat = inside_neighbour(driver)
    driver.find_element(By.CSS_SELECTOR, ".leaflet-pm-toolbar .leaflet-pm-icon-marker").click()
    click_map(driver, lon, lat)
    wait_for(lambda: "点位" in text_of(driver, "live-sizes"))  # the marker is placed
    fill_form(driver, {**FORM, "owner_unit": ""}, CHOICES)

    driver.find_element(By.ID, "save").click()  # a required field left empty
    wait_for(lambda: hook(driver, "save-state") == "error")
    message = driver.find_element(By.CSS_SELECTOR, '[data-error-for="owner_unit"]').text
    assert "owner_unit" in message or "必填" in message or "不能为空" in message

    fill_form(driver, {"owner_unit": FORM["owner_unit"]}, {})
    driver.find_element(By.ID, "save").click()  # the site lies in the neighbouring county
    wait_for(lambda: hook(driver, "problem") == "outside_county")
    tip = driver.find_element(By.CSS_SELECTOR, ".problem-tip")
    assert "超出" in tip.text
    assert driver.find_elements(By.CSS_SELECTOR, ".leaflet-overlay-pane path.problem-marker")
    assert len(features(site)) == count  # nothing was saved
    assert errors(driver, expected=(422,)) == []


def show_tab(driver, name: str) -> None:
    driver.find_element(By.CSS_SELECTOR, f'#tabs button[data-tab="{name}"]').click()
    wait_for(lambda: hook(driver, "tab") == name)


def test_history_lists_revisions_and_restores_one(editor, site):
    driver = editor
    target = next(f for f in features(site) if f["properties"]["county"] == COUNTY)
    code, version = target["id"], target["properties"]["version"]
    leader = target["properties"].get("leader")
    open_project(driver, code, "edit")
    fill_form(driver, {"leader": "王历史"}, {})
    driver.find_element(By.ID, "save").click()
    wait_for(lambda: hook(driver, "save-state") == "saved" and hook(driver, "version"))
    assert int(hook(driver, "version")) == version + 1
    show_tab(driver, "history")
    wait_for(lambda: hook(driver, "history-count"))
    items = driver.find_elements(By.CSS_SELECTOR, "#history-list li.revision")
    newest = items[0]
    assert f"版本 {version + 1}" in newest.find_element(By.CSS_SELECTOR, ".revision-op").text
    assert "联系市领导" in newest.find_element(By.CSS_SELECTOR, ".revision-changed").text
    assert "editor_t" in newest.find_element(By.CSS_SELECTOR, ".revision-who").text
    assert not newest.find_elements(By.CSS_SELECTOR, 'button[data-action="restore"]')  # current
    older = next(
        i
        for i in items
        if i.find_element(By.CSS_SELECTOR, ".revision-op").text.endswith(f"版本 {version}")
    )
    older.find_element(By.CSS_SELECTOR, 'button[data-action="restore"]').click()
    wait_for(lambda: driver.find_element(By.ID, "dialog").is_displayed())
    driver.find_element(By.ID, "dialog-confirm").click()
    wait_for(lambda: int(hook(driver, "version") or 0) == version + 2)
    assert f"已恢复到版本 {version}" in text_of(driver, "notice")
    assert field(driver, "leader").get_attribute("value") == (leader or "")
    with site.engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT leader, version FROM projects WHERE code = :c"), {"c": code}
        ).one()
    assert tuple(row) == (leader, version + 2)
    wait_for(lambda: int(hook(driver, "history-count") or 0) == len(items) + 1)
    assert errors(driver) == []


def test_import_a_gauss_kruger_file_and_save_it_as_a_new_project(editor, site, tmp_path):
    """A surveyor's polygon in CGCS2000 Gauss-Krüger metres (CM 105°E), no CRS in the file:
    the user names the CRS, previews the site, uses it for a new project and saves."""
    to_gk = Transformer.from_crs(4326, 4544, always_xy=True)
    ring = [to_gk.transform(lon, lat) for lon, lat in SITE + SITE[:1]]
    doc = {"type": "FeatureCollection", "features": [{"type": "Feature",
           "properties": {"name": "导入测试地块"},
           "geometry": {"type": "Polygon", "coordinates": [ring]}}]}  # fmt: skip
    path = tmp_path / "地块.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    driver = editor
    show_tab(driver, "import")
    driver.find_element(By.ID, "import-file").send_keys(str(path))
    Select(driver.find_element(By.ID, "import-crs")).select_by_value("EPSG:4544")
    driver.find_element(By.ID, "import-run").click()
    wait_for(lambda: hook(driver, "import-count") == "1")
    assert "4544" in text_of(driver, "import-status")
    item = driver.find_element(By.CSS_SELECTOR, "#import-list .import-item")
    assert item.find_element(By.CSS_SELECTOR, ".import-name").text == "导入测试地块"
    item.find_element(By.CSS_SELECTOR, 'button[data-action="use"]').click()
    wait_for(lambda: hook(driver, "editor-mode") == "create" and hook(driver, "dirty") == "true")
    assert hook(driver, "tab") == "form"  # the attributes are what is left to fill in
    assert field(driver, "name").get_attribute("value") == "导入测试地块"
    fill_form(driver, {k: v for k, v in FORM.items() if k != "name"}, CHOICES)
    driver.find_element(By.ID, "save").click()
    wait_for(lambda: hook(driver, "save-state") in ("saved", "error"), 10)
    assert hook(driver, "save-state") == "saved", text_of(driver, "notice")
    saved = next(f for f in features(site) if f["id"] == hook(driver, "selected"))
    assert saved["properties"]["name"] == "导入测试地块"
    got = saved["geometry"]["coordinates"][0]
    assert len(got) == len(SITE) + 1
    for (lon, lat), (want_lon, want_lat) in zip(got, SITE, strict=False):
        assert abs(lon - want_lon) < 1e-7 and abs(lat - want_lat) < 1e-7  # about a centimetre
    assert errors(driver) == []


def test_a_viewer_reads_but_cannot_edit(driver, site):
    _, password = users.create_user(site.engine, "viewer_t", "viewer")
    login(driver, site.base, "viewer_t", password)
    assert driver.find_element(By.ID, "readonly-banner").is_displayed()
    assert not driver.find_element(By.ID, "new-project").is_displayed()
    assert hook(driver, "editable-count") == "0"
    first = driver.find_element(By.CSS_SELECTOR, "#project-list .project-item")
    open_project(driver, first.get_attribute("data-code"), "view")
    assert field(driver, "name").get_attribute("disabled")
    assert not toolbar_visible(driver) and not driver.find_element(By.ID, "save").is_displayed()
    assert errors(driver) == []
