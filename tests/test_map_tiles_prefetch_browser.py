"""The battle map prefetches the tiles around its view (vectortiles.js `prefetch`, issue #15
§4): once the view is drawn the ring of one screen around it is requested, a pan of one
screen then draws from those tiles without a request, and a live edit in a prefetched tile
is shown as edited after the pan (the cached tile was dropped, never drawn stale)."""

from __future__ import annotations

import math
import re

import pytest
from selenium.webdriver.common.by import By

from tests.browser import hook, open_page, wait_for
from tests.tilemode import (
    PIXEL,
    assert_clean,
    class_colours,
    close_to,
    patch_project,
    point_project,
    screen_point,
    served_in_tile_mode,
    tiles_settled,
)

pytestmark = pytest.mark.browser

TILE = re.compile(r"/tiles/WebMercatorQuad/(\d+)/(\d+)/(\d+)")
# every resource the page requested, in order
REQUESTED = "return performance.getEntriesByType('resource').map((r) => r.name)"


@pytest.fixture
def writable(fresh_url, tmp_path):
    """A private database served in tile mode, an admin token."""
    with served_in_tile_mode(fresh_url, tmp_path, "prefetch_admin") as served:
        yield served


def tiles_requested(driver, since: int = 0) -> list[tuple[int, int, int]]:
    """(z, x, y) of the tile requests from the `since`-th resource entry on."""
    found = [TILE.search(url) for url in driver.execute_script(REQUESTED)[since:]]
    return [(int(m[1]), int(m[3]), int(m[2])) for m in found if m]


def view_range(driver, z: int) -> tuple[int, int, int, int]:
    """The tiles (x0, y0, x1, y1) of zoom z that the map's bounds cover, from data-map-bounds."""
    west, south, east, north = map(float, hook(driver, "map-bounds").split(","))

    def fraction(lon: float, lat: float) -> tuple[float, float]:
        y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2**z
        return (lon + 180) / 360 * 2**z, y

    (fx0, fy0), (fx1, fy1) = fraction(west, north), fraction(east, south)
    return math.floor(fx0), math.floor(fy0), math.ceil(fx1) - 1, math.ceil(fy1) - 1


def ring(view: tuple[int, int, int, int], z: int) -> set[tuple[int, int, int]]:
    """The tiles one view size around the view, itself left out."""
    x0, y0, x1, y1 = view
    w, h, last = x1 - x0 + 1, y1 - y0 + 1, 2**z - 1
    return {
        (z, x, y)
        for x in range(max(0, x0 - w), min(last, x1 + w) + 1)
        for y in range(max(0, y0 - h), min(last, y1 + h) + 1)
        if not (x0 <= x <= x1 and y0 <= y <= y1)
    }


def in_view(view, z: int) -> set[tuple[int, int, int]]:
    x0, y0, x1, y1 = view
    return {(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)}


def prefetched(driver) -> bool:
    return tiles_settled(driver) and hook(driver, "tiles-prefetch") == "done"


def drag(driver, dx: float) -> None:
    """Drag the map by dx px (CDP mouse events: exact, held still before the release so
    that Leaflet adds no inertia), then wait until the new view's tiles are drawn."""
    before = hook(driver, "map-bounds")
    left, top, width, height = driver.execute_script(
        "const r = document.getElementById('map').getBoundingClientRect();"
        "return [r.left, r.top, r.width, r.height];"
    )
    x0, y = left + width / 2 - dx / 2, top + height / 2

    def mouse(kind: str, x: float) -> None:
        event = {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}
        driver.execute_cdp_cmd("Input.dispatchMouseEvent", {**event, "buttons": 1})

    mouse("mousePressed", x0)
    mouse("mouseMoved", x0 + dx / 100)
    mouse("mouseMoved", x0 + dx)
    moved = driver.execute_script("return performance.now()")
    # Leaflet's inertia looks at the last 50 ms of movement: release after them
    wait_for(lambda: driver.execute_script("return performance.now()") - moved > 120)
    mouse("mouseReleased", x0 + dx)
    wait_for(lambda: hook(driver, "map-bounds") != before and tiles_settled(driver))


def map_width(driver) -> float:
    """A screen's pan: the map's width less 2 px, so that the press and the release both
    fall inside the map."""
    return driver.find_element(By.ID, "map").size["width"] - 2


def test_the_ring_is_prefetched_and_a_pan_of_a_screen_requests_no_tile_it_shows(driver, writable):
    base, _, _ = writable
    open_page(driver, f"{base}/")
    driver.execute_script("performance.setResourceTimingBufferSize(100000)")
    wait_for(lambda: prefetched(driver))
    first = tiles_requested(driver)
    z = first[-1][0]
    view = view_range(driver, z)
    around = ring(view, z)
    assert around and around <= set(first), "the ring of one screen around the view is requested"
    since = len(driver.execute_script(REQUESTED))
    drag(driver, -map_width(driver))  # the map moves left: the screen east of it comes in
    shown = in_view(view_range(driver, z), z)
    assert shown <= around | in_view(view, z), "the pan stays within the prefetched ring"
    assert not shown & set(tiles_requested(driver, since)), "a tile shown was requested again"
    assert_clean(driver, base)


def test_an_edit_in_a_prefetched_tile_is_shown_after_the_pan(driver, writable):
    base, engine, token = writable
    code, lon, lat, status = point_project(engine)
    new_status = "completed" if status != "completed" else "suspended"
    colours = class_colours(base)
    open_page(driver, f"{base}/")
    wait_for(lambda: prefetched(driver) and hook(driver, "connection") == "open")
    # the project goes half a screen out of view, into the ring, off every tile Leaflet keeps
    rect = driver.find_element(By.ID, "map").rect
    x = screen_point(driver, lon, lat)[0] - rect["x"]
    width = rect["width"]
    dx = 1.5 * width - x if x >= width / 2 else -width / 2 - x
    drag(driver, dx)
    x, y = screen_point(driver, lon, lat)
    assert not rect["x"] <= x <= rect["x"] + width, "the project is out of view"
    assert driver.execute_script(PIXEL, x, y) is None, "no tile of the page holds it"
    wait_for(lambda: prefetched(driver))
    heard = hook(driver, "last-event-id")
    patch_project(base, token, code, {"properties": {"status": new_status}})
    wait_for(lambda: hook(driver, "last-event-id") != heard)  # the page has the edit
    drag(driver, -dx)
    x, y = screen_point(driver, lon, lat)
    want = colours[new_status]
    wait_for(lambda: close_to(driver.execute_script(PIXEL, x, y), want), timeout=2)
    assert_clean(driver, base)
