"""GCJ-02 / BD-09 conversion, checked against prcoords (an independent implementation)."""

from __future__ import annotations

import math

import numpy as np
import prcoords
import pytest
from pyproj import Geod

from mapserver.geo import chinacoords as cc

# County seats of Guang'an and the corners of the area the server serves (lon, lat).
GUANGAN = [
    (106.633, 30.456),  # 广安区
    (106.893, 30.496),  # 前锋区
    (106.440, 30.538),  # 岳池县
    (106.296, 30.349),  # 武胜县
    (106.930, 30.334),  # 邻水县
    (106.783, 30.390),  # 华蓥市
    (106.2, 30.0),
    (107.3, 30.0),
    (106.2, 30.9),
    (107.3, 30.9),
    (106.5, 30.5),  # on the 3° zone boundary
]
FORWARD = [
    (cc.wgs84_to_gcj02, prcoords.wgs_gcj),
    (cc.wgs84_to_bd09, prcoords.wgs_bd),
    (cc.gcj02_to_bd09, prcoords.gcj_bd),
]
ROUND_TRIPS = [
    (cc.wgs84_to_gcj02, cc.gcj02_to_wgs84),
    (cc.wgs84_to_bd09, cc.bd09_to_wgs84),
    (cc.gcj02_to_bd09, cc.bd09_to_gcj02),
]
ALL = [f for pair in ROUND_TRIPS for f in pair]


def _oracle(func, lon, lat):
    """prcoords works in (lat, lon) order."""
    result = func(prcoords.Coords(lat, lon))
    return result.lon, result.lat


@pytest.mark.parametrize(("ours", "theirs"), FORWARD, ids=lambda f: f.__name__)
@pytest.mark.parametrize(("lon", "lat"), GUANGAN)
def test_forward_matches_prcoords(ours, theirs, lon, lat):
    x, y = ours(lon, lat)
    ex, ey = _oracle(theirs, lon, lat)
    assert x == pytest.approx(ex, abs=1e-12)
    assert y == pytest.approx(ey, abs=1e-12)


@pytest.mark.parametrize(
    ("inverse", "oracle_forward"),
    [
        (cc.gcj02_to_wgs84, prcoords.wgs_gcj),
        (cc.bd09_to_wgs84, prcoords.wgs_bd),
        (cc.bd09_to_gcj02, prcoords.gcj_bd),
    ],
    ids=lambda f: f.__name__,
)
@pytest.mark.parametrize(("lon", "lat"), GUANGAN)
def test_inverse_is_exact_under_the_oracle_forward(inverse, oracle_forward, lon, lat):
    """prcoords' own forward formula maps our inverse back onto the input, to 1e-9°."""
    x, y = inverse(lon, lat)
    bx, by = _oracle(oracle_forward, x, y)
    assert bx == pytest.approx(lon, abs=1e-9)
    assert by == pytest.approx(lat, abs=1e-9)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [(cc.gcj02_to_wgs84, prcoords.gcj_wgs_bored), (cc.bd09_to_wgs84, prcoords.bd_wgs_bored)],
    ids=lambda f: f.__name__,
)
@pytest.mark.parametrize(("lon", "lat"), GUANGAN)
def test_inverse_agrees_with_prcoords_iterative_inverse(ours, theirs, lon, lat):
    """prcoords stops iterating at 1e-5° steps, so it is only good to a few 1e-7°."""
    x, y = ours(lon, lat)
    ex, ey = _oracle(theirs, lon, lat)
    assert math.hypot(x - ex, y - ey) < 5e-7


@pytest.mark.parametrize(("forward", "inverse"), ROUND_TRIPS, ids=lambda f: f.__name__)
def test_inverse_after_forward_round_trips_on_a_grid(forward, inverse):
    lon, lat = np.meshgrid(np.linspace(106.2, 107.3, 23), np.linspace(30.0, 30.9, 19))
    back_lon, back_lat = inverse(*forward(lon.ravel(), lat.ravel()))
    assert np.abs(back_lon - lon.ravel()).max() < 1e-9
    assert np.abs(back_lat - lat.ravel()).max() < 1e-9


@pytest.mark.parametrize(("convert", "low", "high"), [
    (cc.wgs84_to_gcj02, 300, 700),  # the glossary: "about 470 m off here"
    (cc.wgs84_to_bd09, 800, 1500),
])  # fmt: skip
@pytest.mark.parametrize(("lon", "lat"), GUANGAN[:6])
def test_the_offset_around_guangan_has_the_known_size(convert, low, high, lon, lat):
    x, y = convert(lon, lat)
    _, _, metres = Geod(ellps="WGS84").inv(lon, lat, x, y)
    assert low < metres < high


@pytest.mark.parametrize("func", ALL, ids=lambda f: f.__name__)
@pytest.mark.parametrize(("lon", "lat"), [(2.35, 48.85), (-74.0, 40.7), (106.6, 89.0), (140.0, 30)])
def test_points_outside_china_are_unchanged(func, lon, lat):
    assert func(lon, lat) == (lon, lat)


@pytest.mark.parametrize("func", ALL, ids=lambda f: f.__name__)
def test_arrays_give_the_same_as_scalars(func):
    lons = np.array([106.633, 106.893, 2.35])
    lats = np.array([30.456, 30.496, 48.85])
    xs, ys = func(lons, lats)
    assert isinstance(xs, np.ndarray) and xs.shape == (3,)
    for x, y, lon, lat in zip(xs, ys, lons, lats, strict=True):
        # the array stops iterating when its worst point converges: equal to TOLERANCE
        assert (x, y) == pytest.approx(func(float(lon), float(lat)), abs=cc.TOLERANCE)


def test_scalars_in_give_python_floats_out():
    x, y = cc.gcj02_to_wgs84(106.6, 30.4)
    assert type(x) is float and type(y) is float


def test_empty_arrays_are_fine():
    x, y = cc.bd09_to_wgs84(np.array([]), np.array([]))
    assert x.shape == (0,) and y.shape == (0,)


@pytest.mark.parametrize("func", ALL, ids=lambda f: f.__name__)
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_input_is_refused(func, bad):
    with pytest.raises(ValueError, match="finite"):
        func(bad, 30.4)


def test_mismatched_shapes_are_refused():
    with pytest.raises(ValueError, match="shape"):
        cc.gcj02_to_wgs84([106.6, 106.7], [30.4])


def test_in_china_box():
    assert cc.in_china(106.6, 30.4) is True
    assert cc.in_china(2.35, 48.85) is False
    assert cc.in_china(np.array([106.6, 2.35]), np.array([30.4, 48.85])).tolist() == [True, False]
