"""Rendered vector tiles kept in PostgreSQL (``tile_cache``, migration 0013), shared by
every app process; triggers delete exactly the tiles a committed change touches.

A tile is stored only if the change log has not moved since the snapshot it was rendered
from, under the change log's advisory lock (which every write takes at commit): a tile
rendered before a change and stored after it is never kept. The check and the insert run
in one statement outside a transaction (``mapserver_tiles_store``, migration 0014).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from mapserver.features import admission, tiles
from mapserver.features.query import FeatureQuery
from mapserver.features.tiles import TileId

LOOKUP = sa.text(
    "SELECT tile, etag, owned FROM tile_cache WHERE layer = :layer AND variant = :variant"
    " AND z = :z AND x = :x AND y = :y AND day = mapserver_today()"
)
# feed.snapshot, and for this transaction a generic plan for the tile's prepared statement:
# PostgreSQL kept planning it afresh on every use (about 1 ms, a sixth of a z14 tile).
SNAPSHOT = sa.text(
    "SELECT coalesce(max(id), 0), mapserver_today(),"
    " set_config('plan_cache_mode', 'force_generic_plan', true) FROM change_log"
)
# Lock, check that the change log has not moved, insert: one statement, on the server
# (migration 0014), so the lock every store and every logged write share is held for
# microseconds, not for three round trips.
STORE = sa.text(
    "SELECT mapserver_tiles_store(:layer, :variant, :z, :x, :y, :day, :tile, :etag, :owned,"
    " :version)"
)


@dataclass(frozen=True)
class Tile:
    data: bytes  # empty: nothing to draw (204)
    etag: str  # unquoted, a hash of the bytes
    owned: int  # features whose representative point the tile holds
    cached: bool  # read from tile_cache


def variant(q: FeatureQuery) -> str:
    """What besides the place makes two tiles of a layer differ: the layer file and the
    normalised filters (codes sorted, CQL2 as given in its language)."""
    f = q.filter
    key = [q.layer.digest, q.filters, f and [f.lang, f.crs, f.text]]
    return hashlib.sha256(json.dumps(key, ensure_ascii=False).encode()).hexdigest()[:32]


def _key(q: FeatureQuery, tile: TileId) -> dict:
    return {"layer": q.layer.id, "variant": variant(q), "z": tile.z, "x": tile.x, "y": tile.y}


def get(engine: Engine, q: FeatureQuery, tile: TileId) -> Tile:
    """The tile from the cache, or rendered (in one snapshot) and stored.

    One connection for the three steps: the lookup outside a transaction (one round trip, a
    statement psycopg keeps prepared), the render in a REPEATABLE READ transaction, the
    store outside one again (READ COMMITTED: its check of the change log must see the
    newest commit).
    """
    key = _key(q, tile)
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT")
        row = conn.execute(LOOKUP, key).first()
        if row is not None:
            return Tile(bytes(row.tile), row.etag, row.owned, True)
        conn.rollback()  # ends nothing on the server: there was no transaction
        rendered = _render(conn.execution_options(isolation_level="REPEATABLE READ"), q, tile)
        return _store(conn.execution_options(isolation_level="AUTOCOMMIT"), key, *rendered)


def render(engine: Engine, q: FeatureQuery, tile: TileId) -> tuple[int, dt.date, int, bytes]:
    """The change-log version and day of the snapshot, and what :func:`tiles.render` gives."""
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        return _render(conn, q, tile)


def _render(conn: sa.Connection, q: FeatureQuery, tile: TileId) -> tuple[int, dt.date, int, bytes]:
    version, day, _ = conn.execute(SNAPSHOT).one()
    admission.admit(conn, q)
    owned, data = tiles.render(conn, q, tile)
    # COMMIT, not ROLLBACK (the same for a read): psycopg forgets its prepared statements on
    # ROLLBACK, and planning a z14 tile's statement costs more than running it.
    conn.commit()
    return version, day, owned, data


def store(
    engine: Engine, q: FeatureQuery, tile: TileId, version: int, day: dt.date, owned: int,
    data: bytes,
) -> Tile:  # fmt: skip
    """Keep a tile rendered at change-log ``version``, unless a change came after it."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        return _store(conn, _key(q, tile), version, day, owned, data)


def _store(
    conn: sa.Connection, key: dict, version: int, day: dt.date, owned: int, data: bytes
) -> Tile:
    etag = hashlib.sha256(data).hexdigest()[:32]
    values = {"day": day, "tile": data, "etag": etag, "owned": owned, "version": version}
    conn.execute(STORE, {**key, **values})  # outside a transaction: one round trip
    return Tile(data, etag, owned, False)


def extent_tiles(engine: Engine, q: FeatureQuery, zoom: int) -> Iterator[TileId]:
    """Every tile of ``zoom`` over the layer's extent (what a new big screen asks for)."""
    layer = q.layer
    sql = (
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Transform("
        f'ST_SetSRID(ST_Extent(t."{layer.geometry_column}"), 4326), 3857) e'
        f' FROM "{layer.table}" t WHERE t."{layer.geometry_column}" IS NOT NULL) s'
    )
    with engine.connect() as conn:
        box = conn.execute(sa.text(sql)).one()
    if box[0] is None:
        return
    span, last = 2 * tiles.ORIGIN / (1 << zoom), (1 << zoom) - 1

    def index(v: float) -> int:
        return min(max(int((v + tiles.ORIGIN) // span), 0), last)

    x0, x1 = index(box[0]), index(box[2])
    y0, y1 = last - index(box[3]), last - index(box[1])
    for y in range(y0, y1 + 1):
        for x in range(x0, x1 + 1):
            yield TileId(zoom, x, y)


def seed(
    engine: Engine,
    q: FeatureQuery,
    zooms: range,
    progress: Callable[[int, int, TileId], None] = lambda done, total, tile: None,
) -> int:
    """Render and store every tile of ``zooms`` over the layer's extent; returns how many."""
    todo = [t for z in zooms for t in extent_tiles(engine, q, z)]
    for done, tile in enumerate(todo, 1):
        get(engine, q, tile)
        progress(done, len(todo), tile)
    return len(todo)
