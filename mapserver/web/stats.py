"""``/stats``: figures for the filtered projects, through the feed's query builder."""

from __future__ import annotations

from flask import Response, jsonify, request

from mapserver.features import feed, query, statistics
from mapserver.web.reading import readable_layer
from mapserver.web.state import current
from mapserver.web.versions import snapshot


def projects() -> Response:
    return layer_stats("projects")


def layer_stats(layer_id: str) -> Response:
    state = current()
    layer = readable_layer(layer_id)
    args = request.args.to_dict(flat=False)
    q = query.parse(layer, args, state.vocabulary, paging=query.FILTERING)
    with snapshot() as conn:
        version = feed.data_version(conn)
        body = statistics.compute(conn, q, state.vocabulary)
    body["version"] = version
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Data-Version"] = str(version)
    return response
