"""Read replicas: which database answers a read, so reads scale out on streaming replication.

Writes, logins and the change-log LISTEN stay on the primary (a hot standby can neither
write nor LISTEN). A read goes to a replica that is in rotation — answered its last check,
lags at most ``max_lag`` seconds — and has replayed the newest change the client has seen
(``seen``: read-your-writes); otherwise the primary answers. Each process checks every
replica every ``INTERVAL`` seconds from a thread of its own (started on first use, so
gunicorn's forked workers each get one): the replica's newest change-log id, compared with
the primary's. Change-log ids are given out in commit order (the trigger's advisory lock),
and a standby replays commits in that order, so a replica whose newest id is ≥ N holds
every change up to N; the cached id is at most ``INTERVAL`` old and only ever too low,
which sends a read to the primary, never to a replica that is behind.

Replicas are named ``replica1``, ``replica2``… in the order of the setting: /readyz is
public and must not show hosts.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from mapserver.errors import ConfigError
from mapserver.features.live import NEWEST
from mapserver.ops import metrics

INTERVAL = 0.5  # seconds between checks of the replicas (per process)
TIMEOUT_MS = 1000  # a check's statement (and connection) must answer within this
HISTORY_S = 120.0  # how far back the primary's ids are remembered to measure lag in seconds


def urls(setting: str) -> list[str]:
    """``MAPSERVER_READ_DATABASE_URLS``: URLs separated by spaces or commas."""
    found = setting.replace(",", " ").split()
    for url in found:
        if not url.startswith(("postgresql", "postgres://")):
            raise ConfigError(
                f"MAPSERVER_READ_DATABASE_URLS: {url[:20]!r}… is not a PostgreSQL URL"
            )
    return found


@dataclass
class Replica:
    """One replica's engine and what its last check found."""

    name: str
    engine: Engine
    replayed: int = -1  # newest change-log id it holds; -1: unknown
    lag_s: float | None = None
    lag_changes: int | None = None
    in_rotation: bool = False
    error: str = "not checked yet"

    def detail(self) -> dict[str, Any]:
        out: dict[str, Any] = {"in_rotation": self.in_rotation, "lag_s": self.lag_s}
        out["lag_changes"] = self.lag_changes
        if self.error:
            out["error"] = self.error
        return out


class Router:
    """Chooses the engine of each read; checks the replicas in the background."""

    def __init__(self, primary: Engine, replicas: list[Replica], max_lag: float) -> None:
        self.primary = primary
        self.replicas = replicas
        self.max_lag = max_lag
        self._history: deque[tuple[float, int]] = deque()  # (monotonic time, primary's id)
        self._turn = itertools.count()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._stopped = threading.Event()

    def reader(self, seen: int = 0) -> Engine:
        """A replica in rotation that holds change ``seen``, else the primary."""
        if not self.replicas:
            return self.primary
        self.start()
        able = [r for r in self.replicas if r.in_rotation and r.replayed >= seen]
        if not able:
            return self.primary
        return able[next(self._turn) % len(able)].engine

    def start(self) -> None:
        """The checking thread of this process (again after a fork: threads do not survive it)."""
        if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
                return
            self._pid = os.getpid()
            self._stopped.clear()
            self._thread = threading.Thread(target=self._run, name="replicas", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(5)
        for replica in self.replicas:
            replica.engine.dispose()

    def _run(self) -> None:
        while not self._stopped.is_set():
            self.check()
            self._stopped.wait(INTERVAL)

    def check(self) -> None:
        """Look at the primary's newest id, then at each replica; update rotation and metrics."""
        now = time.monotonic()
        newest = _newest(self.primary)
        if isinstance(newest, int):
            self._remember(now, newest)
        for replica in self.replicas:
            found = _newest(replica.engine)
            if isinstance(found, str):
                replica.error, replica.in_rotation = found, False
                replica.lag_s = replica.lag_changes = None
            else:
                self._measure(replica, found, now)
            _publish(replica)

    def _remember(self, now: float, newest: int) -> None:
        if not self._history or self._history[-1][1] != newest:
            self._history.append((now, newest))
        while len(self._history) > 1 and self._history[1][0] < now - HISTORY_S:
            self._history.popleft()

    def _measure(self, replica: Replica, replayed: int, now: float) -> None:
        """Lag: since when the primary has held a change the replica has not replayed."""
        replica.replayed, replica.error = replayed, ""
        primary = self._history[-1][1] if self._history else replayed
        behind_since = next((t for t, i in self._history if i > replayed), None)
        replica.lag_changes = max(0, primary - replayed)
        replica.lag_s = 0.0 if behind_since is None else round(now - behind_since, 3)
        replica.in_rotation = replica.lag_s <= self.max_lag
        if not replica.in_rotation:
            replica.error = f"lags more than {self.max_lag:g} s"

    def status(self) -> dict[str, Any]:
        """What /readyz shows of each replica."""
        self.start()
        return {r.name: r.detail() for r in self.replicas}


def _newest(engine: Engine) -> int | str:
    """The newest change-log id ``engine``'s database holds, or the kind of error."""
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f"SET LOCAL statement_timeout = {TIMEOUT_MS}"))
            return conn.execute(sa.text(NEWEST)).scalar_one()
    except Exception as exc:  # any failure takes the replica out: the kind says why
        return type(exc).__name__


def _publish(replica: Replica) -> None:
    metrics.REPLICA_IN_ROTATION.labels(replica.name).set(1 if replica.in_rotation else 0)
    unknown = replica.lag_s is None  # -1: not answering
    metrics.REPLICA_LAG_SECONDS.labels(replica.name).set(-1 if unknown else replica.lag_s)
    metrics.REPLICA_LAG_CHANGES.labels(replica.name).set(
        -1 if replica.lag_changes is None else replica.lag_changes
    )
