"""PostgreSQL's own client programs (pg_dump, pg_restore) run against a database URL.

They come from the installed major that matches the server (``/usr/lib/postgresql/<major>``,
Debian's ``postgresql-client-<major>``), or a newer one: pg_dump refuses older servers'
successors, and a dump restores only into a server at least as new.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import psycopg
import sqlalchemy as sa

from mapserver.ops.progress import Progress
from mapserver.store.cluster import PG_ROOT


class ClientError(RuntimeError):
    """A client program is missing or failed; the message says which and why."""


def libpq(url: str) -> tuple[str, str | None]:
    """A libpq URI for ``url`` (SQLAlchemy form accepted) without its password, and the
    password, which goes to programs in ``PGPASSWORD`` so it never shows in ``ps``."""
    parsed = sa.engine.make_url(url)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), parsed.password


def environment(url: str) -> dict[str, str]:
    env = dict(os.environ)
    if (password := libpq(url)[1]) is not None:
        env["PGPASSWORD"] = password
    return env


def connect(url: str, **kwargs: object) -> psycopg.Connection:
    uri, password = libpq(url)
    return psycopg.connect(uri, **({"password": password} if password else {}), **kwargs)


def server_major(conn: psycopg.Connection) -> int:
    return int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000


def bindir(server_major: int) -> Path:
    """The bin directory of the client major to use for a server of ``server_major``."""
    installed = sorted(
        int(p.parent.parent.name)
        for p in PG_ROOT.glob("*/bin/pg_dump")
        if p.parent.parent.name.isdigit()
    )
    usable = [m for m in installed if m >= server_major]
    if not usable:
        raise ClientError(
            f"no pg_dump for PostgreSQL {server_major} (installed: {installed or 'none'}); "
            f"install postgresql-client-{server_major}"
        )
    major = server_major if server_major in usable else usable[0]
    return PG_ROOT / str(major) / "bin"


def run_counting_tables(
    cmd: list[str], url: str, progress: Progress, verb: str, tables: int
) -> None:
    """Run pg_dump/pg_restore with ``--verbose``: a progress line per table it starts on."""
    proc = subprocess.Popen(
        cmd, env=environment(url), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    )
    assert proc.stderr is not None
    errors: list[str] = []
    seen = 0
    for line in proc.stderr:
        if "error" in line.lower() or "fatal" in line.lower():
            errors.append(line.rstrip("\n"))
        if m := _TABLE.search(line):
            seen += 1
            progress.update(f"{verb} table {seen}/{tables} ({m.group(1)})")
    if proc.wait() != 0:
        detail = "\n".join(errors[-10:]) or f"exit status {proc.returncode}"
        raise ClientError(f"{Path(cmd[0]).name} failed:\n{detail}")


def run_capture(cmd: list[str]) -> str:
    """A client program's standard output; its error output in the exception."""
    out = subprocess.run(cmd, check=False, capture_output=True, text=True)
    if out.returncode != 0:
        raise ClientError(f"{Path(cmd[0]).name} failed: {out.stderr.strip()}")
    return out.stdout


_TABLE = re.compile(r'(?:dumping contents of|processing data for) table "([^"]+)"')
