"""Admission of costly queries: at most N spatially filtered queries run at once, database-wide.

A spatial CQL2 filter may cost seconds of database CPU (a long line ``S_DWITHIN`` against
20,000-vertex sites) even within the filter limits; the statement timeout ends each one,
but a few clients sending them back to back would still keep every core busy and starve
the big screen. Each such query first takes one of ``spatial_filter_slots`` PostgreSQL
advisory locks for its transaction (all app processes share them); when none frees up
within :data:`WAIT` seconds the request is refused with 503 and ``Retry-After``.
The number of slots is an execution option of the app's engine (mapserver.store.db).
"""

from __future__ import annotations

import random

import sqlalchemy as sa
from psycopg.errors import LockNotAvailable
from sqlalchemy.exc import OperationalError

from mapserver.errors import Busy
from mapserver.features.query import FeatureQuery

OPTION = "spatial_filter_slots"
LOCK_CLASS = 0x6D6170  # "map": the advisory lock space's first key, the slot the second
WAIT = 2.0  # seconds a request waits for a slot
TRY = sa.text("SELECT pg_try_advisory_xact_lock(:c, :s)")
WAIT_FOR = sa.text("SELECT pg_advisory_xact_lock(:c, :s)")


def admit(conn: sa.Connection, q: FeatureQuery) -> None:
    """Take a slot for ``q``'s transaction if its filter is spatial; raise :class:`Busy`.

    A free slot is taken at once; otherwise the request waits, without polling, on one
    slot picked at random for at most :data:`WAIT` seconds (``lock_timeout``).
    """
    slots = conn.get_execution_options().get(OPTION, 0)
    if not slots or q.filter is None or not q.filter.spatial:
        return
    for slot in range(slots):
        if conn.execute(TRY, {"c": LOCK_CLASS, "s": slot}).scalar_one():
            return
    conn.execute(sa.text(f"SET LOCAL lock_timeout = {int(WAIT * 1000)}"))
    try:
        conn.execute(WAIT_FOR, {"c": LOCK_CLASS, "s": random.randrange(slots)})
    except OperationalError as exc:
        if not isinstance(exc.orig, LockNotAvailable):
            raise
        raise Busy(
            f"{slots} spatially filtered queries are already running; try again shortly",
            limit={"name": OPTION, "value": slots},
        ) from None
    conn.execute(sa.text("SET LOCAL lock_timeout = DEFAULT"))
