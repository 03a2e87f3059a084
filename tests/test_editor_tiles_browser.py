"""The editor above the projects layer's tile threshold (``tiles.screen_threshold``, here 50
against the demo's 100 projects), in a real headless Chromium: a county editor's list and
GeoJSON hold only their county's projects, which stay editable; another county's project is
drawn from the vector tiles, opens read-only on a click, is not in the list, and is redrawn
where another user moves it; a city-wide admin lists nothing and edits from the tiles.
Expected figures come from SQL."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from mapserver.accounts import users
from mapserver.store.db import make_engine
from tests import apps
from tests.browser import (
    chromium,
    hook,
    map_offset,
    serve,
    settled_bounds,
    severe_logs,
    wait_for,
)
from tests.conftest import new_database

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
COUNTY = "511602"  # 广安区
THRESHOLD = 50
# Point projects of other counties with no other project within `reach` degrees: a click
# there can only hit that one.
LONE_POINTS = """
  SELECT p.code, ST_X(p.geom), ST_Y(p.geom) FROM projects p
  WHERE p.deleted_at IS NULL AND p.county <> :own AND GeometryType(p.geom) = 'POINT'
    AND NOT EXISTS (SELECT 1 FROM projects q WHERE q.code <> p.code AND q.deleted_at IS NULL
                    AND ST_DWithin(q.geom, p.geom, :reach))
  ORDER BY p.code
"""


@pytest.fixture(scope="module")
def site(cluster, template_db, tmp_path_factory) -> Iterator[tuple[str, dict, sa.Engine]]:
    """A server whose projects layer goes to tiles above 50 features, with a 广安区 editor
    and an admin: (base, {username: password}, engine)."""
    layers = tmp_path_factory.mktemp("layers")
    shutil.copytree(ROOT / "layers", layers, dirs_exist_ok=True)
    with (layers / "projects.yaml").open("a", encoding="utf-8") as f:
        f.write(f"\ntiles:\n  screen_threshold: {THRESHOLD}\n")
    url = new_database(cluster, template_db)
    engine = make_engine(url, 1)
    passwords = {
        "editor_k": users.create_user(engine, "editor_k", "county_editor", COUNTY)[1],
        "admin_k": users.create_user(engine, "admin_k", "admin")[1],
    }
    with apps.built(database_url=url, layers_dir=layers) as app, serve(app) as base:
        yield base, passwords, engine
    engine.dispose()
    cluster.psql(f'DROP DATABASE IF EXISTS "{url.split("?")[0].rsplit("/", 1)[1]}" WITH (FORCE)')


def log_in(driver, base: str, username: str, password: str) -> None:
    driver.get(base + "/edit")
    wait_for(lambda: urlsplit(driver.current_url).path == "/login")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button[type=submit]").click()
    wait_for(lambda: hook(driver, "state") in ("ready", "error"), 20)
    assert hook(driver, "state") == "ready"


@pytest.fixture(scope="module")
def editor(site) -> Iterator:
    base, passwords, _ = site
    with chromium(1600, 1000) as driver:
        log_in(driver, base, "editor_k", passwords["editor_k"])
        yield driver


def codes_of(engine: sa.Engine, sql: str, **params) -> set[str]:
    with engine.connect() as conn:
        return {row[0] for row in conn.execute(sa.text(sql), params)}


def listed(driver) -> dict[str, str]:
    items = driver.find_elements(By.CSS_SELECTOR, "#project-list .project-item")
    return {i.get_attribute("data-code"): i.get_attribute("data-editable") for i in items}


def test_the_list_holds_only_the_own_county_and_stays_editable(editor, site):
    _, _, engine = site
    total = codes_of(engine, "SELECT code FROM projects WHERE deleted_at IS NULL")
    own = codes_of(
        engine, "SELECT code FROM projects WHERE deleted_at IS NULL AND county = :c", c=COUNTY
    )
    assert len(total) > THRESHOLD and own
    assert hook(editor, "tile-mode") == "true"
    assert int(hook(editor, "project-count")) == len(own)
    assert int(hook(editor, "editable-count")) == len(own)
    assert listed(editor) == dict.fromkeys(own, "true")
    assert "其他项目请在地图上点选" in editor.find_element(By.ID, "list-summary").text
    mine = sorted(own)[0]
    editor.find_element(By.CSS_SELECTOR, f'#project-list [data-code="{mine}"]').click()
    wait_for(lambda: hook(editor, "selected") == mine and hook(editor, "editor-mode") == "edit")
    name = editor.find_element(By.CSS_SELECTOR, '#attributes [name="name"]')
    assert name.is_enabled() and editor.find_element(By.ID, "save").is_displayed()
    editor.find_element(By.ID, "close").click()
    wait_for(lambda: hook(editor, "editor-mode") == "idle")
    assert [e["message"] for e in severe_logs(editor)] == []


def degrees_per_pixel(driver) -> float:
    west, _, east, _ = map(float, hook(driver, "map-bounds").split(","))
    return (east - west) / driver.find_element(By.ID, "map").size["width"]


def visible_lone_point(driver, engine: sa.Engine, pixels: int = 30) -> tuple[str, float, float]:
    """Another county's project, a point with no other project within `pixels`, well
    inside the map's current view (once it has stopped moving)."""
    west, south, east, north = map(float, settled_bounds(driver).split(","))
    mx, my = (east - west) * 0.15, (north - south) * 0.15
    reach = pixels * degrees_per_pixel(driver)
    with engine.connect() as conn:
        rows = conn.execute(sa.text(LONE_POINTS), {"own": COUNTY, "reach": reach}).all()
    inside = [r for r in rows if west + mx < r[1] < east - mx and south + my < r[2] < north - my]
    assert inside, "no other county's point project in the editor's first view"
    return inside[0][0], inside[0][1], inside[0][2]


def click_until_open(driver, lon: float, lat: float, code: str) -> None:
    """Click lon/lat until project `code` opens: the tile under it may still be loading."""
    dx, dy = map_offset(driver, lon, lat)
    area = driver.find_element(By.ID, "map")

    def opened() -> bool:
        ActionChains(driver).move_to_element_with_offset(area, dx, dy).pause(0.05).click().perform()
        return hook(driver, "selected") == code

    wait_for(opened, 15, interval=0.3)


def test_another_countys_project_comes_from_tiles_and_opens_read_only(editor, site):
    base, _, engine = site
    code, lon, lat = visible_lone_point(editor, engine)
    assert code not in listed(editor)  # not loaded as GeoJSON
    tiles = wait_for(
        lambda: editor.execute_script(
            "return performance.getEntriesByType('resource').map((r) => r.name)"
            ".filter((u) => u.includes('/ogc/collections/projects/tiles/'))"
        )
    )
    assert all(u.startswith(base + "/") and "county=" in u and COUNTY not in u for u in tiles)
    click_until_open(editor, lon, lat, code)
    wait_for(lambda: hook(editor, "editor-mode") == "view")
    name = editor.find_element(By.CSS_SELECTOR, '#attributes [name="name"]')
    assert not name.is_enabled()
    assert not editor.find_element(By.ID, "save").is_displayed()
    assert code not in listed(editor)
    assert [e["message"] for e in severe_logs(editor)] == []
    editor.find_element(By.ID, "close").click()
    wait_for(lambda: hook(editor, "editor-mode") == "idle")


def test_a_tiled_project_moved_by_someone_else_is_redrawn_where_it_now_is(editor, site):
    _, _, engine = site
    wait_for(lambda: hook(editor, "connection") == "open")
    code, lon, lat = visible_lone_point(editor, engine, pixels=60)
    west, _, east, _ = map(float, hook(editor, "map-bounds").split(","))
    shift = 30 * degrees_per_pixel(editor) * (1 if lon < (west + east) / 2 else -1)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE projects SET geom = ST_Translate(geom, :dx, 0) WHERE code = :c"),
            {"dx": shift, "c": code},
        )
    click_until_open(editor, lon + shift, lat, code)  # drawn there only once reloaded
    wait_for(lambda: hook(editor, "editor-mode") == "view")
    assert code not in listed(editor)
    editor.find_element(By.ID, "close").click()
    wait_for(lambda: hook(editor, "editor-mode") == "idle")
    assert [e["message"] for e in severe_logs(editor)] == []


def test_a_city_wide_admin_lists_nothing_and_edits_from_the_tiles(site):
    base, passwords, engine = site
    with chromium(1600, 1000) as driver:
        log_in(driver, base, "admin_k", passwords["admin_k"])
        assert hook(driver, "tile-mode") == "true"
        assert int(hook(driver, "project-count")) == 0
        code, lon, lat = visible_lone_point(driver, engine)
        click_until_open(driver, lon, lat, code)
        wait_for(lambda: hook(driver, "editor-mode") == "edit")
        assert driver.find_element(By.CSS_SELECTOR, '#attributes [name="name"]').is_enabled()
        assert [e["message"] for e in severe_logs(driver)] == []
