"""The demo boundaries: Guang'an city and its six counties (a development fixture)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from shapely.geometry import MultiPolygon, shape

FIXTURE = Path(__file__).resolve().parent / "data" / "guangan-counties.geojson"


@dataclass(frozen=True)
class Region:
    adcode: str
    name: str
    level: str  # city | county
    boundary: MultiPolygon


def read_regions(path: Path = FIXTURE) -> dict[str, Region]:
    """adcode -> Region for every feature of the file (city and counties)."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    out = {}
    for feature in doc["features"]:
        props = feature["properties"]
        geom = shape(feature["geometry"])
        if geom.geom_type == "Polygon":
            geom = MultiPolygon([geom])
        out[props["adcode"]] = Region(props["adcode"], props["name"], props["level"], geom)
    return out


def counties(regions: dict[str, Region]) -> dict[str, Region]:
    return {k: r for k, r in regions.items() if r.level == "county"}
