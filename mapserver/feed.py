"""Streaming GeoJSON FeatureCollections built by PostGIS.

Each row arrives as finished GeoJSON text; Python only joins rows into
chunks. Counts and links go after the features, once we know them, so the
first bytes leave before the last row is read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator

import sqlalchemy as sa

from mapserver.query import FeatureQuery, count_sql, features_sql

BATCH = 500
GEOJSON = "application/geo+json"


def data_version(conn: sa.Connection) -> int:
    """The newest change-log id: moves on with every committed change."""
    return conn.execute(sa.text("SELECT coalesce(max(id), 0) FROM change_log")).scalar_one()


def etag(q: FeatureQuery, version: int, base: str) -> str:
    """Strong ETag value (unquoted): same layer file, query, data and base URL, same bytes."""
    key = f"{q.layer.digest}|{q.canonical()}|{version}|{base}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def cheap_count(conn: sa.Connection, table: str, threshold: int) -> bool:
    """True when the planner thinks the table is small enough to count every time."""
    estimate = conn.execute(
        sa.text("SELECT reltuples FROM pg_class WHERE oid = to_regclass(:t)"),
        {"t": table},
    ).scalar()
    return estimate is not None and estimate <= threshold


def stream_collection(
    conn: sa.Connection,
    q: FeatureQuery,
    page_url: Callable[[int], str],
    count_threshold: int,
) -> Iterator[bytes]:
    """The FeatureCollection as byte chunks; closes ``conn`` when done or abandoned."""
    try:
        sql, params = features_sql(q)
        result = conn.execution_options(yield_per=BATCH).execute(sa.text(sql), params)
        yield b'{"type":"FeatureCollection","features":['
        returned, more = 0, False
        for rows in result.partitions():
            if returned + len(rows) > q.limit:
                rows, more = rows[: q.limit - returned], True
            if rows:
                head = b"," if returned else b""
                yield head + ",".join(r[-1] for r in rows).encode()
                returned += len(rows)
        tail = {"numberReturned": returned}
        matched = number_matched(conn, q, returned, more, count_threshold)
        if matched is not None:
            tail["numberMatched"] = matched
        tail["links"] = links(q, returned, more, page_url)
        yield b"]," + json.dumps(tail, ensure_ascii=False)[1:].encode()
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
