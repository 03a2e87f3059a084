"""Items as CSV, GeoPackage and KML files (issue #5 §6): each file read back and compared,
feature by feature and attribute by attribute, with the database."""

from __future__ import annotations

import csv
import io
import json
import tempfile
import xml.etree.ElementTree as ET
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
import shapely
import sqlalchemy as sa
from pyogrio import raw

from mapserver.store.db import make_engine

ITEMS = "/ogc/collections/projects/items"
KML = "{http://www.opengis.net/kml/2.2}"
MEDIA = {"csv": "text/csv", "gpkg": "application/geopackage+sqlite3",
         "kml": "application/vnd.google-earth.kml+xml"}  # fmt: skip
LEVELS = {"provincial": "省重点", "municipal": "市重点"}
STATUSES = {"reserve": "储备", "preparing": "前期", "under_construction": "在建",
            "completed": "竣工", "suspended": "停缓建"}  # fmt: skip
STYLE_IDS = {code: f"s{i}" for i, code in enumerate(STATUSES, start=1)}
PLAIN = ("name", "owner_unit", "leader", "total_investment", "annual_plan",
         "completed_this_year", "planned_start", "planned_end", "description", "area_mu",
         "area_ha", "length_km", "demo", "version", "updated_at")  # fmt: skip
HEADINGS = {"name": "项目名称", "owner_unit": "责任单位", "leader": "联系市领导",
            "total_investment": "总投资（万元）", "annual_plan": "年度计划投资（万元）",
            "completed_this_year": "本年完成投资（万元）", "planned_start": "计划开工",
            "planned_end": "计划竣工", "description": "项目简介", "area_mu": "用地面积（亩）",
            "area_ha": "用地面积（公顷）", "length_km": "线路长度（km）", "demo": "演示数据",
            "version": "版本", "updated_at": "更新时间"}  # fmt: skip
CODED = {"level": "项目级别", "working_group": "推进组", "county": "县（市、区）",
         "status": "项目状态", "health": "进度状态", "overdue": "逾期事项"}  # fmt: skip
# The battle map's derived columns (migration 0005's view), after the registry's own.
BATTLE = ("days_late", "points_behind", "year_to_date", "open_problems", "overdue_callouts")
BATTLE += ("pending_investment", "pending_reviews")  # 0007's review
HEADINGS |= {"days_late": "节点最长逾期（天）", "points_behind": "落后时序进度（个百分点）",
             "year_to_date": "本年完成投资（已审核）（万元）", "open_problems": "未解决问题",
             "overdue_callouts": "逾期点球", "pending_investment": "待审核投资（万元）",
             "pending_reviews": "待审核事项"}  # fmt: skip
HEALTH = {"on_track": "正常", "lagging": "滞后", "seriously_lagging": "严重滞后",
          "not_tracked": "不考核"}  # fmt: skip
# (query, SQL condition on p, ORDER BY, properties or None for all, srid)
CASES = [
    ("county=511621&status=under_construction,completed",
     "p.county = '511621' AND p.status IN ('under_construction', 'completed')", "p.id", None,
     4326),
    ("bbox=106.5,30.4,106.9,30.7&sortby=-total_investment"
     "&properties=name,status,total_investment,planned_start,updated_at,demo",
     "ST_Intersects(p.geom, ST_MakeEnvelope(106.5, 30.4, 106.9, 30.7, 4326))",
     "p.total_investment DESC, p.id", ("name", "status", "total_investment", "planned_start",
                                       "updated_at", "demo"), 4326),
    ("filter=total_investment > 100000 AND level = 'provincial'&datetime=2000-01-01T00:00:00Z/..",
     "p.total_investment > 100000 AND p.level = 'provincial'", "p.id", None, 4326),
    ("working_group=transport&crs=http://www.opengis.net/def/crs/EPSG/0/4545",
     "p.working_group = 'transport'", "p.id", None, 4545),
]  # fmt: skip


def expected(engine, where: str, order: str, srid: int) -> list[dict]:
    """The rows, from SQL written here, not by the app."""
    sql = (
        "SELECT p.*, p.code AS id, wg.name AS working_group_label, c.name AS county_label, "
        f"ST_AsBinary(ST_Transform(p.geom, {srid})) AS wkb, ST_X(ST_PointOnSurface(p.geom)) lon, "
        "ST_Y(ST_PointOnSurface(p.geom)) lat FROM battle_projects p "
        "LEFT JOIN working_groups wg ON wg.code = p.working_group "
        f"LEFT JOIN counties c ON c.adcode = p.county WHERE p.deleted_at IS NULL AND {where} "
        f"ORDER BY {order}"
    )
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(sa.text(sql))]
    for r in rows:
        r["level_label"], r["status_label"] = LEVELS[r["level"]], STATUSES[r["status"]]
        r["health_label"] = HEALTH[r["health"]]
        r["overdue_label"] = {True: "有逾期", False: "无逾期"}[r["overdue"]]
    assert rows, where
    return rows


def fetch(client, query: str, fmt: str) -> bytes:
    response = client.get(f"{ITEMS}?{query}&f={fmt}")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == MEDIA[fmt]
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="projects-20')
    assert disposition.endswith(f'.{fmt}"')
    body = response.get_data()
    assert int(response.headers["Content-Length"]) == len(body)
    return body


def same(value, db) -> bool:
    """A value read back from a file equals the database's."""
    if db is None:
        return value is None or value == "" or (isinstance(value, float) and np.isnan(value))
    if isinstance(db, bool):
        return value in (db, int(db), {True: "是", False: "否"}[db])
    if isinstance(db, Decimal | float):
        return Decimal(str(value)) == Decimal(str(db))
    if isinstance(db, datetime):  # GeoPackage keeps milliseconds
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        return abs((moment - db).total_seconds()) < 0.001
    if isinstance(db, date):
        return str(value)[:10] == db.isoformat()
    return str(value) == str(db)


def same_geometry(wkb_or_wkt, db_wkb, tolerance: float) -> bool:
    if db_wkb is None:
        return wkb_or_wkt in (None, "")
    found = shapely.from_wkt(wkb_or_wkt) if isinstance(wkb_or_wkt, str) else (
        shapely.from_wkb(wkb_or_wkt))  # fmt: skip
    return shapely.equals_exact(found, shapely.from_wkb(bytes(db_wkb)), tolerance)


def names(properties) -> list[str]:
    """The properties in a file: those asked for, in that order, else all in the layer's."""
    registry = ("name", "level", "working_group", "county", "status", *PLAIN[1:])
    return list(properties or (*registry, "health", "overdue", *BATTLE))


@pytest.mark.parametrize(("query", "where", "order", "properties", "srid"), CASES)
def test_geopackage_equals_the_database(client, demo_engine, tmp_path, query, where, order,
                                        properties, srid):  # fmt: skip
    rows = expected(demo_engine, where, order, srid)
    path = tmp_path / "x.gpkg"
    path.write_bytes(fetch(client, query, "gpkg"))
    meta, _, geometry, values = raw.read(path, datetime_as_string=True)
    fields = list(meta["fields"])
    assert meta["crs"] == f"EPSG:{srid}"
    wanted = ["id"] + [f for n in names(properties)
                       for f in ((n, f"{n}_label") if n in CODED else (n,))]  # fmt: skip
    assert fields == wanted
    assert len(geometry) == len(rows)
    for i, row in enumerate(rows):
        for name, column in zip(fields, values):
            assert same(column[i], row[name]), (row["id"], name, column[i], row[name])
        assert same_geometry(geometry[i], row["wkb"], 1e-9), row["id"]


@pytest.mark.parametrize(("query", "where", "order", "properties", "srid"), CASES)
def test_csv_equals_the_database(client, demo_engine, query, where, order, properties, srid):
    rows = expected(demo_engine, where, order, srid)
    body = fetch(client, query, "csv")
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads the file as UTF-8
    lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    header, records = lines[0], lines[1:]
    crs = "CRS84" if srid == 4326 else f"EPSG:{srid}"
    assert header[0] == f"WKT（{crs}）" and header[1] == "编号"
    assert header[-2:] == ["经度", "纬度"]
    assert len(records) == len(rows)
    columns = {"编号": "id"}
    for n in names(properties):
        if n in CODED:
            columns[f"{CODED[n]}代码"], columns[CODED[n]] = n, f"{n}_label"
        else:
            columns[HEADINGS[n]] = n
    assert header[1:-2] == list(columns)
    for record, row in zip(records, rows):
        cells = dict(zip(header, record))
        for heading, name in columns.items():
            assert same(cells[heading] or None, row[name]), (row["id"], heading, cells[heading])
        assert same_geometry(record[0], row["wkb"], 1e-6 if srid == 4326 else 1e-3), row["id"]
        if row["lon"] is None:
            assert cells["经度"] == cells["纬度"] == ""
        else:
            assert float(cells["经度"]) == pytest.approx(row["lon"], abs=6e-8)
            assert float(cells["纬度"]) == pytest.approx(row["lat"], abs=6e-8)


@pytest.mark.parametrize(("query", "where", "order", "properties", "srid"), CASES[:3])
def test_kml_equals_the_database(client, demo_engine, query, where, order, properties, srid):
    rows = expected(demo_engine, where, order, 4326)
    body = fetch(client, query, "kml")
    doc = ET.fromstring(body)  # well-formed XML
    placemarks = doc.findall(f".//{KML}Placemark")
    assert len(placemarks) == len(rows)
    styles = {s.get("id") for s in doc.iter(f"{KML}Style")}
    assert {"s0", *STYLE_IDS.values()} <= styles
    for placemark, row in zip(placemarks, rows):
        assert placemark.findtext(f"{KML}name") == row["name"]
        data = {d.get("name"): d.text for d in placemark.iter(f"{KML}SimpleData")}
        assert data["编号"] == row["id"]
        assert data["项目状态"] == row["status_label"]
        assert same(data["总投资（万元）"], row["total_investment"])
        assert same(data.get("计划开工"), row["planned_start"])
        assert same(data["演示数据"], row["demo"])
        if row["wkb"] is not None:
            assert placemark.findtext(f"{KML}styleUrl") == f"#{STYLE_IDS[row['status']]}"
            assert "项目状态：" + row["status_label"] in placemark.findtext(f"{KML}description")
        coordinates = [c.text for c in placemark.iter(f"{KML}coordinates")]
        assert bool(coordinates) == (row["wkb"] is not None)
        if coordinates:  # lon,lat: longitude first
            first = [float(v) for v in coordinates[0].split()[0].split(",")[:2]]
            x, y = shapely.get_coordinates(shapely.from_wkb(bytes(row["wkb"])))[0]
            assert first == pytest.approx([x, y], abs=1e-9) and 100 < first[0] < 110


def test_kml_geometry_reads_back_in_gdal(client, demo_engine, tmp_path):
    rows = expected(demo_engine, "TRUE", "p.id", 4326)
    path = tmp_path / "all.kml"
    path.write_bytes(fetch(client, "limit=100", "kml"))
    _, _, geometry, _ = raw.read(path)
    assert len(geometry) == len(rows) == 100
    kinds = set()
    for found, row in zip(geometry, rows):
        assert same_geometry(found, row["wkb"], 1e-9), row["id"]
        if found is not None:
            kinds.add(shapely.from_wkb(found).geom_type)
    assert {"Point", "LineString", "Polygon"} <= kinds


def test_format_by_accept_header(client):
    for fmt, media in MEDIA.items():
        response = client.get(f"{ITEMS}?county=511621", headers={"Accept": media})
        assert response.status_code == 200 and response.mimetype == media
        assert response.headers["Content-Disposition"].endswith(f'.{fmt}"')
    assert client.get(ITEMS, headers={"Accept": "text/csv;q=0.5,application/geo+json"}).mimetype \
        == "application/geo+json"  # fmt: skip


def test_items_and_collection_link_the_files(client):
    page = client.get(f"{ITEMS}?county=511621&limit=5").get_json()
    alternates = {link["type"]: link["href"] for link in page["links"]
                  if link["rel"] == "alternate"}  # fmt: skip
    for fmt, media in MEDIA.items():
        assert alternates[media].endswith(f"{ITEMS}?county=511621&limit=5&f={fmt}")
    collection = client.get("/ogc/collections/projects").get_json()
    enclosures = {link["type"] for link in collection["links"] if link["rel"] == "enclosure"}
    assert enclosures == set(MEDIA.values())
    html = client.get(f"{ITEMS}?f=html&status=completed").get_data(as_text=True)
    assert "status=completed&amp;f=kml" in html


def test_openapi_declares_the_files(client):
    doc = json.loads(client.get("/ogc/api").get_data())
    items = doc["paths"]["/collections/projects/items"]["get"]
    assert items["parameters"][0] == {"$ref": "#/components/parameters/f-items"}
    assert doc["components"]["parameters"]["f-items"]["schema"]["enum"] == [
        "json", "html", "csv", "gpkg", "kml"]  # fmt: skip
    assert set(MEDIA.values()) <= set(items["responses"]["200"]["content"])
    one = doc["paths"]["/collections/projects/items/{featureId}"]["get"]
    assert one["parameters"][0] == {"$ref": "#/components/parameters/f"}


@pytest.mark.parametrize(
    ("query", "parameter"),
    [("f=kml&crs=http://www.opengis.net/def/crs/EPSG/0/4545", "crs"),
     ("f=csv&limit=100001", "limit"), ("f=gpkg&limit=0", "limit"), ("f=xlsx", "f"),
     ("f=csv&f=kml", "f"), ("f=csv&bbox=1,2,3", "bbox"), ("f=kml&colour=red", "colour")],
)  # fmt: skip
def test_bad_download_parameters(client, query, parameter):
    response = client.get(f"{ITEMS}?{query}")
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert response.get_json()["parameter"] == parameter


def test_single_item_has_no_files(client):
    response = client.get(f"{ITEMS}/GA-2026-001?f=csv")
    assert response.status_code == 400 and response.get_json()["parameter"] == "f"


@pytest.fixture
def small_cap_app(demo_url, make_app):
    app = make_app(database_url=demo_url, download_limit=10)
    yield app


def test_a_download_above_the_cap_is_refused(small_cap_app, demo_engine):
    client = small_cap_app.test_client()
    response = client.get(f"{ITEMS}?f=csv&status=under_construction")
    assert response.status_code == 400, response.get_data(as_text=True)
    body = response.get_json()
    assert body["parameter"] == "limit" and body["maximum"] == 10
    with demo_engine.connect() as conn:
        matched = conn.execute(
            sa.text("SELECT count(*) FROM projects WHERE status = 'under_construction'")
        ).scalar_one()
    assert body["numberMatched"] == matched > 10
    first = client.get(f"{ITEMS}?f=csv&status=under_construction&limit=10&offset=3")
    assert first.status_code == 200
    assert len(first.get_data(as_text=True).strip().splitlines()) == 11
    assert client.get(f"{ITEMS}?f=csv&limit=11").status_code == 400
    empty = client.get(f"{ITEMS}?f=gpkg&filter=version > 1000")
    assert empty.status_code == 200 and empty.get_data().startswith(b"SQLite format 3")


def test_temporary_files_are_removed(client, monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    for fmt in MEDIA:
        assert client.get(f"{ITEMS}?f={fmt}&county=511621").status_code == 200
        assert client.get(f"{ITEMS}?f={fmt}&crs=nope").status_code == 400
    assert list(Path(tmp_path).iterdir()) == []


def test_kml_and_csv_keep_hostile_text(fresh_url, make_app):
    hostile = "<b>&amp;\"'</b>]]>\x01\x1f 项目\r\n第二行"
    engine = make_engine(fresh_url, 1)
    with engine.begin() as conn:
        code = conn.execute(
            sa.text("UPDATE projects SET name = :n, owner_unit = :n "
                    "WHERE id = (SELECT min(id) FROM projects) RETURNING code"), {"n": hostile}
        ).scalar_one()  # fmt: skip
    engine.dispose()
    app = make_app(database_url=fresh_url)
    client = app.test_client()
    doc = ET.fromstring(client.get(f"{ITEMS}?f=kml&limit=1").get_data())
    placemark = doc.find(f".//{KML}Placemark")
    expected_text = hostile.replace("\x01", "\ufffd").replace("\x1f", "\ufffd")
    assert placemark.findtext(f"{KML}name").replace("\r", "") == expected_text.replace(
        "\r", "")  # fmt: skip
    body = client.get(f"{ITEMS}?f=csv&limit=1").get_data().decode("utf-8-sig")
    record = dict(zip(*csv.reader(io.StringIO(body, newline=""))))
    assert record["编号"] == code and record["项目名称"] == hostile


@pytest.mark.parametrize("fmt", list(MEDIA))
def test_nothing_matches(client, tmp_path, fmt):
    path = tmp_path / f"empty.{fmt}"
    path.write_bytes(fetch(client, "filter=version > 1000", fmt))
    if fmt == "kml":
        assert ET.parse(path).getroot().findall(f".//{KML}Placemark") == []
    else:
        assert [len(column) for column in raw.read(path)[3]] == [0] * len(raw.read(path)[3])
