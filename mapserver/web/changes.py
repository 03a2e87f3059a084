"""``GET /changes?from=YYYY-MM-DD&to=YYYY-MM-DD&working_group=&status=&county=``: what changed
(本期变化) in the window, for the big screen's panel and the dispatch-meeting report."""

from __future__ import annotations

from flask import Response, jsonify, request

from mapserver.features import changes, feed
from mapserver.web.state import current
from mapserver.web.versions import snapshot


def changes_in_window() -> Response:
    state = current()
    layer = state.layer("projects")
    args = request.args.to_dict(flat=False)
    with snapshot() as conn:
        version, today = feed.snapshot(conn)
        q, window = changes.parse(layer, args, state.vocabulary, today)
        body = {"today": today.isoformat(), **changes.compute(conn, q, window, state.vocabulary)}
    body["version"] = version
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Data-Version"] = str(version)
    return response
