"""The battle map on a phone (390 × 844) in headless Chromium: the map first and large
enough to use, figures and lists below it, the filters in a drawer, the title whole, and
nothing wider than the screen."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.browser import chromium, get_json, hook, open_page, severe_logs, wait_for, wait_ready
from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 390, 844
BOX = "const r = document.querySelector(arguments[0]).getBoundingClientRect();" \
      "return {top: r.top + scrollY, bottom: r.bottom + scrollY, left: r.left, right: r.right," \
      " width: r.width, height: r.height};"  # fmt: skip


@pytest.fixture(scope="module")
def phone():
    with chromium(WIDTH, HEIGHT) as d:
        yield d


def box(driver, selector: str) -> dict[str, float]:
    return driver.execute_script(BOX, selector)


def no_horizontal_scroll(driver) -> bool:
    return driver.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth"
        " && document.body.scrollWidth <= window.innerWidth"
    )


def test_phone_layout_map_first_lists_below(phone, base):
    open_page(phone, f"{base}/")
    wait_for(lambda: hook(phone, "problem-refreshes"))
    assert phone.execute_script("return window.innerWidth") == WIDTH
    assert no_horizontal_scroll(phone)
    title = box(phone, "h1")
    assert title["left"] >= 0 and title["right"] <= WIDTH
    assert phone.execute_script(  # wrapped, not cut: no text beyond the heading's box
        "const h = document.querySelector('h1'); return h.scrollWidth <= h.clientWidth"
    )
    whole = get_json(f"{base}/layers/projects.geojson?limit=1")["numberMatched"]
    assert int(hook(phone, "feature-count")) == whole
    map_box = box(phone, "#map")
    assert map_box["width"] >= WIDTH - 40 and map_box["height"] >= 0.5 * HEIGHT
    assert map_box["top"] < 0.2 * HEIGHT  # the map comes first, below the title
    below = [box(phone, s) for s in ("#stats", "#battle", "#problems", ".ticker-panel")]
    assert all(b["top"] >= map_box["bottom"] for b in below)
    assert all(b["left"] >= 0 and b["right"] <= WIDTH for b in below)
    assert not phone.find_element(By.ID, "filters").is_displayed()
    ARTIFACTS.mkdir(exist_ok=True)
    phone.save_screenshot(str(ARTIFACTS / "bigscreen-phone.png"))
    assert not severe_logs(phone)


def test_phone_filter_drawer_opens_filters_and_closes(phone, base):
    open_page(phone, f"{base}/")
    toggle = phone.find_element(By.ID, "drawer-toggle")
    assert toggle.is_displayed() and toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    wait_for(lambda: phone.find_element(By.ID, "filters").is_displayed())
    assert toggle.get_attribute("aria-expanded") == "true" and hook(phone, "drawer") == "open"
    # slid in (a 0.2 s transition): all of it on the screen
    wait_for(
        lambda: (
            0 <= box(phone, "#filter-drawer")["left"]
            and box(phone, "#filter-drawer")["right"] <= WIDTH
        )
    )
    phone.save_screenshot(str(ARTIFACTS / "bigscreen-phone-drawer.png"))
    phone.find_element(By.CSS_SELECTOR, '#filters button[data-code="511621"]').click()
    wait_for(lambda: "county=511621" in phone.current_url)
    wait_ready(phone)
    expected = get_json(f"{base}/layers/projects.geojson?limit=10000&county=511621")
    assert int(hook(phone, "feature-count")) == expected["numberReturned"]
    phone.find_element(By.ID, "drawer-close").click()
    wait_for(lambda: not phone.find_element(By.ID, "filters").is_displayed())
    assert toggle.get_attribute("aria-expanded") == "false" and hook(phone, "drawer") == "closed"
    assert no_horizontal_scroll(phone)
    assert not severe_logs(phone)


def test_phone_list_click_shows_the_project_on_the_map(phone, base):
    open_page(phone, f"{base}/")
    wait_for(lambda: hook(phone, "problem-refreshes"))
    row = phone.find_element(By.CSS_SELECTOR, "#battle .lagging li")
    phone.execute_script("arguments[0].scrollIntoView({block: 'center'})", row)
    code = row.get_attribute("data-project")
    row.click()
    wait_for(lambda: hook(phone, "detail") == "complete" and hook(phone, "selected") == code)
    wait_for(lambda: box(phone, "#map")["top"] - phone.execute_script("return scrollY") >= -1)
    detail, map_box = box(phone, "#detail"), box(phone, "#map")
    assert detail["left"] >= map_box["left"] and detail["right"] <= map_box["right"]
    assert detail["height"] <= map_box["height"] / 2 + 1  # half the map stays in view
    assert no_horizontal_scroll(phone)
    assert not severe_logs(phone)
