"""GCJ-02 (Amap, Tencent) and BD-09 (Baidu) coordinates to and from WGS84.

Chinese web maps show coordinates shifted by an obfuscation formula, about
470 m around Guang'an. Staff copy such coordinates from Amap or Baidu, so they
must be converted to WGS84 before they are stored.

The forward formulas are the published ones (GCJ-02 on the Krasovsky
ellipsoid constants, BD-09 as a further polar offset of GCJ-02). They have no
closed-form inverse, so the inverse is a fixed-point iteration on the forward
formula, run until the residual is below 1e-11° (far under 1e-9°).

Coordinates are (lon, lat) in degrees, like GeoJSON; every function accepts
floats or numpy arrays of equal shape and returns the same kind. BD-09 here
means Baidu's degrees (bd09ll), not Baidu Mercator (bd09mc). Points outside
the rough box of China are returned unchanged, as the web maps do.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

# Krasovsky 1940 semi-major axis and first eccentricity squared, as GCJ-02 uses them.
_A = 6378245.0
_EE = 0.00669342162296594323
# Baidu's extra offset: a polar perturbation plus a fixed shift, in degrees.
_BD_X_PI = np.pi * 3000.0 / 180.0
_BD_DLON = 0.0065
_BD_DLAT = 0.006
# The box outside which Chinese web maps do not shift coordinates.
CHINA_BOX = (72.004, 0.8293, 137.8347, 55.8271)  # min lon, min lat, max lon, max lat

TOLERANCE = 1e-11  # degrees; the inverse stops when forward(result) is this close
MAX_ITERATIONS = 50

Coords = tuple[float, float] | tuple[NDArray[np.float64], NDArray[np.float64]]
_Pair = tuple[NDArray[np.float64], NDArray[np.float64]]
_Convert = Callable[[NDArray[np.float64], NDArray[np.float64]], _Pair]


def in_china(lon: ArrayLike, lat: ArrayLike) -> bool | NDArray[np.bool_]:
    """Whether the web maps shift this point (the customary rough box of China)."""
    x, y = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    min_x, min_y, max_x, max_y = CHINA_BOX
    inside = (x >= min_x) & (x <= max_x) & (y >= min_y) & (y <= max_y)
    return bool(inside) if inside.ndim == 0 else inside


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> Coords:
    """WGS84 -> GCJ-02, as Amap and Tencent display a WGS84 point."""
    return _apply(_gcj_forward, lon, lat)


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> Coords:
    """GCJ-02 -> WGS84, exact to TOLERANCE by iterating the forward formula."""
    return _apply(lambda x, y: _invert(_gcj_forward, x, y), lon, lat)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> Coords:
    """GCJ-02 -> BD-09 (Baidu shifts GCJ-02 once more)."""
    return _apply(_bd_forward, lon, lat)


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> Coords:
    """BD-09 -> GCJ-02, exact to TOLERANCE."""
    return _apply(lambda x, y: _invert(_bd_forward, x, y), lon, lat)


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> Coords:
    """WGS84 -> BD-09, as Baidu displays a WGS84 point."""
    return _apply(_wgs_to_bd, lon, lat)


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> Coords:
    """BD-09 -> WGS84, inverting the composed forward formula in one iteration."""
    return _apply(lambda x, y: _invert(_wgs_to_bd, x, y), lon, lat)


def _apply(convert: _Convert, lon: ArrayLike, lat: ArrayLike) -> Coords:
    """Run a conversion on the points inside China; the rest stay as they are."""
    x, y = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"lon and lat differ in shape: {x.shape} != {y.shape}")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("坐标必须是有限数值 Coordinates must be finite numbers")
    rx, ry = np.atleast_1d(x).copy(), np.atleast_1d(y).copy()
    inside = np.atleast_1d(in_china(rx, ry))
    if inside.any():
        rx[inside], ry[inside] = convert(rx[inside], ry[inside])
    if x.ndim == 0:
        return float(rx[0]), float(ry[0])
    return rx, ry


def _gcj_forward(x: NDArray, y: NDArray) -> _Pair:
    """The GCJ-02 offset formula, without the China test (the inverse needs it smooth)."""
    dx, dy = x - 105.0, y - 35.0
    lat_m = (
        -100.0 + 2.0 * dx + 3.0 * dy + 0.2 * dy * dy + 0.1 * dx * dy
        + 0.2 * np.sqrt(np.abs(dx))
        + (20.0 * np.sin(6.0 * dx * np.pi) + 20.0 * np.sin(2.0 * dx * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(dy * np.pi) + 40.0 * np.sin(dy / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(dy / 12.0 * np.pi) + 320.0 * np.sin(dy * np.pi / 30.0)) * 2.0 / 3.0
    )  # fmt: skip
    lon_m = (
        300.0 + dx + 2.0 * dy + 0.1 * dx * dx + 0.1 * dx * dy
        + 0.1 * np.sqrt(np.abs(dx))
        + (20.0 * np.sin(6.0 * dx * np.pi) + 20.0 * np.sin(2.0 * dx * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(dx * np.pi) + 40.0 * np.sin(dx / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(dx / 12.0 * np.pi) + 300.0 * np.sin(dx / 30.0 * np.pi)) * 2.0 / 3.0
    )  # fmt: skip
    rad = y / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (lat_m * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    d_lon = (lon_m * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    return x + d_lon, y + d_lat


def _bd_forward(x: NDArray, y: NDArray) -> _Pair:
    """The BD-09 formula applied to GCJ-02 (lon, lat)."""
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _BD_X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _BD_X_PI)
    return z * np.cos(theta) + _BD_DLON, z * np.sin(theta) + _BD_DLAT


def _wgs_to_bd(x: NDArray, y: NDArray) -> _Pair:
    return _bd_forward(*_gcj_forward(x, y))


def _invert(forward: _Convert, x: NDArray, y: NDArray) -> _Pair:
    """Solve forward(p) = (x, y) for p by fixed-point iteration.

    The offsets vary slowly (their derivative is ~1e-2), so p -= forward(p) - target
    contracts quickly: about six rounds reach TOLERANCE.
    """
    px, py = x.copy(), y.copy()
    for _ in range(MAX_ITERATIONS):
        fx, fy = forward(px, py)
        ex, ey = fx - x, fy - y
        px, py = px - ex, py - ey
        if max(np.abs(ex).max(), np.abs(ey).max()) < TOLERANCE:
            return px, py
    raise ArithmeticError("坐标反算不收敛 Inverse conversion did not converge")
