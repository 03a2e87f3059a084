"""The big screen follows the review (审核) live: a county's submitted report shows as 待审核
at once and moves the completion figures only when the city approves it."""

from __future__ import annotations

import json
import time
from urllib.request import Request, urlopen

import pytest
import sqlalchemy as sa

from mapserver.accounts import credentials, users
from mapserver.store.db import make_engine
from tests.battle import GUANG_AN
from tests.browser import hook, open_page, serve, severe_logs, stat_values, wait_for

pytestmark = pytest.mark.browser

AMOUNT = 1234.5
SUMS = """SELECT
  (SELECT coalesce(sum(r.amount), 0) FROM investment_reports r JOIN projects p ON p.id = r.project_id
   WHERE p.deleted_at IS NULL AND r.review = 'approved' AND r.month <= mapserver_today()
   AND r.month >= date_trunc('year', mapserver_today())) AS approved,
  (SELECT coalesce(sum(r.amount), 0) FROM investment_reports r JOIN projects p ON p.id = r.project_id
   WHERE p.deleted_at IS NULL AND r.review = 'submitted') AS pending"""


def send(url: str, method: str, body: dict, token: str) -> dict:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if method == "PATCH":
        headers["If-Match"] = "*"
    request = Request(url, json.dumps(body).encode(), method=method, headers=headers)
    with urlopen(request, timeout=10) as response:
        return json.load(response)


def figures(engine) -> tuple[float, float]:
    with engine.connect() as conn:
        row = conn.execute(sa.text(SUMS)).one()
    return float(row.approved), float(row.pending)


def shown(driver) -> tuple[float, float]:
    values = stat_values(driver)
    return float(values["year_to_date"]), float(values["pending_investment"])


def close(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return all(abs(x - y) < 0.01 for x, y in zip(a, b, strict=True))


@pytest.fixture
def setup(fresh_url, make_app):
    """An app on a private database, a county editor and a dispatcher, and a project of the
    editor's county with no report yet this month."""
    engine = make_engine(fresh_url, 2)
    tokens = {}
    for role, county in (("county_editor", GUANG_AN), ("dispatcher", None)):
        account, _ = users.create_user(engine, f"u_{role}", role, county)
        tokens[role] = credentials.issue_token(engine, account.id, "test")[1]
    with engine.begin() as conn:
        code = conn.execute(sa.text(
            "SELECT code FROM projects WHERE county = :c AND status = 'under_construction'"
            " AND deleted_at IS NULL ORDER BY code LIMIT 1"), {"c": GUANG_AN}).scalar_one()  # fmt: skip
        conn.execute(sa.text(
            "DELETE FROM investment_reports WHERE month = date_trunc('month', mapserver_today())"
            " AND project_id = (SELECT id FROM projects WHERE code = :c)"), {"c": code})  # fmt: skip
    app = make_app(database_url=fresh_url)
    try:
        yield app, engine, tokens, code
    finally:
        engine.dispose()


def test_the_screen_shows_pending_apart_and_counts_only_approved(driver, setup):
    app, engine, tokens, code = setup
    with serve(app) as url:
        open_page(driver, f"{url}/")
        wait_for(lambda: hook(driver, "connection") == "open")
        start = figures(engine)
        wait_for(lambda: close(shown(driver), start))
        month = time.strftime("%Y-%m", time.gmtime(time.time() + 8 * 3600))
        body = {"project": code, "month": month, "amount": AMOUNT, "review": "submitted"}
        report = send(f"{url}/battle/investment", "POST", body, tokens["county_editor"])
        submitted = figures(engine)
        assert close(submitted, (start[0], start[1] + AMOUNT))
        wait_for(lambda: close(shown(driver), submitted), 2)  # 待审核 at once, not counted
        send(f"{url}/battle/investment/{report['id']}", "PATCH", {"review": "approved"},
             tokens["dispatcher"])  # fmt: skip
        approved = figures(engine)
        assert close(approved, (start[0] + AMOUNT, start[1]))
        began = time.monotonic()
        wait_for(lambda: close(shown(driver), approved), 2)
        assert time.monotonic() - began < 2
        assert not severe_logs(driver)
