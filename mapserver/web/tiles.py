"""``/ogc/collections/{id}/tiles``: OGC API – Tiles (vector tiles), the thin web layer over
mapserver.features: tiles, tile_cache and tilesets (docs/tiles.md).

Every parameter is checked before a tile is looked up or built: the feed's filters
(:func:`query.parse`, the same 400 problem+json), then the tile's place.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Response, current_app, json, request

from mapserver.errors import InvalidParameter
from mapserver.features import feed, query, tile_cache, tiles, tilesets
from mapserver.layers import Layer
from mapserver.web import ogc as ogc_bp
from mapserver.web.reading import readable_layer
from mapserver.web.state import current

# A proxy may keep a public layer's tiles, and asks (If-None-Match) each time; a layer read
# only after login (docs/access.md) must not be shared by a proxy across readers.
CACHE_CONTROL = {True: "public, no-cache", False: "private, no-cache"}


def _checked(layer: Layer, formats: tuple[str, ...]) -> tuple[query.FeatureQuery, str, str]:
    """The filters as a query, the output format and the normalised query string."""
    args = request.args.to_dict(flat=False)
    f = args.pop("f", [formats[0]])
    if len(f) != 1 or f[0] not in formats:
        raise InvalidParameter(
            f"f: unsupported format {f[-1][:50]!r}" if len(f) == 1 else "f given twice",
            parameter="f",
            allowed=list(formats),
        )
    q = query.parse(layer, args, current().vocabulary, paging=query.FILTERING)
    return q, f[0], urlencode(sorted(args.items()), doseq=True)


def _root() -> str:
    return request.url_root.rstrip("/") + "/ogc"


def _json(body: dict) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), content_type="application/json")


def tileset_list(collection_id: str) -> Response:
    layer = readable_layer(collection_id)
    _, _, given = _checked(layer, ("json",))
    return _json(tilesets.tilesets(layer, request.base_url, given, _root()))


def tileset(collection_id: str, tms: str) -> Response:
    state = current()
    layer = readable_layer(collection_id)
    tiles.check_matrix_set(tms)
    _, fmt, given = _checked(layer, tilesets.FORMATS)
    with state.engine.connect() as conn:
        extent = current_app.extensions[ogc_bp.CACHE].get(conn, layer, feed.data_version(conn))
    bbox = extent["spatial"]["bbox"][0] if extent and "spatial" in extent else None
    fields = tilesets.fields(layer)
    if fmt == "tilejson":
        return _json(tilesets.tilejson(layer, request.base_url, given, bbox, fields))
    return _json(tilesets.tileset(layer, request.base_url, given, bbox, fields, _root()))


def tile(collection_id: str, tms: str, matrix: str, row: str, col: str) -> Response:
    state = current()
    layer = readable_layer(collection_id)
    tiles.check_matrix_set(tms)
    q, _, _ = _checked(layer, ("mvt",))
    place = tiles.tile_id(layer, matrix, row, col)
    found = tile_cache.get(state.engine, q, place)
    public = layer.read.roles is None
    headers = {"ETag": f'"{found.etag}"', "Cache-Control": CACHE_CONTROL[public],
               "X-Tile-Cache": "hit" if found.cached else "miss",
               "X-Tile-Owned": str(found.owned)}  # fmt: skip
    if request.if_none_match.contains(found.etag):
        return Response(status=304, headers=headers)
    if not found.data:
        response = Response(status=204, headers=headers)
        del response.headers["Content-Type"]
        return response
    return Response(found.data, content_type=tiles.MVT, headers=headers)
