"""Streaming GeoJSON FeatureCollections built by PostGIS.

Each row arrives as finished GeoJSON text; Python only joins rows into
chunks. Counts and links go after the features, once we know them, so the
first bytes leave before the last row is read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from mapserver.query import FeatureQuery, count_sql, features_sql

CHUNK = 500
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


def chunks_sql(q: FeatureQuery) -> tuple[str, dict]:
    """The page as a few rows of ready bytes: features joined by PostgreSQL, CHUNK at a time.

    Python then only forwards bytes (no per-feature objects, no decode/encode); the
    ``limit + 1``-th row only tells whether a next page exists.
    """
    inner, params = features_sql(q)
    sql = (
        "SELECT convert_to(string_agg(f, ',' ORDER BY n) FILTER (WHERE n <= :page), 'UTF8'),"
        " count(*) FILTER (WHERE n <= :page), bool_or(n > :page)"
        f" FROM (SELECT s.f, row_number() OVER () AS n FROM ({inner}) s(f)) p"
        f" GROUP BY (n - 1) / {CHUNK} ORDER BY min(n)"
    )
    return sql, {**params, "page": q.limit}


def stream_collection(
    conn: sa.Connection,
    q: FeatureQuery,
    page_url: Callable[[int], str],
    count_threshold: int,
    members: Mapping[str, Any] | None = None,
    more_links: Sequence[Mapping[str, Any]] = (),
) -> Iterator[bytes]:
    """The FeatureCollection as byte chunks; closes ``conn`` when done or abandoned.

    ``members`` (e.g. OGC ``timeStamp``) go before ``links``; ``more_links`` after
    the paging links.
    """
    try:
        sql, params = chunks_sql(q)
        compiled = sa.text(sql).bindparams(**params).compile(dialect=conn.dialect)
        cursor = conn.connection.driver_connection.cursor()
        cursor.execute(str(compiled), compiled.construct_params(), binary=True)
        yield b'{"type":"FeatureCollection","features":['
        returned, more = 0, False
        for chunk, n, extra in cursor:
            more = more or bool(extra)
            if chunk:
                yield (b"," if returned else b"") + chunk
                returned += n
        cursor.close()
        tail = {"numberReturned": returned}
        matched = number_matched(conn, q, returned, more, count_threshold)
        if matched is not None:
            tail["numberMatched"] = matched
        tail.update(members or {})
        tail["links"] = [*links(q, returned, more, page_url), *more_links]
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
