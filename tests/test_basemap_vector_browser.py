"""Vector and raster basemap files in a real headless Chromium (no internet here): the
switcher on the big screen and the editor, on a desktop and a phone (390 × 844), swaps a
vector MBTiles (ogr2ogr, drawn by vectortiles.js with the bundled style) and a raster one
(gdal_translate); each draws non-blank pixels; and the editor on the vector basemap asks
nothing of anyone but its own server (every request recorded from the page's start)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By

from mapserver.accounts import users
from mapserver.store.db import make_engine
from tests import apps, basemap_files
from tests.browser import chromium, hook, log_in_through, serve, severe_logs, wait_for, wait_ready
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
        switcher_entry(driver, other).click()
        wait_for(lambda: hook(driver, "basemap") == other)
        assert painted(driver, other) > 0
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
