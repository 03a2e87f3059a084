"""An uploaded file: what it is, the bytes GDAL should read, and the layer GDAL reads.

prepare() tells the format from the content's first bytes, so a renamed file still
reads and nothing but the accepted formats ever reaches GDAL (no VRT or other file that
could make GDAL open paths or URLs). A zip is opened by mapserver.uploads.archives, within
limits: its Shapefiles go through mapserver.uploads.shapefiles (parts found in any folder,
packed flat, a .cpg when the .dbf declares none); a KMZ gives its doc.kml.
read_layer() reads one layer with pyogrio, from memory, after checking that GDAL took
it with the expected driver; geometries stay in the file's CRS (mapserver.uploads.imports
converts and checks them).
"""

from __future__ import annotations

import datetime
import io
import json
import math
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import numpy as np
import pyogrio
import shapely
from shapely.geometry.base import BaseGeometry

from mapserver.uploads import shapefiles
from mapserver.uploads.archives import Archive, ArchiveError

MAX_MEMBERS = 100  # members of a zip or KMZ
# Fields taken as a feature's name and description, first match (any case) wins.
_NAME_FIELDS = ("name", "名称", "项目名称", "xmmc", "mc", "title")
_DESCRIPTION_FIELDS = ("description", "descriptio", "desc", "描述", "说明", "备注", "remarks")

# Extension -> the content it should have; "zip" is a zipped Shapefile or a KMZ.
EXTENSIONS = {
    ".kml": "KML",
    ".kmz": "zip",
    ".zip": "zip",
    ".gpkg": "GPKG",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".dxf": "DXF",
}
ACCEPTED = ".kml, .kmz, .zip (Shapefile: .shp + .shx + .dbf + .prj), .gpkg, .geojson, .json, .dxf"
_SIGNATURES = (
    ("zip", re.compile(rb"\APK(?:\x03\x04|\x05\x06)")),
    ("GPKG", re.compile(rb"\ASQLite format 3\x00")),
    (
        "KML",
        re.compile(
            rb"\A(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*<(?:\w+:)?kml[\s>/]",
            re.S,
        ),
    ),
    ("GeoJSON", re.compile(rb"\A(?:\xef\xbb\xbf)?\s*\{")),
    (
        "DXF",
        re.compile(
            rb"\A\s*(?:999\r?\n[^\n]*\n\s*)*0\s*\r?\n\s*SECTION\s*\r?\n"
            rb"|\AAutoCAD Binary DXF\r\n\x1a\x00"
        ),
    ),
)
_EXTENSIONS = {"KML": ".kml", "GPKG": ".gpkg", "GeoJSON": ".geojson", "DXF": ".dxf"}
# GDAL names pyogrio's in-memory copy and its own source file in messages; neither means
# anything to the user.
_VSI_PATH = re.compile(r"'?/vsi\w+/[^\s']*'?")
_GDAL_SOURCE = re.compile(r"\S+\.cpp, \d+: ")
_SHP_MAGIC = b"\x00\x00\x27\x0a"
_DRIVERS = {
    "KML": frozenset({"LIBKML", "KML"}),
    "KMZ": frozenset({"LIBKML", "KML"}),
    "ESRI Shapefile": frozenset({"ESRI Shapefile"}),
    "GPKG": frozenset({"GPKG"}),
    "GeoJSON": frozenset({"GeoJSON"}),
    "DXF": frozenset({"DXF"}),
}


class UploadError(ValueError):
    """Why an uploaded file cannot be used at all: ``code`` for machines, ``message`` for
    people (Chinese + English)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Dataset:
    """An upload ready for GDAL: its format, the drivers allowed to read it, the bytes."""

    filename: str
    format: str  # "KML", "KMZ", "ESRI Shapefile", "GPKG", "GeoJSON", "DXF"
    drivers: frozenset[str]
    payload: bytes  # always a zip: GDAL then sees a member name with the right extension
    notes: tuple[str, ...] = ()
    crs_defaulted: bool = False  # GeoJSON without a "crs" member: CRS84 by RFC 7946

    def layer_name(self, gdal_name: str) -> str:
        """GDAL names a GeoJSON layer after pyogrio's temporary file; show the upload's."""
        return stem(self.filename) if gdal_name.startswith("pyogrio_") else gdal_name


def prepare(filename: str, data: bytes, *, max_bytes: int, max_unzipped: int) -> Dataset:
    """The Dataset for an upload, its format told by content; UploadError if it is unfit."""
    extension = PurePosixPath(filename.replace("\\", "/").lower()).suffix
    if extension and extension not in EXTENSIONS:
        message = (
            f"不支持的文件格式 Unsupported file format: {extension}; 支持 accepted: {ACCEPTED}"
        )
        raise UploadError(message, "unsupported_format")
    if len(data) > max_bytes:
        mb = max_bytes / 1024 / 1024
        raise UploadError(f"文件超过 {mb:g} MB The file exceeds {mb:g} MB", "too_large")
    if not data.strip():
        raise UploadError(f"文件为空 The file is empty: {filename}", "empty")
    family = sniff(data)
    if family is None:
        raise UploadError(_unrecognised(filename, data, EXTENSIONS.get(extension)), "unreadable")
    notes = []
    if extension and EXTENSIONS[extension] != family:
        notes.append(
            f"扩展名为 {extension}，内容是 {family} "
            f"The name says {extension}, the content is {family}"
        )
    if family == "zip":
        try:
            return _from_zip(filename, data, max_unzipped, notes)
        except ArchiveError as exc:
            raise UploadError(exc.message, exc.code) from None
    defaulted = family == "GeoJSON" and _geojson_crs(filename, data) is None
    payload = _wrapped(family, data)
    return Dataset(filename, family, _DRIVERS[family], payload, tuple(notes), defaulted)


def sniff(data: bytes) -> str | None:
    """The family the content's first bytes show: "zip", "GPKG", "KML", "GeoJSON", "DXF"."""
    head = data[:65536]
    return next((family for family, pattern in _SIGNATURES if pattern.match(head)), None)


def stem(filename: str) -> str:
    """The file's name without folders or extension, as a layer name."""
    return PurePosixPath(filename.replace("\\", "/")).stem


def _unrecognised(filename: str, data: bytes, expected: str | None) -> str:
    if data.startswith(_SHP_MAGIC):
        return (
            "单独的 .shp 不能导入，请把 .shp、.shx、.dbf、.prj 一起压缩成 .zip "
            "A .shp alone cannot be read: zip it together with its .shx, .dbf and .prj"
        )
    what = f"不是 {expected} is not {expected}" if expected else "格式无法识别 is not recognised"
    return (
        f"无法读取文件 Cannot read file: {filename}: 内容 the content {what}; 支持 accepted: "
        + ACCEPTED
    )


def _geojson_crs(filename: str, data: bytes) -> dict[str, Any] | None:
    """The top-level "crs" member of a GeoJSON file, which must name its CRS: GDAL would
    fetch a "link" CRS's URL, letting an upload make the server send requests."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        message = f"无法读取文件 Cannot read file: {filename}: GeoJSON 须为 UTF-8 must be UTF-8"
        raise UploadError(message, "unreadable") from None
    except (ValueError, RecursionError) as exc:
        message = f"无法读取文件 Cannot read file: {filename}: JSON 格式错误 invalid JSON: {exc}"
        raise UploadError(message[:300], "unreadable") from None
    crs = document.get("crs") if isinstance(document, dict) else None
    if crs is not None and not (isinstance(crs, dict) and crs.get("type") == "name"):
        message = (
            'GeoJSON 的 crs 只接受 "type": "name" 命名坐标系 Only a named GeoJSON crs is '
            f'accepted ("type": "name"), not {json.dumps(crs, ensure_ascii=False)[:100]}'
        )
        raise UploadError(message, "unsupported_crs")
    return crs


def _from_zip(filename: str, data: bytes, max_unzipped: int, notes: list[str]) -> Dataset:
    """A zipped Shapefile (every .shp in it is a layer) or a KMZ (its doc.kml)."""
    archive = Archive(data, max_members=MAX_MEMBERS, max_bytes=max_unzipped)
    files = [name for name in archive.names if not _junk(name)]
    shps = [name for name in files if name.lower().endswith(".shp")]
    if shps:
        payload = shapefiles.repack(archive, files, shps, notes)
        return Dataset(
            filename, "ESRI Shapefile", _DRIVERS["ESRI Shapefile"], payload, tuple(notes)
        )
    kmls = sorted(
        (name for name in files if name.lower().endswith(".kml")),
        key=lambda name: (name.lower() != "doc.kml", name.count("/")),
    )
    if kmls:
        kml = archive.read(kmls[0])
        if sniff(kml) != "KML":
            raise UploadError(_unrecognised(kmls[0], kml, "KML"), "unreadable")
        return Dataset(filename, "KMZ", _DRIVERS["KMZ"], _wrapped("KML", kml), tuple(notes))
    held = ", ".join(files[:10]) or "—"
    message = f"压缩包中没有 .shp 或 .kml The zip holds no .shp or .kml (it holds: {held})"
    raise UploadError(message, "unsupported_format")


def _wrapped(family: str, data: bytes) -> bytes:
    """One file in a stored zip, so GDAL sees its extension: pyogrio's in-memory copy of
    bare bytes has none, and GDAL warns about a GeoPackage without .gpkg on every read."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("upload" + _EXTENSIONS[family], data)
    return out.getvalue()


def _junk(name: str) -> bool:
    """macOS resource forks and hidden files that zip tools add."""
    parts = name.split("/")
    return parts[0] == "__MACOSX" or parts[-1].startswith(".")


@dataclass(frozen=True)
class Layer:
    """One layer as GDAL read it: geometries still in the file's CRS, properties plain."""

    name: str
    names: tuple[str, ...]  # every layer in the file
    crs: str | None  # as GDAL reports it: "EPSG:4524", "OGC:CRS84", WKT, or None
    rows: list[tuple[BaseGeometry | None, dict[str, Any]]]


def read_layer(dataset: Dataset, wanted: str | None, max_features: int, notes: list[str]) -> Layer:
    """The layer ``wanted``, or the first with features; what was done goes into notes."""
    index, names, info = _choose_layer(dataset, wanted, notes)
    if info["features"] > max_features:
        count = info["features"]
        message = f"要素过多 Too many features: {count} (最多 at most {max_features})"
        raise UploadError(message, "too_many_features")
    return Layer(names[index], names, info["crs"], _read_rows(dataset, index, notes))


def _choose_layer(
    dataset: Dataset, wanted: str | None, notes: list[str]
) -> tuple[int, tuple[str, ...], dict[str, Any]]:
    """The layer to read (its index, every layer's name, GDAL's facts about it): the one
    asked for, else the first with features, said in notes when there are several."""
    names = tuple(dataset.layer_name(str(n)) for n in _gdal(dataset, pyogrio.list_layers)[:, 0])
    if wanted is not None:
        if wanted not in names:
            message = (
                f"文件中没有图层 No layer {wanted!r} in the file; 图层 layers: {', '.join(names)}"
            )
            raise UploadError(message, "layer_not_found")
        return names.index(wanted), names, _info(dataset, names.index(wanted))
    for index, name in enumerate(names):
        info = _info(dataset, index)
        if info["features"] != 0:
            if len(names) > 1:
                notes.append(
                    f"文件有 {len(names)} 个图层，已读取第一个有要素的图层“{name}” The file has "
                    f"{len(names)} layers; read the first with features, {name!r}"
                )
            return index, names, info
    raise UploadError("文件中没有要素 The file has no features", "empty")


def _info(dataset: Dataset, index: int) -> dict[str, Any]:
    """GDAL's facts about a layer, after checking GDAL read it with the expected driver."""
    info = _gdal(dataset, pyogrio.read_info, layer=index, force_feature_count=True)
    if info["driver"] not in dataset.drivers:
        message = (
            f"文件内容不是 {dataset.format} The content is not {dataset.format} "
            f"(GDAL reads it as {info['driver']})"
        )
        raise UploadError(message, "unreadable")
    return info


def _gdal(dataset: Dataset, function: Any, **options: Any) -> Any:
    """Call pyogrio on the dataset's bytes; GDAL's complaints become an UploadError."""
    try:
        return function(dataset.payload, **options)
    except RuntimeError as exc:
        reason = str(exc).split("; It might help")[0]
        reason = _GDAL_SOURCE.sub("", _VSI_PATH.sub("the file", reason)).strip()
        message = f"无法读取文件 Cannot read file: {dataset.filename} ({dataset.format}): {reason}"
        raise UploadError(message[:500], "unreadable") from None


def _read_rows(
    dataset: Dataset, index: int, notes: list[str]
) -> list[tuple[BaseGeometry | None, dict[str, Any]]]:
    """(geometry in the file's CRS or None, properties) per feature; DXF text is skipped."""
    meta, _, wkbs, values = _gdal(dataset, pyogrio.raw.read, layer=index)
    fields = [str(field) for field in meta["fields"]]
    columns = dict(zip(fields, values))
    text = columns.get("Text") if dataset.format == "DXF" else None
    rows, skipped = [], 0
    for index, wkb in enumerate(wkbs if wkbs is not None else [None] * len(values[0])):
        if text is not None and _plain(text[index]):
            skipped += 1
            continue
        rows.append((_shape(wkb), _properties(columns, index, dataset.format)))
    if skipped:
        notes.append(f"已跳过 {skipped} 个文字注记 Skipped {skipped} text label(s)")
    if _has_heights(row[0] for row in rows):
        notes.append("3D 高程已忽略 Heights (Z) ignored")
    return rows


def _shape(wkb: bytes | None) -> BaseGeometry | None:
    """The geometry GDAL read, or None when there is none or GEOS cannot take it."""
    if wkb is None:
        return None
    try:
        return shapely.from_wkb(wkb)
    except shapely.errors.GEOSException:
        return shapely.GeometryCollection()  # reported as unusable in _feature


def _has_heights(geometries: Any) -> bool:
    """Whether any vertex has a Z other than 0 (CAD writes 0 for flat drawings)."""
    present = [g for g in geometries if g is not None and shapely.has_z(g)]
    if not present:
        return False
    z = shapely.get_coordinates(present, include_z=True)[:, 2]
    return bool(np.any(np.isfinite(z) & (z != 0)))


def _properties(columns: dict[str, Any], index: int, fmt: str) -> dict[str, Any]:
    """name and description, from the first field that looks like one (any case)."""
    lower = {field.lower(): field for field in columns}
    result = {}
    for key, candidates in (("name", _NAME_FIELDS), ("description", _DESCRIPTION_FIELDS)):
        for candidate in candidates:
            value = _plain(columns[lower[candidate]][index]) if candidate in lower else None
            if value not in (None, ""):
                result[key] = value
                break
    if fmt == "DXF" and "Layer" in columns:
        result["cad_layer"] = _plain(columns["Layer"][index])
    return result


def _plain(value: Any) -> Any:
    """A field value as plain JSON: numbers, strings, booleans, ISO dates, or None."""
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else str(value)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, str):
        return value.strip()
    return value if isinstance(value, int | float | bool) else None
