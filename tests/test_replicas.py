"""Read replicas on PostgreSQL streaming replication (issue #14 §3): a real primary and a
real hot standby (``pg_basebackup -R``, unix sockets, no docker) whose lag is made real with
``recovery_min_apply_delay``. Which database answered is told by the data version: right
after a write, only the lagging standby can answer with an older one."""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from mapserver.accounts import credentials, users
from mapserver.demo import loader
from mapserver.errors import ConfigError
from mapserver.store import schema
from mapserver.store.cluster import Cluster
from mapserver.store.db import make_engine
from tests import apps
from tests.conftest import temporary_cluster

APPLY_DELAY_S = 2.0
ITEMS = "/ogc/collections/projects/items"
FEED = "/layers/projects.geojson?properties=name&limit=1000"
GEOJSON = "application/geo+json"


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout} s: {what}")


@pytest.fixture(scope="module")
def clusters() -> Iterator[tuple[Cluster, Cluster, str]]:
    """A primary with the demo data and its standby, applying changes 2 s late."""
    with temporary_cluster("mapserver-primary-") as primary:
        primary.ensure_database("demo")
        url = primary.url("demo")
        schema.upgrade(url)
        engine = make_engine(url, 1)
        loader.load_demo(engine)
        engine.dispose()
        base = Path(tempfile.mkdtemp(prefix="mapserver-standby-"))
        base.chmod(0o755)
        standby = primary.standby(base, apply_delay_s=APPLY_DELAY_S)
        standby.start()
        try:
            yield primary, standby, url
        finally:
            standby.destroy()


@pytest.fixture(scope="module")
def env(clusters):
    """The app with the standby as its read replica, an admin's token, a primary engine."""
    _, standby, url = clusters
    with apps.built(database_url=url, read_database_urls=standby.url("demo")) as app:
        engine = make_engine(url, 2)
        account, _ = users.create_user(engine, "replica_admin", "admin", None)
        token = credentials.issue_token(engine, account.id, "test")[1]
        yield app, token, engine
        engine.dispose()


def replica_status(client) -> dict:
    body = client.get("/readyz").get_json()
    return body["checks"]["replicas"]["replicas"]["replica1"]


def in_rotation(client) -> bool:
    return replica_status(client)["in_rotation"]


def rename(client, token: str, code: str, name: str) -> int:
    """PATCH a project's name through the API; the change id the response says."""
    etag = client.get(f"{ITEMS}/{code}").headers["ETag"]
    body = json.dumps({"type": "Feature", "properties": {"name": name}})
    headers = {"Content-Type": GEOJSON, "If-Match": etag, "Authorization": f"Bearer {token}"}
    response = client.patch(f"{ITEMS}/{code}", data=body, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return int(response.headers["X-Data-Version"])


def newest(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT max(id) FROM change_log")).scalar_one()


def a_code(engine: sa.Engine) -> str:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT min(code) FROM projects")).scalar_one()


def feed(client, headers: dict | None = None) -> tuple[int, dict]:
    response = client.get(FEED, headers=headers or {})
    assert response.status_code == 200
    names = {f["id"]: f["properties"]["name"] for f in response.get_json()["features"]}
    return int(response.headers["X-Data-Version"]), names


def test_reads_go_to_the_replica_and_the_lag_is_real(env):
    app, token, engine = env
    writer, reader = app.test_client(), app.test_client()
    wait_for(lambda: in_rotation(reader), 10, "the replica in rotation")
    version = rename(writer, token, a_code(engine), "副本测试一")
    assert version == newest(engine)
    # A client that has seen nothing is served by the standby, which is 2 s behind:
    # only it can answer with a version older than the primary's.
    seen, _ = feed(reader)
    assert seen < version
    wait_for(lambda: feed(reader)[0] >= version, APPLY_DELAY_S + 5, "the replica catching up")


def test_read_your_writes_a_thousand_times(env):
    """Ten writes, each read back at once 100 times: 50 by the writer (its cookie), 50 by a
    client that only sends the version in ``X-Data-Version`` (as the pages do)."""
    app, token, engine = env
    writer, echo, stranger = app.test_client(), app.test_client(), app.test_client()
    wait_for(lambda: in_rotation(writer), 10, "the replica in rotation")
    code = a_code(engine)
    stale = 0
    for round_ in range(10):
        name = f"第{round_}版"
        version = rename(writer, token, code, name)
        stale += feed(stranger)[0] < version
        for i in range(100):
            client, headers = (writer, {}) if i % 2 else (echo, {"X-Data-Version": str(version)})
            seen, names = feed(client, headers)
            assert seen >= version
            assert names[code] == name
    assert stale > 0  # the lag was real: a client that had seen nothing got older answers
    # Once the replica has replayed the last write, reads that have seen it go there again;
    # a change it has not replayed still sends them to the primary.
    state = app.extensions["mapserver"]
    wait_for(lambda: state.reader(version) is not state.engine, APPLY_DELAY_S + 5, "replayed")
    assert state.reader(version + 1) is state.engine


def test_a_replica_down_leaves_rotation_and_comes_back(env, clusters):
    app, _, _ = env
    _, standby, _ = clusters
    client = app.test_client()
    wait_for(lambda: in_rotation(client), 10, "the replica in rotation")
    standby.stop("fast")
    try:
        wait_for(lambda: not in_rotation(client), 5, "the stopped replica out of rotation")
        started = time.monotonic()
        for _ in range(20):
            assert client.get(FEED).status_code == 200
        assert time.monotonic() - started < 10
        ready = client.get("/readyz")
        assert ready.status_code == 200  # the primary answers: the app is ready
        assert ready.get_json()["checks"]["replicas"]["ok"] is True
        assert replica_status(client)["error"]
        text = client.get("/metrics").get_data(as_text=True)
        assert 'mapserver_replica_in_rotation{replica="replica1"} 0.0' in text
        assert 'mapserver_replica_lag_seconds{replica="replica1"} -1.0' in text
    finally:
        standby.start()
    wait_for(lambda: in_rotation(client), 15, "the restarted replica back in rotation")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'mapserver_replica_in_rotation{replica="replica1"} 1.0' in text


def test_a_replica_lagging_beyond_the_setting_leaves_rotation(env, make_app, clusters):
    """With a limit (0.5 s) below the standby's delay (2 s), a write takes it out of
    rotation until it has replayed the write."""
    app, token, engine = env
    _, standby, url = clusters
    strict = make_app(
        database_url=url, read_database_urls=standby.url("demo"), replica_max_lag_s=0.5
    )
    client = strict.test_client()
    wait_for(lambda: in_rotation(client), 10, "the replica in rotation")
    rename(app.test_client(), token, a_code(engine), "副本测试二")
    wait_for(lambda: not in_rotation(client), 3, "the lagging replica out of rotation")
    assert "lags" in replica_status(client)["error"]
    wait_for(lambda: in_rotation(client), APPLY_DELAY_S + 5, "the replica back in rotation")


@pytest.mark.parametrize("sent", ["x", "-1", "9" * 40, "12abc"])
def test_a_version_that_is_no_change_id_is_ignored(env, sent):
    app, _, _ = env
    assert app.test_client().get(FEED, headers={"X-Data-Version": sent}).status_code == 200


def test_a_replica_url_that_is_not_postgresql_stops_startup(clusters, make_app):
    _, _, url = clusters
    with pytest.raises(ConfigError, match="MAPSERVER_READ_DATABASE_URLS"):
        make_app(database_url=url, read_database_urls="mysql://replica/demo")
