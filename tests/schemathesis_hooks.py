"""Schemathesis hooks for /ogc/api (loaded by tests/test_ogc_schemathesis.py).

A JSON Schema cannot say everything that makes an items request valid: that a
``filter`` is CQL2 in its ``filter-lang``, that a date in ``datetime`` exists
and an interval is not inverted, that a ``bbox`` lies inside its ``bbox-crs``
with each minimum below its maximum, that a KML file is only WGS84, that a file
holds at most 10 pages. Schemathesis promises that its *positive* cases are
valid and checks that they are accepted, so in positive cases these values are
replaced by valid ones picked by the generated value; negative cases keep
what was generated, and must be refused.
"""

from __future__ import annotations

import json
import os
from urllib.parse import urlencode

import schemathesis

from mapserver.geo import ogc_crs

FILTERS = {
    "cql2-text": ["name = 'x'", "name LIKE '%县%'", "NOT name IS NULL",
                  "name IN ('a', 'b') OR name <> 'c'", "CASEI(name) = CASEI('X')"],
    "cql2-json": ['{"op": "=", "args": [{"property": "name"}, "x"]}',
                  '{"op": "like", "args": [{"property": "name"}, "%县%"]}',
                  '{"op": "not", "args": [{"op": "isNull", "args": [{"property": "name"}]}]}'],
}  # fmt: skip
DATETIMES = ["2025-01-01", "2024-01-01T00:00:00Z/..", "../2030-06-30T12:00:00+08:00",
             "2024-02-29/2026-01-01", "2020-01-01T00:00:00.5Z/"]  # fmt: skip
FILES = ("csv", "gpkg", "kml")
SMALLEST_CAP = 100  # 10 × the city layer's maximum
# collection -> a feature id that exists, from the test (schemathesis cannot guess one)
FEATURE_IDS = json.loads(os.environ.get("OGC_FEATURE_IDS", "{}"))


def _pick(options: list, seed: object) -> object:
    return options[len(str(seed)) % len(options)]


def _bbox(crs_value: str | None) -> str:
    """A bbox well inside the CRS's window, in its axis order (as sent: comma separated)."""
    crs = ogc_crs.parse(crs_value, "bbox-crs")
    (x0, x1), (y0, y1) = crs.x_range, crs.y_range
    xs = (x0 + 0.45 * (x1 - x0), x0 + 0.55 * (x1 - x0))
    ys = (y0 + 0.45 * (y1 - y0), y0 + 0.55 * (y1 - y0))
    if crs.geographic:  # near Guang'an
        xs, ys = (106.0, 107.0), (30.0, 31.0)
    values = [ys[0], xs[0], ys[1], xs[1]] if crs.flip else [xs[0], ys[0], xs[1], ys[1]]
    return ",".join(f"{v:.6f}" for v in values)


@schemathesis.hook
def map_case(context, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return case
    _existing_feature(case)
    query = case.query or {}
    if "filter" in query:
        query["filter"] = _pick(FILTERS[query.get("filter-lang", "cql2-text")], query["filter"])
        query.pop("filter-crs", None)
    if "datetime" in query:
        query["datetime"] = _pick(DATETIMES, query["datetime"])
    if "bbox" in query:
        query["bbox"] = _bbox(query.get("bbox-crs"))
    if query.get("f") == "kml":
        query.pop("crs", None)
    if query.get("f") in FILES and "limit" in query:
        query["limit"] = min(int(query["limit"]), SMALLEST_CAP)
    return case


def _existing_feature(case) -> None:
    """Half the single-feature cases ask for a feature that exists."""
    fid = (case.path_parameters or {}).get("featureId")
    if fid is None or len(str(fid)) % 2:
        return
    collection = case.operation.path.split("/")[2]  # /collections/<id>/items/{featureId}…
    if collection in FEATURE_IDS:
        case.path_parameters["featureId"] = FEATURE_IDS[collection]


@schemathesis.hook
def filter_case(context, case):
    """Not past the test server's own limit: Python's http.server answers 414 itself to a
    request line over 64 KiB, before the app sees it (gunicorn's limit is lower still)."""
    return len(urlencode(case.query or {}, doseq=True)) < 60_000
