"""Readiness: may this process take traffic? Every check named; a failed one says why.

A load balancer polls ``/readyz`` and sends requests elsewhere while it answers 503.
Checks are plain functions returning a :class:`Check`, so more (a read replica's lag)
join the list without touching the others. Failures name the kind of error only: the
answer is public and must not show hosts, sockets or users.
"""

from __future__ import annotations

import functools
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from mapserver.features.live import NEWEST, Notifier
from mapserver.store import schema

TIMEOUT = 1.0  # seconds the database has to answer
GRACE = 5.0  # seconds the change stream may lag with nothing moving


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Database:
    """What one short look at the database found (None: no answer)."""

    newest: int | None = None
    revisions: tuple[str, ...] = ()
    error: str = ""


@functools.cache
def head_revisions() -> tuple[str, ...]:
    """The migrations' heads on disk (read once: the code does not change under us)."""
    script = ScriptDirectory.from_config(schema.alembic_config(""))
    return tuple(sorted(script.get_heads()))


def look(engine: Engine, timeout: float = TIMEOUT) -> Database:
    """Newest change id and applied revisions, or why not, within ``timeout`` seconds."""
    found: list[Database] = []

    def query() -> None:
        try:
            with engine.connect() as conn:
                conn.execute(sa.text(f"SET LOCAL statement_timeout = {int(timeout * 1000)}"))
                newest = conn.execute(sa.text(NEWEST)).scalar_one()
                rows = conn.execute(sa.text("SELECT version_num FROM alembic_version"))
                found.append(Database(newest, tuple(sorted(rows.scalars()))))
        except Exception as exc:  # any failure is the answer: not ready
            found.append(Database(error=type(exc).__name__))

    worker = threading.Thread(target=query, name="readyz", daemon=True)
    worker.start()
    worker.join(timeout)
    return found[0] if found else Database(error=f"no answer within {timeout:g} s")


def database(db: Database) -> Check:
    if db.newest is None:
        return Check("database", False, {"error": db.error})
    return Check("database", True)


def migrations(db: Database) -> Check:
    heads = head_revisions()
    ok = db.newest is not None and db.revisions == heads
    return Check("migrations", ok, {"database": list(db.revisions), "code": list(heads)})


def change_listener(notifier: Notifier, db: Database, wait: float = TIMEOUT) -> Check:
    """This process's LISTEN connection is up and its streams are not stuck behind."""
    notifier.start()
    if not notifier.connected.wait(wait):
        return Check("change_listener", False, {"error": "LISTEN connection down"})
    if db.newest is None:
        return Check("change_listener", True, {"lag": None})
    lag = notifier.lag(db.newest)
    if notifier.behind(db.newest, GRACE):
        return Check("change_listener", False, {"error": "streams not advancing", "lag": lag})
    return Check("change_listener", True, {"lag": lag})


def replicas(status: dict[str, dict[str, Any]]) -> Check:
    """The read replicas, each in rotation or not and why: always ok, since reads that no
    replica can take go to the primary (whose failure fails ``database``)."""
    return Check("replicas", True, {"replicas": status})


def report(checks: list[Check]) -> dict[str, Any]:
    """The body of /readyz: ready only if every check passed."""
    failed = [c.name for c in checks if not c.ok]
    return {
        "status": "not ready" if failed else "ready",
        "failed": failed,
        "checks": {c.name: {"ok": c.ok, **c.detail} for c in checks},
    }


def standard(engine: Engine, notifier: Notifier) -> list[Check]:
    """The checks of one app process, in order; the database is looked at once."""
    notifier.start()  # connects while the database is looked at
    started = time.monotonic()
    db = look(engine)
    waited = max(0.0, TIMEOUT - (time.monotonic() - started))
    return [database(db), migrations(db), change_listener(notifier, db, waited or 0.01)]
