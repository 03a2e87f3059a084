"""Read-your-writes with read replicas: which change the client has seen, and telling it.

A client names the newest change-log id it has seen in the ``X-Data-Version`` request
header (the value a read answered with, or an ``/events`` id), or carries it in the
``mapserver_seen`` cookie, which every successful write sets (with the same response
header) while replicas are configured. :func:`reads` gives the engine of a read: a
replica that holds that change, else the primary (mapserver.store.replicas).
"""

from __future__ import annotations

from flask import Flask, Response, request
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from mapserver.features import live
from mapserver.web.state import current

COOKIE = "mapserver_seen"
HEADER = "X-Data-Version"
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
DIGITS = 18  # a longer number is no change id; ignored


def seen() -> int:
    """The newest change id this request says its client has seen (0: none)."""
    values = (request.headers.get(HEADER, ""), request.cookies.get(COOKIE, ""))
    return max((int(v) for v in values if v.isdigit() and len(v) <= DIGITS), default=0)


def reads() -> Engine:
    """The engine for this request's reads: a replica that has replayed what it has seen."""
    return current().reader(seen())


def _after_write(response: Response) -> Response:
    """After a successful write, what the client has now seen: cookie and header."""
    state = current()
    if state.router is None or request.method in SAFE or response.status_code >= 400:
        return response
    try:
        newest = live.latest_id(state.engine)
    except OperationalError:  # the write stands; this client may read its own a bit late
        return response
    response.headers[HEADER] = str(newest)
    response.set_cookie(
        COOKIE, str(newest), httponly=True, samesite="Lax", secure=request.is_secure
    )
    return response


def init_app(app: Flask) -> None:
    app.after_request(_after_write)
