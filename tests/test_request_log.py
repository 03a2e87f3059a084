"""The request log of a real gunicorn: one line per request, and never a secret in it."""

from __future__ import annotations

import json
import tempfile

import pytest
import requests

from mapserver.accounts import credentials, users
from mapserver.store.db import make_engine
from tests.server import gunicorn

PASSWORD = "Correct-Horse-7731-never-logged"
WRONG = "Wrong-Battery-9902-never-logged"


def lines_of(text: str, log_format: str) -> list[dict]:
    """The request lines: JSON objects as they are, text lines as their fields."""
    found = []
    for raw in text.splitlines():
        if log_format == "json" and raw.startswith("{"):
            found.append(json.loads(raw) | {"raw": raw})
        elif log_format == "text" and " mapserver.access [" in raw:
            rid = raw.split("[", 1)[1].split("]", 1)[0]
            method, route, status = raw.split("] ", 1)[1].split()[:3]
            found.append({"request_id": rid, "method": method, "route": route,
                          "status": int(status), "raw": raw})  # fmt: skip
    return found


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_secrets_never_reach_the_log(fresh_url, log_format):
    engine = make_engine(fresh_url, 1)
    account, _ = users.create_user(engine, "log_user", "admin", None, password=PASSWORD)
    token = credentials.issue_token(engine, account.id, "log test")[1]
    engine.dispose()
    log = tempfile.TemporaryFile("w+")
    with gunicorn(fresh_url, workers=1, log=log, log_format=log_format) as base:
        http = requests.Session()
        csrf = http.get(f"{base}/login", headers={"Accept": "application/json"}).json()
        headers = {"X-CSRFToken": csrf["csrf_token"], "X-Request-Id": "trace-login"}
        wrong = http.post(f"{base}/login", json={"username": "log_user", "password": WRONG},
                          headers=headers)  # fmt: skip
        assert wrong.status_code == 401
        right = http.post(f"{base}/login", json={"username": "log_user", "password": PASSWORD},
                          headers=headers)  # fmt: skip
        assert right.status_code == 200
        cookie = http.cookies.get("mapserver_session")
        assert cookie and http.get(f"{base}/auth/me").json()["username"] == "log_user"
        bearer = requests.get(f"{base}/auth/me", headers={"Authorization": f"Bearer {token}",
                              "X-Request-Id": "trace-bearer"})  # fmt: skip
        assert bearer.status_code == 200 and bearer.headers["X-Request-Id"] == "trace-bearer"
        requests.get(f"{base}/layers/projects?password={PASSWORD}&token={token}")
    log.seek(0)
    text = log.read()
    log.close()
    for secret in (PASSWORD, WRONG, token, cookie, csrf["csrf_token"]):
        assert secret not in text
    lines = lines_of(text, log_format)
    logins = [x for x in lines if x["request_id"] == "trace-login"]
    assert [(x["method"], x["route"], x["status"]) for x in logins] == [
        ("POST", "/login", 401), ("POST", "/login", 200)]  # fmt: skip
    (me,) = [x for x in lines if x["request_id"] == "trace-bearer"]
    assert (me["route"], me["status"]) == ("/auth/me", 200)
    assert any(x["route"] == "/layers/<layer_id>" for x in lines)  # no query string, no path
