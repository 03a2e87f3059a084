"""The dispatch-meeting report: the page in headless Chromium (screen and print media, a
PDF through CDP), the XLSX read back with openpyxl, and bad periods."""

from __future__ import annotations

import base64
import io
from urllib.request import urlopen

import pytest
from openpyxl import load_workbook

from tests.browser import get_json, severe_logs
from tests.conftest import ARTIFACTS

QUERIES = ["", "county=511621", "working_group=transport&status=under_construction,suspended"]


def this_month(base: str) -> str:
    return get_json(f"{base}/battle/ranking")["period"]


def expected(base: str, query: str) -> dict:
    """What the report must say, from /stats, the feed and the battle API."""
    stats = get_json(f"{base}/stats?{query}")
    features = get_json(f"{base}/layers/projects.geojson?limit=10000&{query}")["features"]
    codes = {f["id"] for f in features}
    # Open for the figures until the city approves the resolution (审核).
    problems = get_json(f"{base}/battle/problems?limit=10000")["items"]
    problems = [p for p in problems if p["review"] != "approved"]
    callouts = get_json(f"{base}/battle/callouts?status=issued,responded&limit=10000")["items"]
    mine = [c for c in callouts if c["project"] in codes]
    return {
        "count": stats["count"],
        "sums": stats["sums"],
        "rate": None if stats["completion_rate"] is None else round(stats["completion_rate"] * 100, 2),
        "lagging": sum(f["properties"]["health"] in ("lagging", "seriously_lagging") for f in features),
        "problems": sum(p["project"] in codes for p in problems),
        "callouts": len(mine),
        "overdue": sum(c["overdue"] for c in mine),
        "sites": sum(f["geometry"] is not None for f in features),
    }  # fmt: skip


def body_hooks(driver) -> dict:
    return driver.execute_script("return Object.assign({}, document.body.dataset)")


@pytest.mark.browser
@pytest.mark.parametrize("query", QUERIES)
def test_report_shows_the_figures_of_stats_and_the_battle_api(driver, base, query):
    period = this_month(base)
    want = expected(base, query)
    driver.get(f"{base}/report?period={period}&{query}")
    hooks = body_hooks(driver)
    assert hooks["period"] == period
    assert int(hooks["count"]) == want["count"]
    assert int(hooks["laggingCount"]) == want["lagging"]
    assert int(hooks["problemCount"]) == want["problems"]
    assert int(hooks["calloutCount"]) == want["callouts"]
    drawn = driver.find_elements("css selector", "#report-map .site")
    assert len(drawn) == int(hooks["siteCount"]) == want["sites"]
    figures = [e.text for e in driver.find_elements("css selector", "#overview .figure .value")]
    assert figures[0] == str(want["count"])
    assert float(figures[1]) == want["sums"]["total_investment"]
    assert float(figures[3]) == want["sums"]["year_to_date"]
    assert figures[4] == ("—" if want["rate"] is None else str(want["rate"]))
    overdue = driver.find_elements("css selector", "#table-callouts td.overdue")
    assert len(overdue) == want["overdue"]
    ranking = get_json(f"{base}/battle/ranking?period={period}")["tracks"]["county"]["ranked"]
    rows = driver.find_elements("css selector", "#table-ranking_county tbody tr")
    assert [r.find_elements("css selector", "td")[1].text for r in rows] == [
        e["name"] for e in ranking
    ]
    assert not severe_logs(driver)


@pytest.mark.browser
def test_report_prints_to_pdf(driver, base):
    driver.get(f"{base}/report?period={this_month(base)}")
    toolbar = driver.find_element("css selector", ".toolbar")
    assert toolbar.is_displayed()
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "report.png"))
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert driver.execute_script("return matchMedia('print').matches")
        assert not toolbar.is_displayed()
        pdf = driver.execute_cdp_cmd(
            "Page.printToPDF", {"paperWidth": 8.27, "paperHeight": 11.69, "printBackground": True}
        )
    finally:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    data = base64.b64decode(pdf["data"])
    assert data.startswith(b"%PDF") and len(data) > 20_000
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "report.pdf").write_bytes(data)


@pytest.mark.parametrize("query", QUERIES[:2])
def test_xlsx_has_the_same_figures(base, query):
    period = this_month(base)
    want = expected(base, query)
    with urlopen(f"{base}/report.xlsx?period={period}&{query}", timeout=30) as response:
        disposition = response.headers["Content-Disposition"]
        book = load_workbook(io.BytesIO(response.read()))
    assert disposition.startswith("attachment;") and f"{period}.xlsx" in disposition
    assert book.sheetnames == [
        "总体情况",
        "本期变化",
        "滞后项目",
        "问题清单",
        "点球",
        "红黑榜-县区",
        "红黑榜-责任单位",
    ]
    overview = {r[0]: r[1] for r in book["总体情况"].iter_rows(min_row=3, values_only=True)}
    assert overview["项目总数（个）"] == want["count"]
    assert overview["总投资（万元）"] == want["sums"]["total_investment"]
    assert overview["年度投资完成率（%）"] == want["rate"]
    assert overview["其中逾期点球（项）"] == want["overdue"]
    assert book["滞后项目"].max_row - 2 == want["lagging"]
    assert book["问题清单"].max_row - 2 == want["problems"]
    assert book["点球"].max_row - 2 == want["callouts"]
    assert [c.value for c in book["点球"][2]] == [
        "项目",
        "责任单位",
        "要求",
        "下达日期",
        "期限",
        "状态",
    ]
    ranking = get_json(f"{base}/battle/ranking?period={period}")["tracks"]["unit"]["ranked"]
    rows = list(book["红黑榜-责任单位"].iter_rows(min_row=3, values_only=True))
    assert [(r[0], r[2]) for r in rows] == [(e["rank"], e["score"]) for e in ranking]


@pytest.mark.parametrize("period", ["2026-13", "2026-Q5", "april", "2026-04-01"])
@pytest.mark.parametrize("path", ["/report", "/report.xlsx"])
def test_bad_period_is_400(client, path, period):
    response = client.get(f"{path}?period={period}")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["parameter"] == "period"


def test_a3_paper(client):
    page = client.get("/report?paper=A3").get_data(as_text=True)
    assert "size: A3 portrait" in page and 'data-paper="A3"' in page
    assert "size: A4 portrait" in client.get("/report").get_data(as_text=True)


def test_bad_filter_is_400(client):
    response = client.get("/report?county=999999")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
