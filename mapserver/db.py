"""The database engine: one pool per process, psycopg 3 underneath."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine


def make_engine(url: str, pool_size: int = 8) -> Engine:
    """An engine for ``url``; plain ``postgresql://`` URLs get the psycopg 3 driver."""
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return sa.create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size * 2,
        pool_pre_ping=True,
        connect_args={"application_name": "mapserver"},
    )
