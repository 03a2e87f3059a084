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
from collections import OrderedDict
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass
from functools import partial

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from mapserver.features.query import FeatureQuery
from mapserver.features.query_sql import features_sql
from mapserver.layers import Layer
from mapserver.ops import metrics
from mapserver.store import periods

CHANNEL = "mapserver_changes"
# The last frame a big screen gets when its token is revoked: the page shows so and stops.
REVOKED = "event: revoked\ndata: {}\n\n"
ACCESS = "access"  # the NOTIFY payload of a revoked screen token (mapserver.accounts.screens)
BATCH = 500
EPOCH = "epoch"  # the op of the change-log row a restore writes: a new history begins
ID_BLOCK = 1_000_000_000  # a new epoch's ids start at the next multiple of this
ORDER_LOCK = 7243190  # the advisory lock the change-log trigger (0002) takes for its ids
NEWEST = "SELECT coalesce(max(id), 0) FROM change_log"
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
        return conn.execute(sa.text(NEWEST)).scalar_one()


def latest_epoch(engine: Engine) -> int:
    """The change-log id where the present history began (0: never restored)."""
    sql = "SELECT coalesce(max(id), 0) FROM change_log WHERE op = 'epoch'"
    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).scalar_one()


def start_epoch(conn: sa.Connection, note: str) -> int:
    """Begin a new history (after a restore); its id.

    Ids jump to the next billion, so no id of the lost history (nor an ETag or cached
    figure keyed by one) comes back; the epoch row makes streams and clients reset.
    """
    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": ORDER_LOCK})
    jump = (
        "SELECT setval('change_log_id_seq', (last_value / :b + 1) * :b, false) "
        "FROM change_log_id_seq"
    )
    conn.execute(sa.text(jump), {"b": ID_BLOCK})
    new_id = conn.execute(
        sa.text(
            "INSERT INTO change_log (id, layer, op, feature_id) "
            "VALUES (nextval('change_log_id_seq'), '', :op, :note) RETURNING id"
        ),
        {"op": EPOCH, "note": note},
    ).scalar_one()
    conn.execute(sa.text("SELECT pg_notify(:c, :id)"), {"c": CHANNEL, "id": str(new_id)})
    return new_id


def reset_event(latest: int) -> str:
    """The SSE frame telling a client its history is not this database's: reload."""
    return f'event: reset\ndata: {{"latest":{latest}}}\n\n'


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


class SharedBatches:
    """The change batches a process's streams read, each fetched once.

    Every open stream woken by one NOTIFY asks for the changes after the same id: 200 open
    big screens made 200 identical queries per commit. A batch is keyed by ``since`` and
    the notifier generation it was asked at, so it holds every change notified by then
    (ids are handed out in commit order) and a stream woken later asks afresh.
    """

    def __init__(self, size: int = 64) -> None:
        self._lock = threading.Lock()
        self._batches: OrderedDict[tuple[int, int], list[Change]] = OrderedDict()
        self._size = size
        self.fetched = 0  # queries made, for the tests

    def get(self, key: tuple[int, int], fetch: Callable[[], list[Change]]) -> list[Change]:
        with self._lock:
            found = self._batches.get(key)
            if found is None:
                found = self._batches[key] = fetch()
                self.fetched += 1
                while len(self._batches) > self._size:
                    self._batches.popitem(last=False)
            return found


class Notifier:
    """One LISTEN connection per process; wakes every waiting subscriber on NOTIFY.

    It also keeps what readiness and metrics ask of this process: whether the connection
    is up, the newest change id the database has (looked at every second on it), and the
    newest id this process's streams have sent (:func:`follow` tells it).
    """

    def __init__(self, conninfo: str) -> None:
        self._conninfo = conninfo
        self._cond = threading.Condition()
        self._generation = 0
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self.connected = threading.Event()
        self.newest = 0  # the database's newest change id, as of the last tick
        self.sent = 0  # the newest change id a stream of this process has caught up to
        self.moved = time.monotonic()  # when a stream last moved on, or a NOTIFY came
        self.streams = 0
        self.batches = SharedBatches()
        # Bumped by every revocation (and a LISTEN reconnect, which may have missed one):
        # a stream asks whether its reader may still read only when this moved, not on
        # every change.
        self.revocations = 0

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
            self.moved = time.monotonic()
            self._cond.notify_all()

    def streaming(self, delta: int) -> None:
        """A stream of this process opened (+1) or closed (-1)."""
        with self._lock:
            self.streams += delta
        metrics.EVENT_STREAMS.inc(delta)

    def caught_up(self, change_id: int) -> None:
        """A stream has sent everything up to ``change_id`` (the newest sent by any counts)."""
        if change_id > self.sent:
            self.sent, self.moved = change_id, time.monotonic()

    def lag(self, newest: int | None = None) -> int:
        """Changes the database has that no stream of this process has sent (0: no streams)."""
        newest = self.newest if newest is None else newest
        return max(0, newest - self.sent) if self.streams else 0

    def behind(self, newest: int, grace: float) -> bool:
        """Lagging with nothing moving (no NOTIFY, no stream advancing) for ``grace`` s."""
        return self.lag(newest) > 0 and time.monotonic() - self.moved > grace

    def _tick(self, conn: psycopg.Connection) -> None:
        """Every second on the LISTEN connection: the newest id, which also proves it alive."""
        self.newest = conn.execute(NEWEST).fetchone()[0]  # type: ignore[index]
        metrics.CHANGE_LAG.set(self.lag())

    def _up(self, up: bool) -> None:
        (self.connected.set if up else self.connected.clear)()
        metrics.LISTENERS_DOWN.set(0 if up else 1)

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
                    self._tick(conn)
                    if delay > 0.5:
                        log.warning("LISTEN connection restored")
                    delay = 0.5
                    self._up(True)
                    self.revocations += 1
                    self._wake()  # anything missed while we were away gets read now
                    while not self._stopped.is_set():
                        for note in conn.notifies(timeout=1.0):
                            self.revocations += note.payload == ACCESS
                            self._wake()
                        self._tick(conn)
            except psycopg.Error as exc:
                self._up(False)
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
    notifier.streaming(+1)
    try:
        yield from _follow(engine, layers, notifier, since, heartbeat, may_read, allowed)
    except sa.exc.OperationalError as exc:
        log.warning("change stream ended, database unavailable: %s", exc.orig)
    finally:
        notifier.streaming(-1)


def _opening(engine: Engine, since: int) -> Generator[str, None, tuple[dt.date, int]]:
    """The stream's first events; returns the day sent and the id to follow from."""
    yield "retry: 2000\n\n"
    day = today(engine)
    yield day_event(day)
    newest = latest_id(engine)
    if since > newest or 0 < since < latest_epoch(engine):
        # The client saw a history this database does not have (restored or replaced):
        # it must reload everything rather than wait for ids that will never come.
        yield reset_event(newest)
        since = newest
    return day, since


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
    day, since = yield from _opening(engine, since)
    generation, checked, revocations = notifier.generation, time.monotonic(), -1
    while True:
        if notifier.revocations != revocations:
            revocations = notifier.revocations
            if not allowed():
                yield REVOKED
                return
        batch = notifier.batches.get(
            (since, generation), partial(changes_after, engine, layers, since)
        )
        for change in batch:
            if change.op == EPOCH:
                yield reset_event(change.id)
            elif may_read(change.layer):
                yield change.event()
            since = change.id
        notifier.caught_up(since)  # a long replay moves it on batch by batch
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
