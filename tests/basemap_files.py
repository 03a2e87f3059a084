"""Basemap files made in the tests, never downloaded: an MBTiles by GDAL from a synthetic
raster over Guang'an, and a PMTiles v3 by a minimal writer (the MBTiles's tiles in one
archive, gzip directories, optionally behind a leaf directory). The writer follows the
spec, not the reader under test, except for the Hilbert tile id, which the tests check
against the spec's published values."""

from __future__ import annotations

import gzip
import json
import sqlite3
import subprocess
from pathlib import Path

import numpy as np
from PIL import Image

from mapserver.pmtiles import HEADER, tile_id

TYPES = {"pbf": 1, "png": 2, "jpg": 3, "webp": 4}
EXTENT = (106.55, 30.6, 106.75, 30.4)  # west, north, east, south: around 广安区


def make_mbtiles(path: Path, tint: int = 128) -> Path:
    """A 256 px gradient (blue channel ``tint``) over Guang'an, as a GeoTIFF, then an
    MBTiles with GDAL (it reprojects to Web Mercator) and its overviews by gdaladdo."""
    h = w = 256
    rows, cols = np.mgrid[0:h, 0:w]
    rgb = np.stack([cols * 255 // w, rows * 255 // h, np.full((h, w), tint)], -1)
    png, tif = path.with_suffix(".src.png"), path.with_suffix(".tif")
    Image.fromarray(rgb.astype("uint8")).save(png)
    for command in (
        ["gdal_translate", "-q", "-a_srs", "EPSG:4326", "-a_ullr", *map(str, EXTENT), png, tif],
        ["gdal_translate", "-q", "-of", "MBTILES", "-co", "TILE_FORMAT=PNG", tif, path],
        ["gdaladdo", "-q", "-r", "average", path, "2", "4", "8"],
    ):
        subprocess.run(command, check=True, capture_output=True)
    return path


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def directory(entries: list[tuple[int, int, int, int]]) -> bytes:
    """(tile_id, offset, length, run_length) entries, sorted, serialised and gzipped."""
    out, last_id = [varint(len(entries))], 0
    for tid, *_ in entries:
        out.append(varint(tid - last_id))
        last_id = tid
    out += [varint(run) for *_, run in entries]
    out += [varint(length) for _, _, length, _ in entries]
    for i, (_, offset, _, _) in enumerate(entries):
        contiguous = i > 0 and offset == entries[i - 1][1] + entries[i - 1][2]
        out.append(varint(0 if contiguous else offset + 1))
    return gzip.compress(b"".join(out))


def mbtiles_tiles(path: Path) -> tuple[dict[tuple[int, int, int], bytes], dict[str, str]]:
    """Every tile of an MBTiles file by XYZ address (its rows flipped from TMS), and metadata."""
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles")
        tiles = {(z, x, (1 << z) - 1 - row): bytes(data) for z, x, row, data in rows}
        meta = dict(db.execute("SELECT name, value FROM metadata").fetchall())
    return tiles, meta


def write(path: Path, tiles: dict, meta: dict, *, leaf: bool = False) -> None:
    data, entries = b"", []
    for (z, x, y), blob in sorted(tiles.items(), key=lambda item: tile_id(*item[0])):
        entries.append((tile_id(z, x, y), len(data), len(blob), 1))
        data += blob
    leaves = b""
    if leaf:
        leaves = directory(entries)
        root = directory([(entries[0][0], 0, len(leaves), 0)])
    else:
        root = directory(entries)
    metadata = gzip.compress(json.dumps({"attribution": meta.get("attribution", "")}).encode())
    west, south, east, north = (float(v) for v in meta["bounds"].split(","))
    zooms = sorted({z for z, _, _ in tiles})
    offsets = [HEADER.size, len(root), HEADER.size + len(root), len(metadata)]
    leaf_at = offsets[2] + len(metadata)
    offsets += [leaf_at, len(leaves), leaf_at + len(leaves), len(data)]
    header = HEADER.pack(
        b"PMTiles", 3, *offsets, len(tiles), len(entries), len(entries),
        1, 2, 1, TYPES[meta["format"]], zooms[0], zooms[-1],
        *(round(v * 1e7) for v in (west, south, east, north)),
        zooms[0], round((west + east) / 2 * 1e7), round((south + north) / 2 * 1e7),
    )  # fmt: skip
    path.write_bytes(header + root + metadata + leaves + data)
