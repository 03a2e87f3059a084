"""Browser security headers on every response, and CORS for the read-only feed.

Pages load nothing but this server's own scripts, so the Content-Security-Policy allows
``'self'`` only: a string that slipped past ``textContent`` still cannot run. The basemap's
tile origin (``MAPSERVER_TILE_URL``), and Tianditu's t0–t7 hosts when
``MAPSERVER_TIANDITU_KEY`` is set, are the only outside sources, for images. The big screen
may be framed only by the origins in ``MAPSERVER_FRAME_ANCESTORS`` (the dispatch centre's
portal); by default by nobody. GIS tools and other sites may read the feed and the OGC API
from any origin, without credentials; writes send no CORS headers at all.
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, g, request

from mapserver.basemap.sources import TIANDITU_HOSTS
from mapserver.errors import ConfigError
from mapserver.settings import Settings

PUBLIC_READS = ("/layers", "/ogc")  # path prefixes of the read-only feed and OGC API
ORIGIN = re.compile(r"^https?://[A-Za-z0-9.*-]+(:\d+)?$")


def tile_source(tile_url: str | None) -> str:
    """The CSP source of the basemap tiles: ``https://*.tianditu.gov.cn`` for ``t{s}``."""
    if not tile_url or (tile_url.startswith("/") and not tile_url.startswith("//")):
        return ""  # none, or served from this server ('self')
    parts = urlsplit(tile_url)
    host = re.sub(r"[^.]*\{s\}[^.]*", "*", parts.netloc)
    if parts.scheme not in ("http", "https") or not ORIGIN.match(f"{parts.scheme}://{host}"):
        raise ConfigError(f"MAPSERVER_TILE_URL={tile_url!r}: not an http(s) URL template")
    return f"{parts.scheme}://{host}"


def frame_ancestors(value: str) -> str:
    """``'none'``, or the listed origins (space-separated), each checked."""
    origins = value.split()
    for origin in origins:
        if not ORIGIN.match(origin):
            raise ConfigError(f"MAPSERVER_FRAME_ANCESTORS: {origin!r} is not an origin")
    return " ".join(origins) or "'none'"


def policy(settings: Settings) -> str:
    """The Content-Security-Policy of every response."""
    tiles = tile_source(settings.tile_url)
    if settings.tianditu_key:
        tiles = " ".join([tiles, *TIANDITU_HOSTS]).strip()
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": f"'self' data: blob: {tiles}".strip(),
        "connect-src": "'self'",
        "font-src": "'self' data:",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": frame_ancestors(settings.frame_ancestors),
    }
    return "; ".join(f"{k} {v}" for k, v in directives.items())


def csp_nonce() -> str:
    """A nonce for this response's own ``<style>`` block (server-rendered pages only)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def init_app(app: Flask, settings: Settings) -> None:
    csp = policy(settings)
    framed = settings.frame_ancestors.strip() != ""
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def _secure(response: Response) -> Response:
        h = response.headers
        nonce = g.get("csp_nonce")
        if nonce:  # a page with its own <style> block; every other response: the policy as is
            own = f"style-src 'self' 'nonce-{nonce}'"
            h["Content-Security-Policy"] = csp.replace("style-src 'self'", own, 1)
        else:
            h["Content-Security-Policy"] = csp
        h["X-Content-Type-Options"] = "nosniff"
        h["Referrer-Policy"] = "same-origin"
        if not framed:
            h["X-Frame-Options"] = "DENY"
        if request.is_secure:
            h["Strict-Transport-Security"] = "max-age=31536000"
        if request.method in ("GET", "HEAD") and request.path.startswith(PUBLIC_READS):
            h["Access-Control-Allow-Origin"] = "*"
            h["Access-Control-Expose-Headers"] = "ETag, Link, X-Data-Version, X-Data-Day"
        return response
