"""The editor above the projects layer's tile threshold (``tiles.screen_threshold``, here 50
against the demo's 100 projects), in a real headless Chromium: a county editor's list and
GeoJSON hold only their county's projects, which stay editable; another county's project is
drawn from the vector tiles, opens read-only on a click, is not in the list, and is redrawn
where another user moves it; a city-wide admin lists nothing and edits from the tiles, or
finds a project with the search box, which asks the server (``q``, the first 20 matches,
opened editable or read-only as the user may). A change to a tile-drawn project reloads
only the tiles it touches (its old and new place) and shows within a second; the search
results follow renames, status changes and deletions; a project moved into the own county
leaves the tiles for the list. Expected figures come from SQL."""

from __future__ import annotations

import math
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from mapserver.accounts import credentials, users
from mapserver.store.db import make_engine
from tests import apps
from tests.browser import (
    chromium,
    hook,
    log_in_through,
    map_offset,
    mercator_y,
    serve,
    settled_bounds,
    severe_logs,
    wait_for,
)
from tests.conftest import ARTIFACTS, new_database
from tests.tilemode import PIXEL, patch_project, screen_point

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
    log_in_through(driver, base, "/edit", username, password)


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


# What the search box finds: a part of the code or name, taken literally, in the layer's order.
SEARCH_SQL = """
  SELECT p.code, p.name, c.name FROM projects p JOIN counties c ON c.adcode = p.county
  WHERE p.deleted_at IS NULL
    AND (strpos(lower(p.code), lower(:text)) > 0 OR strpos(lower(p.name), lower(:text)) > 0)
  ORDER BY p.id LIMIT 20
"""
STATUS = {"reserve": "储备", "preparing": "前期", "under_construction": "在建",
          "completed": "竣工", "suspended": "停缓建"}  # fmt: skip


def search(driver, text: str) -> list[tuple[str, str, str, str]]:
    """Type `text` into an emptied search box; the results once the server has answered
    for it: (code, name, meta, editable) each."""
    box = driver.find_element(By.ID, "search")
    driver.execute_script(
        "arguments[0].value = ''; arguments[0].dispatchEvent(new Event('input'))", box
    )
    box.send_keys(text)
    if not text.strip():
        wait_for(lambda: hook(driver, "search-state") == "idle")
        return []
    wait_for(lambda: hook(driver, "search-state") == "done"
             and hook(driver, "search-text") == text.strip(), 15)  # fmt: skip

    def rows():
        items = driver.find_elements(By.CSS_SELECTOR, "#search-results .project-item")
        return [(i.get_attribute("data-code"), i.find_element(By.CLASS_NAME, "project-name").text,
                 i.find_element(By.CLASS_NAME, "project-meta").text,
                 i.get_attribute("data-editable")) for i in items]  # fmt: skip

    return wait_for(lambda: _stable(rows), 10)[0]


def _stable(read):
    """``(read(),)``, or None when the list is rebuilt while it looks (a stale element)."""
    try:
        return (read(),)
    except StaleElementReferenceException:
        return None


def expected_results(engine: sa.Engine, text: str) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(SEARCH_SQL), {"text": text})]


def check_results(driver, engine: sa.Engine, text: str) -> list[tuple[str, str, str, str]]:
    got = search(driver, text)
    want = expected_results(engine, text)
    assert [(code, name) for code, name, _, _ in got] == [(c, n) for c, n, _ in want], text
    for (code, _, meta, _), (_, _, county) in zip(got, want):
        assert meta.startswith(f"{code} · {county} · ") and meta.split(" · ")[2] in STATUS.values()
    assert int(hook(driver, "search-count")) == len(want)
    return got


def choose(driver, code: str, mode: str) -> None:
    driver.find_element(By.CSS_SELECTOR, f'#search-results [data-code="{code}"]').click()
    wait_for(lambda: hook(driver, "selected") == code and hook(driver, "editor-mode") == mode)


def site_inside_view(driver, engine: sa.Engine, code: str) -> bool:
    with engine.connect() as conn:
        lon, lat = conn.execute(
            sa.text("SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_PointOnSurface(geom) c "
                    "FROM projects WHERE code = :c) s"), {"c": code}
        ).one()  # fmt: skip
    west, south, east, north = map(float, settled_bounds(driver).split(","))
    return west < lon < east and south < lat < north


def a_name_part(engine: sa.Engine, county_not: str = "") -> tuple[str, str]:
    """(code, 3 characters from its name's middle) of a project with a site."""
    with engine.connect() as conn:
        code, name = conn.execute(
            sa.text("SELECT code, name FROM projects WHERE deleted_at IS NULL AND geom IS NOT NULL"
                    " AND county <> :c ORDER BY id DESC LIMIT 1"), {"c": county_not}
        ).one()  # fmt: skip
    return code, name[len(name) // 2 - 1 : len(name) // 2 + 2]


def test_an_admin_searches_by_name_and_code_and_opens_a_result(site):
    base, passwords, engine = site
    with chromium(1600, 1000) as driver:
        log_in(driver, base, "admin_k", passwords["admin_k"])
        assert (
            driver.find_element(By.ID, "search").get_attribute("placeholder")
            == "搜索全市项目：名称或编码"
        )
        code, part = a_name_part(engine)
        got = check_results(driver, engine, part)
        assert code in [r[0] for r in got] and all(r[3] == "true" for r in got)
        assert not driver.find_element(By.ID, "project-list").is_displayed()
        choose(driver, code, "edit")
        with engine.connect() as conn:
            name = conn.execute(sa.text("SELECT name FROM projects WHERE code = :c"), {"c": code})
            assert driver.find_element(By.CSS_SELECTOR, '#attributes [name="name"]').get_attribute(
                "value") == name.scalar_one()  # fmt: skip
        wait_for(lambda: site_inside_view(driver, engine, code), 15)
        assert driver.find_element(
            By.CSS_SELECTOR, f'#search-results [data-code="{code}"]').get_attribute(
            "aria-current") == "true"  # fmt: skip
        driver.find_element(By.ID, "close").click()
        wait_for(lambda: hook(driver, "editor-mode") == "idle")
        by_code = check_results(driver, engine, code[3:].lower())  # a part, in lower case
        assert [r[0] for r in by_code] == [code]
        many = check_results(driver, engine, "GA-")
        assert len(many) == 20
        assert "前 20 个" in driver.find_element(By.ID, "search-status").text
        search(driver, " ")  # blank: the own list again
        assert driver.find_element(By.ID, "project-list").get_attribute("hidden") is None
        assert not driver.find_element(By.ID, "search-results").is_displayed()
        assert [e["message"] for e in severe_logs(driver)] == []


HOSTILE_NAME = "测试%_'\"<script>window.hacked=1</script>项目"


def test_wildcards_quotes_and_markup_are_literal_on_a_phone(site):
    base, passwords, engine = site
    with engine.begin() as conn:
        hostile = conn.execute(
            sa.text("UPDATE projects SET name = :n WHERE id = (SELECT min(id) FROM projects"
                    " WHERE deleted_at IS NULL) RETURNING code"), {"n": HOSTILE_NAME}
        ).scalar_one()  # fmt: skip
    with chromium(390, 844) as driver:
        log_in(driver, base, "admin_k", passwords["admin_k"])
        for text in ("%", "_", "'", '"', "%_", "<script>", HOSTILE_NAME, "%%", "a_b", "\\"):
            got = check_results(driver, engine, text)
            assert [r[0] for r in got] == ([hostile] if text in HOSTILE_NAME else []), text
        got = check_results(driver, engine, "<script>")
        assert got[0][1] == HOSTILE_NAME  # as text
        assert driver.find_elements(By.CSS_SELECTOR, "#search-results script") == []
        assert driver.execute_script("return window.hacked === undefined")
        check_results(driver, engine, "GA-2")  # a screenful, for the screenshot
        driver.execute_script("document.getElementById('search').scrollIntoView()")
        ARTIFACTS.mkdir(exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / "editor-search-phone.png"))
        choose(driver, hostile, "edit")
        assert [e["message"] for e in severe_logs(driver)] == []


def test_a_county_editor_opens_other_counties_results_read_only(editor, site):
    _, _, engine = site
    code, part = a_name_part(engine, county_not=COUNTY)
    got = check_results(editor, engine, part)
    with engine.connect() as conn:
        counties = dict(conn.execute(sa.text("SELECT code, county FROM projects")).all())
    assert {r[0]: r[3] for r in got} == {r[0]: str(counties[r[0]] == COUNTY).lower() for r in got}
    choose(editor, code, "view")
    assert not editor.find_element(By.CSS_SELECTOR, '#attributes [name="name"]').is_enabled()
    mine = min(c for c, county in counties.items() if county == COUNTY)
    assert [r[3] for r in check_results(editor, engine, mine)] == ["true"]
    choose(editor, mine, "edit")
    editor.find_element(By.ID, "close").click()
    wait_for(lambda: hook(editor, "editor-mode") == "idle")
    search(editor, " ")
    assert [e["message"] for e in severe_logs(editor)] == []


# Changes made elsewhere, as the editor follows them (/events).


@pytest.fixture(scope="module")
def token(site) -> str:
    """An API token of an admin, for changing projects as a GIS client would."""
    _, _, engine = site
    account, _ = users.create_user(engine, "gis_k", "admin")
    return credentials.issue_token(engine, account.id, "test")[1]


def fresh_view(driver, base: str) -> None:
    """The editor reloaded: its first view, the backdrop's tiles loaded, the stream open."""
    driver.get(f"{base}/edit")
    wait_for(lambda: hook(driver, "state") == "ready" and hook(driver, "connection") == "open", 15)
    settled_bounds(driver)
    wait_for(lambda: hook(driver, "backdrop-tiles") == "loaded", 15)


SERVER_BUFFER = 256 / 4096  # the tiles' buffer, as a share of a tile (docs/tiles.md)
TILE_URL = re.compile(r"/ogc/collections/projects/tiles/WebMercatorQuad/(\d+)/(\d+)/(\d+)\?")
RESOURCES = "return performance.getEntriesByType('resource').map((r) => r.name)"


def tile_xy(lon: float, lat: float, z: int) -> tuple[float, float]:
    """lon/lat as a fractional Web Mercator tile column and row."""
    n = 2**z
    return (lon + 180) / 360 * n, (1 - mercator_y(lat) / math.pi) / 2 * n


def tiles_touching(box: list[float], z: int, buffer: float = 0.0) -> set[tuple[int, int]]:
    """The tiles (x, y) of zoom z that a lon/lat box touches, each widened by `buffer`."""
    fx0, fy1 = tile_xy(box[0], box[1], z)
    fx1, fy0 = tile_xy(box[2], box[3], z)
    xs = range(math.floor(fx0 - buffer - 1), math.floor(fx1 + buffer) + 1)
    ys = range(math.floor(fy0 - buffer - 1), math.floor(fy1 + buffer) + 1)
    return {(x, y) for x in xs for y in ys
            if x - buffer <= fx1 and x + 1 + buffer >= fx0
            and y - buffer <= fy1 and y + 1 + buffer >= fy0}  # fmt: skip


def tile_requests(driver) -> list[tuple[int, int, int]]:
    """The projects tiles requested since the resource timings were cleared: (z, x, y)."""
    found = (TILE_URL.search(url) for url in driver.execute_script(RESOURCES))
    return [(int(m[1]), int(m[3]), int(m[2])) for m in found if m]


def painted(driver, point: tuple[float, float]) -> bool:
    rgba = driver.execute_script(PIXEL, *point)
    return bool(rgba) and rgba[3] > 0


def test_a_change_reloads_only_the_tiles_it_touches_and_shows_within_a_second(editor, site, token):
    base, _, engine = site
    fresh_view(editor, base)
    code, lon, lat = visible_lone_point(editor, engine, pixels=60)
    west, south, east, north = map(float, hook(editor, "map-bounds").split(","))
    width = editor.find_element(By.ID, "map").size["width"]
    z = round(math.log2(width * 360 / (256 * (east - west))))  # Leaflet's zoom: whole levels
    shift = 30 * degrees_per_pixel(editor) * (1 if lon < (west + east) / 2 else -1)
    old, new = screen_point(editor, lon, lat), screen_point(editor, lon + shift, lat)
    wait_for(lambda: painted(editor, old))
    assert not painted(editor, new)
    before = int(hook(editor, "backdrop-reloaded") or 0)
    editor.execute_script("performance.clearResourceTimings()")
    point = {"type": "Point", "coordinates": [lon + shift, lat]}
    patch_project(base, token, code, {"properties": {}, "geometry": point})
    wait_for(lambda: painted(editor, new) and not painted(editor, old), timeout=1)
    reloaded = wait_for(lambda: int(hook(editor, "backdrop-reloaded") or 0) - before)
    got = wait_for(lambda: len(r := tile_requests(editor)) >= reloaded and r)
    # Expected: the tiles whose buffered extent holds the old or the new place (or lies
    # between them); every one requested once; the other tiles on the screen not at all.
    box = [min(lon, lon + shift), lat, max(lon, lon + shift), lat]
    touched = tiles_touching(box, z, SERVER_BUFFER)
    on_screen = tiles_touching([west, south, east, north], z)
    assert len(got) == reloaded == len(set(got)), got
    assert {t[0] for t in got} == {z}
    xy = {(x, y) for _, x, y in got}
    assert (
        tiles_touching([lon, lat, lon, lat], z) | tiles_touching(point["coordinates"] * 2, z) <= xy
    )
    assert xy <= touched & on_screen
    assert len(on_screen - touched) > 10  # most of the screen was left alone
    assert [e["message"] for e in severe_logs(editor)] == []


def result_rows(driver) -> dict[str, tuple[str, str]]:
    items = driver.find_elements(By.CSS_SELECTOR, "#search-results .project-item")
    return {i.get_attribute("data-code"): (i.find_element(By.CLASS_NAME, "project-name").text,
                                           i.find_element(By.CLASS_NAME, "project-meta").text)
            for i in items}  # fmt: skip


def delete_project(base: str, token: str, code: str) -> None:
    item = f"{base}/ogc/collections/projects/items/{code}"
    etag = requests.get(item, timeout=10).headers["ETag"]
    headers = {"Authorization": f"Bearer {token}", "If-Match": etag}
    assert requests.delete(item, headers=headers, timeout=10).status_code == 204


def test_search_results_follow_renames_status_changes_and_deletions(editor, site, token):
    base, _, engine = site
    with engine.begin() as conn:
        first, second = conn.execute(
            sa.text("UPDATE projects SET name = '跟随测试' || id WHERE code IN ("
                    "  SELECT code FROM projects WHERE deleted_at IS NULL AND county <> :c"
                    "  ORDER BY id LIMIT 2) RETURNING code, status"), {"c": COUNTY}
        ).all()  # fmt: skip
    fresh_view(editor, base)
    got = check_results(editor, engine, "跟随测试")
    assert {r[0] for r in got} == {first[0], second[0]}
    status = "completed" if first[1] != "completed" else "suspended"
    editor.execute_script("performance.clearResourceTimings()")
    patch_project(base, token, first[0], {"properties": {"name": "跟随测试改名", "status": status}})
    want = ("跟随测试改名", STATUS[status])
    wait_for(lambda: (row := _stable(lambda: result_rows(editor).get(first[0]))) and row[0]
             and (row[0][0], row[0][1].split(" · ")[2]) == want, 5)  # fmt: skip
    delete_project(base, token, second[0])
    wait_for(lambda: _stable(lambda: list(result_rows(editor))) == ([first[0]],), 5)
    assert hook(editor, "search-count") == "1" and hook(editor, "search-text") == "跟随测试"
    assert editor.find_element(By.ID, "search-status").text == "找到 1 个项目"
    searched = [u for u in editor.execute_script(RESOURCES) if "q=" in u]
    assert searched == []  # followed, not searched again
    search(editor, " ")
    assert [e["message"] for e in severe_logs(editor)] == []


def test_a_project_moved_into_the_own_county_leaves_the_tiles_for_the_list(editor, site, token):
    base, _, engine = site
    fresh_view(editor, base)
    code, lon, lat = visible_lone_point(editor, engine, pixels=60)
    where = screen_point(editor, lon, lat)
    wait_for(lambda: painted(editor, where))
    assert code not in listed(editor)
    patch_project(base, token, code, {"properties": {"county": COUNTY}})
    wait_for(lambda: listed(editor).get(code) == "true", 5)
    wait_for(lambda: not painted(editor, where), 1)  # the tiles no longer draw it
    assert [e["message"] for e in severe_logs(editor)] == []
