"""OGC API – Features Part 2 (CRS by reference): every output CRS against pyproj, on PostGIS."""

from __future__ import annotations

import json
from functools import cache
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from pyproj import CRS, Transformer

from mapserver.geo import ogc_crs

ITEMS = "/ogc/collections/projects/items"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
BBOX84 = (106.5, 30.4, 106.9, 30.7)
GUANGAN = [(106.2, 30.0), (106.5, 30.45), (106.633, 30.456), (107.3, 30.9)]
CODES = [c.srid for c in ogc_crs.SUPPORTED if c.key != "CRS84"]


def get(client, url: str, status: int = 200):
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)
    return response, json.loads(response.get_data())


def stored(engine) -> dict[str, list[tuple[float, float]]]:
    """Every project's stored lon/lat vertices, at full precision, straight from SQL."""
    sql = "SELECT code, ST_AsGeoJSON(geom, 15) FROM projects WHERE geom IS NOT NULL"
    with engine.connect() as conn:
        return {
            code: flatten(json.loads(g)["coordinates"]) for code, g in conn.execute(sa.text(sql))
        }


def flatten(coords) -> list[tuple[float, float]]:
    if isinstance(coords[0], int | float):
        return [(coords[0], coords[1])]
    return [xy for part in coords for xy in flatten(part)]


@cache
def transformer(srid: int) -> Transformer:
    return Transformer.from_crs("EPSG:4326", f"EPSG:{srid}", always_xy=True)


def expected(lonlat: list[tuple[float, float]], c: ogc_crs.OgcCrs) -> list[tuple[float, float]]:
    """pyproj's transform of the stored lon/lat, in the axis order EPSG defines."""
    if c.key == "CRS84":
        return lonlat
    to = transformer(c.srid)
    out = [to.transform(lon, lat) for lon, lat in lonlat]
    return [(y, x) for x, y in out] if c.flip else out


@pytest.mark.parametrize("code", CODES)
def test_axis_order_is_the_epsg_one(code):
    """Latitude / northing ("X") first where EPSG says so: 4326, 4490 and every Gauss-Kruger."""
    c = next(c for c in ogc_crs.SUPPORTED if c.srid == code and c.key != "CRS84")
    first = CRS.from_epsg(code).axis_info[0]
    assert c.flip == (first.direction == "north")
    assert c.flip == (code != 3857)


def test_postgis_knows_every_srid(demo_engine):
    sql = "SELECT srid FROM spatial_ref_sys WHERE auth_name = 'EPSG' AND srid = ANY(:s)"
    with demo_engine.connect() as conn:
        found = set(conn.execute(sa.text(sql), {"s": CODES}).scalars())
    assert found == set(CODES)


@pytest.mark.parametrize("code", CODES)
def test_postgis_transforms_agree_with_pyproj(demo_engine, code):
    to = transformer(code)
    sql = "SELECT ST_X(p), ST_Y(p) FROM ST_Transform(ST_SetSRID(ST_MakePoint(:x, :y), 4326), :s) p"
    with demo_engine.connect() as conn:
        for lon, lat in GUANGAN:
            x, y = conn.execute(sa.text(sql), {"x": lon, "y": lat, "s": code}).one()
            px, py = to.transform(lon, lat)
            assert abs(x - px) < 1e-6 and abs(y - py) < 1e-6, (code, lon, lat)


@pytest.mark.parametrize("c", ogc_crs.SUPPORTED, ids=lambda c: c.key)
def test_items_in_each_crs(client, demo_engine, c):
    response, body = get(client, f"{ITEMS}?limit=1000&crs={c.uri}")
    assert response.headers["Content-Crs"] == f"<{c.uri}>"
    truth = stored(demo_engine)
    tolerance = 1e-7 if c.geographic else 1e-3  # degrees / one millimetre
    checked = 0
    for feature in body["features"]:
        if feature["geometry"] is None:
            continue
        got = flatten(feature["geometry"]["coordinates"])
        want = expected(truth[feature["id"]], c)
        assert len(got) == len(want)
        for (gx, gy), (wx, wy) in zip(got, want):
            assert abs(gx - wx) <= tolerance and abs(gy - wy) <= tolerance, (c.key, feature["id"])
        checked += len(got)
    assert checked > 500  # every vertex of the 94 located projects


def test_default_and_named_crs84_are_the_same(client):
    _, default = get(client, f"{ITEMS}?limit=5")
    response, named = get(client, f"{ITEMS}?limit=5&crs=[OGC:CRS84]")
    assert response.headers["Content-Crs"] == f"<{CRS84}>"
    assert default["features"] == named["features"]


def test_latitude_first_in_epsg_4326(client):
    _, lonlat = get(client, f"{ITEMS}?limit=3")
    _, latlon = get(client, f"{ITEMS}?limit=3&crs=EPSG:4326")
    for a, b in zip(lonlat["features"], latlon["features"]):
        if a["geometry"]:
            assert flatten(b["geometry"]["coordinates"]) == [
                (y, x) for x, y in flatten(a["geometry"]["coordinates"])
            ]


def test_single_item_in_a_crs(client, demo_engine):
    code, lonlat = next(iter(stored(demo_engine).items()))
    c = next(c for c in ogc_crs.SUPPORTED if c.key == "EPSG:4545")
    response, feature = get(client, f"{ITEMS}/{code}?crs={c.uri}")
    assert response.headers["Content-Crs"] == f"<{c.uri}>"
    got = flatten(feature["geometry"]["coordinates"])
    for (gx, gy), (wx, wy) in zip(got, expected(lonlat, c)):
        assert abs(gx - wx) <= 1e-3 and abs(gy - wy) <= 1e-3
    plain = client.get(f"{ITEMS}/{code}")
    assert plain.headers["Content-Crs"] == f"<{CRS84}>"
    assert plain.headers["ETag"] != response.headers["ETag"]
    assert client.get(f"{ITEMS}/{code}?crs=EPSG:1").status_code == 400


def test_item_statements_kept_apart(client, demo_engine):
    """The item statement is built once per CRS and reused (ogc.documents._item_statement):
    each later request still gets its own feature, in its own CRS."""
    c = next(c for c in ogc_crs.SUPPORTED if c.key == "EPSG:4545")
    for _ in range(2):
        for code, lonlat in list(stored(demo_engine).items())[:3]:
            _, feature = get(client, f"{ITEMS}/{code}?crs={c.uri}")
            assert feature["id"] == code
            got = flatten(feature["geometry"]["coordinates"])
            for (gx, gy), (wx, wy) in zip(got, expected(lonlat, c)):
                assert abs(gx - wx) <= 1e-3 and abs(gy - wy) <= 1e-3
            _, plain = get(client, f"{ITEMS}/{code}")
            assert plain["id"] == code
            for (gx, gy), (wx, wy) in zip(flatten(plain["geometry"]["coordinates"]), lonlat):
                assert abs(gx - wx) <= 1e-6 and abs(gy - wy) <= 1e-6


def ids(body) -> list[str]:
    return [f["id"] for f in body["features"]]


def sql_ids(engine, where: str, **params) -> list[str]:
    sql = f"SELECT code FROM projects WHERE deleted_at IS NULL AND {where} ORDER BY id"
    with engine.connect() as conn:
        return list(conn.execute(sa.text(sql), params).scalars())


def test_bbox_crs_selects_the_same_features(client, demo_engine):
    x0, y0, x1, y1 = BBOX84
    want = sql_ids(demo_engine, "ST_Intersects(geom, ST_MakeEnvelope(:a, :b, :c, :d, 4326))",
                   a=x0, b=y0, c=x1, d=y1)  # fmt: skip
    assert 5 < len(want) < 100
    _, lonlat = get(client, f"{ITEMS}?limit=1000&bbox={x0},{y0},{x1},{y1}")
    _, latlon = get(client, f"{ITEMS}?limit=1000&bbox={y0},{x0},{y1},{x1}&bbox-crs=EPSG:4326")
    assert ids(lonlat) == ids(latlon) == want
    # The same area in EPSG:4545 (northing, easting): the GK rectangle around the CRS84 one.
    to = transformer(4545)
    corners = [to.transform(x, y) for x in (x0, x1) for y in (y0, y1)]
    e0, e1 = min(c[0] for c in corners), max(c[0] for c in corners)
    n0, n1 = min(c[1] for c in corners), max(c[1] for c in corners)
    url = f"{ITEMS}?limit=1000&bbox={n0},{e0},{n1},{e1}&bbox-crs={EPSG}4545"
    _, gk = get(client, url)
    exact = sql_ids(demo_engine, "ST_Intersects(ST_Transform(geom, 4545), "
                    "ST_MakeEnvelope(:e0, :n0, :e1, :n1, 4545))", e0=e0, n0=n0, e1=e1, n1=n1)  # fmt: skip
    assert ids(gk) == exact
    assert set(want) <= set(exact) and len(exact) - len(want) <= 2  # the GK box is a bit larger


@pytest.mark.parametrize(
    ("query", "parameter", "words"),
    [
        ("crs=EPSG:9999", "crs", "unsupported CRS"),
        ("crs=http://www.opengis.net/def/crs/EPSG/0/4547", "crs", "unsupported CRS"),
        ("crs=gcj02", "crs", "unsupported CRS"),
        ("crs=EPSG:4545&crs=EPSG:4545", "crs", "2 times"),
        ("bbox-crs=EPSG:2000&bbox=1,2,3,4", "bbox-crs", "unsupported CRS"),
        ("filter-crs=urn:x&filter=name%3D'a'", "filter-crs", "unsupported CRS"),
        ("bbox=500000,3300000,510000,3310000&bbox-crs=EPSG:4545", "bbox", "outside"),
        ("bbox=3300000,500000,3310000,510000&bbox-crs=EPSG:4523", "bbox", "outside"),
        ("bbox=3310000,500000,3300000,510000&bbox-crs=EPSG:4545", "bbox", "inverted"),
        ("bbox=106,30,107,31&bbox-crs=EPSG:4326", "bbox", "outside"),
        ("bbox=1e300,0,1e301,1&bbox-crs=EPSG:3857", "bbox", "outside"),
    ],
)
def test_bad_crs_parameters(client, query, parameter, words):
    response, body = get(client, f"{ITEMS}?{query}", 400)
    assert response.mimetype == "application/problem+json"
    assert body["parameter"] == parameter and words in body["detail"]
    if words == "unsupported CRS":
        assert body["allowed"] == ogc_crs.URIS


def test_etag_and_links_carry_the_crs(client):
    plain = client.get(f"{ITEMS}?limit=10")
    response, body = get(client, f"{ITEMS}?limit=10&crs=EPSG:4545")
    assert plain.headers["ETag"] != response.headers["ETag"]
    following = next(link for link in body["links"] if link["rel"] == "next")["href"]
    assert parse_qs(urlsplit(following).query)["crs"] == ["EPSG:4545"]
    again = client.get(f"{ITEMS}?limit=10&crs=EPSG:4545",
                       headers={"If-None-Match": response.headers["ETag"]})  # fmt: skip
    assert again.status_code == 304


def test_collections_list_every_crs(client):
    _, doc = get(client, "/ogc/collections/projects")
    assert doc["crs"] == ogc_crs.URIS and doc["storageCrs"] == CRS84


def test_html_stays_lon_lat(client):
    response = client.get(f"{ITEMS}?f=html&limit=3&crs=EPSG:4545")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True).split('id="ogc-features">')[1].split("</script>")[0]
    for feature in json.loads(page):
        if feature["geometry"]:
            x, y = flatten(feature["geometry"]["coordinates"])[0]
            assert 105 < x < 108 and 29 < y < 31


def test_one_registry_for_input_and_output():
    """The OGC API serves every registry CRS PostGIS can transform to, with the same
    windows; only the web-map offsets (GCJ-02, BD-09) are input-only."""
    from mapserver.geo import crs

    served = {c.key: (c.uri, c.x_range, c.y_range) for c in ogc_crs.SUPPORTED}
    accepted = {c.key: (c.uri, c.x_range, c.y_range) for c in crs.SUPPORTED.values()}
    assert set(accepted) - set(served) == {"gcj02", "bd09"}
    assert all(accepted[key] == served[key] for key in served)
