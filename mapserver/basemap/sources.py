"""The offline basemap: local MBTiles / PMTiles files named in ``MAPSERVER_BASEMAP``,
plus the online choices (Tianditu with a key, the legacy ``MAPSERVER_TILE_URL``) that the
pages offer in one switcher.

``MAPSERVER_BASEMAP='矢量=/srv/maps/city.mbtiles;影像=/srv/maps/img.pmtiles'``: entries
separated by ``;``, each ``name=path`` or just ``path`` (named by the file's stem). The
first is the default; the editor prefers the first whose name contains 影像, because
boundaries are drawn on imagery. Every file is opened and checked at startup.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mapserver.basemap.mbtiles import MBTiles, MBTilesError
from mapserver.basemap.pmtiles import PMTiles, PMTilesError
from mapserver.errors import ConfigError, InvalidParameter

SETTING = "MAPSERVER_BASEMAP"
NAME = re.compile(r"^[^/\\;=?#%\s]{1,40}$")
MEDIA_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "webp": "image/webp",
    "pbf": "application/vnd.mapbox-vector-tile",
}
RASTER = ("png", "jpg", "webp")
MAX_ZOOM = 24
IMAGERY = "影像"
TIANDITU_HOSTS = [f"https://t{i}.tianditu.gov.cn" for i in range(8)]
TIANDITU_WMTS = (
    "https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
)
TIANDITU = (("天地图矢量", ("vec", "cva")), ("天地图影像", ("img", "cia")))


@dataclass(frozen=True)
class Basemap:
    """One local tile file and what its metadata says about it."""

    name: str
    path: Path
    container: str  # mbtiles | pmtiles
    tile_format: str  # png | jpg | webp | pbf
    bounds: tuple[float, float, float, float] | None
    minzoom: int
    maxzoom: int
    attribution: str
    version: str  # changes when the file does: part of the tile URLs, for long caching
    reader: Any = field(repr=False, compare=False)
    gzipped: bool = False  # vector tiles stored gzip-compressed

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        return self.reader.tile(z, x, y)


def parse_setting(value: str) -> list[tuple[str, Path]]:
    """(name, path) for each ``;``-separated entry; names checked and unique."""
    entries: list[tuple[str, Path]] = []
    for part in (p.strip() for p in value.split(";")):
        if not part:
            continue
        name, _, path = part.rpartition("=") if "=" in part else ("", "", part)
        name = name.strip() or Path(path.strip()).stem
        if not NAME.match(name):
            raise ConfigError(f"{SETTING}: {name!r} is not a usable name (no / ; = ? # % spaces)")
        if name in (n for n, _ in entries):
            raise ConfigError(f"{SETTING}: the name {name!r} is used twice")
        entries.append((name, Path(path.strip()).expanduser()))
    return entries


def _fingerprint(path: Path) -> str:
    stat = path.stat()
    raw = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()
    return hashlib.blake2b(raw, digest_size=6).hexdigest()


def _bounds(text: str | None) -> tuple[float, float, float, float] | None:
    if not text:
        return None
    values = tuple(float(v) for v in text.split(","))
    if len(values) != 4:
        raise ValueError("bounds is not west,south,east,north")
    return values  # type: ignore[return-value]


def _open_mbtiles(name: str, path: Path) -> Basemap:
    reader = MBTiles(path)
    meta, (low, high) = reader.metadata, reader.zooms
    tile_format = {"jpeg": "jpg"}.get(meta.get("format", ""), meta.get("format", ""))
    if tile_format not in MEDIA_TYPES:
        raise MBTilesError(f"metadata format {meta.get('format')!r}; png, jpg, webp or pbf")
    if low is None:
        raise MBTilesError("it holds no tiles")
    return Basemap(
        name, path, "mbtiles", tile_format, _bounds(meta.get("bounds")),
        int(meta.get("minzoom", low)), int(meta.get("maxzoom", high)),
        meta.get("attribution", ""), _fingerprint(path), reader, gzipped=tile_format == "pbf",
    )  # fmt: skip


def _open_pmtiles(name: str, path: Path) -> Basemap:
    reader = PMTiles(path)
    h = reader.header
    meta = json.loads(reader.metadata() or b"{}")
    if h.tile_type not in MEDIA_TYPES:
        raise PMTilesError(f"tile type {h.tile_type}; png, jpg, webp or pbf")
    if h.tile_compression not in ("none", "gzip", "unknown"):
        raise PMTilesError(f"tiles compressed with {h.tile_compression}; only gzip or none")
    return Basemap(
        name, path, "pmtiles", h.tile_type, h.bounds, h.minzoom, h.maxzoom,
        str(meta.get("attribution", "")), _fingerprint(path), reader,
        gzipped=h.tile_compression == "gzip",
    )  # fmt: skip


OPENERS = {".mbtiles": _open_mbtiles, ".pmtiles": _open_pmtiles}


def open_basemaps(value: str) -> dict[str, Basemap]:
    """Every basemap of the setting, opened and checked; ConfigError names the bad file."""
    basemaps: dict[str, Basemap] = {}
    for name, path in parse_setting(value):
        opener = OPENERS.get(path.suffix.lower())
        if opener is None:
            raise ConfigError(f"{SETTING}: {path}: unknown format (use .mbtiles or .pmtiles)")
        if not path.is_file():
            raise ConfigError(f"{SETTING}: {path}: no such file")
        try:
            basemaps[name] = opener(name, path)
        except (MBTilesError, PMTilesError, ValueError, OSError) as exc:
            raise ConfigError(f"{SETTING}: {path}: {exc}") from None
    return basemaps


def tile_address(z: str, x: str, y: str) -> tuple[int, int, int]:
    """z/x/y as integers inside the Web-Mercator grid; InvalidParameter names the bad one."""
    numbers = {}
    for key, text in (("z", z), ("x", x), ("y", y)):
        if not text.isdigit() or len(text) > 8:
            raise InvalidParameter(f"{key} must be a non-negative integer", parameter=key)
        numbers[key] = int(text)
    if numbers["z"] > MAX_ZOOM:
        raise InvalidParameter(f"z must be 0–{MAX_ZOOM}", parameter="z")
    size = 1 << numbers["z"]
    for key in ("x", "y"):
        if numbers[key] >= size:
            raise InvalidParameter(f"{key} must be below 2^z = {size}", parameter=key)
    return numbers["z"], numbers["x"], numbers["y"]


def describe(basemap: Basemap) -> dict[str, Any]:
    """The /basemap listing entry."""
    return {
        "name": basemap.name,
        "container": basemap.container,
        "format": basemap.tile_format,
        "bounds": list(basemap.bounds) if basemap.bounds else None,
        "minzoom": basemap.minzoom,
        "maxzoom": basemap.maxzoom,
        "attribution": basemap.attribution,
        "tiles": f"/basemap/{basemap.name}/{{z}}/{{x}}/{{y}}?v={basemap.version}",
    }


def page_choices(
    basemaps: dict[str, Basemap], tianditu_key: str | None, tile_url: str | None, attribution: str
) -> list[dict[str, Any]]:
    """What the pages' switcher offers, in order: the files, Tianditu, the legacy URL.
    Each choice is one or more stacked tile layers (Tianditu: the map and its labels); a
    vector file's layer says ``vector`` (the pages draw it with their bundled style)."""
    choices = []
    for b in basemaps.values():
        layer = {"url": describe(b)["tiles"], "bounds": b.bounds}
        layer |= {"minNativeZoom": b.minzoom, "maxNativeZoom": b.maxzoom}
        if b.tile_format not in RASTER:
            layer["vector"] = True
        choices.append({"name": b.name, "attribution": b.attribution, "layers": [layer]})
    if tianditu_key:
        for name, layers in TIANDITU:
            urls = [TIANDITU_WMTS.format(layer=layer, key=tianditu_key) for layer in layers]
            tiles = [{"url": url, "subdomains": "01234567"} for url in urls]
            choices.append({"name": name, "attribution": "© 天地图 Tianditu", "layers": tiles})
    if tile_url:
        choices.append({"name": "底图", "attribution": attribution, "layers": [{"url": tile_url}]})
    return choices
