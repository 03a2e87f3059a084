"""The offline basemap's tiles (``MAPSERVER_BASEMAP``): ``/basemap`` lists the files,
``/basemap/{name}/{z}/{x}/{y}`` serves a tile (``/basemap/{z}/{x}/{y}``: the first file).

A tile absent from the file is ``204 No Content``: the map shows nothing there and the
browser logs no error (a 404 would be one console error per empty tile). Tile URLs carry
the file's version (``?v=``), so a tile asked for with the current version is cached for a
year as immutable; other requests for a day; all have an ETag and answer ``304``.
"""

from __future__ import annotations

import hashlib

from flask import Flask, Response, current_app, jsonify, request

from mapserver.basemap import sources as basemap
from mapserver.errors import NotFound
from mapserver.settings import Settings

EXTENSION = "basemap"
IMMUTABLE = "public, max-age=31536000, immutable"
DAY = "public, max-age=86400"


def init_app(app: Flask, settings: Settings) -> None:
    """Open and check every configured file now: a bad one stops the server at startup."""
    app.extensions[EXTENSION] = basemap.open_basemaps(settings.basemap)


def configured() -> dict[str, basemap.Basemap]:
    return current_app.extensions.get(EXTENSION, {})


def listing() -> Response:
    response = jsonify({"basemaps": [basemap.describe(b) for b in configured().values()]})
    response.headers["Cache-Control"] = "no-cache"
    return response


def default_tile(z: str, x: str, y: str) -> Response:
    first = next(iter(configured()), None)
    if first is None:
        raise NotFound("no basemap is configured (MAPSERVER_BASEMAP)")
    return tile(first, z, x, y)


def tile(name: str, z: str, x: str, y: str) -> Response:
    chosen = configured().get(name)
    if chosen is None:
        raise NotFound(f"no basemap named {name!r}", parameter="name")
    data = chosen.tile(*basemap.tile_address(z, x, y))
    cache = IMMUTABLE if request.args.get("v") == chosen.version else DAY
    if data is None:
        return Response(status=204, headers={"Cache-Control": cache})
    etag = hashlib.blake2b(data, digest_size=12).hexdigest()
    headers = {"Cache-Control": cache, "ETag": f'"{etag}"'}
    if request.if_none_match.contains(etag):
        return Response(status=304, headers=headers)
    if chosen.gzipped and data[:2] == b"\x1f\x8b":
        headers["Content-Encoding"] = "gzip"
    return Response(data, mimetype=basemap.MEDIA_TYPES[chosen.tile_format], headers=headers)
