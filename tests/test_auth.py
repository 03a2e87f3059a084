"""Login, logout, cookies, CSRF, API tokens, throttling and the write API's contract."""

from __future__ import annotations

import pytest

from mapserver.accounts import users
from mapserver.errors import ConfigError
from tests.accounts import (
    PASSWORD,
    WRONG,
    add_user,
    login,
    login_app,
    owner_engine,
    page_csrf,
)

COOKIE = "mapserver_session"


@pytest.fixture
def app(fresh_url, make_app):
    return login_app(make_app, fresh_url)


@pytest.fixture
def client(app):
    return app.test_client()


def me(client, **kw):
    return client.get("/auth/me", **kw)


def test_login_page_is_chinese_with_a_csrf_field(client):
    response = client.get("/login")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "登录" in html and 'name="csrf_token"' in html and "<script" not in html
    assert 'href="/static/css/auth.css"' in html and "://" not in html  # nothing from a CDN


def test_login_me_logout(app, client):
    add_user(app, "editor", "county_editor", "511621")
    response = login(client, "editor")
    assert response.status_code == 303 and response.headers["Location"] == "/"
    body = me(client).get_json()
    assert body["username"] == "editor" and body["role"] == "county_editor"
    assert (body["role_title"], body["county_name"], body["via"]) == (
        "县区编辑",
        "岳池县",
        "session",
    )
    assert body["csrf_token"]
    assert "已登录" in client.get("/login").get_data(as_text=True)
    old_cookie = client.get_cookie(COOKIE).value
    response = client.post("/logout", headers={"X-CSRFToken": body["csrf_token"]})
    assert response.status_code == 204
    assert me(client).status_code == 401
    client.set_cookie(COOKIE, old_cookie)  # a copy of the cookie taken before logout
    response = me(client)
    assert response.status_code == 401 and response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_logout_needs_csrf(app, client):
    add_user(app)
    login(client)
    response = client.post("/logout")
    assert response.status_code == 403 and response.mimetype == "application/problem+json"
    assert response.get_json()["detail"] == "CSRF token missing or invalid"
    assert me(client).status_code == 200


@pytest.mark.parametrize(("username", "password"), [("alice", "wrong password"), ("bob", PASSWORD)])
def test_wrong_credentials_get_the_same_401(app, client, username, password):
    add_user(app)
    response = login(client, username, password)
    assert response.status_code == 401 and WRONG in response.get_data(as_text=True)
    token = client.get("/login", headers={"Accept": "application/json"}).get_json()["csrf_token"]
    response = client.post(
        "/login", json={"username": username, "password": password}, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 401 and response.mimetype == "application/problem+json"
    assert response.get_json()["detail"] == f"{WRONG} Wrong username or password"
    assert me(client).status_code == 401


def test_json_login(app, client):
    add_user(app)
    token = client.get("/login", headers={"Accept": "application/json"}).get_json()["csrf_token"]
    credentials = {"username": "alice", "password": PASSWORD}
    assert client.post("/login", json=credentials).status_code == 403  # no CSRF token
    response = client.post("/login", json=credentials, headers={"X-CSRFToken": token})
    assert response.status_code == 200 and response.get_json()["username"] == "alice"
    assert me(client).get_json()["role"] == "dispatcher"


def test_stale_login_form_is_shown_again(app, client):
    add_user(app)
    response = client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 403 and "页面已过期" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("base_url", "secure"), [("http://localhost", False), ("https://localhost", True)]
)
def test_cookie_flags(app, client, base_url, secure):
    add_user(app)
    kw = {"base_url": base_url, "headers": {"Referer": f"{base_url}/login"}}
    response = login(client, **kw)
    assert response.status_code == 303
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(COOKIE)]
    flags = {f.strip().split("=")[0].lower(): f for f in cookie.split(";")[1:]}
    assert "httponly" in flags and flags["samesite"].strip() == "SameSite=Lax"
    assert ("secure" in flags) == secure


@pytest.mark.parametrize(
    ("next", "location"),
    [
        ("/?county=511621", "/?county=511621"),
        ("/ogc/collections", "/ogc/collections"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example/", "/"),
        ("/\t/evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
    ],
)
def test_next_only_to_this_site(app, client, next, location):
    add_user(app)
    response = login(client, next=next)
    assert response.status_code == 303 and response.headers["Location"] == location


def test_csrf_for_session_writes_only(app, client):
    add_user(app)
    login(client)
    response = client.post("/auth/tokens", json={"name": "QGIS"})
    assert response.status_code == 403 and response.mimetype == "application/problem+json"
    csrf = me(client).get_json()["csrf_token"]
    response = client.post("/auth/tokens", json={"name": "QGIS"}, headers={"X-CSRFToken": csrf})
    assert response.status_code == 201
    body = response.get_json()
    assert body["token"].startswith("gams_") and body["name"] == "QGIS"
    bearer = {"Authorization": f"Bearer {body['token']}"}
    anonymous = app.test_client()
    assert anonymous.get("/auth/me", headers=bearer).get_json()["via"] == "token"
    assert anonymous.post("/test-write", headers=bearer).get_json() == {"username": "alice"}
    response = anonymous.post("/auth/tokens", json={"name": "again"}, headers=bearer)
    assert response.status_code == 403  # a token cannot mint tokens
    [listed] = anonymous.get("/auth/tokens", headers=bearer).get_json()["tokens"]
    assert listed["id"] == body["id"] and listed["last_used_at"] and "token" not in listed
    assert anonymous.delete(f"/auth/tokens/{body['id']}", headers=bearer).status_code == 204
    assert anonymous.get("/auth/me", headers=bearer).status_code == 401
    # a revoked token is refused even next to a valid session cookie
    assert client.get("/auth/me", headers=bearer).status_code == 401
    assert client.get("/auth/me").status_code == 200


def test_csrf_token_outlives_answers_to_requests_sent_before_it(app, client):
    """A page asks /auth/me while requests it sent with the login cookie are still out (the
    editor's preloaded feeds); their answers re-set the permanent session cookie as it was
    at login, after /auth/me's. The CSRF secret is in that cookie from login on, so the
    token /auth/me handed out still works."""
    add_user(app)
    login(client)
    at_login = client.get_cookie(COOKIE).value
    csrf = me(client).get_json()["csrf_token"]
    client.set_cookie(COOKIE, at_login)  # the late answer's Set-Cookie
    assert client.post("/test-write", headers={"X-CSRFToken": csrf}).status_code == 200


@pytest.mark.parametrize(
    ("role", "county", "csrf", "status"),
    [
        (None, None, True, 401),
        ("viewer", None, True, 403),
        ("dispatcher", None, False, 403),
        ("dispatcher", None, True, 200),
        ("county_editor", "511602", True, 200),
        ("admin", None, True, 200),
    ],
)
def test_require_actor_for_writes(app, client, role, county, csrf, status):
    if role:
        add_user(app, "someone", role, county)
        login(client, "someone")
    headers = {"X-CSRFToken": page_csrf(client)} if csrf else {}
    response = client.post("/test-write", headers=headers)
    assert response.status_code == status
    if status != 200:
        assert response.mimetype == "application/problem+json"


def test_login_throttled_per_address(fresh_url, make_app):
    app = login_app(make_app, fresh_url, login_limit="3 per minute")
    client = app.test_client()
    for _ in range(3):
        assert login(client, "nobody", "whatever").status_code == 401
    response = client.post("/login", json={"username": "nobody", "password": "x"})
    assert response.status_code == 429 and response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 429 and "Retry-After" in response.headers
    response = login(client, "nobody", "whatever")
    assert response.status_code == 429 and "登录尝试过于频繁" in response.get_data(as_text=True)
    other = app.test_client()
    other_address = {"environ_base": {"REMOTE_ADDR": "10.0.0.2"}}
    assert login(other, "nobody", "whatever", **other_address).status_code == 401
    assert client.get("/login").status_code == 200  # the form itself is not throttled


@pytest.mark.parametrize("proxies", [0, 1])
def test_forwarded_headers_count_only_from_trusted_proxies(fresh_url, make_app, proxies):
    """MAPSERVER_PROXIES=1 behind one nginx: the client's address, scheme and host come from
    X-Forwarded-*; with 0 (clients reach gunicorn directly) anybody could forge them."""
    app = login_app(make_app, fresh_url, login_limit="2 per minute", proxies=proxies)
    add_user(app)
    client = app.test_client()
    site = "https://gt.guang-an.example"
    via = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": site[8:], "Referer": f"{site}/login"}
    links = client.get("/ogc", headers=via).get_json()["links"]
    [own] = [link["href"] for link in links if link["rel"] == "self"]
    assert own.startswith(site if proxies else "http://localhost/")
    first = {"headers": {**via, "X-Forwarded-For": "10.1.1.1"}}
    response = login(client, **first)
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(COOKIE)]
    assert ("; Secure" in cookie) == bool(proxies)
    assert login(client, "nobody", "whatever", **first).status_code == 401
    assert login(client, "nobody", "whatever", **first).status_code == 429
    second = {"headers": {**via, "X-Forwarded-For": "10.1.1.2"}}
    assert login(client, "nobody", "whatever", **second).status_code == (401 if proxies else 429)


def test_bad_login_limit_stops_startup(fresh_url, make_app):
    with pytest.raises(ConfigError, match="MAPSERVER_LOGIN_LIMIT"):
        make_app(database_url=fresh_url, login_limit="ten a minute")


def test_disabled_user_is_locked_out(app, client):
    account = add_user(app)
    login(client)
    engine = owner_engine(app)
    users.set_active(engine, account.id, False)
    assert me(client).status_code == 401
    assert login(client).status_code == 401
    users.set_active(engine, account.id, True)
    engine.dispose()
    assert me(client).status_code == 401  # disabling ended the session for good
    assert login(client).status_code == 303


def admin_client(app):
    add_user(app, "boss", "admin")
    client = app.test_client()
    login(client, "boss")
    return client, {"X-CSRFToken": me(client).get_json()["csrf_token"]}


def test_admin_manages_users(app):
    client, csrf = admin_client(app)
    new = {"username": "wsx", "role": "county_editor", "county": "511622", "display_name": "武胜"}
    response = client.post("/auth/users", json=new, headers=csrf)
    assert response.status_code == 201
    created = response.get_json()
    assert created["role_title"] == "县区编辑" and len(created["password"]) >= 20
    usernames = [u["username"] for u in client.get("/auth/users").get_json()["users"]]
    assert usernames == ["boss", "wsx"]
    response = client.patch("/auth/users/wsx", json={"active": False}, headers=csrf)
    assert response.status_code == 200 and response.get_json()["active"] is False
    other = app.test_client()
    assert login(other, "wsx", created["password"]).status_code == 401


@pytest.mark.parametrize(
    ("method", "url", "body", "status", "parameter"),
    [
        ("post", "/auth/users", {"username": "x1", "role": "county_editor"}, 400, "county"),
        ("post", "/auth/users", {"username": "x1", "role": "viewer", "admin": True}, 400, "admin"),
        ("post", "/auth/users", {"role": "viewer"}, 400, "username"),
        ("post", "/auth/users", {"username": "boss", "role": "viewer"}, 409, "username"),
        ("patch", "/auth/users/nobody", {"active": False}, 404, "username"),
        ("patch", "/auth/users/boss", {"active": "no"}, 400, "active"),
        ("patch", "/auth/users/boss", {"role": "viewer"}, 403, None),
        ("post", "/auth/tokens", {"name": ""}, 400, "name"),
        ("post", "/auth/tokens", [], 400, "body"),
    ],
)
def test_account_refusals(app, method, url, body, status, parameter):
    client, csrf = admin_client(app)
    response = getattr(client, method)(url, json=body, headers=csrf)
    assert response.status_code == status and response.mimetype == "application/problem+json"
    assert response.get_json().get("parameter") == parameter


def test_only_admins_manage_users(app, client):
    add_user(app)
    login(client)
    assert client.get("/auth/users").status_code == 403
    assert app.test_client().get("/auth/users").status_code == 401


def test_tokens_of_others_are_not_yours(app, client):
    add_user(app)
    login(client)
    csrf = {"X-CSRFToken": me(client).get_json()["csrf_token"]}
    token_id = client.post("/auth/tokens", json={"name": "a"}, headers=csrf).get_json()["id"]
    other = app.test_client()
    add_user(app, "bob", "viewer")
    login(other, "bob")
    other_csrf = {"X-CSRFToken": me(other).get_json()["csrf_token"]}
    assert other.get("/auth/tokens").get_json()["tokens"] == []
    assert other.delete(f"/auth/tokens/{token_id}", headers=other_csrf).status_code == 404
    admin, admin_csrf = admin_client(app)
    assert len(admin.get("/auth/tokens").get_json()["tokens"]) == 1
    assert admin.delete(f"/auth/tokens/{token_id}", headers=admin_csrf).status_code == 204


@pytest.mark.parametrize(
    "cookie",
    [None, ("mapserver_seen", "12"), (COOKIE, "not a signed session"), ("remember_token", "x")],
)
def test_reads_vary_on_the_login_cookie(app, client, cookie):
    """Who reads depends on the login cookie, present or not: every answer says so (a
    shared cache must not hand one reader's answer to another); anonymous reads set none."""
    if cookie:
        client.set_cookie(*cookie)
    response = read(client)
    assert response.status_code == 200 and "Cookie" in response.headers.get("Vary", "")
    assert "Set-Cookie" not in response.headers
    assert me(client).status_code == 401
    add_user(app, "reader", "viewer", None)
    assert login(client, "reader").status_code == 303
    response = read(client)
    assert response.status_code == 200 and "Cookie" in response.headers.get("Vary", "")
    assert me(client).get_json()["username"] == "reader"


def read(client):
    response = client.get("/ogc/collections/projects/items?limit=1")
    response.get_data()  # a streamed body: read to its end, as a client would
    return response
