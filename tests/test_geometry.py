"""Validation of incoming GeoJSON geometry, repair, and ellipsoidal measures."""

from __future__ import annotations

import json
import math

import pytest
import shapely
from pyproj import Transformer

from mapserver.geo import chinacoords
from mapserver.geo.crs import CrsError
from mapserver.geo.geometry import (
    ALL_TYPES,
    LINES,
    MAX_VERTICES,
    POINTS,
    POLYGONS,
    GeometryError,
    Measures,
    check_geometry,
    measure,
    parse_json,
)

X, Y = 106.6, 30.4  # somewhere in Guang'an


def square(x0: float, y0: float, x1: float, y1: float) -> list[list[float]]:
    """A closed counter-clockwise ring."""
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]


SHELL = square(106.60, 30.40, 106.64, 30.44)


def rejected(body, **options) -> GeometryError:
    with pytest.raises(GeometryError) as caught:
        check_geometry(body, **options)
    return caught.value


# --- strict JSON -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code", "named"),
    [
        (b'{"type": "Point", "coordinates": [NaN, 30.4]}', "non_finite", "NaN"),
        (b'{"type": "Point", "coordinates": [Infinity, 30.4]}', "non_finite", "Infinity"),
        (b'{"type": "Point", "coordinates": [106.6, -Infinity]}', "non_finite", "-Infinity"),
        (b'{"type": "Point", "coordinates": [1e309, 30.4]}', "non_finite", "1e309"),
        (b'{"type": "Point", "coordinates": [106.6, -1e309]}', "non_finite", "-1e309"),
        (b'{"type": "Point", "coordinates": [106.6, 1e-400]}', "non_finite", "1e-400"),
        (b'{"type": "Point", "coordinates": [-5E-999, 30.4]}', "non_finite", "-5E-999"),
        (b'{"type": "Point", "coordinates": [1' + b"0" * 400 + b", 30.4]}", "non_finite", "10000"),
        (b'{"type": "Point", "coordinates": [1' + b"0" * 5000 + b", 30.4]}", "non_finite", "range"),
        (b'{"type": "Point", "type": "Polygon", "coordinates": [1, 2]}', "invalid_json", "'type'"),
        (b'{"type": "Point", "coordinates": [106.6, 30.4]', "invalid_json", "Invalid JSON"),
        (b'{"type": "Point", "coordinates": [106.6, 30.4]} x', "invalid_json", "Extra data"),
        (b"", "invalid_json", "Invalid JSON"),
        (b"\xff\xfe{}", "invalid_json", "UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "too_deep", "nested too deeply"),
    ],
)
def test_strict_json_refuses(body, code, named):
    for parse in (parse_json, check_geometry):
        with pytest.raises(GeometryError) as caught:
            parse(body)
        assert caught.value.code == code
        assert named in caught.value.message
        assert caught.value.location is None


def test_strict_json_keeps_ordinary_numbers():
    parsed = parse_json('{"a": 1, "b": 2.5, "c": -0.0, "d": 1e308, "e": [true, null]}')
    assert parsed == {"a": 1, "b": 2.5, "c": 0.0, "d": 1e308, "e": [True, None]}
    assert type(parsed["a"]) is int


def test_strict_json_ignores_a_byte_order_mark():
    assert parse_json(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}


# --- structure ---------------------------------------------------------------------------


def nested(depth: int) -> list:
    value: list = [106.6, 30.4]
    for _ in range(depth - 1):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("geometry", "code", "named"),
    [
        (None, "empty", "null"),
        ({"type": "Point", "coordinates": []}, "empty", "empty"),
        ({"type": "MultiPoint", "coordinates": []}, "empty", "empty"),
        ({"type": "LineString", "coordinates": []}, "empty", "empty"),
        ({"type": "MultiLineString", "coordinates": [[]]}, "empty", "empty"),
        ({"type": "Polygon", "coordinates": []}, "empty", "empty"),
        ({"type": "Polygon", "coordinates": [[]]}, "empty", "empty"),
        ({"type": "MultiPolygon", "coordinates": [[]]}, "empty", "empty"),
        ({"type": "MultiPolygon", "coordinates": [[SHELL], []]}, "empty", "Polygon 2 is empty"),
        ({"type": "Polygon", "coordinates": nested(9)}, "too_deep", "deeper than 8 levels"),
        ({"type": "Point", "coordinates": nested(30)}, "too_deep", "deeper than 8 levels"),
        ({"type": "LineString", "coordinates": [[X, Y], [X, Y, 1, 2]]}, "malformed", "[x, y]"),
        ({"type": "Point", "coordinates": [X]}, "malformed", "[x, y]"),
        ({"type": "Point", "coordinates": ["106.6", "30.4"]}, "malformed", "must be numbers"),
        ({"type": "Point", "coordinates": [True, False]}, "malformed", "must be numbers"),
        ({"type": "Point", "coordinates": [X, None]}, "malformed", "must be numbers"),
        ({"type": "Point", "coordinates": "106.6,30.4"}, "malformed", "must be an array"),
        ({"type": "Polygon", "coordinates": SHELL}, "malformed", "[x, y]"),
        ({"type": "LineString", "coordinates": [{"x": X, "y": Y}]}, "malformed", "[x, y]"),
        ({"type": "Point"}, "malformed", "Missing coordinates"),
        ({"type": "Circle", "coordinates": [X, Y]}, "malformed", "Not a GeoJSON geometry type"),
        ({"type": ["Point"], "coordinates": [X, Y]}, "malformed", "Not a GeoJSON geometry type"),
        ({"coordinates": [X, Y]}, "malformed", "Not a GeoJSON geometry type"),
        ({"type": "Feature", "geometry": None}, "malformed", "Not a GeoJSON geometry type"),
        ([X, Y], "malformed", "must be a JSON object"),
        ({"type": "GeometryCollection", "geometries": []}, "wrong_type", "not supported"),
    ],
)
def test_structure_problems(geometry, code, named):
    error = rejected(geometry)
    assert (error.code, error.location) == (code, None)
    assert named in error.message


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 10**400])
def test_non_finite_numbers_in_an_already_parsed_dict(value):
    error = rejected({"type": "LineString", "coordinates": [[X, Y], [value, Y]]})
    assert error.code == "non_finite"
    assert "Non-finite" in error.message and "非有限数值" in error.message


def test_non_finite_height_is_refused_too():
    error = rejected({"type": "Point", "coordinates": [X, Y, math.nan]})
    assert error.code == "non_finite"


def test_allowed_may_be_a_single_type_name():
    assert check_geometry({"type": "Point", "coordinates": [X, Y]}, allowed="Point").notes == ()
    assert (
        rejected({"type": "Point", "coordinates": [X, Y]}, allowed="Polygon").code == "wrong_type"
    )


@pytest.mark.parametrize(
    ("kind", "allowed"),
    [
        ("LineString", POLYGONS),
        ("Point", LINES),
        ("Polygon", POINTS),
        ("MultiPolygon", {"Polygon"}),
    ],
)
def test_wrong_type_for_the_layer(kind, allowed):
    coordinates = {
        "LineString": [[X, Y], [X + 0.01, Y]],
        "Point": [X, Y],
        "Polygon": [SHELL],
        "MultiPolygon": [[SHELL]],
    }[kind]
    error = rejected({"type": kind, "coordinates": coordinates}, allowed=allowed)
    assert error.code == "wrong_type"
    assert f"does not accept {kind}" in error.message and "本图层不接受" in error.message


def test_vertex_limit_default():
    points = [[X + i * 1e-6, Y] for i in range(MAX_VERTICES)]
    checked = check_geometry({"type": "MultiPoint", "coordinates": points})
    assert len(checked.geometry.geoms) == MAX_VERTICES
    error = rejected({"type": "MultiPoint", "coordinates": [*points, [X, Y + 0.1]]})
    assert error.code == "too_many_vertices"
    assert "More than 20000 vertices" in error.message and "顶点超过" in error.message


def test_vertex_limit_counts_every_ring_and_is_configurable():
    hole = square(106.61, 30.41, 106.62, 30.42)
    polygon = {"type": "Polygon", "coordinates": [SHELL, hole]}
    assert check_geometry(polygon, max_vertices=10).geometry.geom_type == "Polygon"
    assert rejected(polygon, max_vertices=9).code == "too_many_vertices"


@pytest.mark.parametrize(
    ("coordinates", "location"),
    [
        ([180.5, Y], (180.5, Y)),
        ([-181, Y], (-181, Y)),
        ([X, 90.5], (X, 90.5)),
        ([X, -91], (X, -91)),
    ],
)
def test_longitude_and_latitude_range(coordinates, location):
    error = rejected({"type": "Point", "coordinates": coordinates})
    assert (error.code, error.location) == ("out_of_range", location)
    assert "Longitude/latitude out of range" in error.message and "经纬度超出范围" in error.message
    assert f" at {_location_text(location)}" in error.message


def test_range_limits_themselves_are_accepted():
    line = {"type": "LineString", "coordinates": [[-180, -90], [180, 90]]}
    assert check_geometry(line).geometry.bounds == (-180, -90, 180, 90)


# --- validity ----------------------------------------------------------------------------

BOWTIE = [[106.60, 30.40], [106.62, 30.42], [106.62, 30.40], [106.60, 30.42], [106.60, 30.40]]
SELF_TOUCHING = [
    [106.60, 30.40], [106.64, 30.40], [106.64, 30.44], [106.62, 30.40], [106.60, 30.44],
    [106.60, 30.40],
]  # fmt: skip
DIAMOND = [[106.60, 30.42], [106.62, 30.40], [106.64, 30.42], [106.62, 30.44], [106.60, 30.42]]
INVALID = [
    # (type, coordinates, code, Chinese, English, location or a set of possible ones)
    ("Polygon", [BOWTIE], "self_intersection", "自相交", "Self-intersection", (106.61, 30.41)),
    ("Polygon", [SELF_TOUCHING], "self_intersection", "环自相交", "Ring self-intersection",
     (106.62, 30.40)),
    ("MultiPolygon", [[square(106.60, 30.40, 106.62, 30.42)], [square(106.61, 30.41, 106.63, 30.43)]],
     "self_intersection", "自相交", "Self-intersection", {(106.61, 30.42), (106.62, 30.41)}),
    ("MultiPolygon", [[SHELL], [square(106.64, 30.40, 106.66, 30.42)]],  # parts share an edge
     "self_intersection", "自相交", "Self-intersection", {(106.64, 30.40), (106.64, 30.42)}),
    ("Polygon", [SHELL[:-1]], "unclosed_ring", "环未闭合", "Ring is not closed", (106.60, 30.40)),
    ("Polygon", [[[X, Y], [X + 0.01, Y], [X, Y]]], "too_few_points", "至少需要 4 个点",
     "at least 4 positions", (X, Y)),
    ("Polygon", [[[X, Y], [X + 0.01, Y + 0.01], [X, Y], [X, Y]]], "too_few_points", "点数过少",
     "Too few points", (X, Y)),
    ("LineString", [[X, Y]], "too_few_points", "至少需要 2 个点", "at least 2 positions", (X, Y)),
    ("LineString", [[X, Y], [X, Y]], "too_few_points", "点数过少", "Too few points", (X, Y)),
    ("MultiLineString", [[[X, Y], [X + 0.01, Y]], [[X, Y], [X, Y]]], "too_few_points", "点数过少",
     "Too few points", (X, Y)),
    ("Polygon", [SHELL, square(106.65, 30.41, 106.66, 30.42)], "hole_outside_shell",
     "内环在外环之外", "Hole lies outside shell", (106.65, 30.41)),
    ("Polygon", [SHELL, square(106.61, 30.41, 106.63, 30.43), square(106.615, 30.415, 106.62, 30.42)],
     "nested_holes", "内环相互嵌套", "Holes are nested", (106.615, 30.415)),
    ("Polygon", [SHELL, DIAMOND], "disconnected_interior", "内部不连通", "Interior is disconnected",
     {(106.60, 30.42), (106.62, 30.40), (106.64, 30.42), (106.62, 30.44)}),
    ("MultiPolygon", [[SHELL], [square(106.61, 30.41, 106.62, 30.42)]], "nested_shells",
     "外环相互嵌套", "Nested shells", (106.61, 30.41)),
    ("Polygon", [SHELL, SHELL[::-1]], "duplicate_rings", "重复的环", "Duplicate rings",
     (106.60, 30.40)),
    ("MultiPolygon", [[SHELL], [SHELL[2:] + SHELL[1:3]]], "duplicate_rings", "重复的环",
     "Duplicate rings", (106.64, 30.44)),
    ("MultiPolygon", [[SHELL], [SHELL[::-1]]], "duplicate_rings", "重复的环", "Duplicate rings",
     (106.60, 30.40)),
]  # fmt: skip


INVALID_CASES = [
    pytest.param(*case, id=f"{case[0]}-{case[2]}-{i}") for i, case in enumerate(INVALID)
]


def _location_text(location) -> str:
    return f"({round(float(location[0]), 7)}, {round(float(location[1]), 7)})"


@pytest.mark.parametrize(("kind", "coordinates", "code", "zh", "en", "where"), INVALID_CASES)
def test_invalid_geometry_is_refused_with_what_and_where(kind, coordinates, code, zh, en, where):
    error = rejected({"type": kind, "coordinates": coordinates})
    assert error.code == code
    assert zh in error.message and en in error.message
    places = where if isinstance(where, set) else {where}
    assert error.location is not None
    match = [p for p in places if error.location == pytest.approx(p, abs=1e-9)]
    assert match, error.location
    assert f" at {_location_text(match[0])}" in error.message


def test_geometry_error_carries_message_location_and_code():
    error = rejected({"type": "Polygon", "coordinates": [BOWTIE]})
    assert isinstance(error, ValueError)
    assert str(error) == error.message == "自相交 Self-intersection at (106.61, 30.41)"


@pytest.mark.parametrize(
    ("kind", "coordinates"),
    [
        ("Point", [X, Y]),
        ("MultiPoint", [[X, Y], [X, Y], [X + 0.01, Y]]),
        ("LineString", [[X, Y], [X, Y], [X + 0.01, Y]]),  # a repeated point is valid
        ("LineString", [[X, Y], [X + 0.01, Y], [X + 0.01, Y + 0.01], [X, Y]]),  # closed
        ("MultiLineString", [[[X, Y], [X + 0.01, Y]], [[X, Y], [X + 0.01, Y]]]),
        ("Polygon", [SHELL]),
        ("Polygon", [SHELL[::-1]]),  # clockwise is accepted
        ("Polygon", [SHELL, square(106.61, 30.41, 106.62, 30.42)]),
        ("MultiPolygon", [[SHELL], [square(106.65, 30.40, 106.66, 30.41)]]),
        ("MultiPolygon", [[SHELL], [square(106.64, 30.44, 106.66, 30.46)]]),  # touching at a point
    ],
)
def test_valid_geometry_passes_unchanged(kind, coordinates):
    checked = check_geometry({"type": kind, "coordinates": coordinates})
    assert checked.geometry.geom_type == kind and checked.geometry.is_valid
    assert checked.geometry.equals(
        shapely.geometry.shape({"type": kind, "coordinates": coordinates})
    )
    assert checked.notes == ()


def test_bytes_text_and_dict_give_the_same():
    geometry = {"type": "Polygon", "coordinates": [SHELL]}
    results = [
        check_geometry(g) for g in (geometry, json.dumps(geometry), json.dumps(geometry).encode())
    ]
    assert all(r == results[0] for r in results[1:])


def test_z_is_dropped_and_said():
    checked = check_geometry({"type": "LineString", "coordinates": [[X, Y, 300], [X + 0.01, Y]]})
    assert not checked.geometry.has_z
    assert checked.notes == ("已忽略高程 Z values dropped",)


# --- repair ------------------------------------------------------------------------------


def repaired(kind, coordinates, **options):
    checked = check_geometry({"type": kind, "coordinates": coordinates}, repair=True, **options)
    assert checked.geometry.is_valid and not checked.geometry.is_empty
    return checked


def test_repair_splits_a_bowtie_into_two_triangles():
    checked = repaired("Polygon", [BOWTIE])
    assert checked.geometry.geom_type == "MultiPolygon" and len(checked.geometry.geoms) == 2
    assert "Self-intersection at (106.61, 30.41)" in checked.notes[0]
    assert "make_valid" in checked.notes[0]
    assert "Polygon（1 部分 parts）→ MultiPolygon（2 部分 parts）" in checked.notes
    half = measure(shapely.Polygon(square(106.60, 30.40, 106.62, 30.42))).area_m2 / 2
    assert checked.measures.area_m2 == pytest.approx(half, rel=1e-3)


def test_repair_cuts_off_a_spike():
    spike = [[X, Y], [X + 0.02, Y], [X + 0.02, Y + 0.02], [X + 0.03, Y + 0.03], [X + 0.02, Y + 0.02],
             [X, Y + 0.02], [X, Y]]  # fmt: skip
    checked = repaired("Polygon", [spike])
    assert checked.geometry.equals(shapely.box(X, Y, X + 0.02, Y + 0.02))
    assert "Ring self-intersection" in checked.notes[0]


def test_repair_closes_an_unclosed_ring():
    checked = repaired("Polygon", [SHELL[:-1]])
    assert checked.geometry.equals(shapely.Polygon(SHELL))
    assert checked.notes == ("已闭合环 Closed a ring at (106.6, 30.4)",)


def test_repair_merges_duplicate_polygons_and_keeps_multi():
    checked = repaired("MultiPolygon", [[SHELL], [SHELL[::-1]]])
    assert checked.geometry.geom_type == "MultiPolygon" and len(checked.geometry.geoms) == 1
    assert "Duplicate rings" in checked.notes[0]
    assert "MultiPolygon（2 部分 parts）→ MultiPolygon（1 部分 parts）" in checked.notes


def test_repair_unions_overlapping_parts():
    a, b = square(106.60, 30.40, 106.62, 30.42), square(106.61, 30.41, 106.63, 30.43)
    checked = repaired("MultiPolygon", [[a], [b]])
    union = shapely.union(shapely.Polygon(a), shapely.Polygon(b))
    assert checked.geometry.equals(union)


def test_repair_joins_parts_that_share_an_edge():
    right = square(106.64, 30.40, 106.66, 30.42)
    checked = repaired("MultiPolygon", [[SHELL], [right]])
    assert checked.geometry.equals(shapely.union(shapely.Polygon(SHELL), shapely.Polygon(right)))
    assert len(checked.geometry.geoms) == 1


def test_repair_drops_a_collapsed_line_and_says_so():
    checked = repaired("MultiLineString", [[[X, Y], [X + 0.01, Y]], [[X, Y + 0.01], [X, Y + 0.01]]])
    assert checked.geometry.geom_type == "MultiLineString"
    assert checked.geometry.equals(shapely.MultiLineString([[(X, Y), (X + 0.01, Y)]]))
    assert "Dropped 1 collapsed fragment(s)" in checked.notes[-1]


@pytest.mark.parametrize(
    ("kind", "coordinates", "code"),
    [
        ("Polygon", [SHELL, SHELL[::-1]], "duplicate_rings"),  # the hole removes everything
        ("LineString", [[X, Y], [X, Y]], "too_few_points"),  # would become a point
        ("Polygon", [[[X, Y], [X + 0.01, Y + 0.01], [X, Y], [X, Y]]], "too_few_points"),
        ("Polygon", [[[X, Y], [X + 0.01, Y], [X, Y]]], "too_few_points"),  # closing is not enough
    ],
)
def test_repair_refuses_what_would_vanish(kind, coordinates, code):
    error = rejected({"type": kind, "coordinates": coordinates}, repair=True)
    assert error.code == code


def test_repair_result_must_still_suit_the_layer():
    error = rejected({"type": "Polygon", "coordinates": [BOWTIE]}, repair=True, allowed={"Polygon"})
    assert error.code == "wrong_type" and "MultiPolygon" in error.message


def test_repair_leaves_valid_geometry_alone():
    checked = repaired("Polygon", [SHELL])
    assert checked.notes == () and checked.geometry.equals(shapely.Polygon(SHELL))


# --- input CRS ---------------------------------------------------------------------------


def test_projected_input_is_returned_and_located_in_lon_lat():
    to_gk = Transformer.from_crs("EPSG:4326", "EPSG:4523", always_xy=True)
    ring = [list(to_gk.transform(x, y)) for x, y in BOWTIE]
    error = rejected({"type": "Polygon", "coordinates": [ring]}, crs="EPSG:4523")
    assert error.code == "self_intersection"
    assert error.location == pytest.approx((106.61, 30.41), abs=1e-4)  # the crossing, in lon/lat
    checked = check_geometry({"type": "Polygon", "coordinates": [ring[:1] + ring[2:3] + ring[1:2]
                                                                 + ring[:1]]}, crs=4523)  # fmt: skip
    assert checked.geometry.bounds == pytest.approx((106.60, 30.40, 106.62, 30.42), abs=1e-9)


@pytest.mark.parametrize(("name", "shift"), [
    ("gcj02", chinacoords.wgs84_to_gcj02),
    ("bd09", chinacoords.wgs84_to_bd09),
])  # fmt: skip
def test_web_map_coordinates_are_converted(name, shift):
    checked = check_geometry({"type": "Point", "coordinates": list(shift(X, Y))}, crs=name)
    assert (checked.geometry.x, checked.geometry.y) == pytest.approx((X, Y), abs=1e-9)


def test_swapped_gauss_kruger_axes_are_refused():
    error = rejected({"type": "Point", "coordinates": [3_365_066.9, 35_615_320.5]}, crs="EPSG:4523")
    assert error.code == "out_of_range" and error.location is None
    assert "easting (Y) before northing (X)" in error.message


def test_out_of_range_web_map_coordinates_are_located():
    error = rejected({"type": "Point", "coordinates": [200.0, Y]}, crs="gcj02")
    assert (error.code, error.location) == ("out_of_range", (200.0, Y))


def test_unsupported_crs_is_not_a_geometry_error():
    with pytest.raises(CrsError):
        check_geometry({"type": "Point", "coordinates": [X, Y]}, crs="EPSG:2000")


# --- measures ----------------------------------------------------------------------------

WGS84_A = 6378137.0
WGS84_F = 1 / 298.257223563
WGS84_E2 = WGS84_F * (2 - WGS84_F)


def quadrangle_area(lon0: float, lat0: float, lon1: float, lat1: float) -> float:
    """Area between two meridians and two parallels on the ellipsoid (authalic formula)."""
    e = math.sqrt(WGS84_E2)
    b = WGS84_A * (1 - WGS84_F)

    def q(lat: float) -> float:
        s = math.sin(math.radians(lat))
        return s / (1 - WGS84_E2 * s * s) + math.log((1 + e * s) / (1 - e * s)) / (2 * e)

    return b * b * math.radians(lon1 - lon0) / 2 * (q(lat1) - q(lat0))


def test_area_of_a_small_square_at_30_5_north():
    expected = quadrangle_area(106.60, 30.50, 106.61, 30.51)  # about 1 064 199 m²
    checked = check_geometry(
        {"type": "Polygon", "coordinates": [square(106.60, 30.50, 106.61, 30.51)]}
    )
    m = checked.measures
    assert m.area_m2 == pytest.approx(expected, rel=1e-6)
    assert m.area_mu == pytest.approx(expected * 15 / 10_000, rel=1e-6)
    assert m.area_ha == pytest.approx(expected / 10_000, rel=1e-6)
    assert m.length_km is None
    # perimeter: two meridian arcs plus two parallel arcs, about 4.14 km
    assert m.perimeter_km == pytest.approx(4.14, abs=0.01)


def test_area_ignores_ring_orientation_and_subtracts_holes():
    hole = square(106.61, 30.41, 106.62, 30.42)
    expected = quadrangle_area(106.60, 30.40, 106.64, 30.44) - quadrangle_area(
        106.61, 30.41, 106.62, 30.42
    )
    for shell in (SHELL, SHELL[::-1]):
        for inner in (hole, hole[::-1]):
            area = check_geometry({"type": "Polygon", "coordinates": [shell, inner]}).measures
            assert area.area_m2 == pytest.approx(expected, rel=1e-6)


def test_area_of_a_multipolygon_is_the_sum():
    a, b = (106.60, 30.40, 106.61, 30.41), (106.70, 30.50, 106.72, 30.51)
    multi = {"type": "MultiPolygon", "coordinates": [[square(*a)], [square(*b)]]}
    expected = quadrangle_area(*a) + quadrangle_area(*b)
    assert check_geometry(multi).measures.area_m2 == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize(
    ("key", "west", "false_easting"),
    [
        ("EPSG:4523", 35_615_000, 35_500_000),
        ("EPSG:4524", 36_404_000, 36_500_000),
        ("EPSG:4544", 615_000, 500_000),
        ("EPSG:4545", 404_000, 500_000),
        ("EPSG:4496", 18_615_000, 18_500_000),
        ("EPSG:4507", 615_000, 500_000),
    ],
)
def test_area_of_a_gauss_kruger_square_kilometre(key, west, false_easting):
    """1 km² on the map is 1 km² / k² on the ellipsoid, k = 1 + x²/(2ρν) off the meridian."""
    south = 3_365_000
    ring = [
        [west + dx, south + dy] for dx, dy in [(0, 0), (1000, 0), (1000, 1000), (0, 1000), (0, 0)]
    ]
    checked = check_geometry({"type": "Polygon", "coordinates": [ring]}, crs=key)
    lat = math.radians(checked.geometry.centroid.y)
    w = 1 - WGS84_E2 * math.sin(lat) ** 2
    rho, nu = WGS84_A * (1 - WGS84_E2) / w**1.5, WGS84_A / math.sqrt(w)
    x = west + 500 - false_easting
    k = 1 + x * x / (2 * rho * nu)
    assert checked.measures.area_m2 == pytest.approx(1e6, rel=1e-3)
    assert checked.measures.area_m2 == pytest.approx(1e6 / k**2, rel=1e-6)
    assert checked.measures.area_mu == pytest.approx(1500 / k**2, rel=1e-6)
    assert checked.measures.area_ha == pytest.approx(100 / k**2, rel=1e-6)


def test_length_of_a_line_along_a_meridian():
    lat = math.radians(30.505)
    radius = WGS84_A * (1 - WGS84_E2) / (1 - WGS84_E2 * math.sin(lat) ** 2) ** 1.5
    expected = radius * math.radians(0.01) / 1000
    line = {"type": "MultiLineString", "coordinates": [[[X, 30.50], [X, 30.51]]]}
    m = check_geometry(line).measures
    assert m.length_km == pytest.approx(expected, rel=1e-6)
    assert (m.area_m2, m.area_mu, m.perimeter_km) == (None, None, None)
    assert m.as_dict() == {"length_km": m.length_km}


def test_points_have_no_measures():
    m = check_geometry({"type": "MultiPoint", "coordinates": [[X, Y], [X + 1, Y]]}).measures
    assert m == Measures() and m.as_dict() == {}


def test_mu_and_hectare_conversion():
    assert Measures(area_m2=10_000).area_mu == pytest.approx(15)
    assert Measures(area_m2=10_000).area_ha == 1
    assert Measures(area_m2=666.67).area_mu == pytest.approx(1, abs=1e-5)
    assert set(Measures(area_m2=1, perimeter_km=0.004).as_dict()) == {
        "area_mu",
        "area_ha",
        "perimeter_km",
    }


def test_measure_works_on_stored_geometry():
    assert measure(shapely.Polygon()).as_dict() == {}
    assert measure(shapely.Point(X, Y)) == Measures()
    box = shapely.box(106.60, 30.50, 106.61, 30.51)
    assert measure(box).area_m2 == pytest.approx(
        quadrangle_area(106.60, 30.50, 106.61, 30.51), rel=1e-6
    )


def test_all_types_constant():
    assert ALL_TYPES == POINTS | LINES | POLYGONS and len(ALL_TYPES) == 6
