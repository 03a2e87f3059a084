"""OGC API – Features with the real clients GIS people use: GDAL (OAPIF driver) and OWSLib."""

from __future__ import annotations

import csv
import sqlite3
import subprocess
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.server import gunicorn

pytestmark = [pytest.mark.gdal, pytest.mark.clients]

ATTRIBUTES = ("name", "level", "working_group", "county", "status", "owner_unit", "leader",
              "total_investment", "annual_plan", "completed_this_year", "planned_start",
              "planned_end", "description", "version")  # fmt: skip
SPAT = (106.5, 30.4, 106.9, 30.7)
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"


@pytest.fixture(scope="module")
def server(demo_url):
    with gunicorn(demo_url) as base:
        yield base


def run(*cmd: str) -> str:
    done = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def db_rows(engine, where: str = "TRUE", **params) -> dict[str, sa.Row]:
    sql = f"SELECT code, {', '.join(ATTRIBUTES)} FROM projects p WHERE {where}"
    with engine.connect() as conn:
        return {row.code: row for row in conn.execute(sa.text(sql), params)}


def test_ogrinfo_lists_collections(server):
    out = run("ogrinfo", "-ro", f"OAPIF:{server}/ogc")
    for layer in ("city", "counties", "projects"):
        assert f": {layer} (" in out or f": {layer}\n" in out, out


def test_ogrinfo_feature_count(server, demo_engine):
    out = run("ogrinfo", "-ro", "-so", f"OAPIF:{server}/ogc", "projects")
    with demo_engine.connect() as conn:
        total = conn.execute(sa.text("SELECT count(*) FROM projects")).scalar_one()
    assert total == 100
    assert f"Feature Count: {total}" in out, out


def gpkg_rows(path) -> dict[str, dict]:
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        return {r["id"]: dict(r) for r in db.execute("SELECT * FROM projects")}


def same(gpkg_value, db_value) -> bool:
    if isinstance(db_value, Decimal):
        return Decimal(str(gpkg_value)) == db_value
    if db_value is None or isinstance(db_value, str | int):
        return gpkg_value == db_value
    return str(gpkg_value) == db_value.isoformat()


def test_ogr2ogr_copies_every_feature_through_paging(server, demo_engine, tmp_path):
    out = tmp_path / "projects.gpkg"
    # 7 features a page: GDAL must follow `next` links 15 times.
    run("ogr2ogr", "-f", "GPKG", str(out), f"OAPIF:{server}/ogc", "projects", "-oo", "PAGE_SIZE=7")
    copied, expected = gpkg_rows(out), db_rows(demo_engine)
    assert sorted(copied) == sorted(expected)
    for code, row in expected.items():
        for name in ATTRIBUTES:
            assert same(copied[code][name], getattr(row, name)), (code, name)
    wkt = tmp_path / "geom.csv"
    run("ogr2ogr", "-f", "CSV", str(wkt), str(out), "-lco", "GEOMETRY=AS_WKT", "-select", "id")
    with open(wkt, encoding="utf-8") as f, demo_engine.connect() as conn:
        for r in csv.DictReader(f):
            far = conn.execute(
                sa.text(
                    "SELECT CASE WHEN geom IS NULL THEN :wkt = '' ELSE "
                    "ST_HausdorffDistance(geom, ST_GeomFromText(NULLIF(:wkt, ''), 4326)) < 1e-6 "
                    "END FROM projects WHERE code = :code"
                ),
                {"wkt": r["WKT"], "code": r["id"]},
            ).scalar_one()
            assert far, r["id"]


def test_ogr2ogr_spatial_filter(server, demo_engine, tmp_path):
    out = tmp_path / "spat.gpkg"
    run("ogr2ogr", "-f", "GPKG", str(out), f"OAPIF:{server}/ogc", "projects",
        "-spat", *map(str, SPAT))  # fmt: skip
    expected = db_rows(
        demo_engine,
        "ST_Intersects(geom, ST_MakeEnvelope(:a, :b, :c, :d, 4326))",
        **dict(zip("abcd", SPAT)),
    )
    assert expected and len(expected) < 100
    assert sorted(gpkg_rows(out)) == sorted(expected)


def test_owslib(server, demo_engine):
    from owslib.ogcapi.features import Features

    api = Features(f"{server}/ogc")
    assert (
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
        in (api.conformance()["conformsTo"])
    )
    ids = [c["id"] for c in api.collections()["collections"]]
    assert ids == ["city", "counties", "projects"]  # photos needs a login
    page = api.collection_items("projects", limit=10, status="under_construction")
    expected = db_rows(demo_engine, "status = 'under_construction'")
    assert page["numberMatched"] == len(expected)
    assert page["numberReturned"] == min(10, len(expected))
    code = page["features"][0]["id"]
    one = api.collection_item("projects", code)
    assert one["id"] == code
    assert one["properties"]["name"] == expected[code].name


def test_owslib_crs_and_filter(server, demo_engine):
    """OWSLib passes Part 2 and Part 3 parameters through; what comes back is placed right."""
    from owslib.ogcapi.features import Features
    from pyproj import Transformer

    api = Features(f"{server}/ogc")
    assert "http://www.opengis.net/def/crs/EPSG/0/4545" in api.collection("projects")["crs"]
    query = {"filter": "status = 'completed' AND S_INTERSECTS(geom, BBOX(105, 29, 108, 31))",
             "filter-lang": "cql2-text"}  # fmt: skip
    page = api.collection_items("projects", limit=100, **query)
    expected = db_rows(demo_engine, "status = 'completed' AND geom IS NOT NULL")
    assert sorted(f["id"] for f in page["features"]) == sorted(expected)
    gk = api.collection_items("projects", limit=100, crs=f"{EPSG}4545", **query)
    to = Transformer.from_crs("EPSG:4326", "EPSG:4545", always_xy=True)
    with demo_engine.connect() as conn:
        for feature in gk["features"]:
            lon, lat = conn.execute(
                sa.text("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointN(ST_Boundary(geom), 1) p "
                        "FROM projects WHERE code = :c AND GeometryType(geom) = 'POLYGON') s"),
                {"c": feature["id"]},
            ).one_or_none() or (None, None)  # fmt: skip
            if lon is None:
                continue
            easting, northing = to.transform(lon, lat)
            first = feature["geometry"]["coordinates"][0][0]
            assert first == pytest.approx([northing, easting], abs=1e-3)  # EPSG: northing first


def distances(csv_path, engine, stored: str, srid: int) -> dict[str, float]:
    """Per feature GDAL wrote (CSV with WKT in ``srid``): its Hausdorff distance to the stored
    site as the SQL expression ``stored`` gives it (written in the test, not by the app)."""
    sql = sa.text(
        f"SELECT ST_HausdorffDistance({stored}, ST_GeomFromText(:wkt, {srid})) "
        "FROM projects WHERE code = :code"
    )
    with open(csv_path, encoding="utf-8") as f, engine.connect() as conn:
        return {
            r["id"]: conn.execute(sql, {"wkt": r["WKT"], "code": r["id"]}).scalar_one()
            for r in csv.DictReader(f)
            if r["WKT"]
        }


def test_gdal_reprojects_web_mercator_items_back(server, demo_engine, tmp_path):
    """GDAL reads items served in EPSG:3857 (easting first) and its own PROJ brings them back to
    where the database has them."""
    url = f"{server}/ogc/collections/projects/items?limit=1000&crs={EPSG}3857"
    out = tmp_path / "back.csv"
    run("ogr2ogr", "-f", "CSV", str(out), url, "-s_srs", "EPSG:3857", "-t_srs", "EPSG:4326",
        "-lco", "GEOMETRY=AS_WKT", "-select", "id")  # fmt: skip
    far = distances(out, demo_engine, "geom", 4326)
    assert all(d < 1e-6 for d in far.values()), far
    assert len(far) == 94


def test_gdal_oapif_in_gauss_kruger(server, demo_engine, tmp_path):
    """GDAL ≥ 3.7 asks the server for a CRS itself (-oo CRS=...); older GDAL cannot."""
    if "CRS" not in run("ogrinfo", "--format", "OAPIF"):
        pytest.skip("this GDAL's OAPIF driver has no CRS open option (GDAL 3.7 added it)")
    out = tmp_path / "gk.csv"
    run("ogr2ogr", "-f", "CSV", str(out), f"OAPIF:{server}/ogc", "projects", "-oo",
        "CRS=EPSG:4545", "-lco", "GEOMETRY=AS_WKT", "-select", "id")  # fmt: skip
    # GDAL hands out easting, northing (traditional GIS order)
    far = distances(out, demo_engine, "ST_Transform(geom, 4545)", 4545)
    assert all(d < 0.01 for d in far.values()), far


def test_gdal_reads_a_part2_request_for_epsg_4545(server, demo_engine, tmp_path):
    """GDAL 3.6 (no OAPIF CRS option) fetching items with crs=EPSG:4545 through its GeoJSON
    reader: every site arrives where PostGIS puts it in 4545, northing first as EPSG says."""
    url = f"{server}/ogc/collections/projects/items?limit=1000&crs={EPSG}4545"
    out = tmp_path / "gk.csv"
    run("ogr2ogr", "-f", "CSV", str(out), url, "-lco", "GEOMETRY=AS_WKT", "-select", "id")
    far = distances(out, demo_engine, "ST_FlipCoordinates(ST_Transform(geom, 4545))", 4545)
    assert all(d < 0.01 for d in far.values()), far
    assert len(far) == len(db_rows(demo_engine, "geom IS NOT NULL"))


def test_gdal_attribute_filter_still_works(server, demo_engine):
    """GDAL 3.6 speaks only the draft 'cql-text'; it sees no match and filters on its side."""
    out = run("ogrinfo", "-ro", "-so", f"OAPIF:{server}/ogc", "projects", "-where",
              "status = 'completed'")  # fmt: skip
    completed = db_rows(demo_engine, "status = 'completed'")
    assert f"Feature Count: {len(completed)}" in out, out
