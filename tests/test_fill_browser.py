"""The reporting page (/fill) and the review queue (/review) in a real headless Chromium,
against a real server and PostGIS.

A county editor on a phone-sized screen reports a project's month and submits it; a
dispatcher approves it, and only then does the project's approved figure move (checked
against SQL over approved rows). A return with a reason reaches the county editor, who
changes the report and submits it again. The to-do list's "只看缺项" filter, the server's
refusals next to their fields, and the editor's 填报 link.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import unquote, urlsplit
from urllib.request import urlopen

import pytest
import sqlalchemy as sa
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By

from mapserver.accounts import users
from mapserver.store.db import make_engine
from tests.browser import assert_only_own_origin, chromium, hook, serve, severe_logs, wait_for
from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

COUNTY = "511602"  # 广安区
DOCS_IMG = Path(__file__).resolve().parent.parent / "docs" / "img"
PHONE = (375, 812)
DESKTOP = (1280, 900)
REASON = "金额与形象进度不符，请核实"

# The project to report on: tracked, in the county, with an annual plan; its month's
# report removed (as the owner, like the loader) so the county editor starts afresh.
PICK = """
SELECT p.code FROM projects p, health_rules h
WHERE p.county = :county AND p.deleted_at IS NULL AND p.status = ANY(h.statuses)
  AND p.annual_plan > 0
ORDER BY p.code LIMIT 1
"""
APPROVED_YTD = """
SELECT coalesce(sum(r.amount), 0) FROM investment_reports r JOIN projects p ON p.id = r.project_id
WHERE p.code = :code AND r.review = 'approved'
  AND r.month >= date_trunc('year', mapserver_today()) AND r.month <= mapserver_today()
"""
REPORT = """
SELECT r.review, r.amount, r.return_reason FROM investment_reports r
JOIN projects p ON p.id = r.project_id
WHERE p.code = :code AND r.month = date_trunc('month', mapserver_today())::date
"""
# What the to-do list should call missing, computed here from the tables.
MISSING = """
SELECT p.code,
    (CASE WHEN EXISTS (SELECT 1 FROM investment_reports r WHERE r.project_id = p.id
        AND r.month = date_trunc('month', mapserver_today())::date
        AND r.review IN ('submitted', 'approved')) THEN 0 ELSE 1 END)
    + (SELECT count(*) FROM milestones m WHERE m.project_id = p.id
        AND m.actual_date IS NULL AND m.planned_date < mapserver_today())
    + (SELECT count(*) FROM callouts c WHERE c.project_id = p.id AND c.status = 'issued')
FROM projects p, health_rules h
WHERE p.county = :county AND p.deleted_at IS NULL AND p.status = ANY(h.statuses)
"""


@dataclass
class Site:
    base: str
    engine: sa.Engine
    passwords: dict[str, str]
    code: str

    def scalar(self, sql: str, **params):
        with self.engine.connect() as conn:
            return conn.execute(sa.text(sql), {"code": self.code, **params}).scalar()

    def report(self):
        with self.engine.connect() as conn:
            return conn.execute(sa.text(REPORT), {"code": self.code}).one_or_none()


@pytest.fixture(scope="module")
def driver():
    with chromium(*DESKTOP) as d:
        yield d


@pytest.fixture
def site(fresh_url, make_app, tmp_path) -> Iterator[Site]:
    """A server on a private copy of the demo database, with a 广安区 county editor and a
    dispatcher; the picked project has no report for this month."""
    engine = make_engine(fresh_url, 2)
    passwords = {
        "county_t": users.create_user(engine, "county_t", "county_editor", COUNTY)[1],
        "dispatch_t": users.create_user(engine, "dispatch_t", "dispatcher", None)[1],
    }
    with engine.begin() as conn:
        code = conn.execute(sa.text(PICK), {"county": COUNTY}).scalar_one()
        conn.execute(
            sa.text(
                "DELETE FROM investment_reports r USING projects p WHERE p.id = r.project_id"
                " AND p.code = :code AND r.month = date_trunc('month', mapserver_today())::date"
            ),
            {"code": code},
        )
    app = make_app(database_url=fresh_url, media_dir=tmp_path / "media")
    with serve(app) as base:
        yield Site(base, engine, passwords, code)
    engine.dispose()


def viewport(driver, width: int, height: int) -> None:
    metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)


def login(driver, site: Site, username: str, path: str) -> None:
    """Open ``path`` without a session, log in on the form it sends us to, and be back on
    the same page (query included), ready."""
    driver.get("about:blank")
    driver.execute_cdp_cmd("Network.clearBrowserCookies", {})  # every site's, not one page's
    severe_logs(driver)
    driver.get(site.base + path)
    wait_for(lambda: urlsplit(driver.current_url).path == "/login")
    assert unquote(urlsplit(driver.current_url).query) == f"next={path}"
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(site.passwords[username])
    driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button[type=submit]").click()
    wait_for(lambda: driver.current_url == site.base + path)
    wait_ready(driver)


def wait_ready(driver) -> None:
    wait_for(lambda: hook(driver, "state") in ("ready", "error"), 20)
    assert hook(driver, "state") == "ready", driver.find_element(By.ID, "page-error").text


def errors(driver, expected: tuple[int, ...] = ()) -> list[str]:
    """Console errors, leaving out the refusals a test provoked on purpose (and the photos
    API's 404 where it is not installed: the page hides that section)."""
    allowed = tuple(f"status of {status}" for status in expected)
    messages = [m["message"] for m in severe_logs(driver)]
    messages = [m for m in messages if not ("/battle/photos?" in m and "status of 404" in m)]
    return [m for m in messages if not any(a in m for a in allowed)]


def feature(site: Site) -> dict:
    """The project's properties in the projects layer, as the battle map reads them."""
    with urlopen(f"{site.base}/layers/projects.geojson?limit=10000", timeout=10) as r:
        found = [f for f in json.load(r)["features"] if f["id"] == site.code]
    return found[0]["properties"]


def investment_form(driver):
    return driver.find_element(By.ID, "investment-form")


def click_action(driver, scope_css: str, action: str) -> None:
    driver.find_element(By.CSS_SELECTOR, f'{scope_css} button[data-action="{action}"]').click()


def type_amount(driver, text: str) -> None:
    amount = investment_form(driver).find_element(By.NAME, "amount")
    amount.clear()
    amount.send_keys(text)


def figure(driver, name: str) -> str:
    return driver.find_element(By.CSS_SELECTOR, f'[data-figure="{name}"] dd').text


def field_error(driver, form_css: str, name: str) -> str | None:
    """The message shown next to a form's field, or None (DOM rebuilt meanwhile: None)."""
    try:
        found = driver.find_elements(By.CSS_SELECTOR, f'{form_css} .field-error[data-for="{name}"]')
        return found[0].text if found and found[0].text else None
    except StaleElementReferenceException:
        return None


def text_of(driver, css: str) -> str:
    """The text of the first element ``css`` selects; "" while it is missing or rebuilt."""
    try:
        found = driver.find_elements(By.CSS_SELECTOR, css)
        return found[0].text if found else ""
    except StaleElementReferenceException:
        return ""


def assert_phone_layout(driver) -> None:
    """One column: nothing wider than the screen, every control at least 44 px high."""
    width = driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= driver.execute_script("return window.innerWidth")
    small = driver.execute_script(
        "return [...document.querySelectorAll('button, input:not([type=checkbox]), textarea,"
        " select, .todo-link')].filter((n) => n.offsetParent && n.getBoundingClientRect().height < 44)"
        ".map((n) => n.outerHTML.slice(0, 80))"
    )
    assert small == []


def shot(driver, name: str, docs: bool = False) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))
    if docs:
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(DOCS_IMG / f"{name}.png"))


def report_and_submit(driver, site: Site, amount: str) -> None:
    """On the project's page: type the amount and submit; wait for 待审核."""
    type_amount(driver, amount)
    click_action(driver, "#investment-form", "submitted")
    wait_for(lambda: hook(driver, "investment-review") == "submitted")


def approve_in_queue(driver, site: Site, action: str) -> None:
    item = f'.queue-item[data-noun="investment"][data-project="{site.code}"]'
    wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, item))
    click_action(driver, item, action)


def test_county_reports_on_a_phone_and_the_city_approves(driver, site):
    viewport(driver, *PHONE)
    before = site.scalar(APPROVED_YTD)
    plan = Decimal(str(feature(site)["annual_plan"]))
    login(driver, site, "county_t", f"/fill?project={site.code}")
    assert hook(driver, "investment-review") == "none"
    assert figure(driver, "ytd").startswith(f"{before:,.2f}")
    assert_phone_layout(driver)

    type_amount(driver, "-5")  # refused by the server, shown under the amount
    click_action(driver, "#investment-form", "submitted")
    message = wait_for(lambda: field_error(driver, "#investment-form", "amount"))
    assert "amount" in message or "万元" in message or "0" in message
    assert site.report() is None  # nothing stored
    assert_phone_layout(driver)
    shot(driver, "fill-error")

    type_amount(driver, "1234.5")  # the rate the entry would give, live
    expected = (before + Decimal("1234.5")) / plan * 100
    wait_for(lambda: investment_form(driver).get_attribute("data-rate") == f"{expected:.1f}")
    assert figure(driver, "rate") == f"{expected:.1f}%"
    shot(driver, "fill-project", docs=True)
    click_action(driver, "#investment-form", "submitted")
    wait_for(lambda: hook(driver, "investment-review") == "submitted")
    assert tuple(site.report()) == ("submitted", Decimal("1234.5"), None)
    assert investment_form(driver).find_element(By.NAME, "amount").get_attribute("disabled")
    assert Decimal(str(feature(site)["year_to_date"])) == before == site.scalar(APPROVED_YTD)
    assert Decimal(str(feature(site)["pending_investment"])) == Decimal("1234.5")
    assert errors(driver, (422,)) == []
    assert_only_own_origin(driver, site.base)

    login(driver, site, "dispatch_t", "/review")
    assert_phone_layout(driver)
    shot(driver, "review-phone")
    viewport(driver, 1024, 680)  # a smaller picture for the docs
    item = f'.queue-item[data-noun="investment"][data-project="{site.code}"]'
    wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, item))
    driver.find_element(By.CSS_SELECTOR, f"{item} h4").click()
    wait_for(lambda: hook(driver, "map-project") == site.code)
    driver.execute_script(
        "document.querySelector(arguments[0]).scrollIntoView({block: 'center'})", item
    )
    shot(driver, "review", docs=True)
    viewport(driver, *DESKTOP)
    approve_in_queue(driver, site, "approve")
    wait_for(lambda: hook(driver, "reviewed") and not driver.find_elements(By.CSS_SELECTOR, item))
    assert site.report()[0] == "approved"
    after = site.scalar(APPROVED_YTD)
    assert after == before + Decimal("1234.5")
    assert Decimal(str(feature(site)["year_to_date"])) == after
    assert errors(driver) == []
    assert_only_own_origin(driver, site.base)


def test_returned_with_a_reason_then_changed_and_submitted_again(driver, site):
    viewport(driver, *PHONE)
    login(driver, site, "county_t", f"/fill?project={site.code}")
    report_and_submit(driver, site, "800")

    viewport(driver, *DESKTOP)
    login(driver, site, "dispatch_t", "/review")
    approve_in_queue(driver, site, "return")
    dialog = "#return-form"
    wait_for(lambda: driver.find_element(By.ID, "return-dialog").is_displayed())
    click_action(driver, dialog, "return")  # no reason: refused, said next to the field
    assert wait_for(lambda: field_error(driver, dialog, "return_reason"))
    assert site.report()[0] == "submitted"
    driver.find_element(By.CSS_SELECTOR, f'{dialog} [name="return_reason"]').send_keys(REASON)
    click_action(driver, dialog, "return")
    wait_for(lambda: not driver.find_element(By.ID, "return-dialog").is_displayed())
    wait_for(lambda: (hook(driver, "reviewed") or "").endswith("已退回"))
    assert tuple(site.report()) == ("returned", Decimal("800"), REASON)
    assert errors(driver, (422,)) == []

    viewport(driver, *PHONE)
    login(driver, site, "county_t", "/fill")
    row = f'.todo-item[data-code="{site.code}"]'
    chip = driver.find_element(By.CSS_SELECTOR, f'{row} [data-review="returned"]')
    assert chip.text == "已退回"
    driver.find_element(By.CSS_SELECTOR, f"{row} a").click()
    wait_for(lambda: urlsplit(driver.current_url).query == f"project={site.code}")
    wait_ready(driver)
    assert hook(driver, "investment-review") == "returned"
    assert REASON in investment_form(driver).find_element(By.CLASS_NAME, "reason").text
    shot(driver, "fill-returned", docs=True)
    report_and_submit(driver, site, "650")
    assert site.report()[:2] == ("submitted", Decimal("650"))
    assert errors(driver) == []


def test_todo_lists_what_is_missing_and_filters(driver, site):
    viewport(driver, *PHONE)
    with site.engine.connect() as conn:
        missing = dict(conn.execute(sa.text(MISSING), {"county": COUNTY}).all())
    assert 0 < sum(1 for n in missing.values() if n) < len(missing)  # the filter has work
    login(driver, site, "county_t", "/fill")
    rows = driver.find_elements(By.CSS_SELECTOR, "#todo-list .todo-item")
    shown = {r.get_attribute("data-code"): int(r.get_attribute("data-missing")) for r in rows}
    assert shown == missing
    assert_phone_layout(driver)
    driver.find_element(By.ID, "only-missing").click()
    wanted = {code for code, n in missing.items() if n > 0}
    wait_for(lambda: int(hook(driver, "todo-shown")) == len(wanted))
    rows = driver.find_elements(By.CSS_SELECTOR, "#todo-list .todo-item")
    assert {r.get_attribute("data-code") for r in rows} == wanted
    assert "missing=1" in driver.current_url
    shot(driver, "fill-todo", docs=True)
    assert errors(driver) == []


def test_errors_of_other_forms_show_next_to_their_field(driver, site):
    viewport(driver, *PHONE)
    login(driver, site, "county_t", f"/fill?project={site.code}")
    raise_form = "#raise-form"
    driver.find_element(By.CSS_SELECTOR, f'{raise_form} [name="description"]').send_keys("征地")
    click_action(driver, raise_form, "raise")  # no responsible unit: refused
    assert wait_for(lambda: field_error(driver, raise_form, "responsible_unit"))
    before = int(hook(driver, "problems-count"))
    driver.find_element(By.CSS_SELECTOR, f'{raise_form} [name="responsible_unit"]').send_keys(
        "广安区自然资源局"
    )
    click_action(driver, raise_form, "raise")
    wait_for(lambda: int(hook(driver, "problems-count")) == before + 1)
    assert errors(driver, (422,)) == []


def test_editor_list_links_to_the_reporting_page(driver, site):
    viewport(driver, *DESKTOP)
    login(driver, site, "county_t", "/edit")
    link = driver.find_element(
        By.CSS_SELECTOR, f'#project-list [data-code="{site.code}"] a.fill-link'
    )
    link.click()
    wait_for(lambda: urlsplit(driver.current_url).path == "/fill")
    wait_ready(driver)
    assert urlsplit(driver.current_url).query == f"project={site.code}"
    assert hook(driver, "month")
    assert_phone_layout(driver)  # no horizontal scroll, large controls on a desktop too
    shot(driver, "fill-desktop")


RECORDS = """
INSERT INTO milestones (project_id, name, planned_date)
    SELECT id, '测试节点：主体封顶', mapserver_today() - 10 FROM projects WHERE code = :code;
INSERT INTO callouts (project_id, responsible_unit, issued_by, issued_on, deadline, demand)
    SELECT id, '测试单位', 'dispatcher', mapserver_today() - 5, mapserver_today() + 5,
        '测试点球：限期完成征地扫尾' FROM projects WHERE code = :code;
INSERT INTO problems (project_id, description, raised_on, responsible_unit)
    SELECT id, '测试问题：施工用电未接入', mapserver_today() - 20, '测试供电公司'
    FROM projects WHERE code = :code;
"""


def record_form(driver, list_id: str, text: str) -> str:
    """The CSS of the form of the record in ``list_id`` whose heading is ``text``."""
    for item in driver.find_elements(By.CSS_SELECTOR, f"#{list_id} .record"):
        if item.find_element(By.TAG_NAME, "h4").text == text:
            return f'#{list_id} .record[data-id="{item.get_attribute("data-id")}"] form'
    raise AssertionError(f"no record {text!r} in #{list_id}")


def set_value(driver, css: str, value: str) -> None:
    """A date input's value as the browser would set it (typing depends on the locale)."""
    script = "const n = document.querySelector(arguments[0]); n.value = arguments[1];"
    driver.execute_script(
        script + "n.dispatchEvent(new Event('input', {bubbles: true}))", css, value
    )


def test_milestone_callout_and_a_resolution_for_review(driver, site):
    with site.engine.begin() as conn:
        for statement in RECORDS.strip().split(";"):
            if statement.strip():
                conn.execute(sa.text(statement), {"code": site.code})
        today = conn.execute(sa.text("SELECT mapserver_today()")).scalar_one()
    viewport(driver, *PHONE)
    login(driver, site, "county_t", f"/fill?project={site.code}")

    form = record_form(driver, "milestone-list", "测试节点：主体封顶")
    set_value(driver, f'{form} [name="actual_date"]', today.isoformat())
    driver.find_element(By.CSS_SELECTOR, f'{form} [name="note"]').send_keys("已封顶")
    click_action(driver, form, "save")
    done = "SELECT actual_date, note FROM milestones WHERE name = '测试节点：主体封顶'"
    wait_for(lambda: site.scalar(done.replace("actual_date, note", "note")) == "已封顶")
    with site.engine.connect() as conn:
        assert tuple(conn.execute(sa.text(done)).one()) == (today, "已封顶")

    driver.execute_script("document.getElementById('milestone-list').scrollIntoView()")
    shot(driver, "fill-records")
    form = record_form(driver, "callout-list", "测试点球：限期完成征地扫尾")
    click_action(driver, form, "respond")  # no answer yet: refused next to the field
    assert wait_for(lambda: field_error(driver, form, "response"))
    driver.find_element(By.CSS_SELECTOR, f'{form} [name="response"]').send_keys("扫尾已完成")
    click_action(driver, form, "respond")
    answered = "SELECT status || ':' || response FROM callouts WHERE demand LIKE '测试点球%'"
    wait_for(lambda: site.scalar(answered) == "responded:扫尾已完成")

    problem = "测试问题：施工用电未接入"
    form = record_form(driver, "problem-list", problem)
    driver.find_element(By.CSS_SELECTOR, f'{form} [name="resolution"]').send_keys("已协调解决")
    click_action(driver, form, "submitted")
    state = "SELECT status || ':' || review FROM problems WHERE description = :d"
    wait_for(lambda: site.scalar(state, d=problem) == "resolved:submitted")
    assert errors(driver, (422,)) == []

    login(driver, site, "dispatch_t", "/review")
    ident = site.scalar("SELECT id FROM problems WHERE description = :d", d=problem)
    item = f'.queue-item[data-noun="problems"][data-id="{ident}"]'
    wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, item))
    click_action(driver, item, "approve")
    wait_for(lambda: site.scalar(state, d=problem) == "resolved:approved")
    assert errors(driver) == []


def photos_api(site: Site) -> bool:
    try:
        with urlopen(f"{site.base}/battle/photos?project={site.code}", timeout=10):
            return True
    except HTTPError as exc:
        if exc.code == 404:
            return False
        raise


def test_photos_upload_with_progress_and_errors(driver, site, tmp_path):
    viewport(driver, *PHONE)
    login(driver, site, "county_t", f"/fill?project={site.code}")
    if not photos_api(site):  # the photos API is not installed: the section stays hidden
        assert hook(driver, "photos") == "absent"
        assert not driver.find_element(By.ID, "photos").is_displayed()
        return
    image = pytest.importorskip("PIL.Image")
    good, bad = tmp_path / "site.jpg", tmp_path / "broken.jpg"
    image.new("RGB", (640, 480), (40, 120, 200)).save(good, "JPEG")
    bad.write_bytes(b"not an image at all")
    assert driver.find_element(By.ID, "photos").is_displayed()
    type_amount(driver, "10")  # a draft report for the month: the photo illustrates it
    click_action(driver, "#investment-form", "draft")
    wait_for(lambda: hook(driver, "investment-review") == "draft")
    before = int(hook(driver, "photos"))
    picker = driver.find_element(By.ID, "photo-file")
    picker.send_keys(f"{good}\n{bad}")
    wait_for(
        lambda: (
            int(hook(driver, "photos")) == before + 1
            and driver.find_elements(By.CSS_SELECTOR, "#photo-uploads .upload.failed")
        )
    )
    failed = driver.find_element(By.CSS_SELECTOR, "#photo-uploads .upload.failed").text
    assert "broken.jpg" in failed and "上传失败" in failed
    newest = driver.find_element(By.CSS_SELECTOR, "#photo-list .photo")
    assert "无位置信息" in newest.text  # no GPS in its EXIF
    stored = "SELECT count(*) FROM photos f JOIN projects p ON p.id = f.project_id"
    assert site.scalar(f"{stored} WHERE p.code = :code") == before + 1
    linked = f"{stored} JOIN investment_reports r ON r.id = f.report_id"
    assert site.scalar(f"{linked} WHERE p.code = :code AND r.review = 'draft'") == 1
    assert_phone_layout(driver)
    driver.execute_script("document.getElementById('photos').scrollIntoView()")
    shot(driver, "fill-photos")
    assert errors(driver, (400, 413, 415, 422)) == []


def test_review_of_a_record_changed_meanwhile_is_refused_then_reloaded(driver, site):
    viewport(driver, *DESKTOP)
    ident = site.scalar("SELECT min(id) FROM investment_reports WHERE review = 'submitted'")
    login(driver, site, "dispatch_t", "/review")
    item = f'.queue-item[data-noun="investment"][data-id="{ident}"]'
    wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, item))
    with site.engine.begin() as conn:  # behind the page's back: a new version
        conn.execute(
            sa.text("UPDATE investment_reports SET remarks = '改过' WHERE id = :i"), {"i": ident}
        )
    click_action(driver, item, "approve")
    wait_for(lambda: "已刷新" in driver.find_element(By.ID, "queue-notice").text)
    review = "SELECT review FROM investment_reports WHERE id = :i"
    assert site.scalar(review, i=ident) == "submitted"  # nothing decided on a stale view
    wait_for(lambda: "改过" in text_of(driver, item))
    click_action(driver, item, "approve")
    wait_for(lambda: site.scalar(review, i=ident) == "approved")
    assert errors(driver, (412,)) == []


def test_another_countys_project_is_shown_without_buttons(driver, site):
    viewport(driver, *PHONE)
    other = site.scalar(
        "SELECT min(code) FROM projects WHERE county <> :county AND deleted_at IS NULL",
        county=COUNTY,
    )
    login(driver, site, "county_t", f"/fill?project={other}")
    assert driver.find_element(By.ID, "readonly-note").is_displayed()
    shown = [
        b for b in driver.find_elements(By.CSS_SELECTOR, "#project-view button") if b.is_displayed()
    ]
    assert shown == []
    assert errors(driver) == []
