"""Import of a project site from an uploaded file: KML/KMZ, zipped Shapefile, GeoPackage,
GeoJSON, DXF. Every fixture is made here, in memory or in tmp_path (no binary files)."""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely
from pyogrio import raw
from pyproj import Transformer

from mapserver.geo import chinacoords
from mapserver.geo.crs import CrsError
from mapserver.uploads.imports import (
    ImportResult,
    UploadError,
    merged,
    preview_collection,
    read_upload,
)

LON, LAT = 106.9, 30.5  # east of 106.5°E: 3° Gauss-Krüger zone 36 (CM 108°E)
WEST = (106.3, 30.4)  # zone 35 (CM 105°E)


def to_crs(key: str, lon: float, lat: float) -> tuple[float, float]:
    return Transformer.from_crs("EPSG:4326", key, always_xy=True).transform(lon, lat)


def to_lonlat(key: str, x: float, y: float) -> tuple[float, float]:
    return Transformer.from_crs(key, "EPSG:4326", always_xy=True).transform(x, y)


def square(x: float, y: float, size: float) -> shapely.Polygon:
    return shapely.Polygon([(x, y), (x + size, y), (x + size, y + size), (x, y + size)])


def write(path: Path, geometries, names, *, crs=None, driver=None, **options) -> Path:
    """A file written by GDAL through pyogrio (no geopandas), one ``name`` field."""
    wkb = np.array([shapely.to_wkb(g) for g in geometries], dtype=object)
    field = np.array(names, dtype=object)
    kind = options.pop("geometry_type", geometries[0].geom_type)
    raw.write(
        str(path), wkb, [field], ["name"], driver=driver, geometry_type=kind, crs=crs, **options
    )
    return path


def zipped(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def shapefile(
    tmp_path: Path, geometries, names, crs=None, folder="", **options
) -> dict[str, bytes]:
    """A Shapefile's parts as zip members (under ``folder``)."""
    write(tmp_path / "site.shp", geometries, names, crs=crs, driver="ESRI Shapefile", **options)
    return {folder + p.name: p.read_bytes() for p in sorted(tmp_path.glob("site.*"))}


def kml(placemarks: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2">'
        f"<Document><name>奥维导出</name>{placemarks}</Document></kml>"
    ).encode()


def placemark(name: str, geometry: str, description: str = "") -> str:
    return f"<Placemark><name>{name}</name><description>{description}</description>{geometry}</Placemark>"


def kml_polygon(ring) -> str:
    text = " ".join(",".join(str(v) for v in p) for p in ring)
    return f"<Polygon><outerBoundaryIs><LinearRing><coordinates>{text}</coordinates></LinearRing></outerBoundaryIs></Polygon>"


def geojson(*geometries: dict, crs: str | None = None, names=None) -> bytes:
    names = names or [f"地块{i}" for i in range(1, len(geometries) + 1)]
    collection = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"name": n}, "geometry": g}
            for n, g in zip(names, geometries)
        ],
    }
    if crs:
        collection["crs"] = {"type": "name", "properties": {"name": crs}}
    return json.dumps(collection, ensure_ascii=False).encode()


def dxf(*entities: str, codepage: str | None = None) -> bytes:
    """An ASCII DXF of ENTITIES (R2000 header when a code page is given)."""
    header = ""
    if codepage:
        header = f"0\nSECTION\n2\nHEADER\n9\n$ACADVER\n1\nAC1015\n9\n$DWGCODEPAGE\n3\n{codepage}\n0\nENDSEC\n"
    text = header + "0\nSECTION\n2\nENTITIES\n" + "".join(entities) + "0\nENDSEC\n0\nEOF\n"
    return text.encode("gbk" if codepage == "ANSI_936" else "ascii")


def lwpolyline(points, layer="0", closed=True) -> str:
    vertices = "".join(f"10\n{x}\n20\n{y}\n" for x, y in points)
    return f"0\nLWPOLYLINE\n8\n{layer}\n90\n{len(points)}\n70\n{int(closed)}\n{vertices}"


def line(a, b, layer="0") -> str:
    return (
        f"0\nLINE\n8\n{layer}\n10\n{a[0]}\n20\n{a[1]}\n30\n0.0\n11\n{b[0]}\n21\n{b[1]}\n31\n0.0\n"
    )


def text_entity(at, value) -> str:
    return f"0\nTEXT\n8\n0\n10\n{at[0]}\n20\n{at[1]}\n30\n0.0\n40\n2.5\n1\n{value}\n"


def refused(filename: str, data: bytes, **options) -> UploadError:
    with pytest.raises(UploadError) as caught:
        read_upload(filename, data, **options)
    return caught.value


def only(result: ImportResult):
    assert len(result.features) == 1, result.features
    feature = result.features[0]
    assert feature.error is None, feature.error
    return feature


@pytest.fixture(autouse=True)
def nothing_left_in_memory():
    """pyogrio reads bytes through GDAL's /vsimem/; every copy must be gone afterwards."""
    yield
    assert pyogrio.vsi_listtree("/vsimem/") == []


# --- KML and KMZ -------------------------------------------------------------------------

RING = [(106.90, 30.50), (106.91, 30.50), (106.91, 30.51), (106.90, 30.51), (106.90, 30.50)]


def test_kml_polygon_with_name_description_and_measures():
    data = kml(placemark("广安区某项目用地", kml_polygon(RING), "红线范围"))
    result = read_upload("项目.kml", data)
    feature = only(result)
    assert result.format == "KML"
    assert (result.source_crs.key, result.source_crs.determined_by) == ("EPSG:4326", "file")
    assert feature.properties == {"name": "广安区某项目用地", "description": "红线范围"}
    assert feature.geometry.equals(shapely.Polygon(RING))
    assert feature.measures.area_ha == pytest.approx(
        96.0 * 1.109, rel=0.01
    )  # 0.01° ≈ 960 m × 1109 m
    assert result.notes == ()


def test_kml_heights_are_dropped_and_noted():
    ring = [(x, y, 320.5) for x, y in RING]
    result = read_upload("site.kml", kml(placemark("A", kml_polygon(ring))))
    feature = only(result)
    assert not feature.geometry.has_z
    assert "3D 高程已忽略 Heights (Z) ignored" in result.notes


def test_kmz_reads_its_doc_kml():
    data = zipped({
        "doc.kml": kml(placemark("点位", f"<Point><coordinates>{LON},{LAT},0</coordinates></Point>")),
        "files/icon.png": b"\x89PNG\r\n\x1a\n",
    })  # fmt: skip
    result = read_upload("ovital.kmz", data)
    assert result.format == "KMZ"
    assert only(result).geometry.equals(shapely.Point(LON, LAT))
    assert result.notes == ()  # zero heights are not worth a note


def test_kml_folders_are_layers_and_the_first_with_features_is_read():
    data = kml(
        "<Folder><name>空文件夹</name></Folder>"
        f"<Folder><name>红线</name>{placemark('A', kml_polygon(RING))}</Folder>"
        f"<Folder><name>点位</name>{placemark('B', '<Point><coordinates>106.9,30.5</coordinates></Point>')}</Folder>"
    )
    result = read_upload("site.kml", data)
    assert result.layers == ("空文件夹", "红线", "点位") and result.layer == "红线"
    assert any("3 layers" in note and "红线" in note for note in result.notes)
    chosen = read_upload("site.kml", data, layer="点位")
    assert chosen.layer == "点位" and only(chosen).properties["name"] == "B"
    error = refused("site.kml", data, layer="道路")
    assert error.code == "layer_not_found" and "红线" in error.message


def test_kml_multigeometry_of_one_kind_becomes_multi_and_mixed_is_an_error():
    square_b = [(x + 0.02, y) for x, y in RING]
    same = f"<MultiGeometry>{kml_polygon(RING)}{kml_polygon(square_b)}</MultiGeometry>"
    mixed = f"<MultiGeometry>{kml_polygon(RING)}<Point><coordinates>106.9,30.5</coordinates></Point></MultiGeometry>"
    result = read_upload("site.kml", kml(placemark("two", same) + placemark("mixed", mixed)))
    two, bad = result.features
    assert two.geometry.geom_type == "MultiPolygon" and len(two.geometry.geoms) == 2
    assert bad.geometry is None and bad.error.code == "wrong_type"
    assert "split" in bad.error.message


def test_gcj02_option_converts_web_map_coordinates():
    """Coordinates copied from Amap into a KML: the user says they are GCJ-02."""
    shifted = chinacoords.wgs84_to_gcj02(LON, LAT)
    point = f"<Point><coordinates>{shifted[0]},{shifted[1]}</coordinates></Point>"
    result = read_upload("amap.kml", kml(placemark("高德取点", point)), crs="gcj02")
    assert (result.source_crs.key, result.source_crs.determined_by) == ("gcj02", "user")
    assert only(result).geometry.coords[0] == pytest.approx((LON, LAT), abs=1e-7)
    assert any("EPSG:4326" in note and "gcj02" in note for note in result.notes)


# --- zipped Shapefile --------------------------------------------------------------------


@pytest.mark.parametrize("folder", ["", "红线/2024/"])
def test_zipped_shapefile_in_gauss_kruger_zone_36(tmp_path, folder):
    easting, northing = 36_401_234.5, 3_376_543.2
    members = shapefile(
        tmp_path, [shapely.Point(easting, northing)], ["广安区项目"], crs="EPSG:4524", folder=folder
    )
    assert folder + "site.prj" in members
    result = read_upload("site.zip", zipped(members))
    feature = only(result)
    assert result.format == "ESRI Shapefile" and result.layer == "site"
    assert (result.source_crs.key, result.source_crs.determined_by) == ("EPSG:4524", "file")
    assert feature.geometry.coords[0] == pytest.approx(
        to_lonlat("EPSG:4524", easting, northing), abs=1e-7
    )
    assert feature.properties == {"name": "广安区项目"}


def test_zipped_shapefile_in_zone_35_polygon(tmp_path):
    x, y = to_crs("EPSG:4523", *WEST)
    members = shapefile(tmp_path, [square(x, y, 100.0)], ["岳池县项目"], crs="EPSG:4523")
    feature = only(read_upload("site.zip", zipped(members)))
    assert feature.geometry.exterior.coords[0] == pytest.approx(WEST, abs=1e-7)
    assert feature.measures.area_mu == pytest.approx(
        10_000 / (10_000 / 15), rel=1e-3
    )  # 1 ha = 15 亩


def test_arcgis_style_prj_without_codes_is_identified(tmp_path):
    """An ESRI .prj names the zone but carries no EPSG code."""
    x, y = to_crs("EPSG:4545", LON, LAT)
    members = shapefile(tmp_path, [shapely.Point(x, y)], ["p"], crs="EPSG:4545")
    from pyproj import CRS

    members["site.prj"] = CRS("EPSG:4545").to_wkt("WKT1_ESRI").encode()
    result = read_upload("site.zip", zipped(members))
    assert result.source_crs.key == "EPSG:4545"
    assert only(result).geometry.coords[0] == pytest.approx((LON, LAT), abs=1e-7)


def test_user_crs_overrides_the_prj(tmp_path):
    """The .prj says CM 105°E but the surveyor worked in CM 108°E: the user's choice wins."""
    x, y = to_crs("EPSG:4545", LON, LAT)
    members = shapefile(tmp_path, [shapely.Point(x, y)], ["p"], crs="EPSG:4544")
    result = read_upload("site.zip", zipped(members), crs="EPSG:4545")
    assert (result.source_crs.key, result.source_crs.determined_by) == ("EPSG:4545", "user")
    assert only(result).geometry.coords[0] == pytest.approx((LON, LAT), abs=1e-7)
    assert any("the file declares EPSG:4544" in note for note in result.notes)
    assert read_upload("site.zip", zipped(members)).features[0].geometry.coords[0] != pytest.approx(
        (LON, LAT), abs=1e-3
    )


def test_shapefile_without_prj_is_detected_from_the_zone_prefix(tmp_path):
    x, y = to_crs("EPSG:4524", LON, LAT)
    members = shapefile(tmp_path, [shapely.Point(x, y)], ["p"], crs="EPSG:4524")
    del members["site.prj"]
    result = read_upload("site.zip", zipped(members))
    assert (result.source_crs.key, result.source_crs.determined_by) == ("EPSG:4524", "detected")
    assert only(result).geometry.coords[0] == pytest.approx((LON, LAT), abs=1e-7)


def test_gbk_dbf_without_cpg_keeps_chinese_names(tmp_path):
    """ArcGIS on Chinese Windows writes GBK text; without .cpg nor a language driver
    byte GDAL would take it for Latin-1."""
    members = shapefile(
        tmp_path, [shapely.Point(LON, LAT)], ["华蓥市项目"], crs="EPSG:4490", encoding="CP936"
    )
    members.pop("site.cpg", None)
    dbf = bytearray(members["site.dbf"])
    assert "华蓥市项目".encode("gbk") in dbf
    dbf[29] = 0  # no language driver id
    members["site.dbf"] = bytes(dbf)
    result = read_upload("site.zip", zipped(members))
    assert only(result).properties["name"] == "华蓥市项目"
    assert any("GBK" in note for note in result.notes)


def test_shapefile_missing_its_dbf_is_refused(tmp_path):
    members = shapefile(tmp_path, [shapely.Point(LON, LAT)], ["p"], crs="EPSG:4326")
    del members["site.dbf"]
    error = refused("site.zip", zipped(members))
    assert error.code == "unreadable" and ".dbf" in error.message


def test_a_lone_shp_is_refused_with_what_to_do(tmp_path):
    members = shapefile(tmp_path, [shapely.Point(LON, LAT)], ["p"], crs="EPSG:4326")
    error = refused("site.shp", members["site.shp"])
    assert error.code == "unsupported_format" and ".kml" in error.message
    error = refused("site", members["site.shp"])
    assert "zip it together" in error.message


# --- GeoPackage --------------------------------------------------------------------------


def test_geopackage_in_cgcs2000(tmp_path):
    line_ = shapely.LineString([(LON, LAT), (LON + 0.01, LAT)])
    path = write(
        tmp_path / "site.gpkg", [line_], ["道路工程"], crs="EPSG:4490", driver="GPKG", layer="道路"
    )
    result = read_upload("site.gpkg", path.read_bytes())
    feature = only(result)
    assert (result.format, result.layer) == ("GPKG", "道路")
    assert (result.source_crs.key, result.source_crs.determined_by) == ("EPSG:4490", "file")
    assert feature.geometry.equals(line_)
    assert feature.measures.length_km == pytest.approx(0.96, abs=0.01)


def test_geopackage_with_layers_reads_the_named_one(tmp_path):
    path = tmp_path / "two.gpkg"
    write(path, [shapely.Point(LON, LAT)], ["点"], crs="EPSG:4326", driver="GPKG", layer="points")
    write(
        path,
        [square(LON, LAT, 0.01)],
        ["面"],
        crs="EPSG:4326",
        driver="GPKG",
        layer="sites",
        append=False,
    )
    result = read_upload("two.gpkg", path.read_bytes(), layer="sites")
    assert set(result.layers) == {"points", "sites"}
    assert only(result).properties["name"] == "面"


def test_a_plain_sqlite_file_is_not_a_geopackage(tmp_path):
    path = tmp_path / "x.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("create table t (a text)")
    error = refused("x.gpkg", path.read_bytes())
    assert error.code == "unreadable" and "GPKG" in error.message


def test_unsupported_file_crs_is_named(tmp_path):
    x, y = to_crs("EPSG:32648", LON, LAT)
    path = write(
        tmp_path / "utm.gpkg", [shapely.Point(x, y)], ["p"], crs="EPSG:32648", driver="GPKG"
    )
    error = refused("utm.gpkg", path.read_bytes())
    assert error.code == "unsupported_crs"
    assert "UTM zone 48N" in error.message and "EPSG:4524" in error.message


# --- GeoJSON -----------------------------------------------------------------------------


def test_geojson_defaults_to_crs84():
    result = read_upload("sites.geojson", geojson({"type": "Point", "coordinates": [LON, LAT]}))
    assert (result.source_crs.key, result.source_crs.determined_by) == ("CRS84", "default")
    assert result.layer == "sites" and result.layers == ("sites",)
    assert only(result).properties == {"name": "地块1"}


def test_geojson_with_a_byte_order_mark():
    data = b"\xef\xbb\xbf" + geojson({"type": "Point", "coordinates": [LON, LAT]})
    assert only(read_upload("s.geojson", data)).properties == {"name": "地块1"}
    error = refused(
        "s.geojson", geojson({"type": "Point", "coordinates": [LON, LAT]}).decode().encode("gbk")
    )
    assert error.code == "unreadable" and "UTF-8" in error.message


def test_geojson_with_a_crs_member_uses_it():
    x, y = to_crs("EPSG:4523", *WEST)
    data = geojson({"type": "Point", "coordinates": [x, y]}, crs="urn:ogc:def:crs:EPSG::4523")
    result = read_upload("sites.json", data)
    assert (result.source_crs.key, result.source_crs.determined_by) == ("EPSG:4523", "file")
    assert only(result).geometry.coords[0] == pytest.approx(WEST, abs=1e-7)


def test_geojson_with_gauss_kruger_coordinates_but_no_crs_is_detected():
    x, y = to_crs("EPSG:4524", LON, LAT)
    result = read_upload("sites.geojson", geojson({"type": "Point", "coordinates": [x, y]}))
    assert (result.source_crs.key, result.source_crs.determined_by) == ("EPSG:4524", "detected")
    assert only(result).geometry.coords[0] == pytest.approx((LON, LAT), abs=1e-7)


def test_invalid_polygon_is_reported_per_feature_with_its_location():
    bowtie = [[106.90, 30.50], [106.92, 30.52], [106.92, 30.50], [106.90, 30.52], [106.90, 30.50]]
    good = {"type": "Point", "coordinates": [LON, LAT]}
    result = read_upload(
        "s.geojson", geojson(good, {"type": "Polygon", "coordinates": [bowtie]}, good)
    )
    first, bad, third = result.features
    assert first.error is None and third.error is None
    assert bad.geometry is None and bad.measures is None
    assert bad.error.code == "self_intersection"
    assert "自相交" in bad.error.message and "Self-intersection" in bad.error.message
    assert bad.error.location == pytest.approx((106.91, 30.51), abs=1e-9)
    assert (bad.number, bad.properties["name"]) == (2, "地块2")


def test_feature_rules_are_the_write_apis():
    """Range, vertex limit and empty geometry, as check_geometry words them."""
    many = [[106.9 + i * 1e-5, 30.5] for i in range(20_001)]
    data = geojson(
        {"type": "Point", "coordinates": [LON, 91.0]},
        {"type": "LineString", "coordinates": many},
        None,
    )
    codes = [f.error.code for f in read_upload("s.geojson", data).features]
    assert codes == ["out_of_range", "too_many_vertices", "empty"]


def test_unsupported_user_crs_is_a_crs_error():
    with pytest.raises(CrsError):
        read_upload(
            "s.geojson", geojson({"type": "Point", "coordinates": [LON, LAT]}), crs="EPSG:2383"
        )


def test_renamed_file_is_read_by_its_content():
    data = kml(placemark("A", "<Point><coordinates>106.9,30.5</coordinates></Point>"))
    result = read_upload("site.json", data)
    assert result.format == "KML"
    assert any("the content is KML" in note for note in result.notes)


# --- DXF ---------------------------------------------------------------------------------


def gk_square(key: str, lon: float, lat: float, size: float = 100.0) -> list[tuple[float, float]]:
    x, y = to_crs(key, lon, lat)
    return [(x, y), (x + size, y), (x + size, y + size), (x, y + size)]


def test_dxf_zone_36_is_detected_from_the_easting_prefix():
    corners = gk_square("EPSG:4524", LON, LAT)
    data = dxf(
        lwpolyline(corners, layer="用地红线"), line(corners[0], corners[2]), codepage="ANSI_936"
    )
    result = read_upload("红线.dxf", data)
    assert result.format == "DXF"
    assert (result.source_crs.key, result.source_crs.determined_by) == ("EPSG:4524", "detected")
    assert (
        "DXF 无坐标系 DXF has no CRS，按东坐标前两位 36 识别为 EPSG:4524 the easting zone prefix 36 gives EPSG:4524"
        in result.notes
    )
    ring, diagonal = result.features
    assert ring.geometry.geom_type == "LineString" and ring.geometry.is_closed
    assert ring.geometry.coords[0] == pytest.approx((LON, LAT), abs=1e-7)
    assert ring.properties == {"cad_layer": "用地红线"}
    assert diagonal.geometry.coords[1] == pytest.approx(
        to_lonlat("EPSG:4524", *corners[2]), abs=1e-7
    )


def test_dxf_closed_polylines_as_polygons_on_request():
    corners = gk_square("EPSG:4523", *WEST)
    data = dxf(lwpolyline(corners), lwpolyline(corners[:3], closed=False))
    result = read_upload("site.dxf", data, as_polygons=True)
    assert result.source_crs.key == "EPSG:4523"
    polygon, open_line = result.features
    assert polygon.geometry.geom_type == "Polygon"
    assert polygon.measures.area_m2 == pytest.approx(10_000, rel=1e-3)
    assert open_line.geometry.geom_type == "LineString"
    assert any("1 closed line(s) into polygons" in note for note in result.notes)


def test_dxf_text_labels_are_skipped():
    corners = gk_square("EPSG:4524", LON, LAT)
    result = read_upload("site.dxf", dxf(lwpolyline(corners), text_entity(corners[0], "J1")))
    assert len(result.features) == 1
    assert any("Skipped 1 text label" in note for note in result.notes)


def test_dxf_without_zone_prefix_asks_for_the_zone():
    corners = gk_square("EPSG:4545", LON, LAT)
    data = dxf(lwpolyline(corners))
    error = refused("site.dxf", data)
    assert error.code == "crs_needed"
    assert "DXF has no CRS" in error.message and "no zone prefix" in error.message
    assert "EPSG:4544" in error.message and "EPSG:4545" in error.message
    chosen = read_upload("site.dxf", data, crs="EPSG:4545")
    assert chosen.features[0].geometry.coords[0] == pytest.approx((LON, LAT), abs=1e-7)


def test_dxf_in_lon_lat_degrees_is_read_as_crs84():
    result = read_upload("site.dxf", dxf(line((LON, LAT), (LON + 0.01, LAT))))
    assert (result.source_crs.key, result.source_crs.determined_by) == ("CRS84", "detected")
    assert any("look like lon/lat" in note for note in result.notes)


def test_dxf_in_local_coordinates_cannot_be_placed():
    error = refused("site.dxf", dxf(line((0, 0), (1200, 800))))
    assert error.code == "crs_needed" and "Cannot tell the CRS" in error.message


# --- whole-file refusals -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["site.kml", "site.geojson", "site.dxf", "site.gpkg", "site.zip"])
def test_empty_file(name):
    error = refused(name, b"")
    assert error.code == "empty" and "文件为空" in error.message


def test_file_without_features():
    error = refused("s.geojson", geojson())
    assert error.code == "empty" and "no features" in error.message


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("site.kml", bytes(range(256)) * 4),
        ("site.gpkg", b"SQLite format 3\x00" + b"\x13" * 2000),
        ("site.geojson", b'{"type": "FeatureCollection", "features": [}'),
        ("site.dxf", b"0\nSECTION\n" + bytes(range(256)) * 3),
        ("site.zip", b"PK\x03\x04" + b"\x00" * 100),
        ("site", b"\x00\x01garbage"),
    ],
)
def test_garbage_is_refused_readably(name, data):
    error = refused(name, data)
    assert error.code == "unreadable"
    assert (
        "Cannot read" in error.message
        or "Not a valid zip" in error.message
        or "not" in error.message
    )
    assert "/vsimem/" not in error.message and "pyogrio_" not in error.message
    assert ".cpp" not in error.message


def test_a_linked_geojson_crs_is_not_fetched():
    """GDAL would GET a "link" CRS's href: an upload must not make the server send requests."""
    data = geojson({"type": "Point", "coordinates": [LON, LAT]})
    link = b', "crs": {"type": "link", "properties": {"href": "http://127.0.0.1:9/crs"}}}'
    error = refused("s.geojson", data[:-1] + link)
    assert error.code == "unsupported_crs" and '"type": "name"' in error.message


def test_a_vrt_never_reaches_gdal():
    """A VRT could make GDAL open local paths or URLs; only the accepted formats pass."""
    vrt = b'<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>/etc/passwd</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>'
    error = refused("site.kml", vrt)
    assert error.code == "unreadable" and "is not KML" in error.message


@pytest.mark.parametrize("name", ["site.xlsx", "site.csv", "site.dwg", "site.ovkml"])
def test_unsupported_extension_lists_the_accepted(name):
    error = refused(name, b"whatever")
    assert error.code == "unsupported_format"
    assert all(
        ext in error.message for ext in (".kml", ".kmz", ".zip", ".gpkg", ".geojson", ".dxf")
    )


@pytest.mark.parametrize(
    "member", ["../evil.kml", "a/../../evil.shp", "/etc/evil.kml", "C:/evil.kml", "..\\evil.kml"]
)
def test_zip_with_an_unsafe_member_path_is_refused(member):
    data = zipped({"doc.kml": kml(""), member: b"x"})
    error = refused("site.kmz", data)
    assert error.code == "unsafe_archive" and "unsafe member path" in error.message


def test_zip_bomb_stops_at_the_unzipped_limit():
    bomb = zipped({"doc.kml": b"<kml>" + b" " * 5_000_000})
    assert len(bomb) < 20_000
    error = refused("site.kmz", bomb, max_unzipped=1_000_000)
    assert error.code == "too_large" and "exceeds" in error.message


def test_zip_bomb_lying_about_its_size_stops_too():
    """The directory says 10 bytes; inflating is counted, not trusted."""
    honest = zipped({"doc.kml": b"<kml>" + b" " * 2_000_000})
    info = zipfile.ZipFile(io.BytesIO(honest)).getinfo("doc.kml")
    lie = (10).to_bytes(4, "little")
    central = honest.rindex(b"PK\x01\x02")
    forged = bytearray(honest)
    forged[22:26] = lie  # local header: uncompressed size
    forged[central + 24 : central + 28] = lie  # central directory: uncompressed size
    assert info.file_size == 2_000_005
    error = refused("site.kmz", bytes(forged), max_unzipped=1_000_000)
    assert error.code in ("too_large", "unreadable")


def test_zip_with_too_many_members_is_refused():
    error = refused("site.zip", zipped({f"f{i}.txt": b"" for i in range(101)}))
    assert error.code == "too_large" and "more than 100 members" in error.message


def test_zip_without_shp_or_kml():
    error = refused("site.zip", zipped({"readme.txt": b"hi"}))
    assert error.code == "unsupported_format" and "readme.txt" in error.message


def test_upload_size_and_feature_count_limits():
    data = geojson(*[{"type": "Point", "coordinates": [LON, LAT]}] * 3)
    assert refused("s.geojson", data, max_bytes=100).code == "too_large"
    error = refused("s.geojson", data, max_features=2)
    assert error.code == "too_many_features" and "3" in error.message


# --- merged and preview ------------------------------------------------------------------


def test_merged_unions_polygons_and_collects_lines():
    a, b = square(LON, LAT, 0.01), square(LON + 0.01, LAT, 0.01)  # sharing an edge
    far = square(LON + 0.1, LAT, 0.01)
    lines = [{"type": "LineString", "coordinates": [[LON, LAT], [LON + 0.01, LAT + 0.01]]}] * 2
    data = geojson(*(shapely.geometry.mapping(p) for p in (a, b, far)), *lines)
    result = read_upload("s.geojson", data)
    site = merged(result, "polygon")
    assert site.geometry.geom_type == "MultiPolygon" and len(site.geometry.geoms) == 2
    assert site.measures.area_m2 == pytest.approx(
        sum(f.measures.area_m2 for f in result.features[:3]), rel=1e-9
    )
    assert merged(result, "line").geometry.geom_type == "MultiLineString"
    assert merged(result, "point") is None
    with pytest.raises(ValueError, match="kind must be one of"):
        merged(result, "circle")


def test_preview_collection_is_geojson_with_measures_and_errors():
    bowtie = [[106.90, 30.50], [106.92, 30.52], [106.92, 30.50], [106.90, 30.52], [106.90, 30.50]]
    data = geojson(
        shapely.geometry.mapping(square(LON, LAT, 0.01)),
        {"type": "Polygon", "coordinates": [bowtie]},
    )
    preview = preview_collection(read_upload("s.geojson", data))
    text = json.dumps(preview, allow_nan=False)  # plain JSON
    assert json.loads(text)["type"] == "FeatureCollection"
    good, bad = preview["features"]
    assert set(good["properties"]) >= {
        "name",
        "number",
        "area_mu",
        "area_ha",
        "perimeter_km",
        "error",
    }
    assert good["properties"]["error"] is None and good["geometry"]["type"] == "Polygon"
    assert bad["geometry"] is None
    assert bad["properties"]["error"]["code"] == "self_intersection"
    assert bad["properties"]["error"]["location"] == pytest.approx([106.91, 30.51])
    assert preview["source_crs"] == {
        "crs": "CRS84",
        "uri": "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
        "determined_by": "default",
    }
    assert (preview["format"], preview["layer"], preview["notes"]) == ("GeoJSON", "s", [])


def test_preview_of_a_line_has_its_length():
    data = dxf(line(*gk_square("EPSG:4524", LON, LAT, 1000.0)[:2]))
    properties = preview_collection(read_upload("l.dxf", data))["features"][0]["properties"]
    assert properties["length_km"] == pytest.approx(1.0, rel=1e-3)


def test_zip_with_several_shapefiles_gives_a_layer_each(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = shapefile(
        tmp_path / "a", [shapely.Point(LON, LAT)], ["一"], crs="EPSG:4326", folder="一期/"
    )
    second = shapefile(
        tmp_path / "b", [shapely.Point(LON, LAT)], ["二"], crs="EPSG:4326", folder="二期/"
    )
    data = zipped({**first, **second, "__MACOSX/一期/._site.shp": b"junk"})
    result = read_upload("sites.zip", data, layer="site_")
    assert result.layers == ("site", "site_")
    assert only(result).properties["name"] == "二"


def test_kmz_without_doc_kml_takes_its_kml():
    point = placemark("A", "<Point><coordinates>106.9,30.5</coordinates></Point>")
    result = read_upload("ovital.kmz", zipped({"files/x.png": b"", "项目点位.kml": kml(point)}))
    assert result.format == "KMZ" and result.layer == "奥维导出"  # the Document name
    assert only(result).geometry.equals(shapely.Point(LON, LAT))
