"""Screen tokens for the big screens: issued, listed and revoked by dispatchers and
administrators; exchanged once for a cookie by opening ``/?screen=…``.

| request | answer |
|---|---|
| ``GET /auth/screens`` | every screen token, newest first (never the secret) |
| ``POST /auth/screens`` ``{"name", "cidr"?}`` | 201 ``{"id", "name", "cidr", "token", "url"}``, the token shown once |
| ``DELETE /auth/screens/<id>`` | 204; the screen's live stream ends within a second |
| ``GET /?screen=<token>`` | 303 to the same page without the token, cookie set (400 days, renewed on every visit) |
| ``GET /screen/revoked`` | the page a revoked screen shows (访问已撤销) |
"""  # noqa: E501

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Response, jsonify, redirect, render_template, request

from mapserver.accounts import screens
from mapserver.accounts.access import ReadRule
from mapserver.accounts.roles import Actor
from mapserver.errors import Forbidden, InvalidParameter
from mapserver.web.auth import require_login
from mapserver.web.json_api import created, json_object
from mapserver.web.reading import SCREEN_COOKIE, current_reader, screen_token
from mapserver.web.state import current

MANAGERS = ReadRule(frozenset({"admin", "dispatcher"}))
COOKIE_AGE = 400 * 24 * 3600  # the longest browsers keep a cookie; renewed on every visit
REVOKED_PATH = "/screen/revoked"


def _manager(csrf: bool) -> Actor:
    """A dispatcher or administrator (401 / 403 otherwise)."""
    actor = require_login(csrf=csrf)
    if not MANAGERS.allows(current_reader()):
        raise Forbidden(f"The {actor.role} role cannot manage screen tokens", role=actor.role)
    return actor


def listing() -> Response:
    _manager(csrf=False)
    response = jsonify(screens=[_json(s) for s in screens.listing(current().engine)])
    response.headers["Cache-Control"] = "no-store"
    return response


def _json(token: screens.ScreenToken) -> dict[str, Any]:
    def when(value: Any) -> str | None:
        return value and value.isoformat()

    return {"id": token.id, "name": token.name, "cidr": token.cidr,
            "created_by": token.created_by, "created_at": when(token.created_at),
            "last_used_at": when(token.last_used_at),
            "revoked_at": when(token.revoked_at)}  # fmt: skip


def issue() -> Response:
    actor = _manager(csrf=True)
    body = json_object()
    name, cidr = body.get("name"), body.get("cidr")
    if not isinstance(name, str):
        raise InvalidParameter("name (a string) is required", parameter="name")
    if cidr is not None and not isinstance(cidr, str):
        raise InvalidParameter("cidr must be a string such as 10.20.0.0/16", parameter="cidr")
    token_id, token = screens.issue(current().engine, name, cidr, actor)
    url = f"{request.url_root.rstrip('/')}/?screen={token}"
    network = screens.network(cidr)
    return created({"id": token_id, "name": name.strip(), "cidr": network, "token": token,
                    "url": url})  # fmt: skip


def revoke(token_id: int) -> Response:
    screens.revoke(current().engine, token_id, _manager(csrf=True))
    return Response(status=204)


def exchange(token: str) -> Response:
    """``/?screen=…``: the token into a long-lived cookie, and the page again without it
    (so it stays out of the history and of Referer headers)."""
    if screens.lookup(current().engine, token, request.remote_addr, touch=True) is None:
        return _revoked_page(403, clear=False)
    rest = [(k, v) for k, v in request.args.items(multi=True) if k != "screen"]
    response = redirect("/" + (f"?{urlencode(rest)}" if rest else ""), 303)
    response.headers["Cache-Control"] = "no-store"
    return keep(response, token)


def keep(response: Response, token: str) -> Response:
    """Set (or renew) the screen cookie: HttpOnly, Lax, Secure over HTTPS."""
    response.set_cookie(SCREEN_COOKIE, token, max_age=COOKIE_AGE, httponly=True,
                        samesite="Lax", secure=request.is_secure)  # fmt: skip
    return response


def revoked() -> Response:
    """Where a screen goes when its token stops working; forgets a cookie that no longer
    works (a working one is kept: this page is no way to log a screen out)."""
    token, engine = screen_token(), current().engine
    dead = token is not None and screens.lookup(engine, token, request.remote_addr) is None
    return _revoked_page(200, clear=dead)


def _revoked_page(status: int, clear: bool) -> Response:
    html = render_template("screens/revoked.html")
    response = Response(html, status, mimetype="text/html", headers={"Cache-Control": "no-store"})
    if clear:
        response.delete_cookie(SCREEN_COOKIE, httponly=True, samesite="Lax")
    return response
