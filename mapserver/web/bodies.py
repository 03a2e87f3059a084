"""Request bodies sent in chunks (no ``Content-Length``) meet the same size limit as others.

Werkzeug cuts such a body at ``MAX_CONTENT_LENGTH`` without a word, so an oversized JSON
body was parsed truncated and refused as invalid JSON (400). This middleware reads a
chunked body itself, up to the route's limit (``MAPSERVER_MAX_BODY_BYTES``, or a larger
one a route declares, e.g. photo uploads), and hands it on with its length; one over that
is answered 413 (problem+json) by the app, after its hooks.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask import Flask, request

from mapserver.errors import PayloadTooLarge

TOO_LARGE = "mapserver.body_too_large"
CHUNK = 64 * 1024


class ChunkedBodies:
    """WSGI middleware: a chunked body read to at most ``limit`` bytes, then sized."""

    def __init__(self, app: Callable, limit: int, routes: Mapping[str, int]) -> None:
        self.app, self.limit, self.routes = app, limit, routes

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked and not environ.get("CONTENT_LENGTH"):
            limit = self.routes.get(environ.get("PATH_INFO", ""), self.limit)
            data = _read(environ["wsgi.input"], limit + 1)
            if len(data) > limit:
                environ[TOO_LARGE], data = limit, b""
            environ["wsgi.input"] = io.BytesIO(data)
            environ["CONTENT_LENGTH"] = str(len(data))
            environ.pop("HTTP_TRANSFER_ENCODING", None)
        return self.app(environ, start_response)


def _read(stream: Any, most: int) -> bytes:
    parts, size = [], 0
    while size < most:
        part = stream.read(min(CHUNK, most - size))
        if not part:
            break
        parts.append(part)
        size += len(part)
    return b"".join(parts)


def init_app(app: Flask, limit: int, routes: Mapping[str, int] | None = None) -> None:
    """``routes``: paths whose bodies may be larger than ``limit``, with their own limits."""
    app.wsgi_app = ChunkedBodies(app.wsgi_app, limit, routes or {})  # type: ignore[method-assign]

    @app.before_request
    def _refuse() -> None:
        most = request.environ.get(TOO_LARGE)
        if most:
            raise PayloadTooLarge(f"请求体过大 The body is larger than {most} bytes", limit=most)
