"""The big screen's record lists in headless Chromium: 问题清单 (open problems, overdue
first), and a click on a problem, a lagging project or a 点球 opening that project: its
details shown and the map flown to it. Expected lists come from SQL and the JSON API."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By

from mapserver.store.db import make_engine
from tests.browser import get_json, hook, open_page, serve, severe_logs, wait_for

pytestmark = pytest.mark.browser

OPEN_PROBLEMS = """
SELECT r.id, p.code, coalesce(r.due_date < mapserver_today(), false) AS overdue
FROM problems r JOIN projects p ON p.id = r.project_id
WHERE r.status = 'open' AND p.deleted_at IS NULL AND (CAST(:county AS text) IS NULL OR p.county = :county)
ORDER BY 3 DESC, r.due_date NULLS LAST, r.id
"""
EXTENT = """
SELECT p.name, ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
FROM projects p, ST_Envelope(p.geom) e WHERE p.code = :code
"""


def open_problems(engine: sa.Engine, county: str | None = None) -> list[tuple[int, str, bool]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text(OPEN_PROBLEMS), {"county": county})
        return [tuple(row) for row in rows]


def extent(engine: sa.Engine, code: str) -> tuple[str, float, float, float, float]:
    with engine.connect() as conn:
        return tuple(conn.execute(sa.text(EXTENT), {"code": code}).one())


def map_bounds(driver) -> tuple[float, ...]:
    return tuple(map(float, hook(driver, "map-bounds").split(",")))


def open_lists(driver, url: str) -> None:
    open_page(driver, url)
    wait_for(lambda: hook(driver, "battle-refreshes") and hook(driver, "problem-refreshes"))


def click_row(driver, selector: str) -> str:
    """Click the first row matching `selector` (the list may be rebuilt meanwhile); its code."""

    def click():
        try:
            row = driver.find_element(By.CSS_SELECTOR, selector)
            code = row.get_attribute("data-project")
            row.click()
            return code
        except StaleElementReferenceException:
            return None

    return wait_for(click)


def assert_opened(driver, engine: sa.Engine, code: str, before: tuple[float, ...]) -> None:
    """The detail panel shows project `code` and the map has flown in to it."""
    name, *box = extent(engine, code)
    wait_for(lambda: hook(driver, "selected") == code)
    wait_for(lambda: hook(driver, "detail") == "complete")
    wait_for(
        lambda: driver.find_element(By.CSS_SELECTOR, '#detail [data-field="name"]').text == name
    )

    def flown() -> bool:
        west, south, east, north = map_bounds(driver)
        inside = west <= box[0] and box[2] <= east and south <= box[1] and box[3] <= north
        return inside and east - west < (before[2] - before[0]) * 0.8

    wait_for(flown, timeout=5)


@pytest.mark.parametrize("county", [None, "511621"])
def test_problems_panel_equals_the_database(driver, base, demo_engine, county):
    open_lists(driver, f"{base}/?county={county}" if county else f"{base}/")
    expected = open_problems(demo_engine, county)
    assert expected, "the demo has open problems"
    assert hook(driver, "problem-ids") == ",".join(str(r[0]) for r in expected)
    assert int(hook(driver, "problem-count")) == len(expected)
    assert int(hook(driver, "problem-overdue-count")) == sum(r[2] for r in expected)
    rows = driver.find_elements(By.CSS_SELECTOR, "#problems li")
    shown = [(int(r.get_attribute("data-id")), r.get_attribute("data-project")) for r in rows]
    assert shown == [(r[0], r[1]) for r in expected[: len(shown)]]
    assert len(shown) >= min(4, len(expected))  # as many as fit the panel
    flags = [r.find_element(By.CSS_SELECTOR, ".flag").get_attribute("textContent") for r in rows]
    assert flags == ["逾期" if r[2] else "待解决" for r in expected[: len(rows)]]
    assert (
        f"{len(expected)} 项" in driver.find_element(By.CSS_SELECTOR, "#problems .panel-scope").text
    )
    assert not severe_logs(driver)


def test_click_on_a_problem_opens_its_project_and_flies_there(driver, base, demo_engine):
    open_lists(driver, f"{base}/")
    sited = {f["id"] for f in get_json(f"{base}/layers/projects.geojson?limit=10000")["features"]
             if f["geometry"]}  # fmt: skip
    shown = [r for r in open_problems(demo_engine)[:4] if r[1] in sited]
    problem_id, code, _ = shown[0]
    before = map_bounds(driver)
    assert click_row(driver, f'#problems li[data-id="{problem_id}"]') == code
    assert_opened(driver, demo_engine, code, before)
    assert f"project={code}" in driver.current_url
    driver.find_element(By.CSS_SELECTOR, "#detail .close").click()
    assert not severe_logs(driver)


def test_lagging_and_callout_rows_open_their_project(driver, base, demo_engine):
    open_lists(driver, f"{base}/")
    features = get_json(f"{base}/layers/projects.geojson?limit=10000")["features"]
    lagging = {f["id"] for f in features if f["geometry"]
               and f["properties"]["health"] in ("lagging", "seriously_lagging")}  # fmt: skip
    codes = [li.get_attribute("data-project")
             for li in driver.find_elements(By.CSS_SELECTOR, "#battle .lagging li")]  # fmt: skip
    target = next(c for c in codes if c in lagging)
    before = map_bounds(driver)
    assert click_row(driver, f'#battle .lagging li[data-project="{target}"]') == target
    assert_opened(driver, demo_engine, target, before)

    callouts = get_json(f"{base}/battle/callouts?status=issued,responded&limit=10000")["items"]
    sited = {f["id"] for f in features if f["geometry"]}
    rows = driver.find_elements(By.CSS_SELECTOR, "#battle .callouts li")
    ids = [int(li.get_attribute("data-id")) for li in rows]
    callout = next(c for c in callouts if c["id"] in ids and c["project"] in sited)
    open_lists(driver, f"{base}/")  # from the whole city again
    before = map_bounds(driver)
    code = click_row(driver, f'#battle .callouts li[data-id="{callout["id"]}"]')
    assert code == callout["project"]
    assert_opened(driver, demo_engine, code, before)
    assert not severe_logs(driver)


def test_a_problem_raised_appears_at_once(driver, fresh_url, make_app):
    engine = make_engine(fresh_url, 2)
    app = make_app(database_url=fresh_url)
    try:
        with serve(app) as url:
            open_lists(driver, f"{url}/")
            wait_for(lambda: hook(driver, "connection") == "open")
            before = int(hook(driver, "problem-count"))
            with engine.begin() as conn:
                new_id = conn.execute(
                    sa.text(
                        "INSERT INTO problems (project_id, description, raised_on, responsible_unit,"
                        " due_date) SELECT id, '测试：征地未完成', mapserver_today() - 40, '测试单位',"
                        " mapserver_today() - 30 FROM projects WHERE code = 'GA-2024-001'"
                        " RETURNING id"
                    )
                ).scalar_one()
            wait_for(lambda: str(new_id) in (hook(driver, "problem-ids") or "").split(","), 2)
            assert int(hook(driver, "problem-count")) == before + 1
            assert [r[0] for r in open_problems(engine)] == [
                int(i) for i in hook(driver, "problem-ids").split(",")
            ]
            assert not severe_logs(driver)
    finally:
        engine.dispose()
