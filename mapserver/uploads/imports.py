"""Reading a project's site from an uploaded file (issue #4 §5 "Import").

County staff bring KML/KMZ (奥维互动地图 Ovital map, Google Earth), a zipped Shapefile,
a GeoPackage, GeoJSON, or a DXF drawing (CAD, CGCS2000 Gauss-Krüger). The file is read
from memory with pyogrio (GDAL's /vsimem/, removed by pyogrio), never written to disk,
and every feature goes through mapserver.geo.geometry.check_geometry: the same rules as
the write API (vertex limit, ranges, validity; nothing repaired).

Public API
----------
``read_upload(filename, data, *, crs=None, layer=None, as_polygons=False,
max_bytes=MAX_BYTES, max_features=MAX_FEATURES, max_unzipped=MAX_UNZIPPED) -> ImportResult``
    The features of one layer in EPSG:4326, each with a geometry and its measures or a
    FeatureError (code, message, location) saying why it cannot be used. Raises
    UploadError (``code``, Chinese + English ``message``) for a file that cannot be used
    at all, crs.CrsError for an unsupported ``crs`` argument.
``merged(result, kind) -> CheckedGeometry | None``
    Every valid feature of a kind ("point", "line", "polygon") as one checked geometry,
    for "use the whole file as the site"; None when the file has none of that kind.
``preview_collection(result) -> dict``
    A GeoJSON FeatureCollection (CRS84) for the editor to show before saving.

The CRS, first that applies: the ``crs`` argument ("user"); the file's own (.prj,
GeoPackage srs, GeoJSON "crs" member; KML is always WGS84: "file"); GeoJSON without a
"crs" member is CRS84 ("default") unless none of its coordinates can be degrees; otherwise
(DXF, a Shapefile without .prj) it is told from the coordinates by crs.detect
("detected"): lon/lat within China, or a Gauss-Krüger zone prefix in the eastings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from mapserver.geo.crs import (
    DEFAULT,
    SUPPORTED,
    CoordinateError,
    CrsError,
    InputCrs,
    detect,
    identify,
    parse_crs,
)
from mapserver.geo.geometry import (
    LINES,
    POINTS,
    POLYGONS,
    CheckedGeometry,
    GeometryError,
    Location,
    check_geometry,
)
from mapserver.geo.measures import Measures
from mapserver.uploads import files as uploads
from mapserver.uploads.files import UploadError

__all__ = [
    "MAX_BYTES",
    "MAX_FEATURES",
    "MAX_UNZIPPED",
    "FeatureError",
    "ImportResult",
    "ImportedFeature",
    "SourceCrs",
    "UploadError",
    "merged",
    "preview_collection",
    "read_upload",
]

MAX_BYTES = 20 * 1024 * 1024  # the file as uploaded
MAX_UNZIPPED = 100 * 1024 * 1024  # what a zip or KMZ may inflate to
MAX_FEATURES = 5_000

_KINDS = {"point": POINTS, "line": LINES, "polygon": POLYGONS}


@dataclass(frozen=True)
class FeatureError:
    """Why one feature cannot be used; ``location`` (lon, lat) when it is at a place."""

    code: str
    message: str
    location: Location | None = None


@dataclass(frozen=True)
class ImportedFeature:
    """One feature of the file: a checked geometry and its measures, or an error."""

    number: int  # 1-based position in the layer, as the user counts
    properties: dict[str, Any]  # name / description (/ cad_layer) when the file has them
    geometry: BaseGeometry | None = None  # EPSG:4326 lon/lat, valid, 2D
    measures: Measures | None = None
    error: FeatureError | None = None


@dataclass(frozen=True)
class SourceCrs:
    """The CRS the coordinates were read in, and how it was determined."""

    key: str  # as crs.SUPPORTED names it: "EPSG:4524", "CRS84", "gcj02"
    determined_by: str  # "file" | "user" | "detected" | "default"


@dataclass(frozen=True)
class ImportResult:
    """What was read from an uploaded file, and what was done to read it."""

    features: tuple[ImportedFeature, ...]
    source_crs: SourceCrs
    format: str  # "KML", "KMZ", "ESRI Shapefile", "GPKG", "GeoJSON", "DXF"
    layer: str  # the layer read
    layers: tuple[str, ...]  # every layer in the file
    notes: tuple[str, ...]


def read_upload(
    filename: str,
    data: bytes,
    *,
    crs: str | int | InputCrs | None = None,
    layer: str | None = None,
    as_polygons: bool = False,
    max_bytes: int = MAX_BYTES,
    max_features: int = MAX_FEATURES,
    max_unzipped: int = MAX_UNZIPPED,
) -> ImportResult:
    """Read one layer of an uploaded file (``layer``, or the first with features).

    ``crs`` overrides the file's CRS. ``as_polygons`` turns closed lines (DXF polylines)
    into polygons. See the module docstring for the CRS rules.
    """
    user_crs = None if crs is None else parse_crs(crs)
    dataset = uploads.prepare(filename, data, max_bytes=max_bytes, max_unzipped=max_unzipped)
    notes = list(dataset.notes)
    table = uploads.read_layer(dataset, layer, max_features, notes)
    present = [geom for geom, _ in table.rows if geom is not None]
    source, how = _source_crs(dataset, table.crs, user_crs, present, notes)
    features, closed = [], 0
    for number, (geom, properties) in enumerate(table.rows, 1):
        feature, converted = _feature(number, geom, properties, source, as_polygons)
        features.append(feature)
        closed += converted
    if closed:
        notes.append(f"已将 {closed} 条闭合线转为面 Turned {closed} closed line(s) into polygons")
    return ImportResult(
        tuple(features),
        SourceCrs(source.key, how),
        dataset.format,
        table.name,
        table.names,
        tuple(notes),
    )


def merged(result: ImportResult, kind: str) -> CheckedGeometry | None:
    """All valid features of ``kind`` ("point", "line", "polygon") as one geometry.

    Polygons are unioned (parcels that touch become one), lines and points collected;
    the result is a Multi* checked again: GeometryError if the whole is over the vertex
    limit. None when the file has no valid feature of that kind.
    """
    types = _KINDS.get(kind.lower())
    if types is None:
        raise ValueError(f"kind must be one of {', '.join(_KINDS)}, not {kind!r}")
    parts = [
        part
        for feature in result.features
        if feature.geometry is not None and feature.geometry.geom_type in types
        for part in shapely.get_parts(feature.geometry)
    ]
    if not parts:
        return None
    if types is POLYGONS:
        union = shapely.union_all(parts)
        geom = shapely.MultiPolygon(list(shapely.get_parts(union)))
    elif types is LINES:
        geom = shapely.MultiLineString(parts)
    else:
        geom = shapely.MultiPoint(parts)
    return check_geometry(mapping(geom), allowed=types)


def preview_collection(result: ImportResult) -> dict[str, Any]:
    """A GeoJSON FeatureCollection (CRS84) of every feature, for the editor to show.

    Each feature's properties carry its name/description, ``number``, the measures
    (area_mu, area_ha, perimeter_km or length_km) and ``error`` (code, message,
    location) or None; a feature with an error has a null geometry. The source CRS,
    format, layers and notes ride along as foreign members.
    """
    features = []
    for item in result.features:
        properties = {**item.properties, "number": item.number}
        if item.measures is not None:
            properties |= item.measures.as_dict()
        properties["error"] = None if item.error is None else _error_dict(item.error)
        geometry = None if item.geometry is None else mapping(item.geometry)
        features.append({"type": "Feature", "geometry": geometry, "properties": properties})
    return {
        "type": "FeatureCollection",
        "features": features,
        "source_crs": {
            "crs": result.source_crs.key,
            "uri": SUPPORTED[result.source_crs.key].uri,
            "determined_by": result.source_crs.determined_by,
        },
        "format": result.format,
        "layer": result.layer,
        "layers": list(result.layers),
        "notes": list(result.notes),
    }


def _error_dict(error: FeatureError) -> dict[str, Any]:
    location = None if error.location is None else list(error.location)
    return {"code": error.code, "message": error.message, "location": location}


def _source_crs(
    dataset: uploads.Dataset,
    declared: str | None,
    user: InputCrs | None,
    geometries: Sequence[BaseGeometry],
    notes: list[str],
) -> tuple[InputCrs, str]:
    """The CRS to read the coordinates in, and how it was determined (module docstring)."""
    if user is not None:
        said = _declared_key(declared)
        if said is not None and said != user.key:
            notes.append(
                f"按所选坐标系 {user.key} 读取，文件声明为 {said} "
                f"Read as the chosen {user.key}; the file declares {said}"
            )
        return user, "user"
    defaulted = dataset.crs_defaulted
    if declared is not None and not defaulted:
        try:
            return identify(declared), "file"
        except CrsError as exc:
            message = (
                f"文件的坐标系不受支持 The file's CRS is not supported: {exc.name}；"
                f"请转换或导入时选择坐标系 convert it or choose the CRS; "
                f"支持 supported: {', '.join(SUPPORTED)}"
            )
            raise UploadError(message, "unsupported_crs") from None
    xy = shapely.get_coordinates(list(geometries))
    if defaulted and np.any((np.abs(xy[:, 0]) <= 180) & (np.abs(xy[:, 1]) <= 90)):
        return DEFAULT, "default"  # a stray bad point is that feature's error
    return _detected(dataset, xy, notes), "detected"


def _declared_key(declared: str | None) -> str | None:
    if declared is None:
        return None
    try:
        return identify(declared).key
    except CrsError as exc:
        return str(exc.name)


def _detected(dataset: uploads.Dataset, xy: np.ndarray, notes: list[str]) -> InputCrs:
    """crs.detect on every coordinate, its finding said in notes, its doubt an UploadError."""
    why = f"{dataset.format} 无坐标系 {dataset.format} has no CRS"
    try:
        found = detect(xy)
    except CoordinateError as exc:
        raise UploadError(f"{why}: {exc.message}", "crs_needed") from None
    if found.geographic:
        notes.append(f"{why}；坐标像经纬度，按 CRS84 读取 the coordinates look like lon/lat: CRS84")
    else:
        prefix = int(xy[0, 0] // 1_000_000)
        notes.append(
            f"{why}，按东坐标前两位 {prefix} 识别为 {found.key} "
            f"the easting zone prefix {prefix} gives {found.key}"
        )
    return found


def _feature(
    number: int,
    geom: BaseGeometry | None,
    properties: dict[str, Any],
    source: InputCrs,
    as_polygons: bool,
) -> tuple[ImportedFeature, bool]:
    """One feature checked as the write API checks it; whether a closed line became a polygon."""
    converted = False
    try:
        geom = _simple(geom)
        if as_polygons:
            geom, converted = _closed_lines_as_polygons(geom)
        checked = check_geometry(mapping(geom), crs=source, repair=False)
    except GeometryError as exc:
        error = FeatureError(exc.code, exc.message, exc.location)
        return ImportedFeature(number, properties, error=error), False
    return ImportedFeature(number, properties, checked.geometry, checked.measures), converted


def _simple(geom: BaseGeometry | None) -> BaseGeometry:
    """A 2D point, line or polygon (Multi* for a KML MultiGeometry of one kind)."""
    if geom is None or geom.is_empty:
        raise GeometryError("要素没有可用的几何 The feature has no usable geometry", None, "empty")
    geom = shapely.force_2d(geom)
    if geom.geom_type != "GeometryCollection":
        return geom
    parts = list(shapely.get_parts(shapely.get_parts(geom)))  # through nested Multi*
    dimensions = {int(shapely.get_dimensions(part)) for part in parts}
    if len(dimensions) > 1:
        message = "一个要素混有点、线、面，请拆分 One feature mixes points, lines and polygons"
        raise GeometryError(f"{message}; split it", None, "wrong_type")
    multi = (shapely.MultiPoint, shapely.MultiLineString, shapely.MultiPolygon)[dimensions.pop()]
    return multi(parts)


def _closed_lines_as_polygons(geom: BaseGeometry) -> tuple[BaseGeometry, bool]:
    """A closed LineString (or MultiLineString of closed ones) as a (Multi)Polygon."""
    lines = list(shapely.get_parts(geom)) if geom.geom_type in LINES else []
    if not lines or not all(line.is_closed and len(line.coords) >= 4 for line in lines):
        return geom, False
    polygons = [shapely.Polygon(line.coords) for line in lines]
    if geom.geom_type == "LineString":
        return polygons[0], True
    return shapely.MultiPolygon(polygons), True
