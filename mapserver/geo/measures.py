"""Sizes of a site on the WGS84 ellipsoid: 亩 and hectares for areas, km for lengths.

Computed with pyproj's Geod, never in degrees or a projected plane, so a site
straddling the Gauss-Krüger zone line measures the same as any other.
"""

from __future__ import annotations

from dataclasses import dataclass

import shapely
from pyproj import Geod
from shapely.geometry.base import BaseGeometry

M2_PER_MU = 10_000 / 15  # 1 亩 = 666.67 m², 15 亩 = 1 ha
_GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True)
class Measures:
    """Sizes on the WGS84 ellipsoid: area for polygons, length for lines, none for points."""

    area_m2: float | None = None
    perimeter_km: float | None = None  # outer rings only (holes excluded), as pyproj sums it
    length_km: float | None = None

    @property
    def area_mu(self) -> float | None:
        return None if self.area_m2 is None else self.area_m2 / M2_PER_MU

    @property
    def area_ha(self) -> float | None:
        return None if self.area_m2 is None else self.area_m2 / 10_000

    def as_dict(self) -> dict[str, float]:
        """The measures a response carries (only those that apply)."""
        values = {name: getattr(self, name) for name in ("area_mu", "area_ha")}
        values |= {"perimeter_km": self.perimeter_km, "length_km": self.length_km}
        return {name: value for name, value in values.items() if value is not None}


def measure(geometry: BaseGeometry) -> Measures:
    """Area and perimeter of polygons, length of lines, on the WGS84 ellipsoid (pyproj Geod).

    ``geometry`` must be in EPSG:4326 lon/lat. Rings are oriented first because
    pyproj subtracts holes by their signed area.
    """
    if geometry.is_empty:
        return Measures()
    dimension = shapely.get_dimensions(geometry)
    if dimension == 2:
        area, perimeter = _GEOD.geometry_area_perimeter(shapely.orient_polygons(geometry))
        return Measures(area_m2=abs(area), perimeter_km=perimeter / 1000)
    if dimension == 1:
        return Measures(length_km=_GEOD.geometry_length(geometry) / 1000)
    return Measures()
