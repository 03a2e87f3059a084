"""/healthz, /readyz, /metrics and the request log, in one process (the test client)."""

from __future__ import annotations

import json
import logging

import pytest
import sqlalchemy as sa

from mapserver.errors import ConfigError
from mapserver.features.live import Notifier
from mapserver.ops import accesslog, metrics
from mapserver.ops.metrics import Access
from mapserver.store.db import make_engine
from tests.prometheus import sample


@pytest.fixture
def own_app(fresh_url, make_app):
    """An app of its own, for tests that change the database or the settings."""
    return lambda **config: make_app(database_url=fresh_url, **config)


def test_healthz_answers_without_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_names_each_check(client, demo_engine):
    response = client.get("/readyz")
    assert response.status_code == 200, response.json
    body = response.json
    assert body["status"] == "ready" and body["failed"] == []
    assert list(body["checks"]) == ["database", "migrations", "change_listener"]
    with demo_engine.connect() as conn:
        applied = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
    assert body["checks"]["migrations"]["database"] == [applied]
    assert body["checks"]["change_listener"]["lag"] == 0


def test_readyz_fails_when_migrations_are_not_at_head(own_app, fresh_url):
    app = own_app()
    engine = make_engine(fresh_url, 1)  # the owner: the app's login may not
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0001'"))
    engine.dispose()
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["failed"] == ["migrations"]
    assert response.json["checks"]["migrations"]["database"] == ["0001"]
    assert response.headers["Retry-After"]


def test_metrics_count_requests_by_route_template(client):
    route = "/ogc/collections/<collection_id>/items/<path:feature_id>"
    before = sample(client.get("/metrics").text, "mapserver_requests_total",
                    route=route, method="GET", status="404")  # fmt: skip
    for n in range(3):
        client.get(f"/ogc/collections/projects/items/no-such-{n}")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=")
    text = response.text
    after = sample(text, "mapserver_requests_total", route=route, method="GET", status="404")
    assert after == (before or 0) + 3
    assert "no-such-" not in text  # raw paths never become labels
    hist = sample(text, "mapserver_request_duration_seconds_count", route=route, method="GET")
    assert hist is not None and hist >= 3
    for name in ("mapserver_event_streams", "mapserver_db_pool_in_use",
                 "mapserver_db_pool_waiting", "mapserver_change_lag",
                 "mapserver_statement_timeouts_total", "mapserver_database_unavailable_total",
                 "mapserver_change_listeners_down"):  # fmt: skip
        assert f"\n{name} " in text, name


def test_a_statement_timeout_is_counted(own_app, fresh_url):
    """A table locked by another session makes the feed's statement wait past its limit."""
    client = own_app(statement_timeout_ms=300).test_client()
    before = sample(client.get("/metrics").text, "mapserver_statement_timeouts_total")
    engine = make_engine(fresh_url, 1)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("LOCK TABLE projects IN ACCESS EXCLUSIVE MODE"))
            response = client.get("/layers/projects.geojson?limit=5")
    finally:
        engine.dispose()
    assert response.status_code == 503, response.text
    assert response.json["limit"]["name"] == "statement_timeout_ms"
    assert response.headers["Retry-After"]
    after = sample(client.get("/metrics").text, "mapserver_statement_timeouts_total")
    assert after == before + 1


def test_metrics_are_not_public(own_app):
    app = own_app(metrics_allow="10.0.0.0/8", metrics_token="s3cret-token-for-prometheus")
    client = app.test_client()
    refused = client.get("/metrics")  # the test client comes from 127.0.0.1
    assert refused.status_code == 403
    assert refused.content_type == "application/problem+json"
    assert "MAPSERVER_METRICS_ALLOW" in refused.json["detail"]
    wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403
    good = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token-for-prometheus"})
    assert good.status_code == 200
    inside = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert inside.status_code == 200


@pytest.mark.parametrize(
    ("address", "allowed"),
    [("127.0.0.1", True), ("::1", True), ("::ffff:127.0.0.1", True), ("192.168.1.5", False),
     ("", False), ("nonsense", False)],
)  # fmt: skip
def test_the_default_allowlist_is_loopback(address, allowed):
    assert Access.from_settings("127.0.0.1/32 ::1/128", None).permits(address) is allowed


@pytest.mark.parametrize(("allow", "token"), [("10.0.0.0/33", None), ("x", None), ("", "short")])
def test_bad_metrics_settings_stop_the_server(allow, token):
    with pytest.raises(ConfigError, match="MAPSERVER_METRICS_"):
        Access.from_settings(allow, token)


def test_a_bad_log_format_stops_the_server():
    with pytest.raises(ConfigError, match="MAPSERVER_LOG_FORMAT"):
        accesslog.formatter("xml")


def test_request_ids_are_kept_when_sane_else_made(client):
    kept = client.get("/healthz", headers={"X-Request-Id": "lb-1234.abc"})
    assert kept.headers["X-Request-Id"] == "lb-1234.abc"
    for bad in ("x" * 65, "a b", "<script>", "id\u00e9"):
        made = client.get("/healthz", headers={"X-Request-Id": bad}).headers["X-Request-Id"]
        assert made != bad and len(made) == 32
    one, two = (client.get("/healthz").headers["X-Request-Id"] for _ in range(2))
    assert one != two


def test_one_log_line_per_request(client, caplog):
    with caplog.at_level(logging.INFO, logger="mapserver.access"):
        client.get("/layers/projects", headers={"X-Request-Id": "trace-77"})
    lines = [r for r in caplog.records if r.name == "mapserver.access"]
    assert len(lines) == 1
    line = lines[0]
    assert line.request_id == "trace-77" and line.status == 200 and line.method == "GET"
    assert line.route == "/layers/<layer_id>" and line.duration_ms >= 0


def test_json_lines(client, caplog):
    with caplog.at_level(logging.INFO, logger="mapserver.access"):
        client.get("/healthz", headers={"X-Request-Id": "json-1"})
    record = next(r for r in caplog.records if getattr(r, "request_id", "") == "json-1")
    line = json.loads(accesslog.formatter("json").format(record))
    assert line["route"] == "/healthz" and line["status"] == 200 and line["level"] == "INFO"
    assert {"time", "logger", "message", "duration_ms", "method"} <= set(line)
    assert line["time"].startswith(str(record.asctime)[:10])  # ISO 8601: 2026-12-03T…


def test_metrics_render_without_gunicorn():
    body, content_type = metrics.exposition()
    assert b"mapserver_requests_total" in body and content_type.startswith("text/plain")


def test_the_listener_is_behind_only_when_nothing_moves():
    notifier = Notifier("")  # never started: the bookkeeping alone
    assert notifier.lag(10) == 0  # no streams, nothing to send
    notifier.streaming(+1)
    notifier.caught_up(7)
    assert notifier.lag(10) == 3
    assert not notifier.behind(10, grace=5)  # just moved: catching up
    notifier.moved -= 6
    assert notifier.behind(10, grace=5) and not notifier.behind(7, grace=5)
    notifier.streaming(-1)
    assert not notifier.behind(10, grace=5)
