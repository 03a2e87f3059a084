"""One read's snapshot and its version: REPEATABLE READ, an ETag, 304.

A read that answers in several statements (a page and its count, figures and their
groups) runs them in one REPEATABLE READ snapshot, so they agree. The feed, the OGC items
and downloads also tag the answer with the change log's version and the day, and answer
``304`` when the client's copy is that version.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import Response, request
from sqlalchemy.engine import Connection, Engine

from mapserver.features import feed, query
from mapserver.web.replication import reads


def snapshot(engine: Engine | None = None) -> Connection:
    """A REPEATABLE READ connection on ``engine`` (default: this request's reads)."""
    return (engine or reads()).connect().execution_options(isolation_level="REPEATABLE READ")


@dataclass(frozen=True)
class Versioned:
    """A snapshot, the headers naming its version, and whether the client has it."""

    conn: Connection
    headers: dict[str, str]
    fresh: bool

    def not_modified(self) -> Response:
        self.conn.close()
        return Response(status=304, headers=self.headers)


def versioned(
    q: query.FeatureQuery,
    variant: str,
    *,
    weak: bool = False,
    engine: Engine | None = None,
    extra: dict[str, str] | None = None,
) -> Versioned:
    """The snapshot for ``q``; ``variant`` tells representations of one query apart."""
    conn = snapshot(engine)
    try:
        version, day = feed.snapshot(conn)
        tag = feed.etag(q, version, day, variant)
    except BaseException:
        conn.close()
        raise
    headers = version_headers(tag, version, day, weak, extra)
    return Versioned(conn, headers, request.if_none_match.contains_weak(tag))


def version_headers(
    tag: str, version: int, day: dt.date, weak: bool, extra: dict[str, str] | None = None
) -> dict[str, str]:
    """``ETag`` (``tag``, weak or strong), ``Cache-Control`` and the data version and day."""
    headers = {"ETag": f'W/"{tag}"' if weak else f'"{tag}"', "Cache-Control": "no-cache",
               "X-Data-Version": str(version), "X-Data-Day": day.isoformat()}  # fmt: skip
    headers.update(extra or {})
    return headers
