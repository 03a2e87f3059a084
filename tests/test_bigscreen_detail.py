"""The big screen's detail panel in headless Chromium: investment awaiting review (待审核)
shown apart when a project has some, and the 填报 link for users who may report on it."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from selenium.webdriver.common.by import By

from mapserver.accounts import users
from mapserver.store.db import make_engine
from tests.browser import detail_text as field
from tests.browser import hook, open_page, serve, severe_logs, wait_for
from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

COUNTY = "511602"
PASSWORD = "bigscreen-test-pw-1"


def opened(driver, url: str, code: str) -> None:
    open_page(driver, f"{url}/?project={code}")
    wait_for(lambda: hook(driver, "detail") == "complete" and hook(driver, "selected") == code)


def wan(value) -> str:
    """10000.5 → "10,000.50 万元" (the panel's format)."""
    return f"{value:,.2f} 万元"


def test_pending_investment_shown_apart(driver, base, demo_engine):
    with demo_engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT code, pending_investment FROM battle_projects"
                " WHERE deleted_at IS NULL ORDER BY pending_investment DESC, code"
            )
        ).all()
    pending = [r for r in rows if r[1] > 0]
    assert pending, "the demo has reports waiting for review"
    code, amount = pending[0]
    opened(driver, base, code)
    text = field(driver, "pending_investment")
    assert text and text.startswith("待审核") and wan(amount) in text
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "bigscreen-detail.png"))
    none = next(r[0] for r in rows if r[1] == 0)
    opened(driver, base, none)
    assert field(driver, "pending_investment") is None
    assert field(driver, "fill") is None  # nobody logged in
    assert not severe_logs(driver)


@pytest.fixture
def site(fresh_url, make_app) -> Iterator[tuple[str, sa.Engine]]:
    engine = make_engine(fresh_url, 2)
    for name, role, county in (
        ("bs_editor", "county_editor", COUNTY),
        ("bs_viewer", "viewer", None),
    ):
        users.create_user(engine, name, role, county, password=PASSWORD)
    app = make_app(database_url=fresh_url)
    try:
        with serve(app) as url:
            yield url, engine
    finally:
        engine.dispose()


def login(driver, url: str, username: str) -> None:
    driver.get(f"{url}/static/css/theme.css")  # on the site, with nothing running
    driver.delete_all_cookies()  # logged out
    severe_logs(driver)
    driver.get(f"{url}/login?next=/")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button[type=submit]").click()
    wait_for(lambda: urlsplit(driver.current_url).path == "/")


def test_fill_link_for_who_may_report(driver, site):
    url, engine = site
    with engine.connect() as conn:
        own, other = (
            conn.execute(
                sa.text("SELECT min(code) FROM projects WHERE county = :c AND deleted_at IS NULL"),
                {"c": county},
            ).scalar_one()
            for county in (COUNTY, "511621")
        )
    try:
        login(driver, url, "bs_editor")
        opened(driver, url, own)
        link = driver.find_element(By.CSS_SELECTOR, '#detail [data-field="fill"]')
        assert link.text == "填报" and link.get_attribute("href") == f"{url}/fill?project={own}"
        opened(driver, url, other)  # another county's project: not theirs to report
        assert field(driver, "fill") is None
        login(driver, url, "bs_viewer")
        opened(driver, url, own)
        assert field(driver, "fill") is None
        assert not severe_logs(driver)
    finally:
        driver.get(f"{url}/static/css/theme.css")
        driver.delete_all_cookies()
