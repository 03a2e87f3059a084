"""Codes and their Chinese labels for coded properties (status, county, …).

Labels come from the layer file (``values``) or from a table (``labels``);
table-backed ones are cached briefly so a new working group shows up without
a restart but a request never waits on it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from types import MappingProxyType

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from mapserver.layers import Property


class Vocabulary:
    def __init__(self, engine: Engine, ttl: float = 60.0) -> None:
        self._engine = engine
        self._ttl = ttl
        self._cache: dict[tuple[str, str, str], tuple[float, Mapping[str, str]]] = {}
        self._lock = threading.Lock()

    def labels(self, prop: Property) -> Mapping[str, str]:
        """code -> label for a coded property, in the table's or file's order."""
        if prop.values is not None:
            return prop.values
        if prop.labels is None:
            return MappingProxyType({})
        src = prop.labels
        key = (src.table, src.key, src.label)
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
        if hit and now - hit[0] < self._ttl:
            return hit[1]
        # Identifiers were checked against the database at startup.
        sql = sa.text(f'SELECT "{src.key}", "{src.label}" FROM "{src.table}" ORDER BY 1')
        with self._engine.connect() as conn:
            value = MappingProxyType({str(k): v for k, v in conn.execute(sql)})
        with self._lock:
            self._cache[key] = (now, value)
        return value

    def forget(self) -> None:
        with self._lock:
            self._cache.clear()
