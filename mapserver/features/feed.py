"""Streaming GeoJSON FeatureCollections built by PostGIS.

Each row arrives as finished GeoJSON text; Python only joins rows into
chunks. Counts and links go after the features, once we know them, so the
first bytes leave before the last row is read.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import itertools
import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from psycopg.adapt import Loader

from mapserver.features import admission
from mapserver.features.query import FeatureQuery
from mapserver.features.query_sql import count_sql, features_sql

CHUNK = 500
GEOJSON = "application/geo+json"


def data_version(conn: sa.Connection) -> int:
    """The newest change-log id: moves on with every committed change."""
    return conn.execute(sa.text("SELECT coalesce(max(id), 0) FROM change_log")).scalar_one()


def snapshot(conn: sa.Connection) -> tuple[int, dt.date]:
    """The data version and the day derived properties are for, as the transaction sees them.

    The day counts because derived properties (a project's health, overdue flags) move
    at midnight with no change to the data: a page compares it with the stream's.
    """
    row = conn.execute(
        sa.text("SELECT coalesce(max(id), 0), mapserver_today() FROM change_log")
    ).one()
    return row[0], row[1]


def etag(q: FeatureQuery, version: int, day: dt.date, base: str) -> str:
    """Strong ETag value (unquoted): same layer file, query, data, base URL and day, same bytes."""
    key = f"{q.layer.digest}|{q.canonical()}|{version}|{base}|{day}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


_ESTIMATES: dict[str, tuple[float, float | None]] = {}
ESTIMATE_TTL = 60.0


def cheap_count(conn: sa.Connection, table: str, threshold: int) -> bool:
    """True when the planner thinks the table (or view) is small enough to count every time.

    The estimate moves slowly; it is read at most once a minute per table and process.
    """
    now = time.monotonic()
    hit = _ESTIMATES.get(table)
    if hit is None or now - hit[0] > ESTIMATE_TTL:
        # The planner's row estimate: right for views too (a view's reltuples is 0, which
        # made every request on the battle_projects view count 100,000 rows). ``table`` is
        # an identifier from a layer file, checked at startup.
        plan = conn.execute(sa.text(f'EXPLAIN (FORMAT JSON) SELECT 1 FROM "{table}"')).scalar()
        estimate = plan[0]["Plan"]["Plan Rows"]
        hit = _ESTIMATES[table] = (now, estimate)
    return hit[1] is not None and hit[1] <= threshold


class _Utf8(Loader):
    """``text`` as the raw UTF-8 bytes: the feed forwards what PostGIS wrote, undecoded."""

    def load(self, data) -> bytes:
        return bytes(data)


def _rows(conn: sa.Connection, q: FeatureQuery) -> Iterator[list[bytes]]:
    """Feature rows in lists of at most CHUNK, straight from psycopg, as bytes.

    A page of at most CHUNK rows is one plain execute (psycopg prepares it after
    five uses); a bigger page is streamed CHUNK rows at a time (libpq chunked
    mode), so the first bytes leave while PostgreSQL still works. No server-side
    cursor, no sort, no per-feature str.
    """
    sql, params = features_sql(q)
    text, compiled = driver_sql(sql, conn.dialect)
    values = compiled.construct_params(params)
    cur = conn.connection.driver_connection.cursor()
    cur.adapters.register_loader("text", _Utf8)
    try:
        if q.limit + 1 <= CHUNK:
            cur.execute(text, values)
            yield [r[-1] for r in cur.fetchall()]
            return
        batch: list[bytes] = []
        for row in cur.stream(text, values, size=CHUNK):
            batch.append(row[-1])
            if len(batch) == CHUNK:
                yield batch
                batch = []
        if batch:
            yield batch
    finally:
        cur.close()


@functools.lru_cache(maxsize=256)
def driver_sql(sql: str, dialect: sa.Dialect) -> tuple[str, Any]:
    """``sql`` (``:name`` parameters) compiled once for psycopg: its text and the compiled
    form (``construct_params`` orders a dict of values), for a driver cursor."""
    compiled = sa.text(sql).compile(dialect=dialect)
    return compiled.string, compiled


def stream_collection(
    conn: sa.Connection,
    q: FeatureQuery,
    page_url: Callable[[int], str],
    count_threshold: int,
    members: Mapping[str, Any] | None = None,
    more_links: Sequence[Mapping[str, Any]] = (),
) -> Iterator[bytes]:
    """The FeatureCollection as byte chunks; closes ``conn`` when done or abandoned.

    The query runs and its first rows arrive before this returns, so a filter PostgreSQL
    refuses, or a statement it cancels, is an error response rather than a broken stream.
    ``members`` (e.g. OGC ``timeStamp``) go before ``links``; ``more_links`` after
    the paging links.
    """
    rows = _rows(conn, q)
    try:
        admission.admit(conn, q)
        first = next(rows, [])
    except BaseException:
        rows.close()
        conn.close()
        raise
    return _collection(conn, q, itertools.chain([first], rows), page_url, count_threshold,
                       members, more_links)  # fmt: skip


def _collection(
    conn: sa.Connection,
    q: FeatureQuery,
    batches: Iterator[list[bytes]],
    page_url: Callable[[int], str],
    count_threshold: int,
    members: Mapping[str, Any] | None,
    more_links: Sequence[Mapping[str, Any]],
) -> Iterator[bytes]:
    try:
        yield b'{"type":"FeatureCollection","features":['
        returned, more = 0, False
        for rows in batches:
            if returned + len(rows) > q.limit:
                rows, more = rows[: q.limit - returned], True
            if rows:
                yield (b"," if returned else b"") + b",".join(rows)
                returned += len(rows)
        tail = {"numberReturned": returned}
        matched = number_matched(conn, q, returned, more, count_threshold)
        if matched is not None:
            tail["numberMatched"] = matched
        tail.update(members or {})
        tail["links"] = [*links(q, returned, more, page_url), *more_links]
        yield b"]," + json.dumps(tail, ensure_ascii=False)[1:].encode()
        # A read ends with COMMIT: closing would ROLLBACK, and psycopg forgets its prepared
        # statements on every ROLLBACK, so the page's statements were parsed and planned
        # afresh on every request (mapserver.store.db's commit-on-return never saw this one).
        conn.commit()
    finally:
        conn.close()


def number_matched(
    conn: sa.Connection, q: FeatureQuery, returned: int, more: bool, threshold: int
) -> int | None:
    """Known for free on the last page; counted when asked or when the table is small."""
    if not more and (returned or q.offset == 0):
        return q.offset + returned
    if q.count or cheap_count(conn, q.layer.table, threshold):
        sql, params = count_sql(q)
        return conn.execute(sa.text(sql), params).scalar_one()
    return None


def links(q: FeatureQuery, returned: int, more: bool, page_url: Callable[[int], str]) -> list:
    out = [{"rel": "self", "type": GEOJSON, "href": page_url(q.offset)}]
    if more:
        out.append({"rel": "next", "type": GEOJSON, "href": page_url(q.offset + q.limit)})
    if q.offset > 0:
        out.append(
            {
                "rel": "prev",
                "type": GEOJSON,
                "href": page_url(max(0, q.offset - q.limit)),
            }
        )
    return out
