"""``/ogc``: OGC API – Features Part 1 (Core, GeoJSON), the thin web layer over mapserver.ogc.

Items are the ``/layers`` feed: the same :func:`query.parse` and
:func:`feed.stream_collection`, with a ``limit`` above the maximum lowered to it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, json, request, stream_with_context

from mapserver import feed, ogc, ogc_openapi, query
from mapserver.state import current

bp = Blueprint("ogc", __name__, url_prefix="/ogc")
CACHE = "mapserver.ogc.extents"


@bp.record_once
def _setup(setup_state) -> None:
    setup_state.app.extensions.setdefault(CACHE, ogc.ExtentCache())


def _root() -> str:
    return request.url_root.rstrip("/") + "/ogc"


def _args(media: str) -> dict[str, list[str]]:
    """The query arguments without ``f``, once the output format is settled."""
    args = request.args.to_dict(flat=False)
    accepts = not request.accept_mimetypes or bool(
        request.accept_mimetypes.best_match([media, ogc.JSON])
    )
    ogc.negotiate(args.pop("f", None), accepts)
    return args


def _json(body: dict, media: str = ogc.JSON) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), content_type=media)


def _extent(conn, layer, version: int) -> dict | None:
    return current_app.extensions[CACHE].get(conn, layer, version)


@bp.get("")
@bp.get("/")
def landing() -> Response:
    ogc.no_other_parameters(_args(ogc.JSON))
    return _json(ogc.landing(_root()))


@bp.get("/conformance")
def conformance() -> Response:
    ogc.no_other_parameters(_args(ogc.JSON))
    return _json(ogc.conformance())


@bp.get("/api")
def api() -> Response:
    ogc.no_other_parameters(_args(ogc.OPENAPI))
    state = current()
    body = ogc_openapi.document(state.layers.values(), state.vocabulary, _root())
    return _json(body, ogc.OPENAPI)


@bp.get("/collections")
def collections() -> Response:
    ogc.no_other_parameters(_args(ogc.JSON))
    state = current()
    with state.engine.connect() as conn:
        version = feed.data_version(conn)
        extents = {layer.id: _extent(conn, layer, version) for layer in state.layers.values()}
    return _json(ogc.collections(state.layers.values(), extents, _root()))


@bp.get("/collections/<collection_id>")
def collection(collection_id: str) -> Response:
    state = current()
    layer = state.layer(collection_id)
    ogc.no_other_parameters(_args(ogc.JSON))
    with state.engine.connect() as conn:
        extent = _extent(conn, layer, feed.data_version(conn))
    return _json(ogc.collection(layer, extent, _root()))


@bp.get("/collections/<collection_id>/queryables")
def queryables(collection_id: str) -> Response:
    state = current()
    layer = state.layer(collection_id)
    ogc.no_other_parameters(_args(ogc.SCHEMA))
    with state.engine.connect() as conn:
        types = ogc.column_types(conn, layer.table)
    body = ogc.queryables(layer, state.vocabulary, types, request.base_url)
    return _json(body, ogc.SCHEMA)


@bp.get("/collections/<collection_id>/items")
def items(collection_id: str) -> Response:
    state = current()
    layer = state.layer(collection_id)
    f = request.args.getlist("f")
    args = _args(feed.GEOJSON)
    q = query.parse(layer, args, state.vocabulary, paging=ogc.PAGING, clamp=True)
    conn = state.engine.connect().execution_options(isolation_level="REPEATABLE READ")
    try:
        version = feed.data_version(conn)
        tag = feed.etag(q, version, request.base_url)
        headers = {
            "ETag": f'W/"{tag}"',
            "Cache-Control": "no-cache",
            "X-Data-Version": str(version),
        }
        if request.if_none_match.contains_weak(tag):
            conn.close()
            return Response(status=304, headers=headers)
    except BaseException:
        conn.close()
        raise
    base = request.base_url

    def page_url(offset: int) -> str:
        params = {**args, **({"f": f} if f else {}), "limit": [str(q.limit)]}
        if offset:
            params["offset"] = [str(offset)]
        return base + "?" + urlencode(params, doseq=True)

    stamp = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    more = ogc.items_links(f"{_root()}/collections/{layer.id}?f=json", layer)
    body = feed.stream_collection(
        conn, q, page_url, state.settings.count_threshold, {"timeStamp": stamp}, more
    )
    return Response(stream_with_context(body), mimetype=feed.GEOJSON, headers=headers)


@bp.get("/collections/<collection_id>/items/<path:feature_id>")
def item(collection_id: str, feature_id: str) -> Response:
    state = current()
    layer = state.layer(collection_id)
    ogc.no_other_parameters(_args(feed.GEOJSON))
    q = ogc.item_query(layer, feature_id)
    with state.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        version = feed.data_version(conn)
        tag = feed.etag(q, version, request.base_url)
        headers = {"ETag": f'"{tag}"', "Cache-Control": "no-cache", "X-Data-Version": str(version)}
        if request.if_none_match.contains_weak(tag):
            return Response(status=304, headers=headers)
        here = request.base_url
        text = ogc.item(conn, q, here, f"{_root()}/collections/{layer.id}?f=json")
    return Response(text, mimetype=feed.GEOJSON, headers=headers)
