"""Browser security headers on every route of the URL map (errors and /events included),
CORS for the read-only feed only, and the settings that shape the policy."""

from __future__ import annotations

import re

import pytest

from mapserver.errors import ConfigError
from mapserver.web.headers import frame_ancestors, tile_source

SAMPLES = {"int": "1", "float": "1", "path": "x/y"}


def sample_path(rule) -> str:
    """The rule's path with a sample value for each variable (404s are fine: still headers)."""

    def value(match: re.Match) -> str:
        converter = match.group(1) or "string"
        return SAMPLES.get(converter.split("(")[0], "x")

    return re.sub(r"<(?:(\w+(?:\([^)]*\))?):)?\w+>", value, rule.rule)


def requests_of(app):
    """(method, path) for every method of every rule; /events streamed separately."""
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"OPTIONS"}):
            if rule.rule != "/events":
                yield method, sample_path(rule)


def assert_secure(response, path: str) -> None:
    h = response.headers
    csp = h.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp and "script-src 'self';" in csp, path
    assert "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp, path
    assert h.get("X-Content-Type-Options") == "nosniff", path
    assert h.get("X-Frame-Options") == "DENY", path
    assert h.get("Referrer-Policy") == "same-origin", path


def test_every_route_sends_the_headers(app):
    client = app.test_client()
    seen = 0
    for method, path in requests_of(app):
        response = client.open(path, method=method)
        assert_secure(response, f"{method} {path} → {response.status_code}")
        public = method in ("GET", "HEAD") and path.startswith(("/layers", "/ogc"))
        cors = response.headers.get("Access-Control-Allow-Origin")
        assert cors == ("*" if public else None), f"{method} {path}"
        assert "Access-Control-Allow-Credentials" not in response.headers
        seen += 1
    assert seen > 60  # the walk saw the whole map


@pytest.mark.parametrize("path", ["/no/such/page", "/ogc/collections/projects/items/%0D%0Ax"])
def test_errors_send_the_headers(client, path):
    response = client.get(path)
    assert response.status_code >= 400
    assert_secure(response, path)


def test_the_event_stream_sends_the_headers(client):
    response = client.get("/events", buffered=False)
    try:
        assert response.status_code == 200
        assert_secure(response, "/events")
    finally:
        response.close()


def test_hsts_over_https_only(client):
    assert "Strict-Transport-Security" not in client.get("/layers").headers
    secure = client.get("/layers", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_server_rendered_styles_carry_this_responses_nonce(client):
    first, second = (client.get("/ogc/collections/projects/items?f=html") for _ in range(2))
    nonces = []
    for response in (first, second):
        nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])
        assert nonce and f'nonce="{nonce.group(1)}"' in response.get_data(as_text=True)
        nonces.append(nonce.group(1))
    assert nonces[0] != nonces[1]


def test_a_portal_may_frame_the_pages(demo_url, make_app):
    app = make_app(database_url=demo_url, frame_ancestors="https://portal.example.cn")
    response = app.test_client().get("/")
    assert (
        "frame-ancestors https://portal.example.cn" in response.headers["Content-Security-Policy"]
    )
    assert "X-Frame-Options" not in response.headers


@pytest.mark.parametrize(
    ("url", "source"),
    [
        (None, ""),
        ("/tiles/{z}/{x}/{y}.png", ""),
        (
            "https://t{s}.tianditu.gov.cn/vec_w/wmts?TILEMATRIX={z}&tk=K",
            "https://*.tianditu.gov.cn",
        ),
        ("http://10.1.2.3:8080/tiles/{z}/{x}/{y}.png", "http://10.1.2.3:8080"),
    ],
)
def test_the_tile_origin_is_allowed_for_images(url, source):
    assert tile_source(url) == source


@pytest.mark.parametrize(
    "bad", ["javascript:alert(1)", "ftp://x/{z}", "https://a b/{z}", "//evil.example/{z}"]
)
def test_a_bad_tile_url_stops_the_server(bad):
    with pytest.raises(ConfigError, match="MAPSERVER_TILE_URL"):
        tile_source(bad)


@pytest.mark.parametrize("bad", ["*", "'self'", "portal.example.cn", "https://x/path"])
def test_a_bad_frame_ancestor_stops_the_server(bad):
    with pytest.raises(ConfigError, match="MAPSERVER_FRAME_ANCESTORS"):
        frame_ancestors(bad)
