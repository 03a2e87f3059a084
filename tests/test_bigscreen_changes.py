"""本期变化 (GET /changes) on the big screen in headless Chromium: the panel shows the
API's counts and one row per changed project (a row opens its project), the kiosk tour
alternates the right-hand column with it, and a server without the API is never asked.

Until GET /changes is on this branch, the site below answers it with a document of the
documented shape (docs/api.md) naming real projects; with the real endpoint it is used
as it is. Either way, what the page must show is read from /changes itself."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import jsonify
from selenium.webdriver.common.by import By

from mapserver import create_app
from mapserver.db import make_engine
from tests.browser import hook, open_page, serve, severe_logs, wait_for
from tests.conftest import ARTIFACTS
from tests.test_browser import get_json

KINDS = ("new_projects", "status_changes", "became_lagging", "recovered")


def has_changes_api(app) -> bool:
    return any(rule.rule == "/changes" for rule in app.url_map.iter_rules())


def sample(engine: sa.Engine) -> dict:
    """A /changes document of the documented shape over real projects (stand-in only)."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT p.code, p.name, p.county, c.name FROM projects p"
                " JOIN counties c ON c.adcode = p.county ORDER BY p.code LIMIT 6"
            )
        ).all()
    entry = [{"code": r[0], "name": r[1], "county": r[2], "county_name": r[3]} for r in rows]
    return {
        "today": "2026-12-03", "from": "2026-11-30", "to": "2026-12-03",
        "new_projects": [entry[0]],
        "status_changes": [{**entry[1], "from": "preparing", "to": "under_construction"},
                           {**entry[2], "from": "under_construction", "to": "completed"}],
        "became_lagging": [{**entry[3], "health_from": "on_track", "health_to": "lagging"},
                           {**entry[4], "health_from": "lagging", "health_to": "seriously_lagging"}],
        "recovered": [{**entry[5], "health_from": "lagging", "health_to": "on_track"}],
        "investment": {"total": 1334.56, "by_county": [
            {"county": entry[0]["county"], "county_name": entry[0]["county_name"], "amount": 1334.56}]},
        "problems": {"raised": 2, "resolved": 1, "items": []},
        "callouts": {"issued": 1, "answered": 1, "closed": 0, "items": []},
        "counts": {"new_projects": 1, "status_changes": 2, "became_lagging": 2, "recovered": 1,
                   "investment": 1334.56, "problems_raised": 2, "problems_resolved": 1,
                   "callouts_issued": 1, "callouts_answered": 1, "callouts_closed": 0},
    }  # fmt: skip


@pytest.fixture
def site(fresh_url) -> Iterator[str]:
    engine = make_engine(fresh_url, 1)
    app = create_app({"database_url": fresh_url})
    if not has_changes_api(app):
        doc = sample(engine)
        app.add_url_rule("/changes", "changes_stand_in", lambda: jsonify(doc))
    try:
        with serve(app) as url:
            yield url
    finally:
        app.extensions["mapserver"].notifier.stop()
        app.extensions["mapserver"].engine.dispose()
        engine.dispose()


def shown_counts(driver) -> dict[str, float]:
    return driver.execute_script(
        "const out = {}; for (const n of document.querySelectorAll('#changes .change-count'))"
        " out[n.dataset.count] = Number(n.dataset.value); return out;"
    )


def test_changes_panel_equals_the_api_and_opens_projects(driver, site):
    open_page(driver, f"{site}/")
    assert (
        hook(driver, "side") == "now" and not driver.find_element(By.ID, "changes").is_displayed()
    )
    driver.find_element(By.CSS_SELECTOR, '#problems .side-switch[data-side="changes"]').click()
    wait_for(lambda: hook(driver, "changes-refreshes"))
    doc = get_json(f"{site}/changes")
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
    expected = [e["code"] for kind in KINDS for e in doc[kind]]
    assert hook(driver, "changes-codes") == ",".join(expected)
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


def test_kiosk_alternates_the_side_with_changes(driver, site):
    open_page(driver, f"{site}/?kiosk=1&interval=3")
    for view in ("now", "changes", "now"):  # one step after another
        wait_for(lambda v=view: hook(driver, "side") == v, timeout=8)
        changes = driver.find_element(By.ID, "changes").is_displayed()
        lists = driver.find_element(By.ID, "problems").is_displayed()
        assert (changes, lists) == (view == "changes", view == "now")
    assert hook(driver, "changes-refreshes")
    assert not any(b.is_displayed() for b in driver.find_elements(By.CSS_SELECTOR, ".side-switch"))
    assert not severe_logs(driver)


def test_without_the_api_the_page_never_asks(driver, base, app):
    if has_changes_api(app):
        pytest.skip("this server has /changes")
    open_page(driver, f"{base}/")
    assert not any(b.is_displayed() for b in driver.find_elements(By.CSS_SELECTOR, ".side-switch"))
    open_page(driver, f"{base}/?kiosk=1&interval=1")
    first = wait_for(lambda: hook(driver, "kiosk-county"))
    wait_for(lambda: hook(driver, "kiosk-county") != first, timeout=5)  # a second step
    assert hook(driver, "side") == "now" and driver.find_element(By.ID, "problems").is_displayed()
    asked = driver.execute_script(
        "return performance.getEntriesByType('resource').map((r) => r.name)"
    )
    assert not [u for u in asked if u.startswith(f"{base}/changes")]
    assert not severe_logs(driver)
