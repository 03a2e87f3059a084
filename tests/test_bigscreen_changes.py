"""本期变化 (GET /changes) on the big screen in headless Chromium: the panel shows the
API's counts and one row per changed project (a row opens its project), follows the
county filter and the live stream, and the kiosk tour alternates the right-hand column
with it. What the page must show is read from /changes itself."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from selenium.webdriver.common.by import By

from mapserver.store.db import make_engine
from tests.browser import get_json, hook, open_page, serve, severe_logs, wait_for
from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

KINDS = ("became_lagging", "recovered", "status_changes", "new_projects")  # the rows' order


@pytest.fixture
def site(fresh_url, make_app) -> Iterator[str]:
    app = make_app(database_url=fresh_url)
    with serve(app) as url:
        yield url


def codes(doc: dict) -> str:
    """The projects of a /changes answer in the panel's order (data-changes-codes)."""
    return ",".join(e["code"] for kind in KINDS for e in doc[kind])


def shown_counts(driver) -> dict[str, float]:
    return driver.execute_script(
        "const out = {}; for (const n of document.querySelectorAll('#changes .change-count'))"
        " out[n.dataset.count] = Number(n.dataset.value); return out;"
    )


def test_changes_panel_equals_the_api_and_opens_projects(driver, base):
    open_page(driver, f"{base}/")
    assert (
        hook(driver, "side") == "now" and not driver.find_element(By.ID, "changes").is_displayed()
    )
    driver.find_element(By.CSS_SELECTOR, '#problems .side-switch[data-side="changes"]').click()
    wait_for(lambda: hook(driver, "changes-refreshes"))
    doc = get_json(f"{base}/changes")
    assert (
        hook(driver, "side") == "changes"
        and hook(driver, "changes-window") == f"{doc['from']}/{doc['to']}"
    )
    assert not driver.find_element(By.CSS_SELECTOR, ".ticker-panel").is_displayed()
    assert not driver.find_element(By.ID, "problems").is_displayed()
    counts = shown_counts(driver)
    assert counts and all(counts[k] == doc["counts"][k] for k in counts)
    assert set(counts) >= {*KINDS, "problems_raised", "problems_resolved", "callouts_issued"}
    total = driver.find_element(By.CSS_SELECTOR, "#changes .change-investment")
    assert float(total.get_attribute("data-value")) == doc["investment"]["total"]
    assert hook(driver, "changes-codes") == codes(doc)
    expected = codes(doc).split(",")
    rows = driver.find_elements(By.CSS_SELECTOR, "#changes .change-list li")
    assert rows and [r.get_attribute("data-project") for r in rows] == expected[: len(rows)]
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "bigscreen-changes.png"))
    code = expected[0]
    rows[0].click()
    wait_for(lambda: hook(driver, "selected") == code and hook(driver, "detail") == "complete")
    driver.find_element(By.CSS_SELECTOR, '#changes .side-switch[data-side="now"]').click()
    wait_for(lambda: driver.find_element(By.ID, "problems").is_displayed())
    assert driver.find_element(By.CSS_SELECTOR, ".ticker-panel").is_displayed()
    assert (
        hook(driver, "side") == "now" and not driver.find_element(By.ID, "changes").is_displayed()
    )
    assert not severe_logs(driver)


def test_kiosk_alternates_the_side_with_changes(driver, base):
    open_page(driver, f"{base}/?kiosk=1&interval=3")
    for view in ("now", "changes", "now"):  # one step after another
        wait_for(lambda v=view: hook(driver, "side") == v, timeout=8)
        changes = driver.find_element(By.ID, "changes").is_displayed()
        lists = driver.find_element(By.ID, "problems").is_displayed()
        assert (changes, lists) == (view == "changes", view == "now")
    assert hook(driver, "changes-refreshes")
    assert not any(b.is_displayed() for b in driver.find_elements(By.CSS_SELECTOR, ".side-switch"))
    assert not severe_logs(driver)


def test_changes_follow_the_filters_and_the_stream(driver, site, fresh_url):
    """A county's page asks for that county's changes; a status changed while the panel is
    shown appears in it."""
    open_page(driver, f"{site}/?county=511621")
    driver.find_element(By.CSS_SELECTOR, '#problems .side-switch[data-side="changes"]').click()
    wait_for(lambda: hook(driver, "changes-refreshes"))
    assert hook(driver, "changes-codes") == codes(get_json(f"{site}/changes?county=511621"))
    engine = make_engine(fresh_url, 1)
    try:
        with engine.begin() as conn:
            code = conn.execute(
                sa.text(
                    "UPDATE projects SET status = 'completed' WHERE code = (SELECT min(code)"
                    " FROM projects WHERE county = '511621' AND status = 'under_construction')"
                    " RETURNING code"
                )
            ).scalar_one()
    finally:
        engine.dispose()
    doc = get_json(f"{site}/changes?county=511621")
    assert code in [e["code"] for e in doc["status_changes"]]
    wait_for(lambda: hook(driver, "changes-codes") == codes(doc), timeout=5)
    assert not severe_logs(driver)
