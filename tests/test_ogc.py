"""OGC API – Features Part 1 (Core, GeoJSON) under /ogc, checked resource by resource."""

from __future__ import annotations

import json
import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
GEOJSON = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"
OAS30 = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30"
HTML = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
ITEMS = "/ogc/collections/projects/items"


def get(client, url: str, media: str = "application/json", status: int = 200, **kw) -> dict:
    response = client.get(url, **kw)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == media
    return json.loads(response.get_data())


def rels(doc: dict) -> dict[str, dict]:
    return {link["rel"]: link for link in doc["links"]}


def codes(engine, where: str = "TRUE", **params) -> list[str]:
    with engine.connect() as conn:
        sql = f"SELECT code FROM projects WHERE {where} ORDER BY id"
        return list(conn.execute(sa.text(sql), params).scalars())


def test_landing_page(client):
    doc = get(client, "/ogc")
    assert doc["title"]
    links = rels(doc)
    assert links["self"]["type"] == "application/json"
    assert links["conformance"]["href"].endswith("/ogc/conformance?f=json")
    assert links["data"]["href"].endswith("/ogc/collections?f=json")
    assert links["service-desc"]["type"] == OPENAPI
    assert links["service-desc"]["href"].endswith("/ogc/api?f=json")
    assert all(link["title"] for link in doc["links"])
    assert get(client, "/ogc/?f=json") == doc


CQL2 = "http://www.opengis.net/spec/cql2/1.0/conf/"
PART3 = "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/"
PART4 = "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/"
TILES = "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/"


def test_conformance_declares_only_what_is_done(client):
    assert get(client, "/ogc/conformance")["conformsTo"] == [
        CORE, GEOJSON, HTML, OAS30,
        "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
        PART3 + "filter", PART3 + "features-filter",
        CQL2 + "cql2-text", CQL2 + "cql2-json", CQL2 + "basic-cql2",
        CQL2 + "advanced-comparison-operators", CQL2 + "case-insensitive-comparison",
        CQL2 + "basic-spatial-functions", CQL2 + "basic-spatial-functions-plus",
        CQL2 + "spatial-functions",
        PART4 + "create-replace-delete", PART4 + "update", PART4 + "optimistic-locking-etags",
        PART4 + "features",
        *(TILES + name for name in ("core", "tileset", "tilesets-list", "geodata-tilesets",
                                    "mvt", "oas30")),
    ]  # fmt: skip


def test_collections(client, demo_engine):
    doc = get(client, "/ogc/collections")
    assert rels(doc)["self"]["type"] == "application/json"
    # photos is read: login (layers/photos.yaml): not listed for nobody (test_read_access.py)
    assert [c["id"] for c in doc["collections"]] == ["city", "counties", "projects"]
    projects = doc["collections"][2]
    assert projects == get(client, "/ogc/collections/projects")
    assert projects["title"] == "省市重点项目"
    assert projects["description"].startswith("广安市省、市重点项目")
    assert projects["crs"][0] == CRS84 and projects["storageCrs"] == CRS84
    assert "http://www.opengis.net/def/crs/EPSG/0/4545" in projects["crs"]
    with demo_engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), t0, t1 FROM (SELECT "
                "ST_Extent(geom) e, min(updated_at) t0, max(updated_at) t1 FROM projects) s"
            )
        ).one()
    assert projects["extent"]["spatial"]["bbox"] == [pytest.approx(list(row[:4]))]
    assert projects["extent"]["spatial"]["crs"] == CRS84
    start, end = projects["extent"]["temporal"]["interval"][0]
    assert start.replace("Z", "+00:00") == row[4].isoformat()
    assert end.replace("Z", "+00:00") == row[5].isoformat()
    assert "temporal" not in doc["collections"][1]["extent"]
    links = rels(projects)
    items = {link["type"]: link["href"] for link in projects["links"] if link["rel"] == "items"}
    assert items["application/geo+json"].endswith("/ogc/collections/projects/items?f=json")
    assert items["text/html"].endswith("/ogc/collections/projects/items?f=html")
    assert links["alternate"]["type"] == "text/html"
    queryables = links["http://www.opengis.net/def/rel/ogc/1.0/queryables"]
    assert queryables["type"] == "application/schema+json"


def test_openapi_document(client):
    response = client.get("/ogc/api")
    assert response.status_code == 200
    assert response.content_type == OPENAPI
    doc = json.loads(response.get_data())
    assert doc["openapi"].startswith("3.0.") and doc["info"]["title"]
    assert doc["servers"][0]["url"].endswith("/ogc")
    for path in ("/", "/conformance", "/api", "/collections", "/collections/projects",
                 "/collections/projects/queryables", "/collections/projects/items",
                 "/collections/projects/items/{featureId}"):  # fmt: skip
        assert doc["paths"][path]["get"]["responses"]["200"]
    items = doc["paths"]["/collections/projects/items"]["get"]["parameters"]
    names = [p.get("name") for p in items]
    assert names[1:] == ["bbox", "bbox-crs", "limit", "offset", "datetime", None, "filter",
                         "filter-lang", "filter-crs", "sortby", "properties", "q", "working_group",
                         "status", "county", "health", "overdue"]  # fmt: skip
    status = next(p for p in items if p.get("name") == "status")
    assert status["schema"]["items"]["enum"][0] == "reserve"
    ops = [op for path in doc["paths"].values() for op in path.values()]
    refs = [p["$ref"] for op in ops for p in op["parameters"] if "$ref" in p]
    assert refs and all(r.removeprefix("#/components/parameters/") in
                        doc["components"]["parameters"] for r in refs)  # fmt: skip


def test_openapi_advertises_the_writes_on_projects_only(client):
    paths = get(client, "/ogc/api", "application/vnd.oai.openapi+json")["paths"]
    item = paths["/collections/projects/items/{featureId}"]
    assert set(item) == {"get", "put", "patch", "delete"}
    assert "post" in paths["/collections/projects/items"]
    for method in ("put", "patch", "delete"):
        headers = [p["name"] for p in item[method]["parameters"] if p["in"] == "header"]
        assert "If-Match" in headers
        assert {"412", "428"} <= set(item[method]["responses"])
    assert "422" in paths["/collections/projects/items"]["post"]["responses"]
    assert set(paths["/collections/counties/items/{featureId}"]) == {"get"}
    assert "post" in paths["/collections/projects/items/{featureId}/history/{revision}/restore"]


def test_queryables(client):
    doc = get(client, "/ogc/collections/projects/queryables", "application/schema+json")
    assert doc["type"] == "object" and doc["$schema"].startswith("https://json-schema.org/")
    props = doc["properties"]
    assert props["status"]["enum"] == [
        "reserve", "preparing", "under_construction", "completed", "suspended"
    ]  # fmt: skip
    assert props["status"]["title"] == "项目状态"
    assert "511621" in props["county"]["enum"]
    assert props["total_investment"]["type"] == "number"
    assert props["updated_at"]["format"] == "date-time"
    assert "password_hash" not in props and "created_at" not in props


@pytest.mark.parametrize(
    "query",
    ["", "county=511621", "status=under_construction,completed&working_group=transport",
     "county=511602&county=511681", "bbox=106.5,30.4,106.9,30.7", "limit=7&offset=14"],
)  # fmt: skip
def test_items_equal_the_layers_feed(client, query):
    ogc = get(client, f"{ITEMS}?{query}", "application/geo+json")
    feed = get(client, f"/layers/projects.geojson?{query}", "application/geo+json")
    assert ogc["features"] == feed["features"]
    assert ogc["numberReturned"] == feed["numberReturned"]
    assert ogc["numberMatched"] == feed["numberMatched"]
    assert ogc["timeStamp"].endswith("Z")


def test_items_filters_match_sql(client, demo_engine):
    body = get(client, f"{ITEMS}?county=511621&status=under_construction", "application/geo+json")
    expected = codes(demo_engine, "county = '511621' AND status = 'under_construction'")
    assert [f["id"] for f in body["features"]] == expected
    assert body["numberMatched"] == body["numberReturned"] == len(expected)


def test_paging_follows_next_links(client, demo_engine):
    url, seen, pages = f"{ITEMS}?limit=30&f=json", [], 0
    while url:
        body = get(client, url, "application/geo+json")
        links = rels(body)
        assert links["self"]["type"] == "application/geo+json"
        assert links["collection"]["type"] == "application/json"
        if pages:
            assert "prev" in links
        seen += [f["id"] for f in body["features"]]
        assert body["numberMatched"] == 100
        url = links.get("next", {}).get("href")
        if url:
            assert parse_qs(urlsplit(url).query)["f"] == ["json"]
        pages += 1
    assert pages == 4 and seen == codes(demo_engine)


def test_limit_above_maximum_is_lowered(client):
    body = get(client, "/ogc/collections/counties/items?limit=5000", "application/geo+json")
    assert body["numberReturned"] == 6
    assert "limit=100" in rels(body)["self"]["href"]
    assert client.get("/layers/counties.geojson?limit=5000").status_code == 400


def test_default_limit_from_layer_file(client):
    body = get(client, "/ogc/collections/city/items", "application/geo+json")
    assert body["numberReturned"] == 1


def test_datetime(client, demo_engine):
    with demo_engine.connect() as conn:
        newest = conn.execute(sa.text("SELECT max(updated_at) FROM projects")).scalar_one()
    stamp = newest.isoformat()
    assert (
        get(client, f"{ITEMS}?datetime=../2000-01-01", "application/geo+json")["numberReturned"]
        == 0
    )
    everything = get(client, f"{ITEMS}?datetime=2000-01-01T00:00:00Z/..", "application/geo+json")
    assert everything["numberReturned"] == 100
    exact = get(client, f"{ITEMS}?datetime={stamp.replace('+', '%2B')}", "application/geo+json")
    expected = codes(demo_engine, "updated_at = :t", t=newest)
    assert [f["id"] for f in exact["features"]] == expected


def test_single_item(client, demo_engine):
    code = codes(demo_engine)[0]
    response = client.get(f"{ITEMS}/{code}")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    feature = json.loads(response.get_data())
    listed = get(client, f"{ITEMS}?limit=1", "application/geo+json")["features"][0]
    assert {k: v for k, v in feature.items() if k != "links"} == listed
    links = rels(feature)
    assert links["self"]["href"].endswith(f"{ITEMS}/{code}?f=json")
    assert links["alternate"]["href"].endswith(f"{ITEMS}/{code}?f=html")
    assert links["collection"]["type"] == "application/json"
    tag = response.headers["ETag"]
    assert client.get(f"{ITEMS}/{code}", headers={"If-None-Match": tag}).status_code == 304
    assert tag == f'"v{feature["properties"]["version"]}"'  # what If-Match takes (Part 4)


@pytest.mark.parametrize(
    "url",
    ["/ogc/collections/nope", "/ogc/collections/nope/items", "/ogc/collections/nope/queryables",
     f"{ITEMS}/GA-0000-000", f"{ITEMS}/x%00y", f"{ITEMS}/{'x' * 5000}",
     f"{ITEMS}/'%20OR%201=1--",
     # the statement runs in the driver's own %(name)s placeholders: an id of them is a value
     f"{ITEMS}/%25(c)s", f"{ITEMS}/%25s%25%25", f"{ITEMS}/%25(ids)s%20OR%20true"],
)  # fmt: skip
def test_not_found(client, url):
    body = get(client, url, "application/problem+json", 404)
    assert body["status"] == 404 and body["detail"]


@pytest.mark.parametrize(
    ("url", "status", "parameter"),
    [
        (f"{ITEMS}?f=xml", 400, "f"),
        (f"{ITEMS}?f=json&f=json", 400, "f"),
        ("/ogc/collections?f=xml", 400, "f"),
        (f"{ITEMS}?colour=red", 400, "colour"),
        (f"{ITEMS}?count=true", 400, "count"),
        (f"{ITEMS}?status='%20OR%201=1--", 400, "status"),
        (f"{ITEMS}?bbox=1,2,3", 400, "bbox"),
        (f"{ITEMS}?limit=0", 400, "limit"),
        (f"{ITEMS}?limit=abc", 400, "limit"),
        (f"{ITEMS}?offset=-1", 400, "offset"),
        (f"{ITEMS}?datetime=yesterday", 400, "datetime"),
        (f"{ITEMS}?datetime=2024-01-01T00:00:00", 400, "datetime"),
        (f"{ITEMS}?datetime=../..", 400, "datetime"),
        (f"{ITEMS}?datetime=2025-01-01/2024-01-01", 400, "datetime"),
        (f"{ITEMS}?datetime=pg_sleep(10)", 400, "datetime"),
        (f"{ITEMS}?datetime=9999-12-31", 400, "datetime"),
        (f"{ITEMS}?datetime=9999-12-31T23:59:59.999999Z", 400, "datetime"),
        (f"{ITEMS}?datetime=2024-01-01T00:00:00%2B25:00", 400, "datetime"),
        (f"{ITEMS}?datetime=2024-01-01%2000:00:00Z", 400, "datetime"),  # RFC 3339 only,
        (f"{ITEMS}?datetime=20240101T000000Z", 400, "datetime"),  # as /ogc/api's pattern
        (f"{ITEMS}?datetime=2024-01-01T00:00Z", 400, "datetime"),
        (f"{ITEMS}?datetime=", 400, "datetime"),
        (f"{ITEMS}?limit=1000000000000", 400, "limit"),
        (f"{ITEMS}?sortby=", 400, "sortby"),
        (f"{ITEMS}?status=", 400, "status"),
        ("/ogc/collections/counties/items?datetime=2024-01-01", 400, "datetime"),
        ("/ogc/conformance?x=1", 400, "x"),
    ],
)
def test_bad_input(client, url, status, parameter):
    body = get(client, url, "application/problem+json", status)
    assert body["parameter"] == parameter and body["detail"]


def test_content_negotiation(client):
    for accept in ("application/json", "application/geo+json", "*/*"):
        get(client, ITEMS + "?limit=1", "application/geo+json", headers={"Accept": accept})
    get(client, "/ogc", headers={"Accept": "application/json"})
    for accept in ("text/html", "text/html,application/xhtml+xml,*/*;q=0.8"):
        assert client.get("/ogc", headers={"Accept": accept}).mimetype == "text/html"
        assert client.get(ITEMS, headers={"Accept": accept}).mimetype == "text/html"
    assert client.get("/ogc?f=json", headers={"Accept": "text/html"}).mimetype == "application/json"
    body = get(client, "/ogc", "application/problem+json", 406, headers={"Accept": "image/png"})
    assert body["status"] == 406
    get(client, ITEMS, "application/problem+json", 406, headers={"Accept": "application/xml"})


def html(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    text = response.get_data(as_text=True)
    assert text.startswith("<!doctype html>") and '<html lang="zh-CN">' in text
    for resource in re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', text):
        assert resource.startswith("/static/"), resource  # no internet needed
    return text


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("/ogc?f=html", ["要素集合", "广安市重点项目"]),
        ("/ogc/conformance?f=html", [CORE, HTML]),
        ("/ogc/api?f=html", ["/collections/projects/items"]),
        ("/ogc/collections?f=html", ["省市重点项目", "县（市、区）边界", "空间范围"]),
        ("/ogc/collections/projects?f=html", ["省市重点项目", "时间范围", "浏览要素"]),
        ("/ogc/collections/projects/queryables?f=html", ["项目状态", "under_construction"]),
    ],
)
def test_html_pages(client, url, words):
    text = html(client, url)
    for word in words:
        assert word in text


def test_html_items_and_item(client, demo_engine):
    text = html(client, f"{ITEMS}?f=html&limit=30&status=under_construction")
    expected = codes(demo_engine, "status = 'under_construction'")
    assert "leaflet-src.esm.js" in text or "/static/js/ogc/map.js" in text
    assert f"共 {len(expected)} 个" in text
    for code in expected[:30]:
        assert f"/items/{code}?f=html" in text
    page = text.split('id="ogc-features">')[1].split("</script>")[0]
    assert [f["id"] for f in json.loads(page)] == expected[:30]
    one = html(client, f"{ITEMS}/{expected[0]}?f=html")
    assert "项目状态" in one and "在建" in one and "万元" in one


def test_html_escapes_data(client, fresh_url, make_app):
    from mapserver.store.db import make_engine

    engine = make_engine(fresh_url, 1)
    with engine.begin() as conn:
        code = conn.execute(
            sa.text("UPDATE projects SET name = '<script>alert(1)</script>' "
                    "WHERE id = (SELECT min(id) FROM projects) RETURNING code")
        ).scalar_one()  # fmt: skip
    engine.dispose()
    app = make_app(database_url=fresh_url)
    c = app.test_client()
    for url in (f"{ITEMS}?f=html&limit=5", f"{ITEMS}/{code}?f=html"):
        text = c.get(url).get_data(as_text=True)
        assert "<script>alert(1)" not in text
        assert "&lt;script&gt;alert(1)" in text or "\u003cscript\u003e" in text


HOSTILE = ["'", "' OR 1=1--", "1; SELECT pg_sleep(10)--", "/* x */", "a\x00b", "x" * 10_000,
           "__class__", "password_hash", "${jndi:ldap://x}", "1e999"]  # fmt: skip


@pytest.mark.parametrize("fmt", ["json", "csv", "gpkg", "kml"])  # pages and files alike
@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize(
    "parameter",
    ["f", "bbox", "limit", "offset", "datetime", "working_group", "status", "county", "crs",
     "bbox-crs", "filter", "filter-lang", "filter-crs", "sortby", "properties"],
)  # fmt: skip
def test_hostile_values_are_refused_quickly(client, parameter, value, fmt):
    started = time.monotonic()
    response = client.get(ITEMS, query_string={"f": fmt, parameter: value})
    assert time.monotonic() - started < 2
    assert response.status_code == 400, response.get_data(as_text=True)
    body = json.loads(response.get_data())
    assert body["parameter"] == parameter and body["detail"]
    assert len(response.get_data()) < 4000  # the value is quoted shortened, nothing else leaks


@pytest.mark.parametrize("name", ["__class__", "password_hash", "id", "created_at", "geom"])
def test_names_outside_the_allowlist_are_refused(client, name):
    body = get(client, f"{ITEMS}?{name}=1", "application/problem+json", 400)
    assert body["parameter"] == name


def test_every_documented_operation_answers_as_documented(client, demo_engine):
    """Each path of /ogc/api, in each format, with a real and a missing feature id: the status
    and the media type are among those the document declares for it."""
    doc = get(client, "/ogc/api", "application/vnd.oai.openapi+json")
    code = codes(demo_engine)[0]
    checked = 0
    readable = {path: item for path, item in doc["paths"].items() if "get" in item}
    for path, item in readable.items():
        declared = item["get"]["responses"]
        for fid in (code, "GA-0000-000"):
            for f in ("json", "html", "xml"):
                url = "/ogc" + path.replace("{featureId}", fid) + f"?f={f}"
                response = client.get(url)
                status = str(response.status_code)
                assert status in declared, url
                assert response.mimetype in {
                    m.split(";")[0] for m in declared[status]["content"]
                }, url
                checked += 1
    assert checked == len(readable) * 6


@pytest.mark.parametrize(
    ("method", "url"),
    [("post", "/ogc/collections/counties/items"), ("put", "/ogc/collections/city/items/1"),
     ("patch", "/ogc/collections/counties/items/511602"),
     ("delete", "/ogc/collections/counties/items/511602"),
     ("post", "/ogc/collections/city/items/1/history/1/restore")],
)  # fmt: skip
def test_writes_to_read_only_collections_are_not_allowed(client, method, url):
    """As /ogc/api says: only projects take writes (405 with Allow, not 404)."""
    response = getattr(client, method)(url)
    assert response.status_code == 405, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    allowed = set(response.headers["Allow"].split(", "))
    assert allowed <= {"GET", "HEAD", "OPTIONS"}


def test_openapi_says_what_the_server_reads(client):
    """The pattern and bounds /ogc/api gives are the ones the server applies."""
    doc = get(client, "/ogc/api", "application/vnd.oai.openapi+json")
    params = {p.get("name"): p for p in doc["paths"]["/collections/projects/items"]["get"][
        "parameters"]}  # fmt: skip
    pattern = re.compile(params["datetime"]["schema"]["pattern"])
    for value in ("2024-01-01", "2024-01-01T08:00:00.123+08:00", "../2024-01-01", "2024-01-01/"):
        assert pattern.match(value)
        assert client.get(ITEMS, query_string={"datetime": value}).status_code == 200
    for value in ("2024-01-01 00:00:00Z", "../..", "", "2024-1-1"):
        assert not pattern.match(value)
    assert params["limit"]["schema"]["maximum"] == params["offset"]["schema"]["maximum"]
    assert params["sortby"]["schema"]["minItems"] == params["status"]["schema"]["minItems"] == 1
