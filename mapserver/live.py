"""Live changes: the change log replayed and followed, woken by PostgreSQL NOTIFY.

The change log is the truth; NOTIFY only says "look again". A subscriber
reads every row after its last id, so a missed notification, a reconnect or
a second app process can delay an event by a heartbeat but never lose one.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from mapserver import periods
from mapserver.layers import Layer
from mapserver.query import FeatureQuery
from mapserver.query_sql import features_sql

CHANNEL = "mapserver_changes"
# The last frame a big screen gets when its token is revoked: the page shows so and stops.
REVOKED = "event: revoked\ndata: {}\n\n"
BATCH = 500
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Change:
    id: int
    layer: str
    op: str
    feature_id: str
    feature: str | None  # GeoJSON text as the feed renders it; None when gone

    def event(self) -> str:
        """The SSE frame for this change."""
        data = (
            f'{{"id":{self.id},"layer":{json.dumps(self.layer)},"op":{json.dumps(self.op)},'
            f'"feature_id":{json.dumps(self.feature_id, ensure_ascii=False)},'
            f'"feature":{self.feature or "null"}}}'
        )
        return f"id: {self.id}\nevent: change\ndata: {data}\n\n"


def today(engine: Engine) -> dt.date:
    """Guang'an's date as the database derives with it (``mapserver_today()``)."""
    with engine.connect() as conn:
        return periods.database_today(conn)


def day_event(day: dt.date) -> str:
    """The SSE frame naming the day derived properties are for (no id: not a change)."""
    return f'event: day\ndata: "{day.isoformat()}"\n\n'


def latest_id(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT coalesce(max(id), 0) FROM change_log")).scalar_one()


def changes_after(engine: Engine, layers: Mapping[str, Layer], since: int) -> list[Change]:
    """Up to BATCH changes after ``since``, each with its feature's current state (for the
    changes of ``layers``; None for the others)."""
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        rows = conn.execute(
            sa.text(
                "SELECT id, layer, op, feature_id FROM change_log "
                "WHERE id > :since ORDER BY id LIMIT :n"
            ),
            {"since": since, "n": BATCH},
        ).all()
        features: dict[tuple[str, str], str] = {}
        for layer_id in {r.layer for r in rows if r.layer in layers}:
            ids = tuple({r.feature_id for r in rows if r.layer == layer_id})
            layer = layers[layer_id]
            q = FeatureQuery(layer=layer, ids=ids, limit=len(ids))
            sql, params = features_sql(q, with_key=True)
            for key, text in conn.execute(sa.text(sql), params):
                features[(layer_id, key)] = text
    return [Change(r.id, r.layer, r.op, r.feature_id, features.get((r.layer, r.feature_id)))
            for r in rows]  # fmt: skip


class Notifier:
    """One LISTEN connection per process; wakes every waiting subscriber on NOTIFY."""

    def __init__(self, conninfo: str) -> None:
        self._conninfo = conninfo
        self._cond = threading.Condition()
        self._generation = 0
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stopped = threading.Event()

    def start(self) -> None:
        with self._lock:
            if self._stopped.is_set():
                return
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._listen, name="notify", daemon=True)
                self._thread.start()

    def wait(self, generation: int, timeout: float) -> int:
        """Block until a notification newer than ``generation`` or the timeout."""
        with self._cond:
            self._cond.wait_for(lambda: self._generation != generation, timeout)
            return self._generation

    @property
    def generation(self) -> int:
        return self._generation

    def _wake(self) -> None:
        with self._cond:
            self._generation += 1
            self._cond.notify_all()

    def stop(self) -> None:
        """End the listener thread (app shutdown, tests)."""
        self._stopped.set()
        self._wake()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _listen(self) -> None:
        delay = 0.5
        while not self._stopped.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    if delay > 0.5:
                        log.warning("LISTEN connection restored")
                    delay = 0.5
                    self._wake()  # anything missed while we were away gets read now
                    while not self._stopped.is_set():
                        for _ in conn.notifies(timeout=1.0):
                            self._wake()
            except psycopg.Error as exc:
                if delay == 0.5:
                    log.warning("LISTEN connection lost (%s); retrying", exc)
            self._stopped.wait(delay)
            delay = min(delay * 2, 10)


def follow(
    engine: Engine,
    layers: Mapping[str, Layer],
    notifier: Notifier,
    since: int,
    heartbeat: float,
    may_read: Callable[[str], bool] = lambda layer: True,
    allowed: Callable[[], bool] = lambda: True,
) -> Iterator[str]:
    """SSE text: replay after ``since``, then live changes, with heartbeat comments.

    Only the changes the reader ``may_read`` are sent, with their feature when its layer is
    one of ``layers`` (the layers the reader may read). ``allowed()`` is asked on
    every wake-up (a revoked screen token NOTIFYs, so within a second): once it is false
    the stream says ``revoked`` and ends.

    The day comes first and again when it turns: a project's health and overdue flags
    move at midnight with no change logged, so an open page reloads its feed then.
    If the database goes away (restart, failover) the stream ends cleanly: the client
    reconnects with its last id and misses nothing.
    """
    try:
        yield from _follow(engine, layers, notifier, since, heartbeat, may_read, allowed)
    except sa.exc.OperationalError as exc:
        log.warning("change stream ended, database unavailable: %s", exc.orig)


def _follow(
    engine: Engine,
    layers: Mapping[str, Layer],
    notifier: Notifier,
    since: int,
    heartbeat: float,
    may_read: Callable[[str], bool],
    allowed: Callable[[], bool],
) -> Iterator[str]:
    notifier.start()
    yield "retry: 2000\n\n"
    day = today(engine)
    yield day_event(day)
    newest = latest_id(engine)
    if since > newest:
        # The client saw a history this database does not have (restored or replaced):
        # it must reload everything rather than wait for ids that will never come.
        yield f'event: reset\ndata: {{"latest":{newest}}}\n\n'
        since = newest
    generation, checked = notifier.generation, time.monotonic()
    while True:
        if not allowed():
            yield REVOKED
            return
        batch = changes_after(engine, layers, since)
        for change in batch:
            if may_read(change.layer):
                yield change.event()
            since = change.id
        if len(batch) == BATCH:
            continue
        woke = notifier.wait(generation, heartbeat)
        if woke == generation:
            yield ": heartbeat\n\n"
        # The day is looked at every heartbeat's time, also while changes keep coming
        if woke == generation or time.monotonic() - checked >= heartbeat:
            checked = time.monotonic()
            if (now := today(engine)) != day:
                day = now
                yield day_event(day)
        generation = woke
