"""``/ogc``: OGC API – Features Parts 1–3, the thin web layer over mapserver.ogc.

Items are the ``/layers`` feed: the same :func:`query.parse` and
:func:`feed.stream_collection`, with a ``limit`` above the maximum lowered to it,
plus ``crs`` (Part 2) and ``filter`` (Part 3). HTML pages render the same
documents (templates in ``mapserver/templates/ogc``); their maps need lon/lat,
so HTML is always CRS84. Items also come as CSV, GeoPackage and KML files
(:mod:`mapserver.ogc.downloads`), every matching feature in one.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import urlencode

from flask import (
    Flask,
    Response,
    current_app,
    json,
    render_template,
    request,
)
from werkzeug.wsgi import wrap_file

from mapserver.cql import syntax as cql
from mapserver.editing import projects as editing
from mapserver.features import feed, query
from mapserver.geo import ogc_crs
from mapserver.layers import column_types
from mapserver.ogc import documents as ogc
from mapserver.ogc import downloads
from mapserver.ogc import openapi as ogc_openapi
from mapserver.web.reading import policy, readable_layer, readable_layers, require
from mapserver.web.replication import reads
from mapserver.web.state import current
from mapserver.web.streams import streamed
from mapserver.web.versions import Versioned, version_headers, versioned

CACHE = "mapserver.ogc.documents.extents"


def init_app(app: Flask) -> None:
    """The collections' extent cache, and the CQL2 parser built in the background."""
    app.extensions.setdefault(CACHE, ogc.ExtentCache())
    # Building the CQL2 parser takes most of a second: not on the first filtered request.
    threading.Thread(target=cql.parser, name="cql-parser", daemon=True).start()


def _root() -> str:
    return request.url_root.rstrip("/") + "/ogc"


def _args(media: str, formats=ogc.FORMATS) -> tuple[dict[str, list[str]], str]:
    """The query arguments without ``f``, and the output format (one of ``formats``)."""
    args = request.args.to_dict(flat=False)
    offered = [media, ogc.JSON, ogc.HTML]
    offered += [d.media for name, d in downloads.FORMATS.items() if name in formats]
    accepted = request.accept_mimetypes.best_match(offered) if request.accept_mimetypes else media
    return args, ogc.negotiate(args.pop("f", None), accepted, formats)


def _plain(media: str) -> str:
    args, fmt = _args(media)
    ogc.no_other_parameters(args)
    return fmt


def _out(fmt: str, body: dict, page: str, media: str = ogc.JSON, **context) -> Response:
    if fmt == "html":
        html = render_template(f"ogc/{page}.html", doc=body, root=_root(), **context)
        return Response(html, mimetype=ogc.HTML)
    return Response(json.dumps(body, ensure_ascii=False), content_type=media)


def _extent(conn, layer, version: int) -> dict | None:
    return current_app.extensions[CACHE].get(conn, layer, version)


def _versioned(q: query.FeatureQuery, fmt: str, weak: bool, primary: bool = False) -> Versioned:
    """Items pages carry a ``timeStamp``, so their ETag is weak; one feature's is strong.
    ``primary``: read on the primary, never a replica (an editor's If-Match version)."""
    engine = current().engine if primary else None
    crs = {"Content-Crs": f"<{q.crs.uri}>"}
    return versioned(q, request.base_url + fmt, weak=weak, engine=engine, extra=crs)


def landing() -> Response:
    return _out(_plain(ogc.JSON), ogc.landing(_root()), "landing")


def conformance() -> Response:
    return _out(_plain(ogc.JSON), ogc.conformance(_root()), "conformance")


def api() -> Response:
    fmt = _plain(ogc.OPENAPI)
    state = current()
    body = ogc_openapi.document(readable_layers(), state.vocabulary, _root())
    return _out(fmt, body, "api", ogc.OPENAPI)


def collections() -> Response:
    fmt = _plain(ogc.JSON)
    with reads().connect() as conn:
        version = feed.data_version(conn)
        layers = readable_layers()
        extents = {layer.id: _extent(conn, layer, version) for layer in layers}
    return _out(fmt, ogc.collections(layers, extents, _root()), "collections")


def collection(collection_id: str) -> Response:
    layer = readable_layer(collection_id)
    fmt = _plain(ogc.JSON)
    with reads().connect() as conn:
        extent = _extent(conn, layer, feed.data_version(conn))
    return _out(fmt, ogc.collection(layer, extent, _root()), "collection")


def queryables(collection_id: str) -> Response:
    state = current()
    layer = readable_layer(collection_id)
    fmt = _plain(ogc.SCHEMA)
    with state.engine.connect() as conn:
        types = column_types(conn, layer.table)
    body = ogc.queryables(layer, state.vocabulary, types, request.base_url)
    return _out(fmt, body, "queryables", ogc.SCHEMA, layer=layer)


def items(collection_id: str) -> Response:
    state = current()
    layer = readable_layer(collection_id)
    f = request.args.getlist("f")
    args, fmt = _args(feed.GEOJSON, ogc.ITEMS_FORMATS)
    if fmt in downloads.FORMATS:
        return _download(layer, args, fmt)
    q = query.parse(layer, args, state.vocabulary, paging=ogc.PAGING, clamp=True)
    if fmt == "html":
        q = replace(q, crs=ogc_crs.DEFAULT)
    v = _versioned(q, fmt, weak=True)
    if v.fresh:
        return v.not_modified()
    conn, headers = v.conn, v.headers
    base = request.base_url

    def page_url(offset: int, formats: list[str] = f) -> str:
        params = {**args, **({"f": formats} if formats else {}), "limit": [str(q.limit)]}
        if offset:
            params["offset"] = [str(offset)]
        return base + "?" + urlencode(params, doseq=True)

    stamp = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    collection_url = f"{_root()}/collections/{layer.id}?f=json"
    given = urlencode(args, doseq=True)  # once for the three file links
    same = f"{base}?{given}&" if given else f"{base}?"
    alternates = {name: f"{same}f={name}" for name in downloads.FORMATS}
    alternates["html"] = page_url(q.offset, ["html"])
    more = ogc.items_links(collection_url, layer, alternates)
    threshold = state.settings.count_threshold
    body = feed.stream_collection(conn, q, page_url, threshold, {"timeStamp": stamp}, more)
    if fmt == "html":
        doc = json.loads(b"".join(body))
        context = {"layer": layer, "as_json": page_url(q.offset, ["json"])}
        return _out(fmt, doc, "items", **context)
    return streamed(body, mimetype=feed.GEOJSON, headers=headers)


def _download(layer, args: dict[str, list[str]], fmt: str) -> Response:
    """Every matching feature (or ``limit`` of them) as a CSV, GeoPackage or KML file."""
    state = current()
    require(policy().downloads, "downloads")
    most = downloads.cap(layer, state.settings.download_limit)
    q = downloads.parse(layer, args, state.vocabulary, ogc.PAGING, fmt, most)
    v = _versioned(q, fmt, weak=True)
    conn, headers = v.conn, v.headers
    with conn:
        if v.fresh:
            return Response(status=304, headers=headers)
        file, size = downloads.download(conn, q, fmt, whole="limit" not in args)
    name = downloads.filename(layer, fmt)
    headers.update({"Content-Disposition": f'attachment; filename="{name}"',
                    "Content-Length": str(size)})  # fmt: skip
    body = wrap_file(request.environ, file)
    media = downloads.FORMATS[fmt].media
    return Response(body, mimetype=media, headers=headers, direct_passthrough=True)


def item(collection_id: str, feature_id: str) -> Response:
    """One feature in one statement outside a transaction (its own snapshot): the ETag's
    versions and the body agree, in one round trip (ogc.item_read)."""
    layer = readable_layer(collection_id)
    args, fmt = _args(feed.GEOJSON)
    crs = ogc.item_crs(args)
    if fmt == "html":
        crs = ogc_crs.DEFAULT  # the page's map needs lon/lat
    q = ogc.item_query(layer, feature_id, crs)
    editable = layer.id in editing.EDITABLE  # read on the primary: the If-Match version
    engine = current().engine if editable else reads()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        read = ogc.item_read(conn, q, editing.VERSION_SQL if editable else None)
    text = ogc.found(q, read.text)
    tag = feed.etag(q, read.data_version, read.day, request.base_url + fmt)
    crs_header = {"Content-Crs": f"<{q.crs.uri}>"}
    headers = version_headers(tag, read.data_version, read.day, False, crs_header)
    fresh = request.if_none_match.contains_weak(tag)
    if editable:  # the ETag If-Match takes: the project's version
        variant = fmt if crs is ogc_crs.DEFAULT else f"{fmt}-{crs.key}"
        headers["ETag"] = editing.etag(read.version or 0, variant)
        fresh = headers["ETag"] in request.headers.get("If-None-Match", "")
    if fresh:
        return Response(status=304, headers=headers)
    text = ogc.with_links(text, q, request.base_url, f"{_root()}/collections/{layer.id}?f=json")
    if fmt == "html":
        return _out(fmt, json.loads(text), "item", layer=layer)
    return Response(text, mimetype=feed.GEOJSON, headers=headers)
