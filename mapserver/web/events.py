"""``/events``: the change stream as Server-Sent Events."""

from __future__ import annotations

from flask import Response, request, stream_with_context

from mapserver.errors import InvalidParameter
from mapserver.features import live
from mapserver.web import reading
from mapserver.web.state import current


def events() -> Response:
    state = current()
    for name in request.args:
        if name != "since":
            raise InvalidParameter(f"unknown parameter {name!r}", parameter=name, allowed=["since"])
    raw = request.headers.get("Last-Event-ID") or request.args.get("since")
    where = "Last-Event-ID" if request.headers.get("Last-Event-ID") else "since"
    newest = live.latest_id(state.engine)  # an unreachable database: 503 before any byte
    if raw is None:
        since = newest
    elif raw.isascii() and raw.isdigit() and len(raw) < 19:
        since = int(raw)
    else:
        raise InvalidParameter(f"{where} must be a change id (a whole number)", parameter=where)
    if reading.screen_revoked():
        stream = iter([live.REVOKED])
    else:
        stream = live.follow(
            state.engine, {layer.id: layer for layer in reading.readable_layers()},
            state.notifier, since, state.settings.heartbeat,
            may_read=reading.change_filter(), allowed=reading.screen_check(),
        )  # fmt: skip
    return Response(
        stream_with_context(stream),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
