"""A reader of PMTiles v3 files (one file: header, directories, tile data), for the
offline basemap. Small and local on purpose: no network, no extra package.

Spec: https://github.com/protomaps/PMTiles/blob/main/spec/v3/spec.md. Tiles are found by
their Hilbert tile id through the root directory and at most a few leaf directories.
"""

from __future__ import annotations

import gzip
import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

HEADER = struct.Struct("<7sB11Q4B2B4iB2i")  # 127 bytes
COMPRESSION = {0: "unknown", 1: "none", 2: "gzip", 3: "brotli", 4: "zstd"}
TILE_TYPES = {1: "pbf", 2: "png", 3: "jpg", 4: "webp", 5: "avif"}
MAX_DEPTH = 4  # root plus leaves: the spec's writers use at most two levels


class PMTilesError(ValueError):
    """The file is not a PMTiles v3 archive this reader can use."""


@dataclass(frozen=True)
class Header:
    root: tuple[int, int]  # (offset, length) of the root directory
    metadata: tuple[int, int]
    leaves_offset: int
    data_offset: int
    internal_compression: str
    tile_compression: str
    tile_type: str
    minzoom: int
    maxzoom: int
    bounds: tuple[float, float, float, float]


def tile_id(z: int, x: int, y: int) -> int:
    """The Hilbert-curve id of a tile: every tile of lower zooms first, then along the curve."""
    acc = ((1 << (2 * z)) - 1) // 3
    d, s = 0, 1 << z >> 1
    while s > 0:
        rx, ry = int(x & s > 0), int(y & s > 0)
        d += s * s * ((3 * rx) ^ ry)
        if ry == 0:
            if rx == 1:
                x, y = s - 1 - x, s - 1 - y
            x, y = y, x
        s >>= 1
    return acc + d


def parse_header(raw: bytes) -> Header:
    if len(raw) < HEADER.size or raw[:7] != b"PMTiles":
        raise PMTilesError("not a PMTiles file (no PMTiles magic)")
    f = HEADER.unpack(raw[: HEADER.size])
    if f[1] != 3:
        raise PMTilesError(f"PMTiles version {f[1]}; only version 3 is read")
    internal, tiles = COMPRESSION.get(f[14], "?"), COMPRESSION.get(f[15], "?")
    if internal not in ("none", "gzip"):
        raise PMTilesError(f"directories compressed with {internal}; only gzip or none")
    if f[16] not in TILE_TYPES:
        raise PMTilesError(f"unknown tile type {f[16]}")
    return Header(
        root=(f[2], f[3]),
        metadata=(f[4], f[5]),
        leaves_offset=f[6],
        data_offset=f[8],
        internal_compression=internal,
        tile_compression=tiles,
        tile_type=TILE_TYPES[f[16]],
        minzoom=f[17],
        maxzoom=f[18],
        bounds=tuple(v / 1e7 for v in f[19:23]),  # type: ignore[arg-type]
    )


def _varints(buf: bytes, pos: int, count: int) -> tuple[list[int], int]:
    out = []
    for _ in range(count):
        value = shift = 0
        while True:
            if pos >= len(buf):
                raise PMTilesError("directory ends inside a number")
            byte = buf[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
        out.append(value)
    return out, pos


def parse_directory(buf: bytes) -> list[tuple[int, int, int, int]]:
    """Entries (tile_id, offset, length, run_length), in tile id order."""
    (n,), pos = _varints(buf, 0, 1)
    deltas, pos = _varints(buf, pos, n)
    runs, pos = _varints(buf, pos, n)
    lengths, pos = _varints(buf, pos, n)
    raw_offsets, pos = _varints(buf, pos, n)
    entries, tid, offset = [], 0, 0
    for i in range(n):
        tid += deltas[i]
        if i > 0 and raw_offsets[i] == 0:
            offset = entries[-1][1] + entries[-1][2]  # contiguous with the one before
        else:
            offset = raw_offsets[i] - 1
        entries.append((tid, offset, lengths[i], runs[i]))
    return entries


def _find(entries: list[tuple[int, int, int, int]], tid: int) -> tuple[int, int, int, int] | None:
    lo, hi = 0, len(entries) - 1
    while lo <= hi:  # the last entry whose id is <= tid
        mid = (lo + hi) // 2
        if entries[mid][0] <= tid:
            lo = mid + 1
        else:
            hi = mid - 1
    if hi < 0:
        return None
    entry = entries[hi]
    if entry[3] == 0 or tid < entry[0] + entry[3]:
        return entry
    return None


class PMTiles:
    """One archive, read with positioned reads (safe to share between threads)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with path.open("rb") as f:
            self.header = parse_header(f.read(HEADER.size))
        self._root = parse_directory(self._dir(self.header.root[0], self.header.root[1]))

    def _read(self, offset: int, length: int) -> bytes:
        with self.path.open("rb") as f:
            f.seek(offset)
            data = f.read(length)
        if len(data) != length:
            raise PMTilesError("the file is shorter than its directories say")
        return data

    def _dir(self, offset: int, length: int) -> bytes:
        raw = self._read(offset, length)
        return gzip.decompress(raw) if self.header.internal_compression == "gzip" else raw

    def metadata(self) -> bytes:
        raw = self._read(*self.header.metadata)
        return gzip.decompress(raw) if self.header.internal_compression == "gzip" else raw

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        """The stored bytes of tile z/x/y (XYZ scheme), or None when the archive has none."""
        tid, entries = tile_id(z, x, y), self._root
        for _ in range(MAX_DEPTH):
            entry = _find(entries, tid)
            if entry is None:
                return None
            if entry[3] > 0:
                return self._read(self.header.data_offset + entry[1], entry[2])
            entries = self._leaf(self.header.leaves_offset + entry[1], entry[2])
        return None

    @lru_cache(maxsize=64)  # noqa: B019 (one archive per configured basemap, kept for the process)
    def _leaf(self, offset: int, length: int) -> list[tuple[int, int, int, int]]:
        return parse_directory(self._dir(offset, length))
