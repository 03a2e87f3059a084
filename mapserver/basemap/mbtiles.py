"""A reader of MBTiles 1.3 files (SQLite), for the offline basemap.

MBTiles stores rows in the TMS scheme (row 0 at the south); the web asks in XYZ (row 0 at
the north), so a tile's row is flipped here and nowhere else. Each thread keeps its own
read-only connection: SQLite connections must not cross threads, nor a gunicorn fork.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

TILE = "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?"


class MBTilesError(ValueError):
    """The file is not an MBTiles this reader can use."""


class MBTiles:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        connection = self._connect()
        try:
            self.metadata = self._read_metadata(connection)
            zooms = connection.execute("SELECT min(zoom_level), max(zoom_level) FROM tiles")
            self.zooms: tuple[int | None, int | None] = zooms.fetchone()
        except sqlite3.DatabaseError as exc:
            raise MBTilesError(f"not an MBTiles file ({exc})") from None
        finally:
            connection.close()

    def _connect(self) -> sqlite3.Connection:
        uri = f"{self.path.resolve().as_uri()}?mode=ro"
        try:
            return sqlite3.connect(uri, uri=True, check_same_thread=False)
        except sqlite3.Error as exc:
            raise MBTilesError(f"cannot open ({exc})") from None

    @staticmethod
    def _read_metadata(connection: sqlite3.Connection) -> dict[str, str]:
        rows = connection.execute("SELECT name, value FROM metadata").fetchall()
        return {str(name): str(value) for name, value in rows}

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = self._connect()
        return connection

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        """The stored bytes of tile z/x/y (XYZ scheme), or None when the file has none."""
        row = (1 << z) - 1 - y  # TMS
        found = self._connection().execute(TILE, (z, x, row)).fetchone()
        return bytes(found[0]) if found else None
