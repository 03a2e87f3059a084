"""The area every project site must lie in, whoever draws it.

By default that is the city's boundary (table ``cities``): a polygon in Beijing or a point
at [0, 0] is a mistake, not a project of Guang'an. A deployment whose projects reach past
the boundary (a road to the next city) sets ``MAPSERVER_SITE_EXTENT`` to a box instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mapserver.errors import ConfigError

SETTING = "MAPSERVER_SITE_EXTENT"
# Lines need only touch the area; points and polygons lie in it plus the tolerance
# (metres, measured in CGCS2000 / 3-degree GK zone 35, EPSG:4544).
CHECK = """SELECT CASE WHEN ST_Dimension(g) = 1 THEN ST_Intersects(g, a.boundary)
ELSE ST_CoveredBy(ST_Transform(g, 4544), ST_Buffer(ST_Transform(a.boundary, 4544), :tol)) END
FROM ST_GeomFromWKB(:wkb, 4326) g, {area} a"""
CITY = "cities"
BOX = "(SELECT ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326) AS boundary)"


@dataclass(frozen=True)
class SiteExtent:
    """``box`` (min lon, min lat, max lon, max lat) or, when None, the city boundary."""

    box: tuple[float, float, float, float] | None = None

    @classmethod
    def from_setting(cls, text: str) -> SiteExtent:
        """Parsed and checked at startup, so a typo stops the server rather than every write."""
        if not text.strip():
            return cls()
        try:
            box = tuple(float(part) for part in text.split(","))
        except ValueError:
            box = ()
        if len(box) != 4 or not all(math.isfinite(v) for v in box):
            raise ConfigError(f"{SETTING}={text!r}: want min_lon,min_lat,max_lon,max_lat")
        x0, y0, x1, y1 = box
        if not (-180 <= x0 < x1 <= 180 and -90 <= y0 < y1 <= 90):
            raise ConfigError(f"{SETTING}={text!r}: not a box in longitude/latitude (EPSG:4326)")
        return cls((x0, y0, x1, y1))

    @property
    def sql(self) -> str:
        return CHECK.format(area=BOX if self.box else CITY)

    @property
    def params(self) -> dict[str, float]:
        return dict(zip(("x0", "y0", "x1", "y1"), self.box, strict=True)) if self.box else {}

    @property
    def label(self) -> tuple[str, str]:
        """The area's name, in Chinese and in English."""
        return ("设定范围", "the configured extent") if self.box else ("广安市范围", "the city")
