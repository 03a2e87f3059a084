"""Backups: the database (pg_dump, custom format) and the photo files, in one tar.

The tar holds ``database.dump``, ``media/<ab>/<cd>/<file>`` (``MAPSERVER_MEDIA_DIR``) and,
last, ``manifest.json``: the format, when, the migration revision, the versions, row counts
per table and the SHA-256 of every member, so a restore checks the archive before it
touches a database. The row counts and the dump come from one exported snapshot, so they
agree even while the app keeps writing. Photo files are copied after the dump: they are
never removed or rewritten, so every file a dumped row names is there.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any, BinaryIO

import psycopg
from psycopg import sql

from mapserver.battle.photos import MediaStore
from mapserver.ops import pgclient
from mapserver.ops.progress import Progress

FORMAT = 1
DUMP = "database.dump"
MANIFEST = "manifest.json"
MEDIA = "media/"

# The actor-claim key (migration 0010) is never in a backup: it is derived from the
# deployment's secret, and `restore` installs the restoring deployment's own.
CLAIM_KEY = "mapserver_private.claim_key"
# Tables and sequences of the database's own schemas, not those of an extension (PostGIS),
# nor the claim key's private schema.
USER_RELATIONS = """
SELECT n.nspname, c.relname, c.relkind FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'mapserver_private')
  AND n.nspname NOT LIKE 'pg\\_%%'
  AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                  AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 1, 2
"""

# Roles the database's grants name (a restore needs them to exist), and what they belong to.
GRANTEES = """
WITH acl AS (
    SELECT (aclexplode(relacl)).grantee FROM pg_class WHERE relacl IS NOT NULL
    UNION SELECT (aclexplode(proacl)).grantee FROM pg_proc WHERE proacl IS NOT NULL
    UNION SELECT (aclexplode(nspacl)).grantee FROM pg_namespace WHERE nspacl IS NOT NULL
    UNION SELECT (aclexplode(defaclacl)).grantee FROM pg_default_acl
)
SELECT r.rolname, r.rolcanlogin,
       coalesce(array_agg(p.rolname ORDER BY p.rolname) FILTER (WHERE p.rolname IS NOT NULL),
                '{}')
FROM pg_roles r JOIN acl ON acl.grantee = r.oid
LEFT JOIN pg_auth_members m ON m.member = r.oid LEFT JOIN pg_roles p ON p.oid = m.roleid
WHERE NOT r.rolsuper AND r.rolname NOT LIKE 'pg\\_%%'
GROUP BY r.rolname, r.rolcanlogin ORDER BY 1
"""


PHOTOS = "SELECT DISTINCT sha256, media_type FROM photos"


class BackupError(RuntimeError):
    """The backup or restore cannot go on; the message says why and what to do."""


def user_relations(conn: psycopg.Connection) -> list[tuple[str, str, str]]:
    return conn.execute(USER_RELATIONS).fetchall()


def facts(conn: psycopg.Connection) -> dict[str, Any]:
    """What the manifest says about the database, read in the dump's snapshot."""
    rows = {}
    for schema, table, kind in user_relations(conn):
        if kind in ("r", "p"):
            name = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table))
            count = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(name)).fetchone()[0]
            rows[table if schema == "public" else f"{schema}.{table}"] = count

    def one(query: str) -> Any:
        return conn.execute(query).fetchone()[0]

    return {
        "database": one("SELECT current_database()"),
        "alembic_revision": (
            one("SELECT version_num FROM alembic_version") if "alembic_version" in rows else None
        ),
        "data_version": (
            one("SELECT coalesce(max(id), 0) FROM change_log") if "change_log" in rows else 0
        ),
        "server_version": one("SHOW server_version"),
        "rows": rows,
        "roles": [
            {"name": n, "login": login, "member_of": list(parents)}
            for n, login, parents in conn.execute(GRANTEES)
        ],
    }


def default_path(now: dt.datetime | None = None) -> Path:
    now = now or dt.datetime.now(dt.UTC)
    return Path(f"mapserver-{now:%Y%m%dT%H%M%SZ}.tar")


def create(
    url: str, path: Path, media_dir: Path, progress: Progress, snapshot: str | None = None
) -> dict[str, Any]:
    """Write a backup of ``url`` and ``media_dir`` to ``path`` (atomically); its manifest.

    ``snapshot``: an exported snapshot (``pg_export_snapshot()``) to back up instead of
    the present; its transaction must stay open until this returns.
    """
    path = Path(path).absolute()
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".backup-") as tmp:
        dump = Path(tmp) / DUMP
        manifest, photos = _dump_snapshot(url, snapshot, dump, progress)
        manifest["media_missing"] = missing_media(photos, media_dir)
        if missing := len(manifest["media_missing"]):
            progress.done(f"warning: {missing} photos have no file in {media_dir} "
                          "(MAPSERVER_MEDIA_DIR); backing up without them")  # fmt: skip
        manifest["members"] = _write_tar(path, dump, media_dir, manifest, progress)
    return manifest


def _dump_snapshot(
    url: str, snapshot: str | None, dump: Path, progress: Progress
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The dump, the manifest's facts and the photos' files, all from one snapshot."""
    with pgclient.connect(url) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        if snapshot:
            conn.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))
        else:
            snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        manifest = {"format": FORMAT, "created_at": _now(), **facts(conn)}
        bindir = pgclient.bindir(pgclient.server_major(conn))
        _dump(url, bindir, snapshot, dump, len(manifest["rows"]), progress)
        photos = conn.execute(PHOTOS).fetchall() if "photos" in manifest["rows"] else []
        conn.rollback()
    manifest["pg_dump_version"] = _version(bindir / "pg_dump")
    return manifest, photos


def _dump(
    url: str, bindir: Path, snapshot: str, out: Path, tables: int, progress: Progress
) -> None:
    uri, _ = pgclient.libpq(url)
    cmd = [str(bindir / "pg_dump"), "--format=custom", "--verbose", f"--snapshot={snapshot}",
           f"--exclude-table-data={CLAIM_KEY}", f"--file={out}", f"--dbname={uri}"]  # fmt: skip
    pgclient.run_counting_tables(cmd, url, progress, "dumping", tables)
    progress.done(f"dumped {tables} tables, {out.stat().st_size / 1e6:.1f} MB")


def _write_tar(
    path: Path, dump: Path, media_dir: Path, manifest: dict[str, Any], progress: Progress
) -> dict[str, dict[str, Any]]:
    partial = path.with_name(f".{path.name}.partial")
    members: dict[str, dict[str, Any]] = {}
    files = media_files(media_dir)
    try:
        with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
            members[DUMP] = _add(tar, DUMP, dump)
            for i, rel in enumerate(files, 1):
                members[MEDIA + rel] = _add(tar, MEDIA + rel, media_dir / rel)
                progress.update(f"media file {i}/{len(files)}")
            manifest["members"] = members
            data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(data), int(time.time()), 0o644
            tar.addfile(info, io.BytesIO(data))
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    progress.done(f"wrote {path} ({len(files)} media files, {path.stat().st_size / 1e6:.1f} MB)")
    return members


def missing_media(photos: list[tuple[str, str]], media_dir: Path) -> list[str]:
    """The SHA-256 of photos (of the dump) whose original is not in the media directory:
    a wrong MAPSERVER_MEDIA_DIR should not make a backup silently without pictures."""
    store = MediaStore(media_dir)
    return sorted({sha for sha, kind in photos if not store.original(sha, kind).is_file()})


def media_files(media_dir: Path) -> list[str]:
    """The stored photo files, relative to the media directory (not half-written uploads)."""
    if not media_dir.is_dir():
        return []
    found = (p for p in media_dir.rglob("*") if p.is_file() and not p.name.startswith("."))
    return sorted(p.relative_to(media_dir).as_posix() for p in found)


class _Hashing:
    """A file read through SHA-256, as tarfile copies it."""

    def __init__(self, f: BinaryIO) -> None:
        self.f, self.hash, self.size = f, hashlib.sha256(), 0

    def read(self, n: int = -1) -> bytes:
        data = self.f.read(n)
        self.hash.update(data)
        self.size += len(data)
        return data


def _add(tar: tarfile.TarFile, name: str, source: Path) -> dict[str, Any]:
    info = tar.gettarinfo(str(source), arcname=name)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    with source.open("rb") as f:
        reader = _Hashing(f)
        tar.addfile(info, reader)  # type: ignore[arg-type]
    if reader.size != info.size:
        raise BackupError(f"{source} changed while it was being copied")
    return {"sha256": reader.hash.hexdigest(), "bytes": reader.size}


def _version(program: Path) -> str:
    out = subprocess.run([str(program), "--version"], check=True, capture_output=True, text=True)
    return out.stdout.strip()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
