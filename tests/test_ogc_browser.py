"""The OGC HTML pages in headless Chromium: the vendored Leaflet draws the page's features."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from selenium.webdriver.common.by import By

from tests.browser import chromium, hook, severe_logs, wait_for

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def driver():
    with chromium(1280, 900) as d:
        yield d


def test_items_page_draws_the_features(driver, base, demo_engine):
    driver.get(f"{base}/ogc/collections/projects/items?f=html&limit=40&status=under_construction")
    with demo_engine.connect() as conn:
        drawn = conn.execute(
            sa.text(
                "SELECT count(*) FROM (SELECT geom FROM projects WHERE status = "
                "'under_construction' ORDER BY id LIMIT 40) s WHERE geom IS NOT NULL"
            )
        ).scalar_one()
    assert drawn > 0
    wait_for(lambda: hook(driver, "drawn") is not None)
    assert int(hook(driver, "drawn")) == drawn
    shapes = driver.find_elements(By.CSS_SELECTOR, "#map path.leaflet-interactive")
    assert len(shapes) == drawn
    assert severe_logs(driver) == []


def test_item_page_draws_one_feature(driver, base, demo_engine):
    with demo_engine.connect() as conn:
        code = conn.execute(
            sa.text("SELECT code FROM projects WHERE geom IS NOT NULL ORDER BY id LIMIT 1")
        ).scalar_one()
    driver.get(f"{base}/ogc/collections/projects/items/{code}")  # Accept: text/html
    wait_for(lambda: hook(driver, "drawn") is not None)
    assert hook(driver, "drawn") == "1"
    assert code in driver.title
    assert severe_logs(driver) == []
