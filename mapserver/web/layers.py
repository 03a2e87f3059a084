"""``/layers``: the layer list and each layer's filtered GeoJSON feed."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Response, jsonify, request

from mapserver.features import catalog, feed, query
from mapserver.web.reading import readable_layer, readable_layers
from mapserver.web.state import current
from mapserver.web.streams import streamed
from mapserver.web.versions import versioned


def index() -> Response:
    state = current()
    base = request.url_root.rstrip("/")
    return jsonify(
        {"layers": [catalog.describe(layer, state.vocabulary, base) for layer in readable_layers()]}
    )


def one(layer_id: str) -> Response:
    state = current()
    base = request.url_root.rstrip("/")
    return jsonify(catalog.describe(readable_layer(layer_id), state.vocabulary, base))


def features(layer_id: str) -> Response:
    state = current()
    layer = readable_layer(layer_id)
    args = request.args.to_dict(flat=False)
    q = query.parse(layer, args, state.vocabulary)
    v = versioned(q, request.host_url)
    if v.fresh:
        return v.not_modified()
    base = request.base_url

    def page_url(offset: int) -> str:
        params = {k: v for k, v in args.items() if k != "offset"}
        if offset:
            params["offset"] = [str(offset)]
        return base + ("?" + urlencode(params, doseq=True) if params else "")

    body = feed.stream_collection(v.conn, q, page_url, state.settings.count_threshold)
    return streamed(body, mimetype=feed.GEOJSON, headers=v.headers)
