"""Login, logout, the current user, API tokens; and who is acting on a request.

``current_actor`` and ``require_actor`` are what the write endpoints call. A request
acts through a bearer API token (no CSRF check: browsers never send one on their own)
or through the login session cookie (writes must carry the CSRF token).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Flask,
    Request,
    Response,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
)
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf

from mapserver.accounts import credentials, secretkey, throttle, users
from mapserver.accounts.roles import ADMIN, ROLE_TITLES, Actor
from mapserver.errors import (
    Forbidden,
    InvalidParameter,
    TooManyRequests,
    Unauthorized,
    problem,
)
from mapserver.web.error_handlers import problem_response
from mapserver.web.json_api import created, json_object
from mapserver.web.state import current

SESSION_LIFETIME = dt.timedelta(hours=12)
WRONG_CREDENTIALS = "用户名或密码错误"
LOGIN_REQUIRED = "请先登录 Login required"
TOO_MANY = "登录尝试过于频繁，请稍后再试"
STALE_FORM = "页面已过期，请重新登录"


class _Login(UserMixin):
    """Flask-Login's user: the session token (the cookie's id) and its actor."""

    def __init__(self, token: str, actor: Actor) -> None:
        self.token = token
        self.actor = actor

    def get_id(self) -> str:
        return self.token


class _SessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return request.is_secure or super().get_cookie_secure(app)

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """No cookie, a new empty session, as Flask's own would: without building its
        signing serializer first (most reads, from GIS clients and screens, carry none)."""
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


# ---- the contract of the write API --------------------------------------------------


def current_actor() -> Actor | None:
    """The bearer token's actor, else the logged-in session's, else None.

    A bearer token that is unknown or revoked is refused outright, even with a session.
    """
    if "actor" not in g:
        g.actor, g.actor_via = _find_actor()
    return g.actor


def require_actor(*, write: bool) -> Actor:
    """The actor, or 401; with ``write``, a session request must carry the CSRF token
    and the role must be allowed to edit (else 403)."""
    actor = require_login(csrf=write)
    if write and not actor.can_edit:
        raise Forbidden(
            f"{ROLE_TITLES[actor.role]}不能修改数据 The {actor.role} role cannot edit",
            role=actor.role,
        )
    return actor


def _find_actor() -> tuple[Actor | None, str | None]:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        actor = credentials.token_actor(current().engine, token.strip())
        if actor is None:
            raise Unauthorized("API 令牌无效或已撤销 API token invalid or revoked")
        return actor, "token"
    if not _has_login_cookie():
        # Most reads carry no cookie (GIS clients, public screens): anonymous without
        # Flask-Login's per-request work. The answer still depended on the cookie's
        # absence: ``Vary: Cookie``, as Flask-Login's reading of the session gives.
        session.accessed = True
        return None, None
    if current_user.is_authenticated:
        return current_user.actor, "session"
    return None, None


def _has_login_cookie() -> bool:
    """The session cookie, or Flask-Login's remember cookie (never set here)."""
    names = (current_app.config["SESSION_COOKIE_NAME"], current_app.config.get(
        "REMEMBER_COOKIE_NAME", "remember_token"))  # fmt: skip
    return any(request.cookies.get(name) for name in names)


def require_login(*, csrf: bool) -> Actor:
    """Any logged-in actor (401 if none); with ``csrf``, as ``require_actor`` checks it."""
    actor = current_actor()
    if actor is None:
        raise Unauthorized(LOGIN_REQUIRED, login="/login")
    if csrf and g.actor_via == "session":
        _check_csrf()
    return actor


def _check_csrf() -> None:
    try:
        current_app.extensions["csrf"].protect()
    except CSRFError as exc:
        raise Forbidden("CSRF token missing or invalid", reason=exc.description) from None


# ---- set-up -------------------------------------------------------------------------


def init_app(app: Flask) -> None:
    """Secret key, cookie flags, Flask-Login, CSRF, the login throttle's policy."""
    settings = app.extensions["mapserver"].settings
    app.secret_key = secretkey.load(settings.secret_key)
    app.config.update(
        SESSION_COOKIE_NAME="mapserver_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
        WTF_CSRF_CHECK_DEFAULT=False,  # checked explicitly: require_actor, login, logout
        WTF_CSRF_TIME_LIMIT=None,  # valid as long as the session: the big screen stays open
    )
    app.session_interface = _SessionInterface()
    CSRFProtect(app)
    manager = LoginManager(app)

    @manager.user_loader
    def _load(token: str) -> _Login | None:
        actor = credentials.session_actor(current().engine, token)
        return _Login(token, actor) if actor else None

    app.extensions["login_policy"] = throttle.Policy.from_settings(settings)
    app.register_error_handler(CSRFError, _csrf_error)
    app.after_request(_challenge)


def _csrf_error(error: CSRFError) -> Response:
    return problem_response(
        problem(Forbidden("CSRF token missing or invalid", reason=error.description))
    )


def _too_many(wait: float) -> Response:
    """429 with ``Retry-After`` (whole seconds, rounded up): the page for forms."""
    if _is_form():
        response = _login_page(TOO_MANY, 429)
    else:
        error = TooManyRequests(f"{TOO_MANY} Too many login attempts, try again later")
        response = problem_response(problem(error))
    response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
    return response


def _challenge(response: Response) -> Response:
    """RFC 9110: a 401 names the scheme that would work."""
    if response.status_code == 401 and "WWW-Authenticate" not in response.headers:
        response.headers["WWW-Authenticate"] = 'Bearer realm="mapserver"'
    return response


# ---- login and logout ---------------------------------------------------------------


def safe_next(target: str | None) -> str:
    """``target`` if it is a path on this site, else ``/``: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return "/"  # browsers read "/\evil" and "/\t/evil" as "//evil"
    parts = urlsplit(target)
    return "/" if parts.scheme or parts.netloc else target


def _is_form() -> bool:
    """Form posts come from the login page and get pages back; JSON gets JSON."""
    return request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")


def _login_page(message: str = "", status: int = 200, username: str = "") -> Response:
    actor = None if message else _session_actor()
    html = render_template(
        "auth/login.html",
        message=message,
        actor=actor,
        title=ROLE_TITLES.get(actor.role, "") if actor else "",
        next=safe_next(request.values.get("next")),
        username=username,
    )
    return Response(
        html,
        status,
        mimetype="text/html",
        headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY"},
    )


def _session_actor() -> Actor | None:
    """The session's actor for pages: a bad bearer token just means nobody."""
    return current_user.actor if current_user.is_authenticated else None


def login_form() -> Response:
    accept = request.accept_mimetypes.best_match(["text/html", "application/json"])
    if accept == "application/json":
        return jsonify(csrf_token=generate_csrf())
    return _login_page()


def login() -> Response:
    """Form: the page again, or a redirect to ``next``; JSON: 200 with /auth/me's body.
    Throttled first (mapserver.accounts.throttle): refused attempts never reach the password
    check."""
    form = _is_form()
    data = request.form if form else json_object()
    username, password = data.get("username"), data.get("password")
    engine = current().engine
    policy = current_app.extensions["login_policy"]
    wait = throttle.admit(engine, policy, request.remote_addr, _text(username))
    if wait:
        return _too_many(wait)
    try:
        current_app.extensions["csrf"].protect()
    except CSRFError:
        if form:
            return _login_page(STALE_FORM, 403, _text(username))
        raise
    if not isinstance(username, str) or not isinstance(password, str):
        if form:
            return _login_page("请输入用户名和密码", 400)
        raise InvalidParameter("username and password are required strings", parameter="body")
    actor = users.authenticate(engine, username, password)
    if actor is None:
        if form:
            return _login_page(WRONG_CREDENTIALS, 401, username)
        raise Unauthorized(f"{WRONG_CREDENTIALS} Wrong username or password")
    throttle.succeeded(engine, username)
    _start_session(actor)
    if form:
        return redirect(safe_next(data.get("next")), 303)
    return jsonify(_me(actor, "session"))


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _start_session(actor: Actor) -> None:
    engine = current().engine
    if current_user.is_authenticated:  # logging in again, maybe as someone else
        credentials.close_session(engine, current_user.token)
    session.clear()  # a fresh CSRF secret: nothing from before login carries over
    token = credentials.open_session(engine, actor.user_id, SESSION_LIFETIME, by=actor)
    login_user(_Login(token, actor))
    session.permanent = True
    # Made now, into the login's own cookie: made later by /auth/me, it would be lost to the
    # answer of any request sent before that one's (each answer re-sets the whole cookie).
    generate_csrf()
    g.actor, g.actor_via = actor, "session"


def logout() -> Response:
    """Ends the session in the database, so a copy of the cookie stops working too."""
    _check_csrf()
    if current_user.is_authenticated:
        credentials.close_session(current().engine, current_user.token)
    logout_user()
    session.clear()
    return redirect("/login", 303) if _is_form() else Response(status=204)


# ---- the current user and their API tokens ------------------------------------------


def me() -> Response:
    actor = require_login(csrf=False)
    response = jsonify(_me(actor, g.actor_via))
    response.headers["Cache-Control"] = "no-store"
    return response


def _me(actor: Actor, via: str) -> dict[str, Any]:
    state = current()
    account = users.get_user(state.engine, actor.username)
    with state.engine.connect() as conn:
        county_name = users.county_names(conn).get(actor.county) if actor.county else None
    return {
        **account_json(account),
        "county_name": county_name,
        "via": via,
        "csrf_token": generate_csrf() if via == "session" else None,
    }


def account_json(account: users.Account) -> dict[str, Any]:
    return {
        "username": account.username,
        "display_name": account.display_name,
        "role": account.role,
        "role_title": ROLE_TITLES[account.role],
        "county": account.county,
        "active": account.active,
        "created_at": account.created_at.isoformat(),
        "last_login_at": account.last_login_at and account.last_login_at.isoformat(),
    }


def tokens() -> Response:
    """Your tokens; an administrator sees everyone's."""
    actor = require_login(csrf=False)
    owner = None if actor.role == ADMIN else actor.user_id
    listed = credentials.list_tokens(current().engine, owner)
    return jsonify(tokens=[_token_json(t) for t in listed])


def _token_json(token: credentials.TokenInfo) -> dict[str, Any]:
    return {
        "id": token.id,
        "username": token.username,
        "name": token.name,
        "created_at": token.created_at.isoformat(),
        "last_used_at": token.last_used_at and token.last_used_at.isoformat(),
        "revoked_at": token.revoked_at and token.revoked_at.isoformat(),
    }


def issue_token() -> Response:
    """A token for the logged-in user, shown once; a token cannot mint another."""
    actor = require_login(csrf=True)
    if g.actor_via != "session":
        raise Forbidden("API 令牌只能在登录后创建 API tokens are issued to a login session")
    name = json_object().get("name")
    if not isinstance(name, str):
        raise InvalidParameter("name (a string) is required", parameter="name")
    token_id, token = credentials.issue_token(current().engine, actor.user_id, name, by=actor)
    return created({"id": token_id, "name": name.strip(), "token": token})


def revoke_token(token_id: int) -> Response:
    """Revoke one of your tokens (an administrator: anyone's)."""
    actor = require_login(csrf=True)
    owner = None if actor.role == ADMIN else actor.user_id
    credentials.revoke_token(current().engine, token_id, owner, by=actor)
    return Response(status=204)
