"""The GeoJSON feed, checked against SQL written independently of the query builder."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from tests.battle import turn_day


def expected_codes(engine, where: str = "TRUE", **params) -> list[str]:
    sql = f"SELECT code FROM projects WHERE {where} ORDER BY id"
    with engine.connect() as conn:
        return list(conn.execute(sa.text(sql), params).scalars())


def fetch(client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/geo+json"
    return json.loads(response.get_data())


FILTER_CASES = [
    ("county=511621", "county = '511621'"),
    ("status=under_construction", "status = 'under_construction'"),
    ("working_group=transport", "working_group = 'transport'"),
    ("county=511621&status=under_construction", "county = '511621' AND status = 'under_construction'"),
    ("county=511602,511681", "county IN ('511602', '511681')"),
    ("county=511602&county=511681", "county IN ('511602', '511681')"),
    ("status=reserve,suspended&working_group=energy,ecology",
     "status IN ('reserve', 'suspended') AND working_group IN ('energy', 'ecology')"),
    ("working_group=industry&county=511623&status=completed",
     "working_group = 'industry' AND county = '511623' AND status = 'completed'"),
]  # fmt: skip


@pytest.mark.parametrize(("query", "where"), FILTER_CASES)
def test_filters(client, demo_engine, query, where):
    body = fetch(client, f"/layers/projects.geojson?{query}")
    expected = expected_codes(demo_engine, where)
    assert [f["id"] for f in body["features"]] == expected
    assert body["numberReturned"] == len(expected)
    assert body["numberMatched"] == len(expected)


def test_done_when_example(client, demo_engine):
    body = fetch(client, "/layers/projects.geojson?county=511621&status=under_construction")
    assert body["features"], "the demo data must have such projects"
    for f in body["features"]:
        assert f["properties"]["county"] == "511621"
        assert f["properties"]["county_label"] == "岳池县"
        assert f["properties"]["status_label"] == "在建"


def test_feature_shape(client, demo_engine):
    body = fetch(client, "/layers/projects.geojson?limit=100")
    assert body["type"] == "FeatureCollection"
    with demo_engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT p.code, p.name, w.name AS wg, p.total_investment, ST_AsGeoJSON(p.geom, 7) "
                "FROM projects p JOIN working_groups w ON w.code = p.working_group "
                "WHERE p.geom IS NOT NULL ORDER BY p.id LIMIT 1"
            )
        ).one()
    feature = next(f for f in body["features"] if f["id"] == row.code)
    assert feature["type"] == "Feature"
    assert feature["properties"]["name"] == row.name
    assert feature["properties"]["working_group_label"] == row.wg
    assert feature["properties"]["total_investment"] == float(row.total_investment)
    assert feature["geometry"] == json.loads(row[4])
    reserve = [f for f in body["features"] if f["geometry"] is None]
    assert reserve and all(f["properties"]["status"] == "reserve" for f in reserve)


def test_properties_chooses_what_each_feature_carries(client):
    full = fetch(client, "/layers/projects.geojson?limit=20&status=preparing")
    some = fetch(
        client, "/layers/projects.geojson?limit=20&status=preparing&properties=name,status"
    )
    assert [f["id"] for f in some["features"]] == [f["id"] for f in full["features"]]
    for small, big in zip(some["features"], full["features"]):
        assert small["geometry"] == big["geometry"]
        assert small["properties"] == {k: big["properties"][k] for k in small["properties"]}
        assert list(small["properties"]) == ["name", "status", "status_label"]
    bare = fetch(client, "/layers/projects.geojson?limit=20&status=preparing&labels=false")
    assert not [k for f in bare["features"] for k in f["properties"] if k.endswith("_label")]
    assert [f["properties"]["county"] for f in bare["features"]] == [
        f["properties"]["county"] for f in full["features"]
    ]


def test_coordinates_have_at_most_seven_decimals(client):
    text = client.get("/layers/counties.geojson").get_data(as_text=True)
    decimals = re.findall(r"\d+\.(\d+)", text.split('"properties"')[0])
    assert decimals and max(len(d) for d in decimals) <= 7


@pytest.mark.parametrize(
    "bbox", ["106.5,30.3,106.8,30.6", "106.0,30.0,106.4,30.3", "106.9,30.1,107.0,30.2"]
)
def test_bbox(client, demo_engine, bbox):
    x0, y0, x1, y1 = map(float, bbox.split(","))
    expected = expected_codes(
        demo_engine,
        "ST_Intersects(geom, ST_SetSRID(ST_MakeBox2D(ST_Point(:x0, :y0), ST_Point(:x1, :y1)), 4326))",
        x0=x0, y0=y0, x1=x1, y1=y1,
    )  # fmt: skip
    body = fetch(client, f"/layers/projects.geojson?bbox={bbox}")
    assert [f["id"] for f in body["features"]] == expected


def test_bbox_with_filter(client, demo_engine):
    expected = expected_codes(
        demo_engine,
        "status = 'under_construction' AND ST_Intersects(geom, ST_MakeEnvelope(106.0, 30.0, 106.7, 30.6, 4326))",
    )
    body = fetch(
        client, "/layers/projects.geojson?status=under_construction&bbox=106.0,30.0,106.7,30.6"
    )
    assert [f["id"] for f in body["features"]] == expected


def test_paging_follows_next_links(client, demo_engine):
    url, seen, pages = "/layers/projects.geojson?limit=7&status=under_construction,preparing", [], 0
    while url:
        body = fetch(client, url)
        assert body["numberReturned"] == len(body["features"]) <= 7
        seen += [f["id"] for f in body["features"]]
        nxt = [link["href"] for link in body["links"] if link["rel"] == "next"]
        url = nxt[0].replace("http://localhost", "") if nxt else None
        pages += 1
    expected = expected_codes(demo_engine, "status IN ('under_construction', 'preparing')")
    assert seen == expected
    assert pages == -(-len(expected) // 7)


def test_offset_and_prev(client, demo_engine):
    body = fetch(client, "/layers/projects.geojson?limit=10&offset=20")
    assert [f["id"] for f in body["features"]] == expected_codes(demo_engine)[20:30]
    rels = {link["rel"]: link["href"] for link in body["links"]}
    assert rels["prev"].endswith("limit=10&offset=10") and rels["next"].endswith("offset=30")
    first = fetch(client, "/layers/projects.geojson?limit=10&offset=10")
    assert next(x["href"] for x in first["links"] if x["rel"] == "prev").endswith("limit=10")


def test_offset_past_the_end(client):
    body = fetch(client, "/layers/projects.geojson?offset=1000")
    assert body["features"] == [] and body["numberReturned"] == 0


def test_number_matched_without_count_on_big_tables(app, client):
    state = app.extensions["mapserver"]
    assert state.settings.count_threshold >= 100
    body = fetch(client, "/layers/projects.geojson?limit=5")
    assert body["numberMatched"] == 100  # a 100-row table is cheap to count


def test_etag_and_304(client):
    first = client.get("/layers/projects.geojson?county=511622")
    first_body = first.get_data()
    tag = first.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', tag)
    again = client.get("/layers/projects.geojson?county=511622", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.headers["ETag"] == tag and not again.data
    other = client.get("/layers/projects.geojson?county=511623", headers={"If-None-Match": tag})
    assert other.status_code == 200 and other.headers["ETag"] != tag
    same = client.get("/layers/projects.geojson?county=511622")
    assert same.headers["ETag"] == tag and same.get_data() == first_body


def test_etag_changes_with_data(fresh_url, make_app):
    client = make_app(database_url=fresh_url).test_client()
    tag = client.get("/layers/projects.geojson").headers["ETag"]
    engine = sa.create_engine(fresh_url.replace("postgresql+psycopg", "postgresql+psycopg"))
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE projects SET name = name || '（改）' WHERE id = 1"))
    engine.dispose()
    response = client.get("/layers/projects.geojson", headers={"If-None-Match": tag})
    assert response.status_code == 200 and response.headers["ETag"] != tag
    assert "（改）" in response.get_data(as_text=True)


def test_day_in_etag_and_header_moves_at_midnight(fresh_url, make_app):
    """Health and overdue flags move at midnight with no change logged: a page and a cache
    see the day (X-Data-Day, in the ETag) as the database derives with it."""
    app = make_app(database_url=fresh_url)
    client = app.test_client()
    urls = ["/layers/projects.geojson?properties=health", "/ogc/collections/projects/items"]
    before = []
    for url in urls:  # streamed: each read before the next request
        before.append(client.get(url))
        assert before[-1].get_data()
    engine = sa.create_engine(fresh_url)
    with engine.connect() as conn:
        today = conn.execute(sa.text("SELECT mapserver_today()")).scalar_one()
    turn_day(engine, "2031-01-01")
    engine.dispose()
    for url, first in zip(urls, before, strict=True):
        assert first.headers["X-Data-Day"] == today.isoformat()
        after = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
        assert after.status_code == 200 and after.get_data()
        assert after.headers["X-Data-Day"] == "2031-01-01"
        assert after.headers["X-Data-Version"] == first.headers["X-Data-Version"]


def test_layers_index(client):
    body = client.get("/layers").get_json()
    layers = {layer["id"]: layer for layer in body["layers"]}
    assert set(layers) == {"projects", "counties", "city"}  # photos needs a login
    projects = layers["projects"]
    assert projects["title"] == "省市重点项目"
    filters = {f["name"]: f for f in projects["filters"]}
    assert set(filters) == {"working_group", "status", "county", "health", "overdue"}
    assert {"code": "511621", "label": "岳池县"} in filters["county"]["values"]
    assert {"code": "transport", "label": "交通运输基础设施推进组"} in filters["working_group"][
        "values"
    ]
    assert {"code": "suspended", "label": "停缓建"} in filters["status"]["values"]
    assert projects["style"]["property"] == "status"
    assert set(projects["style"]["classes"]) == {v["code"] for v in filters["status"]["values"]}
    items = [link for link in projects["links"] if link["rel"] == "items"]
    assert items[0]["href"].endswith("/layers/projects.geojson")


def test_counties_layer(client):
    body = fetch(client, "/layers/counties.geojson")
    assert {f["id"] for f in body["features"]} == {
        "511602", "511603", "511621", "511622", "511623", "511681"
    }  # fmt: skip
    assert all(f["geometry"]["type"] == "MultiPolygon" for f in body["features"])
