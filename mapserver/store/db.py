"""The database engine: one pool per process, psycopg 3 underneath."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import QueuePool

from mapserver.ops import metrics


class MeteredPool(QueuePool):
    """SQLAlchemy's queue pool, counting connections in use and threads waiting (/metrics)."""

    def _do_get(self) -> Any:
        metrics.POOL_WAITING.inc()
        try:
            record = super()._do_get()
        finally:
            metrics.POOL_WAITING.dec()
        metrics.POOL_IN_USE.inc()
        return record

    def _do_return_conn(self, record: Any) -> None:
        metrics.POOL_IN_USE.dec()
        super()._do_return_conn(record)


# Connections beyond the pool, for a request that holds two at once. SQLAlchemy closes one
# of these as soon as it is returned, so they must stay rare: with twice the pool as
# overflow (before), a burst wider than the pool opened a PostgreSQL backend per request and
# planned afresh every statement psycopg had prepared: 0.6-0.9 ms of PostgreSQL per
# ``items/{code}`` at 16 connections against 0.3 ms with a pool wide enough (bench.tiles).
# Requests beyond pool and overflow wait for a connection (mapserver_db_pool_waiting).
OVERFLOW = 4


def make_engine(
    url: str,
    pool_size: int = 8,
    statement_timeout_ms: int = 0,
    spatial_filter_slots: int = 0,
    claim_key: bytes | None = None,
    connect_timeout: int = 0,
) -> Engine:
    """An engine for ``url``; plain ``postgresql://`` URLs get the psycopg 3 driver.

    ``statement_timeout_ms`` (0: none) bounds every statement on its connections, so one
    costly filter cannot hold a database CPU for long; PostgreSQL cancels it and psycopg
    raises QueryCanceled. The app's engine sets it; migrations, the loader and the LISTEN
    connection (mapserver.features.live, its own psycopg connection) have none.
    ``spatial_filter_slots`` (0: no limit) is read by mapserver.features.admission, ``claim_key``
    (None: the configured secret's) by mapserver.store.claims.
    ``connect_timeout`` (s, 0: the driver's) bounds connecting: a read replica's host gone.
    """
    options = f"-c statement_timeout={int(statement_timeout_ms)}" if statement_timeout_ms else ""
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    engine = sa.create_engine(
        url,
        poolclass=MeteredPool,
        hide_parameters=True,  # error messages, hence logs, never carry a bound value
        pool_size=pool_size,
        max_overflow=OVERFLOW,
        pool_pre_ping=False,  # see ping_when_idle
        # A connection goes back to the pool with COMMIT, not ROLLBACK: psycopg forgets its
        # prepared statements on every ROLLBACK, so the feed's read-only transactions were
        # parsed and planned afresh on every request (2 ms of PostgreSQL per 100-row page).
        # Writes commit or roll back explicitly (engine.begin(), mapserver.store.writes) first.
        pool_reset_on_return="commit",
        execution_options={"spatial_filter_slots": spatial_filter_slots, "claim_key": claim_key},
        connect_args={
            "application_name": "mapserver",
            **({"options": options} if options else {}),
            **({"connect_timeout": connect_timeout} if connect_timeout else {}),
        },
    )
    ping_when_idle(engine)
    return engine


IDLE_PING_S = 1.0  # a connection back in the pool longer than this is pinged at checkout


def ping_when_idle(engine: Engine) -> None:
    """SQLAlchemy's pre-ping, but only for connections that have been idle a while.

    A ping is a round trip before every request's first statement (a fifth of a one-feature
    read's time); a connection used a moment ago is almost surely alive, and if the database
    went away since, the request fails with 503 like any request during an outage, and the
    pool drops its connections. A connection idle for longer (a restart overnight) is still
    checked, and replaced if dead, before a request sees it.
    """

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _returned(dbapi_connection: Any, record: Any) -> None:
        record.info["returned"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if time.monotonic() - record.info.get("returned", 0.0) <= IDLE_PING_S:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise sa.exc.DisconnectionError() from exc  # the pool reconnects and retries
