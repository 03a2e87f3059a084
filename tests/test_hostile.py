"""The hostile requests of issue #12 §1: each is refused quickly with a problem+json naming
the limit (or 414/431 from gunicorn), never a 500, a hung worker or a truncated 200.

Speed goals belong to bench/hostile.py; the time bounds here are generous sanity limits.
"""

from __future__ import annotations

import json
import time
from urllib.parse import quote

import pytest
import requests
import sqlalchemy as sa

from mapserver.cql.syntax import MAX_COLLECTION_NESTING
from mapserver.features import admission
from tests import apps
from tests.browser import serve
from tests.conftest import new_database
from tests.hostile import enlarge_sites, line, nested_json, nested_text, send_raw, slow_filter
from tests.server import gunicorn

FILTERED = ["/layers/projects.geojson", "/ogc/collections/projects/items", "/stats", "/report"]
SANE = 5.0  # seconds: far above what a refusal costs, far below a hung worker


def get(client, path: str, flt: str, lang: str = "cql2-text"):
    started = time.monotonic()
    response = client.get(path, query_string={"filter": flt, "filter-lang": lang})
    response.get_data()  # the whole stream, then closed: no request context left open
    response.close()
    return response, time.monotonic() - started


def assert_problem(response, status: int, limit: str, took: float) -> None:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["limit"]["name"] == limit, body
    assert took < SANE


@pytest.mark.parametrize("path", FILTERED)
@pytest.mark.parametrize(
    ("flt", "lang", "limit"),
    [
        (nested_text(199), "cql2-text", "collection_nesting"),
        (nested_text(MAX_COLLECTION_NESTING + 1), "cql2-text", "collection_nesting"),
        (nested_json(MAX_COLLECTION_NESTING + 1), "cql2-json", "collection_nesting"),
        (nested_json(199), "cql2-json", "json_nesting"),
        (f"S_INTERSECTS(geom, LINESTRING({', '.join(['106 30'] * 501)}))", "cql2-text", "vertices"),
        (" OR ".join(["S_INTERSECTS(geom, POINT(106.6 30.4))"] * 5), "cql2-text", "spatial"),
    ],
    ids=["text-199", "text-5", "json-5", "json-199", "vertices", "spatial"],
)
def test_costly_filters_are_refused(client, path, flt, lang, limit):
    response, took = get(client, path, flt, lang)
    assert_problem(response, 400, limit, took)


@pytest.mark.parametrize("path", FILTERED)
@pytest.mark.parametrize("lang", ["cql2-text", "cql2-json"])
def test_collections_within_the_limit_still_work(client, path, lang):
    levels = MAX_COLLECTION_NESTING
    flt = nested_text(levels) if lang == "cql2-text" else nested_json(levels)
    response, _ = get(client, path, flt, lang)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]


@pytest.fixture(scope="module")
def big_sites(cluster, template_db):
    """Four projects with legal 20,000-vertex sites, in a private database; the line's WKT."""
    url = new_database(cluster, template_db)
    yield url, enlarge_sites(url)
    name = url.split("?", 1)[0].rsplit("/", 1)[1]
    cluster.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def slow_app(big_sites):
    url, wkt = big_sites
    with apps.built(database_url=url, statement_timeout_ms=300) as app:
        yield app, slow_filter(wkt)


@pytest.mark.parametrize("path", FILTERED)
def test_statement_timeout_answers_503(slow_app, path):
    app, flt = slow_app
    assert len(flt) > 3000  # the hostile filter: within every complexity limit
    response, took = get(app.test_client(), path, flt)
    assert_problem(response, 503, "statement_timeout_ms", took)
    assert response.headers["Retry-After"]
    assert response.get_json()["limit"]["value"] == 300
    with app.test_client().get("/layers/projects.geojson?limit=1") as healthy:
        assert healthy.status_code == 200  # the pool's connections survive a cancelled statement
        assert healthy.get_json()["numberReturned"] == 1


def test_the_filter_is_slow_without_the_timeout(big_sites):
    """The test above proves something: in plain SQL the same predicate runs past 300 ms."""
    url, wkt = big_sites
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with (
        engine.connect() as conn,
        pytest.raises(sa.exc.OperationalError, match="statement timeout"),
    ):
        conn.execute(sa.text("SET statement_timeout = 300"))
        conn.execute(sa.text(
            "SELECT count(*) FROM projects WHERE NOT ST_DWithin(CAST(geom AS geography), "
            "CAST(ST_GeomFromText(:wkt, 4326) AS geography), 10)"
        ), {"wkt": wkt}).scalar()  # fmt: skip
    engine.dispose()


@pytest.fixture(scope="module")
def served(demo_url):
    with gunicorn(demo_url, workers=1) as base:
        yield base


@pytest.mark.parametrize(
    ("request_", "status"),
    [
        (
            b"GET /layers/projects.geojson?name=" + b"x" * 9000 + b" HTTP/1.1\r\nHost: a\r\n\r\n",
            414,
        ),
        (b"GET /stats?q=" + b"x" * 8_000_000 + b" HTTP/1.1\r\nHost: a\r\n\r\n", 414),
        (b"GET /stats HTTP/1.1\r\nHost: a\r\nX-Big: " + b"x" * 9000 + b"\r\n\r\n", 431),
        (b"GET /stats HTTP/1.1\r\nHost: a\r\n" + b"X-A: b\r\n" * 101 + b"\r\n", 431),
        (b"GET /stats HTTP/9\r\nHost: a\r\n\r\n", 400),
    ],
    ids=["line-9k", "line-8M", "field-9k", "fields-101", "bad-version"],
)
def test_gunicorn_refuses_long_requests_at_once(served, request_, status):
    code, took, answer = send_raw(served, request_)
    assert code == status and took < SANE
    head, body = answer.split(b"\r\n\r\n", 1)
    assert b"Content-Type: application/problem+json" in head
    assert json.loads(body)["status"] == status


def test_a_filter_that_fits_the_line_is_served(served):
    flt = f"S_INTERSECTS(geom, {line(280)})"
    url = f"{served}/ogc/collections/projects/items?filter={quote(flt)}"
    assert 7000 < len(url) < 8100
    response = requests.get(url, timeout=SANE)
    assert response.status_code == 200 and response.json()["type"] == "FeatureCollection"


@pytest.mark.parametrize("path", ["/layers/projects.geojson", "/ogc/collections/projects/items"])
def test_hostile_filter_under_gunicorn_is_a_problem_not_a_truncated_200(served, path):
    response = requests.get(served + path, params={"filter": nested_text(199)}, timeout=SANE)
    assert response.status_code == 400
    assert response.json()["limit"]["name"] == "collection_nesting"


@pytest.fixture(params=["gunicorn", "werkzeug"])
def broken_stream(request, demo_url):
    if request.param == "gunicorn":
        with gunicorn(demo_url, workers=1, target="tests.stream_app:app") as base:
            yield base
    else:
        from tests.stream_app import app

        with serve(app) as base:
            yield base


def test_error_mid_stream_aborts_the_connection(broken_stream):
    """The client sees a failed transfer, not a complete-looking 200 with a short body."""
    with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.ConnectionError)):
        requests.get(broken_stream + "/broken", timeout=SANE).content  # noqa: B018


@pytest.mark.parametrize("path", FILTERED)
def test_spatial_filters_wait_for_a_slot(client, demo_engine, path):
    """With the one default slot held elsewhere, a spatial filter gets 503 after a short
    wait; a filter without spatial operators is not held up; the slot freed, it runs."""
    spatial = "S_INTERSECTS(geom, POLYGON((106 30, 107 30, 107 31, 106 30)))"
    with demo_engine.connect() as conn:
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:c, 0)"), {"c": admission.LOCK_CLASS})
        response, took = get(client, path, spatial)
        assert_problem(response, 503, "spatial_filter_slots", took)
        assert response.headers["Retry-After"] and took >= admission.WAIT
        plain, _ = get(client, path, "total_investment > 0")
        assert plain.status_code == 200
        conn.rollback()
    response, _ = get(client, path, spatial)
    assert response.status_code == 200
