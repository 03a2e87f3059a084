"""Every page works under the enforced Content-Security-Policy: Chromium reports no
violation (it logs each one to the console) and each page reaches its ready state. The
logged-in editor and the reporting pages are checked by their own browser tests, which
fail on any console error."""

from __future__ import annotations

import pytest

from tests.browser import severe_logs, wait_for

pytestmark = pytest.mark.browser

PAGES = [
    ("/", "return document.documentElement.dataset.state === 'ready'"),
    ("/edit", "return location.pathname === '/login' && !!document.querySelector('form')"),
    ("/login", "return !!document.querySelector('form')"),
    ("/ogc", "return !!document.querySelector('h1')"),
    ("/ogc/collections/projects/items?f=html&limit=5", "return !!document.querySelector('.leaflet-pane')"),
    ("/report", "return !!document.querySelector('#report-map')"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "ready"), PAGES, ids=[p for p, _ in PAGES])
def test_no_policy_violation(driver, base, path, ready):
    driver.get("about:blank")
    severe_logs(driver)  # drain
    driver.get(f"{base}{path}")
    wait_for(lambda: driver.execute_script(ready))
    policy = driver.execute_script(
        "return fetch(location.href).then(r => r.headers.get('Content-Security-Policy'))"
    )
    assert "script-src 'self'" in policy
    violations = [e for e in severe_logs(driver) if "Content Security Policy" in e["message"]]
    assert violations == []
