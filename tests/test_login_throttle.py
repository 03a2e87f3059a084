"""Login throttling (issue #12 §3): counters in the database, shared by every worker; a
per-address window and a growing per-username delay that a right password gets past."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import requests
import sqlalchemy as sa

from mapserver.accounts import users
from mapserver.accounts.throttle import Policy
from mapserver.store.db import make_engine
from tests.accounts import PASSWORD, WRONG, add_user, login, login_app
from tests.server import gunicorn

TOO_MANY = "登录尝试过于频繁"


def json_session(base: str) -> tuple[requests.Session, dict[str, str]]:
    """A client with a session cookie and its CSRF token; every request on a new
    connection, so gunicorn hands them to either worker."""
    http = requests.Session()
    http.headers["Connection"] = "close"
    token = http.get(f"{base}/login", headers={"Accept": "application/json"}).json()
    return http, {"X-CSRFToken": token["csrf_token"]}


def counter(url: str, key: str) -> tuple[int, float] | None:
    """(count, seconds until the next attempt is allowed) straight from the table."""
    engine = make_engine(url, 1)
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT count, extract(epoch FROM next_allowed - now())::float"
                " FROM login_failures WHERE key = :k AND expires_at > now()"
            ),
            {"k": key},
        ).one_or_none()
    engine.dispose()
    return tuple(row) if row else None


def wait_until_allowed(url: str, *keys: str, timeout: float = 10) -> None:
    """Wait on the condition (the counters' next_allowed has passed), not a fixed time."""
    deadline = time.monotonic() + timeout
    while any((c := counter(url, k)) and c[1] > 0 for k in keys):
        assert time.monotonic() < deadline, "the throttle did not lift"
        time.sleep(0.05)


def assert_throttled(response) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 429 and TOO_MANY in response.json()["detail"]
    assert int(response.headers["Retry-After"]) >= 1


def test_one_address_across_two_workers(fresh_url):
    """Per-process counters let 19 of 10-per-minute through with 2 workers; now exactly N."""
    engine = make_engine(fresh_url, 1)
    users.create_user(engine, "alice", "dispatcher", None, password=PASSWORD)
    engine.dispose()
    with gunicorn(fresh_url, workers=2, login_limit="5 per minute") as base:
        http, csrf = json_session(base)
        answers = []
        for i in range(8):  # a different username each time: only the address limit applies
            body = {"username": f"guess{i}", "password": "wrong password"}
            answers.append(http.post(f"{base}/login", json=body, headers=csrf))
        assert [r.status_code for r in answers] == [401] * 5 + [429] * 3
        for response in answers[5:]:
            assert_throttled(response)
        assert 1 <= int(answers[5].headers["Retry-After"]) <= 60
        # within the window even the right password waits (else the 429 would be an oracle)
        right = http.post(f"{base}/login", json={"username": "alice", "password": PASSWORD},
                          headers=csrf)  # fmt: skip
        assert_throttled(right)
    assert counter(fresh_url, "addr:127.0.0.1")[0] == 5


def test_ten_addresses_at_one_account(fresh_url):
    """Guesses at one account from 10 addresses at once, over 2 workers: only the free
    failures are checked, the rest wait; then the right password still works."""
    engine = make_engine(fresh_url, 1)
    users.create_user(engine, "admin2", "admin", None, password=PASSWORD)
    engine.dispose()
    settings = {"proxies": "1", "login_free_failures": "3", "login_max_delay": "1"}
    with gunicorn(fresh_url, workers=2, **settings) as base:
        http, csrf = json_session(base)

        def guess(i: int) -> requests.Response:
            headers = {**csrf, "X-Forwarded-For": f"10.0.0.{i % 10 + 1}"}
            body = {"username": "admin2", "password": f"guess {i}"}
            return http.post(f"{base}/login", json=body, headers=headers)

        started = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(guess, range(30)))
        took = time.monotonic() - started  # past 1 s a 4th check is allowed: a slow machine
        checked = sum(r.status_code == 401 for r in answers)
        assert checked == 3 if took < 1 else 3 <= checked <= 3 + int(took)
        assert checked + sum(r.status_code == 429 for r in answers) == 30
        for response in answers:
            if response.status_code == 429:
                assert_throttled(response)
        assert counter(fresh_url, "user:admin2")[0] == checked
        wait_until_allowed(fresh_url, "user:admin2")
        headers = {**csrf, "X-Forwarded-For": "10.0.0.99"}
        body = {"username": "admin2", "password": PASSWORD}
        response = http.post(f"{base}/login", json=body, headers=headers)
        assert response.status_code == 200 and response.json()["username"] == "admin2"
    assert counter(fresh_url, "user:admin2") is None  # success clears the count


def test_unknown_and_known_usernames_answer_alike(fresh_url, make_app):
    """Unknown usernames are counted and delayed like real ones: no answer tells them apart."""
    app = login_app(make_app, fresh_url, login_free_failures=2, login_max_delay=30.0)
    add_user(app)
    answers = {}
    for name in ("alice", "nobody"):
        client = app.test_client()
        token = client.get("/login", headers={"Accept": "application/json"}).get_json()
        body, headers = (
            {"username": name, "password": "wrong password"},
            {"X-CSRFToken": token["csrf_token"]},
        )
        responses = [client.post("/login", json=body, headers=headers) for _ in range(3)]
        answers[name] = [
            (r.status_code, r.headers.get("Retry-After"), r.get_json()) for r in responses
        ]
    assert answers["alice"] == answers["nobody"]
    assert [status for status, _, _ in answers["alice"]] == [401, 401, 429]


def test_form_login_gets_past_the_delay(fresh_url, make_app):
    """The HTML form: the 429 page with Retry-After; once the wait is over the right
    password logs in (303) and clears the count; a wrong one makes the next wait longer."""
    app = login_app(make_app, fresh_url, login_free_failures=2, login_max_delay=1.0)
    add_user(app)
    client = app.test_client()
    assert login(client, "alice", "wrong password").status_code == 401
    response = login(client, "alice", "wrong password")
    assert response.status_code == 401 and WRONG in response.get_data(as_text=True)
    response = login(client, "alice")  # the right password, but too soon
    assert response.status_code == 429 and response.mimetype == "text/html"
    assert TOO_MANY in response.get_data(as_text=True) and response.headers["Retry-After"] == "1"
    assert counter(fresh_url, "user:alice")[0] == 2  # a refused attempt is not counted
    wait_until_allowed(fresh_url, "user:alice")
    assert login(client, "alice", "wrong again").status_code == 401
    assert counter(fresh_url, "user:alice")[0] == 3
    wait_until_allowed(fresh_url, "user:alice")
    response = login(client, "alice", next="/editor")
    assert response.status_code == 303 and response.headers["Location"] == "/editor"
    assert counter(fresh_url, "user:alice") is None


def test_a_throttled_address_waits_only_for_its_window(fresh_url, make_app):
    app = login_app(make_app, fresh_url, login_limit="2 per 1 second")
    add_user(app)
    client = app.test_client()
    assert login(client, "nobody", "whatever").status_code == 401
    assert login(client, "nobody", "whatever").status_code == 401
    assert login(client, "alice").status_code == 429
    wait_until_allowed(fresh_url, "addr:127.0.0.1")
    assert login(client, "alice").status_code == 303


def test_the_delay_grows_to_its_cap():
    policy = Policy(attempts=10, window=60, free_failures=5, max_delay=900)
    delays = [policy.delay(n) for n in range(1, 18)]
    assert delays[:4] == [0, 0, 0, 0]
    assert delays[4:10] == [1, 2, 4, 8, 16, 32]
    assert delays[14:] == [900, 900, 900] and policy.delay(10**6) == 900
