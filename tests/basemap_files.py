"""Basemap files made in the tests, never downloaded: an MBTiles by GDAL from a synthetic
raster over Guang'an, a vector (MVT) MBTiles by ogr2ogr from synthetic OpenMapTiles-schema
layers, and a PMTiles v3 by a minimal writer (the MBTiles's tiles in one
archive, gzip directories, optionally behind a leaf directory). The writer follows the
spec, not the reader under test, except for the Hilbert tile id, which the tests check
against the spec's published values."""

from __future__ import annotations

import gzip
import json
import math
import sqlite3
import subprocess
from pathlib import Path

import numpy as np
from PIL import Image

from mapserver.basemap.pmtiles import HEADER, tile_id

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


def polygon(west: float, south: float, east: float, north: float) -> dict:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def line(*points: tuple[float, float]) -> dict:
    return {"type": "LineString", "coordinates": [list(p) for p in points]}


# A named street (on the primary road, national road G318) and a named river, as (lon, lat) vertices.
STREET = ((106.6, 30.45), (106.7, 30.55))
RIVER = ((106.55, 30.52), (106.65, 30.56), (106.75, 30.5))
# A village 2 px (at zoom 13; 4 px at 14) east of a tile edge: in the buffer of the tile to
# its west too, so both tiles have its dot.
EDGE_VILLAGE = (106.611328125 + 2 * 360 / 8192 / 256, 30.48)
# A hospital (an important POI: rank 1), its name drawn from zoom 15.
POI = (106.617, 30.472)
# A curved river: the upper half of a circle 45 px across at zoom 13 (90 at 14), in one tile
# at both zooms; no straight stretch of it holds its name.
BEND_CENTRE, BEND_RADIUS = (106.578369140625, 30.458144), 45 * 360 / 8192 / 256
BEND = tuple(
    (
        BEND_CENTRE[0] - BEND_RADIUS * math.cos(math.radians(a)),
        BEND_CENTRE[1]
        + BEND_RADIUS * math.cos(math.radians(BEND_CENTRE[1])) * math.sin(math.radians(a)),
    )
    for a in range(0, 181, 10)
)
# OpenMapTiles-schema layers over 广安区 (EXTENT), as the bundled style expects them, with
# names, plus a layer the style does not know (drawn by its fallback).
VECTOR_LAYERS = {
    "landcover": [({"class": "wood"}, polygon(106.55, 30.4, 106.75, 30.6))],
    "landuse": [({"class": "residential"}, polygon(106.62, 30.44, 106.68, 30.5))],
    "park": [({"class": "park", "name": "公园"}, polygon(106.56, 30.55, 106.6, 30.59))],
    "water": [({"class": "lake"}, polygon(106.58, 30.41, 106.61, 30.44))],
    "waterway": [
        ({"class": "river", "name": "渠江"}, line(*RIVER)),
        ({"class": "river", "name": "清溪小河"}, line(*BEND)),
    ],
    "transportation": [
        ({"class": "primary"}, line((106.55, 30.4), (106.75, 30.6))),
        ({"class": "minor"}, line((106.55, 30.6), (106.75, 30.4))),
    ],
    "transportation_name": [
        (
            {"class": "primary", "name": "Guang'an Dadao", "name:zh": "广安大道", "ref": "G318"},
            line(*STREET),
        )
    ],
    "water_name": [
        ({"class": "lake", "name": "天池湖"}, {"type": "Point", "coordinates": [106.595, 30.425]})
    ],
    "building": [({}, polygon(106.64, 30.46, 106.642, 30.462))],
    "boundary": [({"admin_level": 6}, line((106.55, 30.47), (106.75, 30.47)))],
    "place": [
        ({"class": "town", "name": "广安"}, {"type": "Point", "coordinates": [106.65, 30.5]}),
        (
            {"class": "village", "name": "界牌村"},
            {"type": "Point", "coordinates": list(EDGE_VILLAGE)},
        ),
    ],
    "poi": [
        (
            {"class": "hospital", "rank": 1, "name": "广安市人民医院"},
            {"type": "Point", "coordinates": list(POI)},
        )
    ],
    "mystery": [({}, line((106.56, 30.58), (106.74, 30.42)))],
}


def make_vector_mbtiles(path: Path, maxzoom: int = 12) -> Path:
    """A vector MBTiles as the README builds one: each layer a GeoJSON, gathered into a
    GeoPackage, then ``ogr2ogr -f MBTILES`` (gzipped MVT tiles, zooms 5…maxzoom)."""
    gpkg = path.with_suffix(".gpkg")
    gpkg.unlink(missing_ok=True)
    for name, features in VECTOR_LAYERS.items():
        source = path.with_name(f"{path.stem}.{name}.geojson")
        collection = [{"type": "Feature", "properties": p, "geometry": g} for p, g in features]
        source.write_text(json.dumps({"type": "FeatureCollection", "features": collection}))
        update = ["-update"] if gpkg.exists() else []
        subprocess.run(
            ["ogr2ogr", *update, "-f", "GPKG", gpkg, source, "-nln", name],
            check=True,
            capture_output=True,
        )
    options = ["-dsco", "MINZOOM=5", "-dsco", f"MAXZOOM={maxzoom}", "-dsco", "NAME=广安矢量"]
    subprocess.run(
        ["ogr2ogr", "-f", "MBTILES", path, gpkg, *options], check=True, capture_output=True
    )
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
