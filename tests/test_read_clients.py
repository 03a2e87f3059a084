"""Readers on a real gunicorn with the shipped defaults (records, report and downloads need
a login; photos are ``read: login``): the live stream carries only what its reader may read
and ends a revoked screen's within a second; GDAL reads with a personal Bearer token."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator

import pytest
import requests
import sqlalchemy as sa

from mapserver.accounts import credentials, screens, users
from mapserver.store.db import make_engine
from tests.conftest import new_database
from tests.server import gunicorn


@pytest.fixture(scope="module")
def served(cluster, template_db) -> Iterator[tuple]:
    """(base URL, engine, a viewer's bearer token)."""
    url = new_database(cluster, template_db)
    engine = make_engine(url, 2)
    account, _ = users.create_user(engine, "g_viewer", "viewer")
    bearer = credentials.issue_token(engine, account.id, "QGIS 调度科")[1]
    with gunicorn(url, workers=2) as base:  # heartbeat 15 s: only NOTIFY wakes a stream sooner
        yield base, engine, bearer
    engine.dispose()


class Stream:
    """The frames of ``/events`` as a reader sees them."""

    def __init__(self, base: str, since: int | None = None, **kw) -> None:
        params = {} if since is None else {"since": since}
        self.response = requests.get(f"{base}/events", params=params, stream=True, timeout=30, **kw)
        assert self.response.status_code == 200
        self.lines = self.response.iter_lines(decode_unicode=True)

    def frames(self) -> Iterator[dict[str, str]]:
        frame: dict[str, str] = {}
        for line in self.lines:
            if line == "" and frame:
                yield frame
                frame = {}
            elif line and not line.startswith(":"):
                field, _, value = line.partition(":")
                frame[field] = frame.get(field, "") + value.removeprefix(" ")

    def close(self) -> None:
        self.response.close()


def latest(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT max(id) FROM change_log")).scalar_one()


def layers_seen(base: str, since: int, until: int, **kw) -> set[str]:
    """The layers of the changes a reader gets from ``since`` up to change ``until``."""
    stream = Stream(base, since, **kw)
    seen = set()
    try:
        for frame in stream.frames():
            if frame.get("event") == "change":
                seen.add(frame["data"].split('"layer":"')[1].split('"')[0])
                if int(frame["id"]) >= until:
                    return seen
    finally:
        stream.close()
    raise AssertionError("the stream ended early")


def test_the_stream_carries_only_what_the_reader_may_read(served):
    base, engine, bearer = served
    _id, screen = screens.issue(engine, "大屏", None, None)
    before = latest(engine)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO problems (project_id, description, raised_on, responsible_unit) "
                "SELECT id, '读权限测试', '2026-03-01', '测试单位' FROM projects "
                "WHERE code = 'GA-2024-001'"
            )
        )
    with engine.begin() as conn:  # the last change: a project's, which everybody sees
        conn.execute(sa.text("UPDATE projects SET name = name WHERE code = 'GA-2026-003'"))
    until = latest(engine)
    with engine.connect() as conn:
        logged = conn.execute(
            sa.text("SELECT DISTINCT layer FROM change_log WHERE id > :b"), {"b": before}
        ).scalars()
        assert set(logged) == {"problems", "projects"}
    assert layers_seen(base, before, until) == {"projects"}
    bearer_header = {"Authorization": f"Bearer {bearer}"}
    assert layers_seen(base, before, until, headers=bearer_header) == {"problems", "projects"}
    cookie = {"mapserver_screen": screen}
    assert layers_seen(base, before, until, cookies=cookie) == {"problems", "projects"}


def test_revoking_a_screen_ends_its_stream_within_a_second(served):
    base, engine, _bearer = served
    token_id, screen = screens.issue(engine, "会议室大屏", None, None)
    stream = Stream(base, cookies={"mapserver_screen": screen})
    frames = (frame for frame in stream.frames() if "event" in frame)  # not retry:
    try:
        assert next(frames)["event"] == "day"  # connected and following
        started = time.monotonic()
        screens.revoke(engine, token_id, None)
        assert next(frames)["event"] == "revoked"
        assert time.monotonic() - started < 1.0
        assert next(frames, None) is None  # and the stream ended
    finally:
        stream.close()
    again = Stream(base, cookies={"mapserver_screen": screen})  # EventSource reconnecting
    assert [f["event"] for f in again.frames()] == ["revoked"]


def ogrinfo(base: str, layer: str, headers: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "GDAL_HTTP_HEADERS"}
    if headers:
        env["GDAL_HTTP_HEADERS"] = headers
    command = ["ogrinfo", "-ro", "-so", f"OAPIF:{base}/ogc", layer]
    return subprocess.run(
        command, check=False, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.gdal
def test_gdal_reads_a_login_layer_with_a_bearer_token(served):
    base, _engine, bearer = served
    # The line docs/access.md gives (with the server's address):
    #   GDAL_HTTP_HEADERS="Authorization: Bearer gams_…" ogrinfo -ro -so OAPIF:http://…/ogc photos
    done = ogrinfo(base, "photos", f"Authorization: Bearer {bearer}")
    assert done.returncode == 0, done.stderr
    assert "Layer name: photos" in done.stdout
    refused = ogrinfo(base, "photos", None)
    assert refused.returncode != 0 and "Layer name: photos" not in refused.stdout


def test_downloads_and_records_need_a_login_and_take_a_bearer_token(served):
    base, _engine, bearer = served
    headers = {"Authorization": f"Bearer {bearer}"}
    for path in ("/ogc/collections/projects/items?f=csv&limit=3", "/battle/ranking", "/report"):
        refused = requests.get(base + path, timeout=30)
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"] == 'Bearer realm="mapserver"'
        assert requests.get(base + path, headers=headers, timeout=60).status_code == 200
