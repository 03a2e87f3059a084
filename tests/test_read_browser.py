"""The big screen under the shipped read rules, in Chromium: anonymous, it shows the public
map and says 登录后可见 where records would be, asking for nothing it may not read (no
console errors); opened with a screen token it shows everything, and once the token is
revoked it shows 访问已撤销 within about a second."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests

from mapserver.accounts import credentials, screens, users
from mapserver.store.db import make_engine
from tests import apps
from tests.browser import hook, open_page, serve, severe_logs, wait_for, wait_ready
from tests.conftest import new_database

pytestmark = pytest.mark.browser

LOGIN_ONLY = {"read_records": "login", "read_report": "login", "read_downloads": "login"}


@pytest.fixture(scope="module")
def served(cluster, template_db) -> Iterator[tuple]:
    """(base URL, engine, a dispatcher's bearer headers)."""
    url = new_database(cluster, template_db)
    with apps.built(database_url=url, **LOGIN_ONLY) as app:
        engine = make_engine(url, 1)
        account, _ = users.create_user(engine, "b_dispatcher", "dispatcher")
        bearer = credentials.issue_token(engine, account.id, "t")[1]
        with serve(app) as base:
            yield base, engine, {"Authorization": f"Bearer {bearer}"}
        engine.dispose()


def texts(driver, selector: str) -> list[str]:
    script = "return [...document.querySelectorAll(arguments[0])].map((n) => n.textContent)"
    return driver.execute_script(script, selector)


def body_text(driver) -> str:
    """The page's text, or '' while a navigation has no body yet."""
    return driver.execute_script("return document.body ? document.body.textContent : ''")


def test_anonymous_screen_shows_the_public_map_and_locks_the_records(driver, served):
    base, _engine, _headers = served
    open_page(driver, f"{base}/?project=GA-2024-001")
    assert hook(driver, "records") == "locked"
    for part in ("county-red", "unit-red", "callouts"):
        assert texts(driver, f'#battle [data-part="{part}"] li') == ["登录后可见"]
    assert texts(driver, '#problems [data-part="list"] li') == ["登录后可见"]
    assert int(hook(driver, "feature-count")) > 0 and hook(driver, "lagging-count") is not None
    wait_for(lambda: hook(driver, "detail") == "complete")
    wait_for(lambda: texts(driver, "#detail [data-locked] .locked") == ["登录后可见"])
    assert [entry["message"] for entry in severe_logs(driver)] == []


def test_a_screen_token_opens_everything_until_it_is_revoked(driver, served):
    base, engine, headers = served
    token_id, token = screens.issue(engine, "指挥中心大屏", None, None)
    driver.get("about:blank")
    severe_logs(driver)
    driver.get(f"{base}/?screen={token}")
    wait_ready(driver)
    assert driver.current_url == f"{base}/"  # the token is not left in the address
    assert hook(driver, "records") is None
    wait_for(lambda: int(hook(driver, "battle-refreshes") or 0) >= 1)
    wait_for(lambda: hook(driver, "problem-refreshes"))
    wait_for(lambda: hook(driver, "connection") == "open")
    started = time.monotonic()
    response = requests.delete(f"{base}/auth/screens/{token_id}", headers=headers, timeout=10)
    assert response.status_code == 204
    wait_for(lambda: "访问已撤销" in body_text(driver), timeout=3)
    assert time.monotonic() - started < 1.5
    assert driver.current_url == f"{base}/screen/revoked"
    assert [entry["message"] for entry in severe_logs(driver)] == []
    driver.get(f"{base}/")  # the revoked page forgot the cookie: the public map again
    wait_ready(driver)
    assert hook(driver, "records") == "locked"
