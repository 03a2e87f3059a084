"""Who is reading, and the read rules applied to the routes (mapserver/accounts/access.py).

A reader is the bearer token's user, else the session's, else the big screen whose screen
token is in the ``mapserver_screen`` cookie, else nobody. Layers carry their own rule (the
layer file's ``read``); the battle records (``/battle/…``, ``/changes``), ``/report`` and
the downloads follow the settings ``MAPSERVER_READ_*``.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from flask import Flask, Response, current_app, g, redirect, request

from mapserver.accounts import screens
from mapserver.accounts.access import NOBODY, SCREEN, Reader, ReadPolicy, ReadRule
from mapserver.layers import Layer
from mapserver.web.auth import current_actor
from mapserver.web.state import current

SCREEN_COOKIE = "mapserver_screen"
POLICY = "mapserver.read_policy"
# Layers whose changes are also the records' (a photo uploaded): sent to who may read
# either, the feature only to who may read the layer.
RECORD_LAYERS = frozenset({"photos"})
READS = ("GET", "HEAD")


def init_app(app: Flask) -> None:
    """The settings' rules, checked now (a bad value stops the server), and the gate."""
    app.extensions[POLICY] = ReadPolicy.from_settings(app.extensions["mapserver"].settings)
    app.before_request(_gate)


def policy() -> ReadPolicy:
    return current_app.extensions[POLICY]


def current_reader() -> Reader:
    """The request's reader (once per request); a bad bearer token is a 401."""
    if "reader" not in g:
        actor = current_actor()
        if actor is not None:
            g.reader = Reader(actor.role, g.actor_via)
        else:
            g.reader = Reader(SCREEN, "screen") if _screen() else NOBODY
    return g.reader


def screen_token() -> str | None:
    return request.cookies.get(SCREEN_COOKIE) or None


def _screen() -> int | None:
    """The id of the request's screen token if it is live and usable from here."""
    token = screen_token()
    if token is None:
        return None
    return screens.lookup(current().engine, token, request.remote_addr)


def screen_revoked() -> bool:
    """The request carries a screen cookie that no longer works (revoked, unknown, or out
    of its address range), and nothing else that logs in."""
    return screen_token() is not None and current_reader().via is None


def screen_check() -> Callable[[], bool]:
    """For a live stream: whether the request's screen token still works (always True for
    a request without one)."""
    token, address, engine = screen_token(), request.remote_addr, current().engine
    if token is None or current_reader().via != "screen":
        return lambda: True
    return lambda: screens.lookup(engine, token, address) is not None


def require(rule: ReadRule, what: str) -> None:
    rule.check(current_reader(), what)


def readable_layer(layer_id: str) -> Layer:
    """The layer (404 if none), if the reader may read it (else 401/403)."""
    layer = current().layer(layer_id)
    require(layer.read, f"layer {layer.id}")
    return layer


def readable_layers() -> list[Layer]:
    reader = current_reader()
    return [layer for layer in current().layers.values() if layer.read.allows(reader)]


def may_read_records() -> bool:
    return policy().records.allows(current_reader())


def change_filter() -> Callable[[str], bool]:
    """Which changes the reader's live stream carries: a layer's by its rule, the records'
    (milestones, problems, …, which are no layer, and RECORD_LAYERS) by
    ``MAPSERVER_READ_RECORDS``."""
    layers, records = current().layers, may_read_records()
    readable = {layer.id for layer in readable_layers()}
    return lambda name: (
        name in readable or (records and (name not in layers or name in RECORD_LAYERS))
    )


def _wants_login_page(rule: ReadRule) -> bool:
    """A browser asking, before logging in, for a page it may see once logged in: the
    login page serves it better than a problem+json (API clients still get the 401)."""
    reader = current_reader()
    wanted = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return wanted == "text/html" and reader.role is None and not rule.allows(reader)


def _gate() -> Response | None:
    """Reads of records and the report, before their views run."""
    if request.method not in READS:
        return None
    path = request.path
    if path.startswith("/battle/") or path == "/changes":
        require(policy().records, "battle records")
    elif path in ("/report", "/report.xlsx"):
        if path == "/report" and _wants_login_page(policy().report):
            return redirect(f"/login?next={quote(request.full_path.rstrip('?'), safe='/')}", 303)
        require(policy().report, "the report")
    if path in ("/changes", "/report", "/report.xlsx"):
        readable_layer("projects")
