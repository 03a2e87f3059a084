"""Screen tokens: issued, listed and revoked by dispatchers and administrators; opened once
as ``/?screen=…`` and kept in a cookie; bound to an address range when asked."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from mapserver.accounts import credentials, screens, users
from mapserver.cli import main
from mapserver.store.db import make_engine

LOGIN_ONLY = {"read_records": "login", "read_report": "login", "read_downloads": "login"}


@pytest.fixture
def env(fresh_url, make_app) -> Iterator[tuple]:
    """(app, engine, bearer tokens by role)."""
    app = make_app(database_url=fresh_url, **LOGIN_ONLY)
    engine = make_engine(fresh_url, 1)
    tokens = {}
    for role in ("admin", "dispatcher", "viewer"):
        account, _ = users.create_user(engine, f"s_{role}", role)
        tokens[role] = {
            "Authorization": f"Bearer {credentials.issue_token(engine, account.id, 't')[1]}"
        }
    yield app, engine, tokens
    engine.dispose()


def boot(response) -> dict:
    html = response.get_data(as_text=True)
    return json.loads(
        re.search(r'<script type="application/json" id="boot">(.*?)</script>', html)[1]
    )


def test_who_may_manage_screen_tokens(env):
    app, engine, tokens = env
    client = app.test_client()
    body = {"name": "指挥中心大屏"}
    assert client.post("/auth/screens", json=body).status_code == 401
    assert client.post("/auth/screens", json=body, headers=tokens["viewer"]).status_code == 403
    assert client.get("/auth/screens", headers=tokens["viewer"]).status_code == 403
    made = client.post("/auth/screens", json=body, headers=tokens["dispatcher"])
    assert made.status_code == 201 and made.headers["Cache-Control"] == "no-store"
    token = made.get_json()["token"]
    assert token.startswith("gasc_") and made.get_json()["url"].endswith(f"/?screen={token}")
    listed = client.get("/auth/screens", headers=tokens["admin"])
    [row] = listed.get_json()["screens"]
    assert row["name"] == "指挥中心大屏" and row["created_by"] == "s_dispatcher"
    assert row["revoked_at"] is None and token not in listed.get_data(as_text=True)
    with engine.connect() as conn:  # only the digest is stored
        stored = conn.execute(sa.text("SELECT token_hash FROM screen_tokens")).scalar_one()
    assert stored == credentials.digest(token)
    assert client.delete(f"/auth/screens/{row['id']}", headers=tokens["viewer"]).status_code == 403
    assert client.delete(f"/auth/screens/{row['id']}", headers=tokens["admin"]).status_code == 204
    assert client.delete("/auth/screens/999", headers=tokens["admin"]).status_code == 404
    [row] = client.get("/auth/screens", headers=tokens["admin"]).get_json()["screens"]
    assert row["revoked_at"] is not None


@pytest.mark.parametrize(
    ("body", "parameter"),
    [({}, "name"), ({"name": " "}, "name"), ({"name": "x" * 101}, "name"),
     ({"name": "大屏", "cidr": "10.0.0.0/33"}, "cidr"), ({"name": "大屏", "cidr": 10}, "cidr")],
)  # fmt: skip
def test_bad_screen_token_requests(env, body, parameter):
    app, _engine, tokens = env
    response = app.test_client().post("/auth/screens", json=body, headers=tokens["admin"])
    assert response.status_code == 400 and response.get_json()["parameter"] == parameter


def test_a_session_needs_its_csrf_token(env):
    app, engine, _tokens = env
    users.create_user(engine, "s_session", "dispatcher", password="a-long-password")
    client = app.test_client()
    csrf = client.get("/login", headers={"Accept": "application/json"}).get_json()["csrf_token"]
    login = {"username": "s_session", "password": "a-long-password"}
    logged_in = client.post("/login", json=login, headers={"X-CSRFToken": csrf})
    csrf = logged_in.get_json()["csrf_token"]  # a new session, a new token
    assert client.post("/auth/screens", json={"name": "大屏"}).status_code == 403
    made = client.post("/auth/screens", json={"name": "大屏"}, headers={"X-CSRFToken": csrf})
    assert made.status_code == 201


def test_opening_the_screen_url_keeps_the_token_in_a_cookie(env):
    app, engine, _tokens = env
    _id, token = screens.issue(engine, "大屏", None, None)
    client = app.test_client()
    anonymous = boot(client.get("/"))
    assert "records" not in anonymous["apis"]
    opened = client.get(f"/?county=511621&screen={token}&kiosk=1")
    assert opened.status_code == 303 and opened.location == "/?county=511621&kiosk=1"
    cookie = opened.headers["Set-Cookie"]
    assert cookie.startswith(f"mapserver_screen={token};")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=34560000" in cookie
    page = client.get("/?county=511621&kiosk=1")
    assert "records" in boot(page)["apis"]
    assert page.headers["Set-Cookie"].startswith("mapserver_screen=")  # renewed on each visit
    assert client.get("/battle/problems").status_code == 200
    assert client.get("/auth/me").status_code == 401  # reads only: no user
    assert client.post("/battle/problems", json={}).status_code == 401  # never writes
    with engine.connect() as conn:
        used = conn.execute(sa.text("SELECT last_used_at FROM screen_tokens")).scalar_one()
    assert used is not None


def test_a_bad_screen_url_sets_nothing(env):
    app, _engine, _tokens = env
    response = app.test_client().get("/?screen=gasc_nope")
    assert response.status_code == 403 and "访问已撤销" in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers


def test_a_token_bound_to_an_address_range(env):
    app, engine, _tokens = env
    _id, token = screens.issue(engine, "会议室大屏", "10.20.0.0/16", None)
    inside = app.test_client()
    inside.environ_base["REMOTE_ADDR"] = "10.20.3.4"
    assert inside.get(f"/?screen={token}").status_code == 303
    assert inside.get("/battle/problems").status_code == 200
    outside = app.test_client()  # 127.0.0.1
    assert outside.get(f"/?screen={token}").status_code == 403
    outside.set_cookie("mapserver_screen", token)
    assert outside.get("/battle/problems").status_code == 401
    assert outside.get("/").location.endswith("/screen/revoked")


def test_the_command_line_issues_lists_and_revokes(fresh_url):
    def run(*args: str) -> str:
        env = {"MAPSERVER_DATABASE_URL": fresh_url}
        result = CliRunner().invoke(main, list(args), env=env)
        assert result.exit_code == 0, result.output
        return result.output

    out = run("issue-screen-token", "--name", "会议室大屏", "--cidr", "10.20.0.0/16")
    token = out.strip().splitlines()[-1]
    assert token.startswith("gasc_")
    assert "live     10.20.0.0/16       会议室大屏" in run("list-screen-tokens")
    token_id = run("list-screen-tokens").split()[0]
    assert run("revoke-screen-token", token_id).startswith("revoked")
    assert "revoked" in run("list-screen-tokens")
    assert token not in run("list-screen-tokens")
