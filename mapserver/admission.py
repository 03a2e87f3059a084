"""Admission of costly queries: at most N spatially filtered queries run at once, database-wide.

A spatial CQL2 filter may cost seconds of database CPU (a long line ``S_DWITHIN`` against
20,000-vertex sites) even within the filter limits; the statement timeout ends each one,
but a few clients sending them back to back would still keep every core busy and starve
the big screen. Each such query first takes one of ``spatial_filter_slots`` PostgreSQL
advisory locks for its transaction (all app processes share them); when none frees up
within :data:`WAIT` seconds the request is refused with 503 and ``Retry-After``.
The number of slots is an execution option of the app's engine (mapserver.db).
"""

from __future__ import annotations

import time

import sqlalchemy as sa

from mapserver.errors import Busy
from mapserver.query import FeatureQuery

OPTION = "spatial_filter_slots"
LOCK_CLASS = 0x6D6170  # "map": the advisory lock space's first key, the slot the second
WAIT = 2.0  # seconds a request waits for a slot
PAUSE = 0.05


def admit(conn: sa.Connection, q: FeatureQuery) -> None:
    """Take a slot for ``q``'s transaction if its filter is spatial; raise :class:`Busy`."""
    slots = conn.get_execution_options().get(OPTION, 0)
    if not slots or q.filter is None or not q.filter.spatial:
        return
    deadline = time.monotonic() + WAIT
    while True:
        for slot in range(slots):
            taken = conn.execute(
                sa.text("SELECT pg_try_advisory_xact_lock(:c, :s)"), {"c": LOCK_CLASS, "s": slot}
            ).scalar_one()
            if taken:
                return
        if time.monotonic() > deadline:
            raise Busy(
                f"{slots} spatially filtered queries are already running; try again shortly",
                limit={"name": OPTION, "value": slots},
            )
        time.sleep(PAUSE)
