"""The big screen's battle-map panels in headless Chromium: the health symbology switch,
the red/black list, the 点球 ticker (live) and the lagging projects."""

from __future__ import annotations

import datetime as dt
import json
import time
from urllib.request import Request, urlopen

import pytest
import sqlalchemy as sa

from mapserver.accounts import credentials, users
from mapserver.store.db import make_engine
from tests.battle import turn_day
from tests.browser import (
    chromium,
    get_json,
    hook,
    open_page,
    serve,
    severe_logs,
    wait_for,
    wait_ready,
)
from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


def open_battle(driver, url: str) -> None:
    open_page(driver, url)
    wait_for(lambda: hook(driver, "battle-refreshes"))


def feed(base: str, query: str = "") -> list[dict]:
    return get_json(f"{base}/layers/projects.geojson?limit=10000&{query}")["features"]


def drawn_by(features: list[dict], prop: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in features:
        if f["geometry"]:
            key = str(f["properties"][prop])
            counts[key] = counts.get(key, 0) + 1
    return counts


def test_health_switch_recolours_and_keeps_the_url(driver, base):
    open_battle(driver, f"{base}/?county=511621")
    features = feed(base, "county=511621")
    assert hook(driver, "symbology") == "status"
    assert json.loads(hook(driver, "class-counts")) == drawn_by(features, "status")
    driver.find_element("css selector", '#symbology button[data-mode="health"]').click()
    assert hook(driver, "symbology") == "health"
    assert json.loads(hook(driver, "class-counts")) == drawn_by(features, "health")
    assert "color=health" in driver.current_url and "county=511621" in driver.current_url
    legend = driver.find_elements("css selector", "#legend .legend-classes li")
    assert [li.get_attribute("data-class") for li in legend] == [
        "on_track", "lagging", "seriously_lagging", "not_tracked"
    ]  # fmt: skip
    assert "严重滞后" in driver.find_element("id", "legend").text
    driver.get(driver.current_url)  # the URL keeps the choice
    wait_ready(driver)
    assert hook(driver, "symbology") == "health"
    assert not severe_logs(driver)


def test_health_symbology_in_kiosk_mode(driver, base):
    open_battle(driver, f"{base}/?kiosk=1&interval=60&color=health")
    assert hook(driver, "symbology") == "health"
    assert json.loads(hook(driver, "class-counts")) == drawn_by(feed(base), "health")
    assert not severe_logs(driver)


@pytest.mark.parametrize("query", ["", "county=511621", "status=under_construction"])
def test_panels_equal_the_api(driver, base, query):
    open_battle(driver, f"{base}/?{query}")
    features = {f["id"]: f for f in feed(base, query)}
    ranking = get_json(f"{base}/battle/ranking")
    assert hook(driver, "ranking-period") == ranking["period"]
    for track in ("county", "unit"):
        doc = ranking["tracks"][track]
        keep = {f["properties"][track if track == "county" else "owner_unit"]
                for f in features.values()} if query else None  # fmt: skip
        for mark in ("red", "black"):
            want = [k for k in doc[mark] if keep is None or k in keep]
            got = hook(driver, f"ranking-{track}-{mark}")
            assert (got.split("|") if got else []) == want, (track, mark)
    callouts = get_json(f"{base}/battle/callouts?status=issued,responded&limit=10000")["items"]
    mine = [c for c in callouts if not query or c["project"] in features]
    assert int(hook(driver, "callout-count")) == len(mine)
    assert int(hook(driver, "callout-overdue-count")) == sum(c["overdue"] for c in mine)
    flags = driver.find_elements("css selector", '#battle .callouts li[data-overdue="true"] .flag')
    assert all(f.get_attribute("textContent").startswith("逾期") for f in flags)
    lagging = [f for f in features.values()
               if f["properties"]["health"] in ("lagging", "seriously_lagging")]  # fmt: skip
    assert int(hook(driver, "lagging-count")) == len(lagging)
    rows = driver.find_elements("css selector", "#battle .lagging li")
    assert len(rows) == min(9, len(lagging))
    assert not severe_logs(driver)


@pytest.mark.parametrize("size", [(1920, 1080), (3840, 2160)])
def test_panels_fit_the_screen(app, size):
    with serve(app) as url, chromium(*size) as d:
        open_page(d, f"{url}/")
        box = d.execute_script(
            "const r = document.getElementById('battle').getBoundingClientRect();"
            "return [r.bottom, window.innerHeight, r.width];"
        )
        ARTIFACTS.mkdir(exist_ok=True)
        d.save_screenshot(str(ARTIFACTS / f"battle-{size[0]}.png"))
        assert box[0] <= box[1] and box[2] > size[0] / 8
        clipped = d.execute_script(
            "const inside = (sel, id) => { const p = document.getElementById(id).getBoundingClientRect();"
            "  return [...document.querySelectorAll(sel)]"
            "    .filter((n) => n.getBoundingClientRect().bottom > p.bottom + 1).length; };"
            "return inside('#battle li', 'battle') + inside('#stats .row', 'stats')"
            "  + inside('#problems li', 'problems');"
        )
        assert clipped == 0  # every row of the battle, statistics and problem panels is on screen
        assert not severe_logs(d)


def test_callout_issued_appears_at_once(driver, fresh_url, make_app):
    engine = make_engine(fresh_url, 2)
    account, _ = users.create_user(engine, "disp", "dispatcher")
    token = credentials.issue_token(engine, account.id, "screen")[1]
    app = make_app(database_url=fresh_url)
    try:
        with serve(app) as url:
            open_battle(driver, f"{url}/")
            wait_for(lambda: hook(driver, "connection") == "open")  # the 2 s start at the POST
            before = int(hook(driver, "callout-count"))
            project = feed(url, "status=under_construction")[0]["id"]
            soon = (dt.date.today() + dt.timedelta(days=2)).isoformat()  # ≥ the server's day
            body = {"project": project, "responsible_unit": "测试责任单位",
                    "deadline": soon, "demand": "三日内完成征地"}  # fmt: skip
            request = Request(f"{url}/battle/callouts", json.dumps(body).encode(), method="POST",
                              headers={"Authorization": f"Bearer {token}",
                                       "Content-Type": "application/json"})  # fmt: skip
            with urlopen(request, timeout=10) as response:
                new_id = json.load(response)["id"]
            start = time.monotonic()
            wait_for(lambda: str(new_id) in (hook(driver, "callout-ids") or "").split(","), 2)
            assert time.monotonic() - start < 2
            assert int(hook(driver, "callout-count")) == before + 1
            row = driver.find_element("css selector", f'#battle .callouts li[data-id="{new_id}"]')
            assert "测试责任单位" in row.get_attribute("textContent")
            assert hook(driver, "state") == "ready"
            assert not severe_logs(driver)
    finally:
        engine.dispose()


def test_page_reloads_its_projects_when_the_day_turns(driver, fresh_url, make_app):
    """Health and overdue flags move at midnight with no change logged; a screen stays open
    for days: the stream names the day and the page reloads its feed when it turns."""
    engine = make_engine(fresh_url, 1)
    app = make_app(database_url=fresh_url, heartbeat=0.3)
    try:
        with serve(app) as url:
            open_battle(driver, f"{url}/")
            wait_for(lambda: hook(driver, "connection") == "open")
            with engine.connect() as conn:
                today = conn.execute(sa.text("SELECT mapserver_today()")).scalar_one()
                assert hook(driver, "data-day") == today.isoformat()
            turn_day(engine, "2031-01-01")
            wait_for(lambda: hook(driver, "data-day") == "2031-01-01", timeout=5)
            wait_for(lambda: hook(driver, "state") == "ready")
            lagging = feed(url, "health=lagging,seriously_lagging")
            assert lagging and int(hook(driver, "lagging-count")) == len(lagging)
            assert not severe_logs(driver)
    finally:
        engine.dispose()
