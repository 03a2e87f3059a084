"""Backups that restore (issue 14 §2): a drill under write load into a fresh cluster, row
by row against what the backup saw; refusals; the CLI; the change-log epoch."""

from __future__ import annotations

import io
import itertools
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import requests
import sqlalchemy as sa
from psycopg import sql

from mapserver.accounts import credentials, users
from mapserver.features import live
from mapserver.ops import backup, restore
from mapserver.ops.progress import Progress
from mapserver.settings import ROOT
from mapserver.store.cluster import Cluster
from mapserver.store.db import make_engine
from tests.browser import serve
from tests.conftest import new_database, temporary_cluster
from tests.pictures import picture

ITEMS = "/ogc/collections/projects/items"
GEOJSON = "application/geo+json"

# Every table of the public schema that is not PostGIS's, with its columns and primary key.
TABLES = """
SELECT c.oid, c.relname FROM pg_class c
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
ORDER BY 2
"""
COLUMNS = """
SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
WHERE attrelid = %s AND attnum > 0 AND NOT attisdropped ORDER BY attnum
"""
PRIMARY_KEY = """
SELECT a.attname FROM pg_index i JOIN pg_attribute a
  ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
WHERE i.indrelid = %s AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)
"""


def row_checksums(conn: psycopg.Connection) -> dict[str, dict[str, str]]:
    """{table: {primary key: md5 of the row}}: geometries as EWKB, everything else as text.

    The restore's own epoch row in the change log is left out (it is the restore's mark).
    """
    result = {}
    for oid, table in conn.execute(TABLES).fetchall():
        values = []
        for name, kind in conn.execute(COLUMNS, (oid,)).fetchall():
            column = sql.Identifier(name)
            spatial = kind.startswith(("geometry", "geography"))
            values.append(sql.SQL("ST_AsEWKB({})").format(column) if spatial else column)
        key_columns = [sql.Identifier(k) for (k,) in conn.execute(PRIMARY_KEY, (oid,))]
        row = sql.SQL("json_build_array({})::text").format(sql.SQL(", ").join(values))
        key = sql.SQL("json_build_array({})::text").format(sql.SQL(", ").join(key_columns))
        where = sql.SQL("WHERE op <> 'epoch'" if table == "change_log" else "")
        query = sql.SQL("SELECT {key}, md5({row}) FROM {table} {where} ORDER BY 1").format(
            key=key if key_columns else row, row=row, table=sql.Identifier(table), where=where
        )
        result[table] = dict(conn.execute(query).fetchall())
    return result


def mismatches(a: dict[str, dict[str, str]], b: dict[str, dict[str, str]]) -> int:
    """Rows that differ, or are on one side only, over every table of either side."""
    n = 0
    for table in a.keys() | b.keys():
        left, right = a.get(table, {}), b.get(table, {})
        n += sum(left.get(k) != right.get(k) for k in left.keys() | right.keys())
    return n


def plain(url: str) -> str:
    return sa.engine.make_url(url).set(drivername="postgresql").render_as_string(False)


@pytest.fixture(scope="module")
def second_cluster() -> Iterator[Cluster]:
    """A fresh cluster to restore into: nothing of the first one (not even its roles)."""
    with temporary_cluster("mapserver-restore-") as c:
        yield c


def jpegs(root: Path) -> dict[Path, bytes]:
    return {p.relative_to(root): p.read_bytes() for p in root.rglob("*.jpg")}


def fresh_target(cluster: Cluster, name: str) -> str:
    cluster.ensure_database(name)
    return cluster.url(name)


class Writer(threading.Thread):
    """An editor saving projects over HTTP as fast as the server answers, until stopped."""

    def __init__(self, base: str, token: str, codes: list[str]) -> None:
        super().__init__(daemon=True)
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.base, self.codes = base, codes
        self.saved = 0
        self.failures: list[str] = []
        self.halt = threading.Event()

    def run(self) -> None:
        for i in itertools.count():
            if self.halt.is_set():
                return
            url = f"{self.base}{ITEMS}/{self.codes[i % len(self.codes)]}"
            known = self.session.get(url)
            value = float(known.json()["properties"]["completed_this_year"] or 0) + 1
            body = json.dumps({"type": "Feature", "properties": {"completed_this_year": value}})
            headers = {"Content-Type": GEOJSON, "If-Match": known.headers["ETag"]}
            r = self.session.patch(url, data=body, headers=headers)
            if r.status_code == 200:
                self.saved += 1
            else:
                self.failures.append(f"{r.status_code} {r.text[:200]}")

    def wait_saves(self, n: int, timeout: float = 30) -> None:
        deadline, start = time.monotonic() + timeout, self.saved
        while self.saved < start + n:
            assert time.monotonic() < deadline and not self.failures, self.failures
            time.sleep(0.01)


def dispatcher_token(url: str) -> str:
    engine = make_engine(url, 1)
    try:
        account, _ = users.create_user(engine, "drill_dispatcher", "dispatcher")
        return credentials.issue_token(engine, account.id, "drill")[1]
    finally:
        engine.dispose()


def test_restore_drill_under_write_load(cluster, template_db, second_cluster, tmp_path, make_app):
    source = new_database(cluster, template_db)
    media = tmp_path / "media"
    token = dispatcher_token(source)
    app = make_app(database_url=source, media_dir=media, pool_size=4)
    engine = make_engine(source, 1)
    with engine.connect() as conn:
        codes = list(
            conn.execute(sa.text("SELECT code FROM projects ORDER BY code LIMIT 20")).scalars()
        )
    with serve(app) as base:
        auth = {"Authorization": f"Bearer {token}"}
        for colour in ((200, 40, 40), (40, 200, 40)):
            form = {"file": (io.BytesIO(picture(colour=colour)), "p.jpg"), "project": codes[0]}
            up = app.test_client().post("/battle/photos", data=form, headers=auth)
            assert up.status_code == 201, up.get_data(as_text=True)
        writer = Writer(base, token, codes)
        writer.start()
        try:
            writer.wait_saves(20)
            with psycopg.connect(plain(source)) as seen:
                seen.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
                snapshot = seen.execute("SELECT pg_export_snapshot()").fetchone()[0]
                expected = row_checksums(seen)
                before = writer.saved
                manifest = backup.create(
                    source, tmp_path / "drill.tar", media, Progress("backup"), snapshot
                )
                writer.wait_saves(5)
                assert writer.saved > before
        finally:
            writer.halt.set()
            writer.join(10)
        assert not writer.failures

    with psycopg.connect(plain(source)) as now:
        assert mismatches(row_checksums(now), expected) > 0  # the writes went on after it
    restored_media = tmp_path / "restored-media"
    target = fresh_target(second_cluster, "drill")
    restore.restore(target, tmp_path / "drill.tar", restored_media, Progress("restore"))
    with psycopg.connect(plain(target)) as conn:
        got = row_checksums(conn)
        epoch = conn.execute("SELECT max(id) FROM change_log WHERE op = 'epoch'").fetchone()[0]
    assert set(got) == set(expected) and len(expected) >= 20
    assert mismatches(got, expected) == 0
    assert {t: len(rows) for t, rows in expected.items()} == manifest["rows"]
    assert sum(len(r) for r in expected.values()) > 5000
    assert len(jpegs(media)) == 4 and jpegs(restored_media) == jpegs(media)
    assert manifest["media_missing"] == []
    # A wrong media directory: the backup says which photos it could not include.
    blind = backup.create(source, tmp_path / "blind.tar", tmp_path / "empty", Progress("backup"))
    with psycopg.connect(plain(source)) as conn:
        shas = {sha for (sha,) in conn.execute("SELECT sha256 FROM photos")}
    assert len(shas) == 2 and set(blind["media_missing"]) == shas
    assert epoch >= 1_000_000_000 and epoch > max(int(k.strip("[]")) for k in got["change_log"])
    engine.dispose()


def test_refusals_leave_the_target_untouched(demo_url, second_cluster, tmp_path):
    archive = tmp_path / "demo.tar"
    backup.create(demo_url, archive, tmp_path / "none", Progress("backup"))
    with pytest.raises(backup.BackupError, match="not empty"):
        restore.restore(demo_url, archive, tmp_path / "media", Progress("restore"))

    # One byte of the dump changed: refused before anything is written anywhere.
    damaged = tmp_path / "damaged.tar"
    data = bytearray(archive.read_bytes())
    with tarfile.open(archive) as tar:
        offset = tar.getmember(backup.DUMP).offset_data
    data[offset + 1000] ^= 0xFF
    damaged.write_bytes(data)
    target = fresh_target(second_cluster, "refused")
    with pytest.raises(backup.BackupError, match=r"database\.dump is damaged"):
        restore.restore(target, damaged, tmp_path / "media", Progress("restore"))
    tables = second_cluster.psql(
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", "refused"
    )
    assert tables.strip() == "0"
    assert not (tmp_path / "media").exists()


def cli(env: dict[str, str], *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "mapserver", *args]
    return subprocess.run(cmd, check=False, env=env, cwd=cwd, capture_output=True, text=True)


def test_cli_backup_and_restore_with_progress(demo_url, second_cluster, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAPSERVER_")}
    env.update(MAPSERVER_DATABASE_URL=demo_url, MAPSERVER_MEDIA_DIR=str(tmp_path / "m"))
    archive = tmp_path / "cli.tar"
    made = cli(env, "backup", str(archive))
    assert made.returncode == 0, made.stderr
    assert "backup: dumped" in made.stderr and f"backup {archive}" in made.stdout
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    with psycopg.connect(plain(demo_url)) as conn:
        projects = conn.execute("SELECT count(*) FROM projects").fetchone()[0]
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    assert manifest["rows"]["projects"] == projects and manifest["alembic_revision"] == revision
    assert manifest["pg_dump_version"].startswith("pg_dump (PostgreSQL)")

    env["MAPSERVER_DATABASE_URL"] = fresh_target(second_cluster, "cli")
    done = cli(env, "restore", str(archive))
    assert done.returncode == 0, done.stderr
    assert "all SHA-256 match" in done.stderr and "restore: restored" in done.stderr
    again = cli(env, "restore", str(archive))
    assert again.returncode == 1 and "is not empty" in again.stderr
    assert "Traceback" not in again.stderr
    epoch = cli(env, "new-epoch")
    assert epoch.returncode == 0 and "2000000000" in epoch.stdout


def test_a_new_epoch_resets_open_and_returning_streams(fresh_url, make_app):
    engine = make_engine(fresh_url, 2)
    app = make_app(database_url=fresh_url)
    state = app.extensions["mapserver"]
    old = live.latest_id(engine)
    stream = live.follow(engine, state.layers, state.notifier, old, heartbeat=0.5)
    assert next(stream).startswith("retry:") and next(stream).startswith("event: day")
    with engine.begin() as conn:
        epoch = live.start_epoch(conn, "test")
    frame = next(f for f in stream if not f.startswith(":"))
    assert frame == f'event: reset\ndata: {{"latest":{epoch}}}\n\n'
    assert epoch == (old // 1_000_000_000 + 1) * 1_000_000_000
    # A client back with an id of the old history reloads too; one of the new does not.
    returning = live.follow(engine, state.layers, state.notifier, old, heartbeat=0.5)
    assert [next(returning) for _ in range(3)][2].startswith("event: reset")
    current = live.follow(engine, state.layers, state.notifier, epoch, heartbeat=0.2)
    assert [next(current) for _ in range(3)][2] == ": heartbeat\n\n"
    engine.dispose()


# The private cluster of a checkout, as `make run` makes it: demo data, or a count.
PRIVATE = """
import sys
from mapserver.demo import loader
from mapserver import runner
from mapserver.store import schema
from mapserver.store.db import make_engine
c = runner.private_cluster()
c.start()
try:
    c.ensure_database(runner.DEV_DATABASE)
    if sys.argv[1] == "load":
        url = c.url(runner.DEV_DATABASE)
        schema.upgrade(url)
        engine = make_engine(url, 1)
        loader.load_demo(engine, 10, records=False)
        engine.dispose()
    else:
        print(c.psql(sys.argv[1], runner.DEV_DATABASE).strip())
finally:
    c.stop()
"""


def test_private_cluster_backup_and_restore(tmp_path):
    """Without MAPSERVER_DATABASE_URL both commands use var/pg, starting and stopping it."""
    checkout = Path(tempfile.mkdtemp(prefix="mapserver-checkout-"))
    checkout.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAPSERVER_")}
    python = [sys.executable, "-c", PRIVATE]
    try:
        for part in ("mapserver", "migrations"):
            shutil.copytree(
                ROOT / part, checkout / part, ignore=shutil.ignore_patterns("__pycache__")
            )
        subprocess.run([*python, "load"], check=True, cwd=checkout, env=env, capture_output=True)
        archive = tmp_path / "private.tar"
        made = cli(env, "backup", str(archive), cwd=checkout)
        assert made.returncode == 0, made.stderr
        refused = cli(env, "restore", str(archive), cwd=checkout)
        assert refused.returncode == 1 and "move var/pg away" in refused.stderr
        (checkout / "var" / "pg").rename(checkout / "var" / "pg.old")
        done = cli(env, "restore", str(archive), cwd=checkout)
        assert done.returncode == 0, done.stderr
        count = [*python, "SELECT count(*) FROM projects"]
        out = subprocess.run(
            count, check=True, cwd=checkout, env=env, capture_output=True, text=True
        )
        assert out.stdout.strip() == "10"
        assert not runner_is_running(checkout)
    finally:
        shutil.rmtree(checkout, ignore_errors=True)


def runner_is_running(checkout: Path) -> bool:
    """Whether a postmaster still runs on the checkout's data (the commands stop theirs)."""
    return (checkout / "var" / "pg" / "data" / "postmaster.pid").exists()
