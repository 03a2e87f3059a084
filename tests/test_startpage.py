"""The page arrives with its catalog and settings, and preloads exactly what it asks for."""

from __future__ import annotations

import json
import re

import pytest

from mapserver.web import startpage
from tests.browser import chromium, severe_logs, wait_ready

pytestmark = pytest.mark.browser

QUERIES = [
    "",
    "county=511622,511621&working_group=transport",
    "status=suspended,under_construction&county=511681",
    "county=999999,511602&bogus=1",
    "kiosk=1&interval=5",
]


def boot_of(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="boot">(.*?)</script>', html)
    assert match
    return json.loads(match.group(1))


def test_boot_json_cannot_close_its_script_element():
    boot = {"layers": [], "config": {"tile_attribution": "</script><img src=x onerror=alert(1)>&"}}
    html = startpage.render("<html><head></head><body></body></html>", boot, ["/a?b=1&c=2"])
    assert "</script><img" not in html
    assert boot_of(html) == boot
    assert 'href="/a?b=1&amp;c=2"' in html


def test_page_carries_the_catalog_and_settings(client):
    html = client.get("/").get_data(as_text=True)
    boot = boot_of(html)
    assert boot["layers"] == client.get("/layers").get_json()["layers"]
    assert boot["config"] == client.get("/config").get_json()


@pytest.mark.parametrize("query", QUERIES)
def test_the_page_requests_exactly_what_was_preloaded(app, base, query):
    """Each preloaded URL is fetched once (the page's own fetch reuses it), nothing else."""
    with app.test_client() as client:
        html = client.get(f"/?{query}").get_data(as_text=True)
    preloaded = re.findall(
        r'<link rel="preload" as="fetch" crossorigin="anonymous" href="([^"]+)"', html
    )
    assert len(preloaded) == 8
    with chromium() as driver:
        driver.get(f"{base}/?{query}")
        wait_ready(driver)
        fetched = driver.execute_script(
            "return performance.getEntriesByType('resource')"
            ".map((r) => r.name.slice(location.origin.length))"
            ".filter((n) => !n.startsWith('/static/') && !n.startsWith('/events'))"
        )
        assert [entry["message"] for entry in severe_logs(driver)] == []
    preloaded = [p.replace("&amp;", "&") for p in preloaded]
    features = [f for f in fetched if ".geojson" in f]
    assert sorted(features) == sorted(p for p in preloaded if ".geojson" in p)
    assert set(preloaded) <= set(fetched)
    if "kiosk" not in query:  # the tour asks for each county's statistics later
        assert sorted(fetched) == sorted(preloaded)
