"""Restoring a backup (mapserver.ops.backup) into an empty database, or refusing.

In order: the target empty (no tables of its own; PostGIS's are fine), every member's
SHA-256 against the manifest and the backup's migration revision known to this code
(nothing is written before), the roles its grants name; then pg_restore in one transaction (a
failure leaves the database as empty as it was), the photo files merged into the media
directory (content-addressed: the same name is the same bytes), the migrations up to
head, and a new change-log epoch so open screens reload (mapserver.features.live).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tarfile
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

import psycopg
from psycopg import sql

from mapserver.features import live
from mapserver.ops import pgclient
from mapserver.ops.backup import DUMP, FORMAT, MANIFEST, MEDIA, BackupError, user_relations
from mapserver.ops.progress import Progress
from mapserver.store import schema
from mapserver.store.db import make_engine

_CHUNK = 1 << 20


def verify(path: Path, progress: Progress) -> dict[str, Any]:
    """The manifest, once every member is there, safe to extract, and has its checksum."""
    try:
        tar = tarfile.open(path, "r:")
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"{path} is not a backup archive: {exc}") from None
    with tar:
        manifest = _manifest(tar, path)
        expected = manifest["members"]
        found = {m.name: m for m in tar.getmembers() if m.name != MANIFEST}
        if missing := sorted(set(expected) - set(found)):
            raise BackupError(f"{path}: members missing: {', '.join(missing[:5])}")
        if extra := sorted(set(found) - set(expected)):
            raise BackupError(f"{path}: members not in the manifest: {', '.join(extra[:5])}")
        for i, (name, want) in enumerate(sorted(expected.items()), 1):
            _check_name(name)
            digest = _digest(tar.extractfile(found[name]))
            if digest != want["sha256"]:
                raise BackupError(f"{path}: {name} is damaged (SHA-256 differs from the manifest)")
            progress.update(f"checked {i}/{len(expected)} members")
    progress.done(f"checked {len(expected)} members of {path}: all SHA-256 match")
    return manifest


def _manifest(tar: tarfile.TarFile, path: Path) -> dict[str, Any]:
    try:
        manifest = json.load(tar.extractfile(MANIFEST))
    except (KeyError, ValueError, TypeError):
        raise BackupError(f"{path} has no readable {MANIFEST}; not a mapserver backup") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: backup format {manifest.get('format')!r}, this is {FORMAT}")
    revision = manifest.get("alembic_revision")
    if revision is not None and not schema.known(revision):
        raise BackupError(
            f"{path} is at migration {revision}, which this version of the server does not "
            "know; restore it with the version that made it (or a newer one)"
        )
    return manifest


def _check_name(name: str) -> None:
    parts = PurePosixPath(name).parts
    if name.startswith("/") or ".." in parts or not (name == DUMP or name.startswith(MEDIA)):
        raise BackupError(f"unsafe member name in the archive: {name!r}")


def _digest(f: Any) -> str:
    h = hashlib.sha256()
    while chunk := f.read(_CHUNK):
        h.update(chunk)
    return h.hexdigest()


def check_empty(conn: psycopg.Connection) -> None:
    """Refuse a database that has tables, views or sequences of its own."""
    if found := [f"{s}.{t}" if s != "public" else t for s, t, _ in user_relations(conn)]:
        database = conn.execute("SELECT current_database()").fetchone()[0]
        raise BackupError(
            f"database {database!r} is not empty ({', '.join(found[:5])}"
            f"{', …' if len(found) > 5 else ''}): a restore goes only into an empty database. "
            "Create a new one (createdb) and point MAPSERVER_DATABASE_URL at it; for the "
            "private cluster, stop `make run` and move var/pg away first."
        )


def ensure_roles(conn: psycopg.Connection, roles: list[dict[str, Any]]) -> list[str]:
    """Create the roles the backup's grants name that this cluster lacks (NOLOGIN: a login
    role needs its password set by hand), with their memberships; the ones created."""
    existing = {r for (r,) in conn.execute("SELECT rolname FROM pg_roles")}
    created = []
    for role in roles:
        if role["name"] not in existing:
            conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role["name"])))
            created.append(role["name"])
    for role in roles:
        for parent in role["member_of"]:
            if parent in existing or parent in created:
                grant = sql.SQL("GRANT {} TO {}").format(
                    sql.Identifier(parent), sql.Identifier(role["name"])
                )
                conn.execute(grant)
    conn.commit()
    return created


def restore(url: str, path: Path, media_dir: Path, progress: Progress) -> dict[str, Any]:
    """Restore the backup at ``path`` into the empty database ``url``; its manifest."""
    with pgclient.connect(url) as conn:
        check_empty(conn)
    manifest = verify(path, progress)
    with pgclient.connect(url) as conn:
        created = ensure_roles(conn, manifest.get("roles", []))
        bindir = pgclient.bindir(pgclient.server_major(conn))
    for name in created:
        progress.done(f"created role {name} (NOLOGIN; ALTER ROLE it LOGIN PASSWORD … if needed)")
    with tarfile.open(path, "r:") as tar, tempfile.TemporaryDirectory(prefix="restore-") as tmp:
        dump = Path(tmp) / DUMP
        with dump.open("wb") as out:
            shutil.copyfileobj(tar.extractfile(DUMP), out, _CHUNK)
        _pg_restore(url, bindir, dump, len(manifest["rows"]), progress)
        _media(tar, manifest, media_dir, progress)
    schema.upgrade(url)
    epoch = new_epoch(url, f"restored {manifest['created_at']}")
    progress.done(f"restored {path}; change log continues at {epoch} (open screens reload)")
    return manifest


def _pg_restore(url: str, bindir: Path, dump: Path, tables: int, progress: Progress) -> None:
    """pg_restore in one transaction, without the source's owners and without the
    extension comments only a superuser may set."""
    tool = str(bindir / "pg_restore")
    listing = pgclient.run_capture([tool, "--list", str(dump)])
    keep = [ln for ln in listing.splitlines() if " COMMENT - EXTENSION " not in ln]
    toc = dump.with_suffix(".list")
    toc.write_text("\n".join(keep) + "\n")
    uri, _ = pgclient.libpq(url)
    cmd = [tool, "--verbose", "--no-owner", "--single-transaction", "--exit-on-error",
           f"--use-list={toc}", f"--dbname={uri}", str(dump)]  # fmt: skip
    pgclient.run_counting_tables(cmd, url, progress, "restoring", tables)
    progress.done(f"restored {tables} tables")


def _media(tar: tarfile.TarFile, manifest: dict[str, Any], media_dir: Path, p: Progress) -> None:
    names = sorted(n for n in manifest["members"] if n.startswith(MEDIA))
    for i, name in enumerate(names, 1):
        target = media_dir / name[len(MEDIA) :]
        if target.is_file() and target.stat().st_size == manifest["members"][name]["bytes"]:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".restore-")
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(tar.extractfile(name), out, _CHUNK)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
        p.update(f"media file {i}/{len(names)}")
    if names:
        p.done(f"{len(names)} media files in {media_dir}")


def new_epoch(url: str, note: str) -> int:
    """Start a change-log epoch on ``url`` (mapserver.features.live.start_epoch); its id."""
    engine = make_engine(url, 1)
    try:
        with engine.begin() as conn:
            return live.start_epoch(conn, note)
    finally:
        engine.dispose()
