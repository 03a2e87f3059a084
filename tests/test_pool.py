"""The app's connection pool: a burst as wide as the pool opens no connection per request.

A connection opened beyond the pool is closed as soon as it is returned; while the pool's
overflow was twice its size, a burst wider than the pool paid a new PostgreSQL backend (and
the planning of every prepared statement) per request: bench.tiles measured 0.6-0.9 ms of
PostgreSQL per ``items/{code}`` against 0.3 ms with a wide enough pool.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests
import sqlalchemy as sa

from mapserver.settings import Settings
from mapserver.store.db import OVERFLOW, make_engine
from tests.browser import serve, wait_for

ITEMS = "/ogc/collections/projects/items"
WIDE = 12  # requests at once: more than the old pool (8), fewer than the new one (16)
WAITING = """SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND application_name = 'mapserver' AND wait_event_type = 'Lock'"""


def test_the_default_pool_is_wider_than_a_burst_of_requests():
    assert Settings().pool_size >= WIDE


def waiting(owner: sa.Engine) -> int:
    with owner.connect() as conn:
        return conn.execute(sa.text(WAITING)).scalar()


def burst(owner: sa.Engine, base: str, codes: list[str]) -> set[int]:
    """WIDE requests held in PostgreSQL together (behind a table lock), then let go."""
    with owner.connect() as conn, ThreadPoolExecutor(WIDE) as pool:
        conn.execute(sa.text("LOCK TABLE projects IN ACCESS EXCLUSIVE MODE"))
        answers = [pool.submit(requests.get, f"{base}{ITEMS}/{c}", timeout=30) for c in codes]
        wait_for(lambda: waiting(owner) == WIDE)
        conn.rollback()
        return {a.result().status_code for a in answers}


def test_a_burst_opens_connections_once(fresh_url, make_app):
    app = make_app(database_url=fresh_url)
    engine = app.extensions["mapserver"].engine
    opened: list[int] = []
    sa.event.listen(engine, "connect", lambda *_: opened.append(1))
    owner = make_engine(fresh_url, 2)
    try:
        with owner.connect() as conn:
            codes = conn.execute(sa.text("SELECT code FROM projects ORDER BY id LIMIT :n"),
                                 {"n": WIDE}).scalars().all()  # fmt: skip
        with serve(app) as base:
            for _ in range(3):
                assert burst(owner, base, codes) == {200}
    finally:
        owner.dispose()
    # One connection per request in flight, opened once and kept: churn would open up to
    # OVERFLOW more on every burst after the first.
    assert len(opened) <= WIDE, len(opened)
    assert engine.pool.size() == Settings().pool_size
    assert engine.pool._max_overflow == OVERFLOW
