"""Vector and raster basemap files in a real headless Chromium (no internet here): the
switcher on the big screen and the editor, on a desktop and a phone (390 × 844), swaps a
vector MBTiles (ogr2ogr, drawn by vectortiles.js with the bundled style) and a raster one
(gdal_translate); each draws non-blank pixels; the editor on the vector basemap asks
nothing of anyone but its own server (every request recorded from the page's start); and
zoomed in, the street's and the river's names are drawn along them (pixels of the label
colours next to each line, none of the street's colour before its names' zoom; the street's
number on red national-road shields on it; a curved river's name glyph by glyph along it); a
village's name by a tile's edge is drawn once, on one side of its dot; a POI's name only from
zoom 15."""

from __future__ import annotations

import math
from collections.abc import Iterator
from itertools import pairwise
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.actions.wheel_input import ScrollOrigin
from selenium.webdriver.common.by import By

from mapserver.accounts import users
from mapserver.store.db import make_engine
from tests import apps, basemap_files
from tests.browser import (
    chromium,
    hook,
    log_in_through,
    map_offset,
    serve,
    settled_bounds,
    severe_logs,
    wait_for,
    wait_ready,
)
from tests.conftest import ARTIFACTS, new_database

pytestmark = [pytest.mark.browser, pytest.mark.gdal]

VECTOR, IMAGERY = "矢量", "影像"
SIZES = {"desktop": (1600, 1000), "phone": (390, 844)}
# Tiles of the shown basemap with at least one painted pixel: raster <img> tiles from
# /basemap/<name>/ copied onto a canvas, or the vector layer's own canvases.
PAINTED = """
  const prefix = '/basemap/' + arguments[0] + '/';
  const painted = (source, w, h) => {
    const c = document.createElement('canvas'); c.width = w; c.height = h;
    const g = c.getContext('2d'); g.drawImage(source, 0, 0);
    const d = g.getImageData(0, 0, w, h).data;
    for (let i = 3; i < d.length; i += 4) if (d[i]) return true;
    return false;
  };
  const imgs = [...document.querySelectorAll('img.leaflet-tile')].filter((img) => img.complete
    && img.naturalWidth > 0 && decodeURIComponent(new URL(img.src).pathname).startsWith(prefix));
  const canvases = arguments[1] ? [...document.querySelectorAll('.basemap-vector canvas.vector-tile')] : [];
  return imgs.filter((i) => painted(i, i.naturalWidth, i.naturalHeight)).length
    + canvases.filter((c) => painted(c, c.width, c.height)).length;
"""
# Screen positions (CSS px) of the vector basemap's opaque pixels within `tolerance` (the
# channels' differences summed) of a colour [r, g, b].
COLOURED = """
  const [rgb, tolerance] = arguments;
  const found = [];
  for (const tile of document.querySelectorAll('.basemap-vector canvas.vector-tile')) {
    const c = document.createElement('canvas'); c.width = tile.width; c.height = tile.height;
    const g = c.getContext('2d'); g.drawImage(tile, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    const r = tile.getBoundingClientRect();
    for (let i = 0; i < d.length; i += 4) {
      const off = Math.abs(d[i] - rgb[0]) + Math.abs(d[i + 1] - rgb[1]) + Math.abs(d[i + 2] - rgb[2]);
      if (d[i + 3] < 250 || off > tolerance) continue;
      const p = i / 4;
      found.push([r.left + ((p % c.width) + 0.5) * r.width / c.width,
                  r.top + (Math.floor(p / c.width) + 0.5) * r.height / c.height]);
    }
  }
  return found;
"""
# The vector basemap's tiles are all drawn, at one zoom (the previous zoom's are gone).
SETTLED = """
  const levels = [...document.querySelectorAll('.basemap-vector .leaflet-tile-container')]
    .filter((level) => level.children.length);
  const tiles = [...document.querySelectorAll('.basemap-vector canvas.vector-tile')];
  return levels.length === 1 && tiles.length > 0 && tiles.every((t) => t.classList.contains('leaflet-tile-loaded'));
"""
# The label colours of the bundled style (basemapstyle.js): street names, water names.
STREET_TEXT, WATER_TEXT = (0xF2, 0xE3, 0xBF), (0x8F, 0xD0, 0xFF)
PLACE_TEXT, POI_TEXT = (0xDF, 0xE6, 0xEE), (0xD9, 0xC8, 0xFF)
# A national road's shield (roadshields.js): red.
NATIONAL_SHIELD = (0xC8, 0x10, 0x2E)
# Every resource the page fetches, recorded from its first request (the buffer is
# enlarged before anything loads, so no entry is dropped).
RECORD = """
  performance.setResourceTimingBufferSize(100000);
  window.__requests = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) window.__requests.push(entry.name);
  }).observe({ type: 'resource', buffered: true });
"""


@pytest.fixture(scope="module")
def site(cluster, template_db, tmp_path_factory) -> Iterator[tuple[str, str]]:
    """A server with a vector (矢量) and a raster (影像) MBTiles and a county editor."""
    folder = tmp_path_factory.mktemp("basemap")
    vector = basemap_files.make_vector_mbtiles(folder / "city.mbtiles", maxzoom=14)
    raster = basemap_files.make_mbtiles(folder / "img.mbtiles", tint=200)
    url = new_database(cluster, template_db)
    engine = make_engine(url, 1)
    _, password = users.create_user(engine, "editor_v", "county_editor", "511602")
    basemap = f"{VECTOR}={vector};{IMAGERY}={raster}"
    with apps.built(database_url=url, basemap=basemap) as app, serve(app) as base:
        yield base, password
    engine.dispose()
    cluster.psql(f'DROP DATABASE IF EXISTS "{url.split("?")[0].rsplit("/", 1)[1]}" WITH (FORCE)')


def painted(driver, name: str) -> int:
    """Waits until the basemap `name` has painted tiles; how many."""
    return wait_for(lambda: driver.execute_script(PAINTED, name, name == VECTOR), 20)


def open_editor(driver, base: str, password: str) -> None:
    log_in_through(driver, base, "/edit", "editor_v", password)


def open_in(driver, page: str, site) -> None:
    base, password = site
    if page == "editor":
        open_editor(driver, base, password)
    else:
        driver.get(base + "/")
        wait_ready(driver, 20)


def switcher_entry(driver, name: str):
    """The switcher's entry for `name`, visible inside the window."""
    labels = driver.find_elements(By.CSS_SELECTOR, ".leaflet-control-layers-base label")
    assert [label.text.strip() for label in labels] == [VECTOR, IMAGERY]
    entry = next(label for label in labels if label.text.strip() == name)
    box = driver.execute_script(
        "const r = arguments[0].getBoundingClientRect();"
        "return [r.left, r.top, r.right, r.bottom, innerWidth, innerHeight];",
        entry,
    )
    assert entry.is_displayed() and box[0] >= 0 and box[1] >= 0
    assert box[2] <= box[4] and box[3] <= box[5], f"the switcher is outside the window: {box}"
    return entry


# The basemap layers on the page: [vector?, CSS filter] each.
FILTERS = """return [...document.querySelectorAll('.leaflet-layer.tiles')]
  .map((e) => [e.classList.contains('basemap-vector'), getComputedStyle(e).filter]);"""


def assert_dimmed_if_raster(driver) -> None:
    """The big screen dims raster basemaps; a vector one is drawn dark already, and
    dimming it again would grey its names."""
    layers = driver.execute_script(FILTERS)
    assert layers
    for vector, css_filter in layers:
        assert (css_filter == "none") == vector, layers


@pytest.mark.parametrize("size", SIZES, ids=list(SIZES))
@pytest.mark.parametrize("page", ["bigscreen", "editor"])
def test_the_switcher_swaps_vector_and_raster_files(site, page, size):
    first, other = (IMAGERY, VECTOR) if page == "editor" else (VECTOR, IMAGERY)
    with chromium(*SIZES[size]) as driver:
        open_in(driver, page, site)
        assert hook(driver, "basemap") == first
        ARTIFACTS.mkdir(exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / f"basemap-{page}-{size}.png"))
        assert painted(driver, first) > 0
        if page == "bigscreen":
            assert_dimmed_if_raster(driver)
        switcher_entry(driver, other).click()
        wait_for(lambda: hook(driver, "basemap") == other)
        assert painted(driver, other) > 0
        if page == "bigscreen":
            assert_dimmed_if_raster(driver)
        switcher_entry(driver, first).click()
        wait_for(lambda: hook(driver, "basemap") == first)
        assert painted(driver, first) > 0
        assert severe_logs(driver) == []


def test_the_editor_on_a_vector_file_asks_only_its_own_server(site):
    base, password = site
    with chromium(1600, 1000) as driver:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD})
        open_editor(driver, base, password)
        switcher_entry(driver, VECTOR).click()
        wait_for(lambda: hook(driver, "basemap") == VECTOR)
        assert painted(driver, VECTOR) > 0
        wait_for(
            lambda: driver.find_elements(By.CSS_SELECTOR, ".basemap-vector .leaflet-tile-loaded")
        )
        driver.save_screenshot(str(ARTIFACTS / "basemap-editor-vector.png"))
        requests = driver.execute_script("return window.__requests")
        tiles = [u for u in requests if urlsplit(u).path.startswith("/basemap/")]
        assert tiles, "no basemap tile was requested"
        foreign = [u for u in requests if not u.startswith(base + "/")]
        assert requests and foreign == []
        dom = driver.execute_script(
            "return [...document.querySelectorAll('[src], link[href]')].map((n) => n.src || n.href)"
        )
        assert [u for u in dom if not u.startswith((base + "/", "data:"))] == []
        assert severe_logs(driver) == []


def zoom_of(driver) -> float:
    """The map's zoom, from its bounds and width (256 px tiles)."""
    west, _, east, _ = map(float, settled_bounds(driver).split(","))
    width = driver.find_element(By.ID, "map").size["width"]
    return math.log2(width * 360 / 256 / (east - west))


def screen_line(driver, points) -> list[tuple[float, float]]:
    """(lon, lat) vertices as screen positions (CSS px), from the map's bounds hook."""
    box = driver.execute_script(
        "const r = document.getElementById('map').getBoundingClientRect();"
        "return [r.left + r.width / 2, r.top + r.height / 2];"
    )
    return [tuple(c + o for c, o in zip(box, map_offset(driver, *p), strict=True)) for p in points]


def distance(point, line) -> float:
    """Pixels from a point to a polyline."""
    (px, py), best = point, math.inf
    for (ax, ay), (bx, by) in pairwise(line):
        dx, dy = bx - ax, by - ay
        t = max(0, min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
        best = min(best, math.hypot(ax + t * dx - px, ay + t * dy - py))
    return best


def coloured(driver, rgb, tolerance: int = 40) -> list[list[float]]:
    return driver.execute_script(COLOURED, list(rgb), tolerance)


def along(driver, rgb, points) -> tuple[int, int]:
    """Pixels of a label colour within 12 px of a (lon, lat) line, and in all (waits for one)."""
    line = screen_line(driver, points)
    found = wait_for(lambda: coloured(driver, rgb), 20)
    return sum(distance(p, line) <= 12 for p in found), len(found)


def zoom_in(driver, at: tuple[float, float], zoom: float) -> None:
    """Wheel the map in around `at` (lon, lat) to `zoom` or beyond (no click: a click may open
    a project), until the vector basemap is drawn there."""
    for _ in range(12):
        if zoom_of(driver) >= zoom:
            break
        origin = ScrollOrigin.from_element(
            driver.find_element(By.ID, "map"), *map_offset(driver, *at)
        )
        ActionChains(driver).scroll_from_origin(origin, 0, -200).perform()
    assert zoom_of(driver) >= zoom, "the wheel did not zoom the map in"
    wait_for(lambda: driver.execute_script(SETTLED), 20)


def beside(driver, rgb, lon_lat, tolerance: int = 90) -> int:
    """Pixels of a colour on the right of a (lon, lat) point, where its name goes (12 px names
    have few pixels of their very colour: a wide tolerance)."""
    ((x, y),) = screen_line(driver, [lon_lat])
    found = coloured(driver, rgb, tolerance)
    return sum(6 < px - x <= 80 and abs(py - y) <= 10 for px, py in found)


def bend_name(driver) -> tuple[int, int]:
    """Water-name pixels within 10 px of the curved river, and all of them around it: a name
    set straight across its bend would stray further (it has no straight stretch to hold it)."""
    bend = screen_line(driver, basemap_files.BEND)
    ((cx, cy),) = screen_line(driver, [basemap_files.BEND_CENTRE])
    radius = math.dist((cx, cy), bend[0])
    found = coloured(driver, WATER_TEXT, 70)  # a 13 px italic name: thin strokes
    local = [p for p in found if math.dist(p, (cx, cy)) <= radius + 25 and p[1] <= cy + 5]
    return sum(distance(p, bend) <= 10 for p in local), len(local)


def test_street_and_river_names_are_drawn_along_them(site):
    base, _ = site
    with chromium(1600, 1000) as driver:
        driver.get(base + "/")
        wait_ready(driver, 20)
        assert hook(driver, "basemap") == VECTOR
        wait_for(lambda: driver.execute_script(SETTLED), 20)
        assert zoom_of(driver) < 12, "the big screen opens below the primary roads' names"
        assert coloured(driver, STREET_TEXT) == []
        assert coloured(driver, POI_TEXT) == []
        zoom_in(driver, (106.6, 30.5), 13)  # between the street and the river
        ARTIFACTS.mkdir(exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / "basemap-vector-names.png"))
        near, anywhere = along(driver, STREET_TEXT, basemap_files.STREET)
        assert near >= 20 and near == anywhere, (near, anywhere)
        assert along(driver, WATER_TEXT, basemap_files.RIVER)[0] >= 20
        assert coloured(driver, POI_TEXT) == [], "a POI's name before zoom 15"
        near, anywhere = along(driver, NATIONAL_SHIELD, basemap_files.STREET)
        assert near >= 20 and near == anywhere, (near, anywhere)
        near, local = bend_name(driver)
        assert near >= 20 and near == local, (near, local)
        # past the file's last zoom (14), tiles are cut from its z14 tiles and drawn at the
        # zoom shown, not scaled up: the names keep their size
        zoom_in(driver, (106.62, 30.47), 16)
        driver.save_screenshot(str(ARTIFACTS / "basemap-vector-names-z16.png"))
        widths = driver.execute_script(
            "return [...document.querySelectorAll('.basemap-vector canvas.vector-tile')]"
            ".map((c) => c.getBoundingClientRect().width)"
        )
        assert widths and max(widths) < 256 * 2**0.75 + 1
        near, anywhere = along(driver, STREET_TEXT, basemap_files.STREET)
        assert near >= 20 and near == anywhere, (near, anywhere)
        wait_for(lambda: beside(driver, POI_TEXT, basemap_files.POI) >= 10, 20)
        assert coloured(driver, POI_TEXT), "the check before zoom 15 would have seen it"
        assert severe_logs(driver) == []


def test_a_name_by_a_tile_edge_is_drawn_once(site):
    """The village's dot is in two tiles (its own and, in the buffer, its western
    neighbour's); only its own tile names it, so its name is on one side of the dot only
    (before, the neighbour put a second one on the other side)."""
    base, _ = site
    with chromium(1600, 1000) as driver:
        driver.get(base + "/")
        wait_ready(driver, 20)
        zoom_in(driver, basemap_files.EDGE_VILLAGE, 13)
        ARTIFACTS.mkdir(exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / "basemap-vector-edge-name.png"))
        ((x, y),) = screen_line(driver, [basemap_files.EDGE_VILLAGE])

        def sides() -> tuple[int, int] | None:
            # a 12 px name's thin strokes: few pixels of its very colour, so a wider tolerance
            found = [p for p in coloured(driver, PLACE_TEXT, 90) if abs(p[1] - y) <= 10]
            left = sum(-80 <= p[0] - x < -6 for p in found)
            right = sum(6 < p[0] - x <= 80 for p in found)
            return (left, right) if left + right >= 10 else None

        left, right = wait_for(sides, 20)
        assert min(left, right) == 0, (left, right)
        assert severe_logs(driver) == []
