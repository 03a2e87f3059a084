"""Input CRS names, conversion to EPSG:4326 and Gauss-Kruger zone detection."""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pytest
import shapely
from pyproj import CRS, Geod, Transformer

from mapserver.geo import chinacoords, crs

# Points across Guang'an (lon, lat), both sides of the 3° zone boundary at 106.5°E.
GUANGAN = [
    (106.2, 30.0),
    (106.2, 30.9),
    (106.45, 30.5),
    (106.5, 30.45),
    (106.55, 30.5),
    (106.633, 30.456),
    (106.93, 30.334),
    (107.3, 30.0),
    (107.3, 30.9),
]
GAUSS_KRUGER = ["EPSG:4523", "EPSG:4524", "EPSG:4544", "EPSG:4545", "EPSG:4496", "EPSG:4507"]


@pytest.mark.parametrize(
    ("name", "key"),
    [
        (None, "CRS84"),
        ("", "CRS84"),
        ("http://www.opengis.net/def/crs/OGC/1.3/CRS84", "CRS84"),
        ("<http://www.opengis.net/def/crs/OGC/1.3/CRS84>", "CRS84"),
        ("urn:ogc:def:crs:OGC:1.3:CRS84", "CRS84"),
        ("OGC:CRS84", "CRS84"),
        ("crs84", "CRS84"),
        ("EPSG:4326", "EPSG:4326"),
        ("epsg:4326", "EPSG:4326"),
        ("urn:ogc:def:crs:EPSG::4326", "EPSG:4326"),
        ("http://www.opengis.net/def/crs/EPSG/0/4490", "EPSG:4490"),
        (" <http://www.opengis.net/def/crs/EPSG/0/4490> ", "EPSG:4490"),
        ("https://www.opengis.net/def/crs/EPSG/0/4490", "EPSG:4490"),
        ("4490", "EPSG:4490"),
        (4490, "EPSG:4490"),
        ("EPSG:3857", "EPSG:3857"),
        ("EPSG:4523", "EPSG:4523"),
        (4524, "EPSG:4524"),
        ("4544", "EPSG:4544"),
        ("http://www.opengis.net/def/crs/EPSG/0/4545", "EPSG:4545"),
        ("EPSG:4496", "EPSG:4496"),
        ("EPSG:4507", "EPSG:4507"),
        ("gcj02", "gcj02"),
        ("GCJ-02", "gcj02"),
        ("bd09", "bd09"),
        ("BD-09", "bd09"),
        ("bd09ll", "bd09"),
    ],
)
def test_crs_names_are_understood(name, key):
    assert crs.parse_crs(name).key == key


def test_an_input_crs_passes_through():
    assert crs.parse_crs(crs.SUPPORTED["EPSG:4523"]) is crs.SUPPORTED["EPSG:4523"]


@pytest.mark.parametrize(
    "name",
    [
        "EPSG:2000",
        "EPSG:4547",  # a CGCS2000 GK zone, but not one of Guang'an's
        "EPSG:32648",
        "http://www.opengis.net/def/crs/EPSG/0/2383",
        "+proj=longlat +datum=WGS84",
        "CRS83",
        "bd09mc",
        "wgs84",
        "EPSG:4326x",
        True,
        4.5,
        [4326],
    ],
)
def test_unsupported_crs_is_a_clear_error(name):
    with pytest.raises(crs.CrsError, match="Unsupported CRS") as caught:
        crs.parse_crs(name)
    assert repr(name) in str(caught.value)
    assert "http://www.opengis.net/def/crs/EPSG/0/4490" in caught.value.supported


@pytest.mark.parametrize(
    ("key", "name", "meridian", "false_easting"),
    [
        ("EPSG:4523", "CGCS2000 / 3-degree Gauss-Kruger zone 35", 105, 35_500_000),
        ("EPSG:4524", "CGCS2000 / 3-degree Gauss-Kruger zone 36", 108, 36_500_000),
        ("EPSG:4544", "CGCS2000 / 3-degree Gauss-Kruger CM 105E", 105, 500_000),
        ("EPSG:4545", "CGCS2000 / 3-degree Gauss-Kruger CM 108E", 108, 500_000),
        ("EPSG:4496", "CGCS2000 / Gauss-Kruger zone 18", 105, 18_500_000),
        ("EPSG:4507", "CGCS2000 / Gauss-Kruger CM 105E", 105, 500_000),
    ],
)
def test_the_gauss_kruger_codes_mean_what_the_module_says(key, name, meridian, false_easting):
    """Checked against the EPSG database pyproj ships."""
    definition = CRS(key)
    params = {p.name: p.value for p in definition.coordinate_operation.params}
    assert definition.name == name
    assert definition.datum.name == "China 2000"
    assert params["Longitude of natural origin"] == meridian
    assert params["False easting"] == false_easting
    assert params["Scale factor at natural origin"] == 1
    low, high = crs.SUPPORTED[key].x_range
    assert low <= false_easting <= high


def test_the_zones_split_at_106_5():
    assert CRS("EPSG:4523").area_of_use.east == pytest.approx(106.5, abs=0.02)
    assert CRS("EPSG:4524").area_of_use.west == pytest.approx(106.5, abs=0.02)


@pytest.mark.parametrize("key", ["EPSG:4490", *GAUSS_KRUGER, "EPSG:3857"])
@pytest.mark.parametrize(("lon", "lat"), GUANGAN)
def test_round_trip_through_each_crs(key, lon, lat):
    """pyproj takes the point into the CRS, the module brings it back, within 1e-7°."""
    x, y = _forward(key).transform(lon, lat)
    back = crs.to_lonlat(np.array([[x, y]]), key)
    assert back[0] == pytest.approx([lon, lat], abs=1e-7)


@cache
def _forward(key: str) -> Transformer:
    return Transformer.from_crs("EPSG:4326", key, always_xy=True)


def test_gauss_kruger_on_the_central_meridian_by_hand():
    """On the central meridian, easting = false easting and northing = meridian arc."""
    _, _, arc = Geod(ellps="GRS80").inv(105, 0, 105, 30)
    for key, easting in [("EPSG:4523", 35_500_000), ("EPSG:4544", 500_000)]:
        back = crs.to_lonlat(np.array([[easting, arc]]), key)
        assert back[0] == pytest.approx([105, 30], abs=1e-9)
    back = crs.to_lonlat(np.array([[36_500_000, arc]]), "EPSG:4524")
    assert back[0] == pytest.approx([108, 30], abs=1e-9)


def test_web_mercator_by_hand():
    lon, lat, radius = 106.633, 30.456, 6378137.0
    x = radius * math.radians(lon)
    y = radius * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))
    assert crs.to_lonlat(np.array([[x, y]]), 3857)[0] == pytest.approx([lon, lat], abs=1e-9)


@pytest.mark.parametrize(("lon", "lat"), GUANGAN)
def test_cgcs2000_and_wgs84_coincide_here(lon, lat):
    assert crs.to_lonlat(np.array([[lon, lat]]), 4490)[0] == pytest.approx([lon, lat], abs=1e-7)


@pytest.mark.parametrize(("key", "forward"), [
    ("gcj02", chinacoords.wgs84_to_gcj02),
    ("bd09", chinacoords.wgs84_to_bd09),
])  # fmt: skip
@pytest.mark.parametrize(("lon", "lat"), GUANGAN)
def test_web_map_coordinates_come_back_to_wgs84(key, forward, lon, lat):
    shifted = forward(lon, lat)
    assert crs.to_lonlat(np.array([shifted]), key)[0] == pytest.approx([lon, lat], abs=1e-9)


@pytest.mark.parametrize("name", [None, "EPSG:4326", "CRS84"])
def test_lon_lat_input_is_passed_through_exactly(name):
    xy = np.array([[106.633, 30.456], [-180, -90], [180, 90]])
    assert np.array_equal(crs.to_lonlat(xy, name), xy)


def test_to_wgs84_takes_geojson_or_shapely_and_drops_z():
    ring = [(35_615_000, 3_365_000), (35_616_000, 3_365_000), (35_616_000, 3_366_000)]
    geojson = {"type": "Polygon", "coordinates": [[(*p, 300.0) for p in [*ring, ring[0]]]]}
    from_dict = crs.to_wgs84(geojson, "EPSG:4523")
    from_shape = crs.to_wgs84(shapely.Polygon(ring), "EPSG:4523")
    assert from_dict.equals(from_shape) and not from_dict.has_z
    minx, miny, maxx, maxy = from_dict.bounds
    assert 106.1 < minx < maxx < 106.3 and 30.3 < miny < maxy < 30.5


def test_to_wgs84_defaults_to_crs84():
    point = shapely.Point(106.6, 30.4)
    assert crs.to_wgs84(point).equals(point)


@pytest.mark.parametrize(
    ("key", "xy", "hint"),
    [
        ("EPSG:4523", (3_365_066.9, 35_615_320.5), "easting (Y) before northing (X)"),  # swapped
        ("EPSG:4544", (3_365_066.9, 615_320.5), "easting (Y) before northing (X)"),  # swapped
        ("EPSG:4523", (615_320.5, 3_365_066.9), "zone prefix"),  # prefix missing
        ("EPSG:4544", (35_615_320.5, 3_365_066.9), "zone prefix"),  # prefix not expected
        ("EPSG:4524", (35_615_320.5, 3_365_066.9), "zone prefix"),  # wrong zone
        ("EPSG:3857", (3e7, 3.5e6), "outside the range of EPSG:3857"),
        ("CRS84", (200.0, 30.0), "outside the range of CRS84"),
        ("EPSG:4490", (106.6, 91.0), "outside the range of EPSG:4490"),
        ("gcj02", (-181.0, 30.0), "outside the range of gcj02"),
    ],
)
def test_coordinates_that_cannot_be_in_the_crs_are_refused(key, xy, hint):
    with pytest.raises(crs.CoordinateError, match="outside the range") as caught:
        crs.to_lonlat(np.array([xy]), key)
    assert hint in caught.value.message
    assert caught.value.point == xy


@pytest.mark.parametrize(
    ("eastings", "expected"),
    [
        ([35_615_320.5, 35_420_000.0], 4523),
        ([36_401_000.0, 36_499_999.9], 4524),
        ([18_660_000.0], 4496),
        ([615_320.5, 420_000.0], None),  # no prefix: 4544, 4545 or 4507, the user must say
        ([35_615_320.5, 36_401_000.0], None),  # mixed zones
        ([35_615_320.5, 615_320.5], None),
        ([37_500_000.0], None),  # a prefix, but of a zone that is not Guang'an's
        ([], None),
        ([math.nan], None),
        (np.array([35_600_000.0, 35_600_100.0]), 4523),
    ],
)
def test_zone_prefix_detection(eastings, expected):
    assert crs.detect_gk_zone(eastings) == expected


def test_transformers_are_cached():
    crs.to_lonlat(np.array([[35_615_320.5, 3_365_066.9]]), "EPSG:4523")
    crs.to_lonlat(np.array([[35_615_320.5, 3_365_066.9]]), "EPSG:4523")
    assert crs._transformer.cache_info().hits >= 1


# --- a file's declared CRS, and coordinates that came without one ------------------------


@pytest.mark.parametrize("key", ["EPSG:4326", "EPSG:4490", "EPSG:3857", *GAUSS_KRUGER])
@pytest.mark.parametrize("flavour", ["WKT1_ESRI", "WKT1_GDAL", "WKT2_2019"])
def test_identify_a_declared_crs(key, flavour):
    """As GDAL reports a .prj or GeoPackage srs: WKT with or without authority codes."""
    wkt = CRS(key).to_wkt(flavour)
    found = crs.identify(wkt)
    if {found.key, key} <= {"EPSG:4544", "EPSG:4507"}:  # the same projection, 3° or 6° named
        return
    assert found.key == key


@pytest.mark.parametrize(
    ("definition", "key"),
    [("EPSG:4524", "EPSG:4524"), ("OGC:CRS84", "CRS84"), ("EPSG:4326", "EPSG:4326")],
)
def test_identify_takes_authority_codes(definition, key):
    assert crs.identify(definition).key == key


@pytest.mark.parametrize(
    ("definition", "named"),
    [
        (CRS("EPSG:32648").to_wkt(), "WGS 84 / UTM zone 48N (EPSG:32648)"),
        (CRS("EPSG:2383").to_wkt("WKT1_ESRI"), "EPSG:2383"),  # Xian 1980
        (CRS("EPSG:4214").to_wkt("WKT1_GDAL"), "Beijing 1954"),  # not taken as WGS84 lon/lat
        ("EPSG:32648", "WGS 84 / UTM zone 48N (EPSG:32648)"),
        ("EPSG:999999", "EPSG:999999"),
        ("PROJCS[nonsense", "PROJCS[nonsense"),
        ("+proj=longlat +datum=WGS84", "+proj=longlat"),
    ],
)
def test_identify_names_an_unsupported_crs(definition, named):
    with pytest.raises(crs.CrsError, match="Unsupported CRS") as caught:
        crs.identify(definition)
    assert named in str(caught.value)


def _gk(key: str, points: list[tuple[float, float]]) -> np.ndarray:
    return np.array([_forward(key).transform(lon, lat) for lon, lat in points])


@pytest.mark.parametrize(
    ("points", "key"),
    [
        ([(106.633, 30.456), (106.7, 30.5)], "CRS84"),
        (_gk("EPSG:4524", [(106.6, 30.4), (107.2, 30.8)]), "EPSG:4524"),
        (_gk("EPSG:4523", [(106.2, 30.4), (106.4, 30.8)]), "EPSG:4523"),
        (_gk("EPSG:4496", [(106.2, 30.4)]), "EPSG:4496"),
    ],
)
def test_detect_a_crs_from_coordinates(points, key):
    assert crs.detect(np.array(points)).key == key


@pytest.mark.parametrize(
    ("points", "says"),
    [
        (_gk("EPSG:4545", [(106.6, 30.4), (106.9, 30.5)]), "EPSG:4544"),
        (_gk("EPSG:4545", [(106.6, 30.4), (106.9, 30.5)]), "EPSG:4545"),
        (
            np.vstack([_gk("EPSG:4523", [(106.4, 30.4)]), _gk("EPSG:4524", [(106.6, 30.4)])]),
            "several zones (35, 36)",
        ),
        (np.array([[0.0, 0.0], [1200.0, 800.0]]), "Cannot tell the CRS"),
        (np.array([[37_500_000.0, 3_370_000.0]]), "Cannot tell the CRS"),
        (np.array([[-122.4, 37.8]]), "Cannot tell the CRS"),
        (np.empty((0, 2)), "No usable coordinates"),
        (np.array([[math.nan, 30.0]]), "No usable coordinates"),
    ],
)
def test_detect_says_what_to_choose(points, says):
    with pytest.raises(crs.CoordinateError) as caught:
        crs.detect(points)
    assert says in caught.value.message
