"""The offline basemap in a real headless Chromium (which has no internet here): the big
screen and the editor draw tiles served from /basemap (MBTiles made by GDAL, PMTiles by
the test writer), the switcher swaps them, the editor starts on imagery (影像), and
nothing logs an error or a CSP violation, nor loads from anywhere but the server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from mapserver.accounts import users
from mapserver.store.db import make_engine
from tests import apps, basemap_files
from tests.browser import (
    assert_only_own_origin,
    hook,
    log_in_through,
    open_page,
    serve,
    severe_logs,
    wait_for,
)
from tests.conftest import new_database

pytestmark = [pytest.mark.browser, pytest.mark.gdal]  # gdal_translate makes the MBTiles

VECTOR, IMAGERY = "矢量", "影像"
LOADED = """
  const prefix = '/basemap/' + arguments[0] + '/';
  return [...document.querySelectorAll('img.leaflet-tile')].filter((img) => img.complete
    && img.naturalWidth > 0 && decodeURIComponent(new URL(img.src).pathname).startsWith(prefix)
  ).length;
"""


def make_files(folder: Path) -> str:
    """The MAPSERVER_BASEMAP value: 矢量 an MBTiles, 影像 a PMTiles of other-coloured tiles."""
    city = basemap_files.make_mbtiles(folder / "city.mbtiles", tint=40)
    other = basemap_files.make_mbtiles(folder / "other.mbtiles", tint=220)
    tiles, meta = basemap_files.mbtiles_tiles(other)
    basemap_files.write(folder / "img.pmtiles", tiles, meta)
    return f"{VECTOR}={city};{IMAGERY}={folder / 'img.pmtiles'}"


@pytest.fixture(scope="module")
def site(cluster, template_db, tmp_path_factory) -> Iterator[tuple[str, str]]:
    """A server with two basemaps on a private database with a county editor: (base, password)."""
    url = new_database(cluster, template_db)
    engine = make_engine(url, 1)
    _, password = users.create_user(engine, "editor_b", "county_editor", "511602")
    setting = make_files(tmp_path_factory.mktemp("basemap"))
    with apps.built(database_url=url, basemap=setting) as app, serve(app) as base:
        yield base, password
    engine.dispose()
    cluster.psql(f'DROP DATABASE IF EXISTS "{url.split("?")[0].rsplit("/", 1)[1]}" WITH (FORCE)')


def tiles_loaded(driver, name: str) -> int:
    return wait_for(lambda: driver.execute_script(LOADED, name), 20)


def switch_to(driver, name: str) -> None:
    """Click the switcher's entry for `name`, as a user would."""
    labels = driver.find_elements(By.CSS_SELECTOR, ".leaflet-control-layers-base label")
    assert [label.text.strip() for label in labels] == [VECTOR, IMAGERY]
    next(label for label in labels if label.text.strip() == name).click()


def test_the_big_screen_draws_the_local_basemap_and_switches(driver, site):
    base, _ = site
    open_page(driver, base + "/")
    assert hook(driver, "basemap") == VECTOR
    assert tiles_loaded(driver, VECTOR) > 0
    switch_to(driver, IMAGERY)
    assert tiles_loaded(driver, IMAGERY) > 0
    wait_for(lambda: driver.execute_script(LOADED, VECTOR) == 0)
    assert hook(driver, "basemap") == IMAGERY
    assert_only_own_origin(driver, base)
    assert severe_logs(driver) == []


def test_the_editor_starts_on_imagery_offline(driver, site):
    base, password = site
    driver.get("about:blank")
    severe_logs(driver)
    log_in_through(driver, base, "/edit", "editor_b", password)
    assert hook(driver, "basemap") == IMAGERY
    assert tiles_loaded(driver, IMAGERY) > 0
    switch_to(driver, VECTOR)
    assert tiles_loaded(driver, VECTOR) > 0
    assert_only_own_origin(driver, base)
    assert severe_logs(driver) == []
