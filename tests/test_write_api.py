"""The write API (OGC API – Features Part 4) over HTTP: who may write what, If-Match,
invalid input, CRS, history, concurrency. Real PostGIS; bearer tokens (CSRF is for
browser sessions and is tested with the accounts)."""

from __future__ import annotations

import json
import threading

import pytest
import requests
import sqlalchemy as sa

from mapserver.accounts import credentials, users
from mapserver.store.db import make_engine
from tests.browser import serve
from tests.projects import GUANG_AN, OTHER, OWN, SQUARE, YUECHI, new_project, snapshot


@pytest.fixture
def env(write_env):
    return write_env


ITEMS = "/ogc/collections/projects/items"
GEOJSON = "application/geo+json"


def headers(token, etag=None, **extra):
    h = {"Content-Type": GEOJSON, **extra}
    if token:
        h["Authorization"] = f"Bearer {token}"
    if etag:
        h["If-Match"] = etag
    return h


def feature(properties=None, geometry=...):
    doc = {"type": "Feature", "properties": properties or {}}
    if geometry is not ...:
        doc["geometry"] = geometry
    return json.dumps(doc)


def etag_of(client, code):
    return client.get(f"{ITEMS}/{code}").headers["ETag"]


def write(client, op, token, code=None, target=GUANG_AN):
    """One write of kind ``op`` on ``code`` (or a new project in ``target``)."""
    etag = etag_of(client, code) if code else None
    if op == "create":
        body = feature(new_project(target), SQUARE if target == GUANG_AN else None)
        return client.post(ITEMS, data=body, headers=headers(token))
    if op == "patch":
        body = feature({"name": "改名", "county": target})
        return client.patch(f"{ITEMS}/{code}", data=body, headers=headers(token, etag))
    if op == "put":
        body = feature(new_project(target), None)
        return client.put(f"{ITEMS}/{code}", data=body, headers=headers(token, etag))
    if op == "delete":
        return client.delete(f"{ITEMS}/{code}", headers=headers(token, etag))
    raise AssertionError(op)


ROLES = ["admin", "dispatcher", "county_editor", "viewer", "anonymous", "revoked"]
CASES = [
    # (op, code, target county, name)
    ("create", None, GUANG_AN, "own"),
    ("create", None, YUECHI, "other"),
    ("patch", OWN, GUANG_AN, "own"),
    ("patch", OTHER, YUECHI, "other"),
    ("patch", OWN, YUECHI, "move-out"),
    ("put", OWN, GUANG_AN, "own"),
    ("put", OTHER, YUECHI, "other"),
    ("put", OWN, YUECHI, "move-out"),
    ("delete", OWN, GUANG_AN, "own"),
    ("delete", OTHER, YUECHI, "other"),
]


def allowed(role, case):
    if role in ("admin", "dispatcher"):
        return True
    return role == "county_editor" and case == "own"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("op", "code", "target", "case"), CASES, ids=[f"{c[0]}-{c[3]}" for c in CASES]
)
def test_authorization_matrix(env, role, op, code, target, case):
    client, engine, tokens = env
    before = snapshot(engine, code or "none")
    response = write(client, op, tokens[role], code, target)
    if allowed(role, case):
        assert response.status_code in (200, 201, 204), response.get_json()
        return
    expected = 401 if role in ("anonymous", "revoked") else 403
    assert response.status_code == expected, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert snapshot(engine, code or "none") == before


@pytest.mark.parametrize("role", ["admin", "dispatcher", "county_editor", "viewer"])
@pytest.mark.parametrize(
    ("op", "code", "target", "case"), CASES, ids=[f"{c[0]}-{c[3]}" for c in CASES]
)
def test_authorization_matrix_with_the_app_checks_bypassed(
    env, monkeypatch, role, op, code, target, case
):
    """The app's role and county checks switched off: the database still refuses."""
    from mapserver.editing import projects as editing
    from mapserver.web import auth, items

    monkeypatch.setattr(items, "require_actor", lambda write: auth.current_actor())
    monkeypatch.setattr(editing, "_check_rule", lambda *args: None)
    client, engine, tokens = env
    before = snapshot(engine, code or "none")
    response = write(client, op, tokens[role], code, target)
    if allowed(role, case):
        assert response.status_code in (200, 201, 204), response.get_json()
        return
    assert response.status_code == 403, response.get_json()
    assert "数据库拒绝" in response.get_json()["detail"]
    assert snapshot(engine, code or "none") == before


def test_if_match_is_required_and_checked(env):
    client, _engine, tokens = env
    token = tokens["county_editor"]
    first = client.get(f"{ITEMS}/{OWN}")
    assert first.headers["ETag"] == '"v1"'
    body = feature({"name": "新名字"})
    assert client.patch(f"{ITEMS}/{OWN}", data=body, headers=headers(token)).status_code == 428
    ok = client.patch(f"{ITEMS}/{OWN}", data=body, headers=headers(token, '"v1"'))
    assert ok.status_code == 200 and ok.headers["ETag"] == '"v2"'
    assert ok.get_json()["properties"]["version"] == 2
    stale = client.patch(
        f"{ITEMS}/{OWN}", data=feature({"name": "旧"}), headers=headers(token, '"v1"')
    )
    assert stale.status_code == 412
    assert stale.get_json()["current_version"] == 2
    assert client.get(f"{ITEMS}/{OWN}").get_json()["properties"]["name"] == "新名字"


BOWTIE = {
    "type": "Polygon",
    "coordinates": [
        [[106.65, 30.59], [106.67, 30.61], [106.67, 30.59], [106.65, 30.61], [106.65, 30.59]]
    ],
}
RING = [[106.65, 30.59], [106.67, 30.59], [106.67, 30.61], [106.65, 30.61], [106.65, 30.59]]
HOLE_OUT = [[106.70, 30.70], [106.71, 30.70], [106.71, 30.71], [106.70, 30.70]]
MANY = [[106.6 + i * 1e-6, 30.6] for i in range(20_001)]
DEEP = {"type": "Polygon", "coordinates": json.loads("[" * 40 + "106.6, 30.6" + "]" * 40)}

GEOMETRY_CASES = {
    "self-intersection": (json.dumps(BOWTIE), 422, "self"),
    "unclosed-ring": (json.dumps({"type": "Polygon", "coordinates": [RING[:-1]]}), 422, "closed"),
    "short-ring": (
        json.dumps({"type": "Polygon", "coordinates": [[RING[0], RING[1], RING[0]]]}),
        422,
        "ring",
    ),
    "hole-outside": (json.dumps({"type": "Polygon", "coordinates": [RING, HOLE_OUT]}), 422, "hole"),
    "empty": (json.dumps({"type": "Polygon", "coordinates": []}), 422, "empty"),
    "nan": ('{"type": "Point", "coordinates": [NaN, 30.6]}', 400, "NaN"),
    "infinity": ('{"type": "Point", "coordinates": [Infinity, 30.6]}', 400, "Infinity"),
    "1e309": ('{"type": "Point", "coordinates": [1e309, 30.6]}', 400, "1e309"),
    "1e-400": ('{"type": "Point", "coordinates": [106.6, 1e-400]}', 400, "1e-400"),
    "longitude-range": (json.dumps({"type": "Point", "coordinates": [206.6, 30.6]}), 422, "range"),
    "latitude-range": (json.dumps({"type": "Point", "coordinates": [106.6, 95]}), 422, "range"),
    "too-many-vertices": (json.dumps({"type": "LineString", "coordinates": MANY}), 422, "20000"),
    "too-deep": (json.dumps(DEEP), 422, "deep"),
    "wrong-type": (json.dumps({"type": "Circle", "coordinates": [106.6, 30.6]}), 422, "Circle"),
}


@pytest.mark.parametrize("case", list(GEOMETRY_CASES))
def test_invalid_geometry_is_refused_and_nothing_written(env, case):
    client, engine, tokens = env
    geometry, status, word = GEOMETRY_CASES[case]
    props = json.dumps(new_project())
    body = f'{{"type": "Feature", "properties": {props}, "geometry": {geometry}}}'
    before = snapshot(engine, "none")
    response = client.post(ITEMS, data=body, headers=headers(tokens["county_editor"]))
    assert response.status_code == status, response.get_json()
    problem = response.get_json()
    assert response.mimetype == "application/problem+json"
    assert word.lower() in json.dumps(problem, ensure_ascii=False).lower()
    assert snapshot(engine, "none") == before


def test_self_intersection_says_where_and_repair_fixes_it(env):
    client, _, tokens = env
    body = feature(new_project(), BOWTIE)
    refused = client.post(ITEMS, data=body, headers=headers(tokens["county_editor"]))
    assert refused.status_code == 422
    lon, lat = refused.get_json()["location"]["coordinates"]
    assert lon == pytest.approx(106.66) and lat == pytest.approx(30.60)
    repaired = client.post(
        f"{ITEMS}?repair=true", data=body, headers=headers(tokens["county_editor"])
    )
    assert repaired.status_code == 201
    doc = repaired.get_json()
    assert doc["geometry"]["type"] == "MultiPolygon" and doc["notes"]


def test_body_over_the_limit_is_refused_before_reading(env):
    client, _engine, tokens = env
    body = (
        b'{"type": "Feature", "properties": {}, "geometry": null, "pad": "'
        + b"x" * (5 * 1024 * 1024)
        + b'"}'
    )
    response = client.post(ITEMS, data=body, headers=headers(tokens["admin"]))
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    ("crs", "point"),
    [
        ("http://www.opengis.net/def/crs/EPSG/0/4490", [106.66, 30.60]),  # x first, always
        ("EPSG:4524", None),  # Gauss-Krüger zone 36, with the zone prefix
        ("gcj02", None),
    ],
)
def test_content_crs_is_converted_on_input(env, crs, point):
    from pyproj import Transformer

    from mapserver.geo import chinacoords

    client, _engine, tokens = env
    lon, lat = 106.66, 30.60
    if crs == "EPSG:4524":
        point = list(Transformer.from_crs(4490, 4524, always_xy=True).transform(lon, lat))
    if crs == "gcj02":
        point = [float(v) for v in chinacoords.wgs84_to_gcj02(lon, lat)]
    geometry = {"type": "Point", "coordinates": point}
    response = client.post(
        ITEMS,
        data=feature(new_project(), geometry),
        headers=headers(tokens["county_editor"], **{"Content-Crs": f"<{crs}>"}),
    )
    assert response.status_code == 201, response.get_json()
    got = response.get_json()["geometry"]["coordinates"]
    assert got[0] == pytest.approx(lon, abs=1e-7) and got[1] == pytest.approx(lat, abs=1e-7)


def test_history_and_restore_over_http(env):
    client, _, tokens = env
    token = tokens["county_editor"]
    client.patch(f"{ITEMS}/{OWN}", data=feature({"name": "第二版"}), headers=headers(token, '"v1"'))
    assert client.get(f"{ITEMS}/{OWN}/history").status_code == 401
    revisions = client.get(f"{ITEMS}/{OWN}/history", headers=headers(token)).get_json()["revisions"]
    assert [r["op"] for r in revisions] == ["update", "create"]
    assert revisions[0]["actor"] == "u_county_editor" and revisions[0]["changed"] == ["name"]
    first = revisions[1]["revision"]
    restored = client.post(f"{ITEMS}/{OWN}/history/{first}/restore", headers=headers(token, '"v2"'))
    assert restored.status_code == 200 and restored.headers["ETag"] == '"v3"'
    assert restored.get_json()["properties"]["name"] == revisions[1]["new"]["properties"]["name"]
    for query, parameter in (("f=html", "f"), ("f=xyz", "f"), ("since=1", "since")):
        refused = client.get(f"{ITEMS}/{OWN}/history?{query}", headers=headers(token))
        assert refused.status_code == 400 and refused.get_json()["parameter"] == parameter
    assert client.get(f"{ITEMS}/{OWN}/history?f=json", headers=headers(token)).status_code == 200


def test_deleted_project_leaves_the_feeds_and_comes_back(env):
    client, _, tokens = env
    token = tokens["county_editor"]
    assert client.delete(f"{ITEMS}/{OWN}", headers=headers(token, '"v1"')).status_code == 204
    assert client.get(f"{ITEMS}/{OWN}").status_code == 404
    codes = [
        f["id"] for f in client.get("/layers/projects.geojson?limit=10000").get_json()["features"]
    ]
    assert OWN not in codes and len(codes) == 99
    assert client.get("/stats").get_json()["count"] == 99
    revisions = client.get(f"{ITEMS}/{OWN}/history", headers=headers(token)).get_json()["revisions"]
    back = client.post(
        f"{ITEMS}/{OWN}/history/{revisions[1]['revision']}/restore", headers=headers(token, '"v2"')
    )
    assert back.status_code == 200
    assert client.get("/stats").get_json()["count"] == 100


def test_concurrent_conflicting_patches_lose_nothing(fresh_url, make_app):
    """Two clients × 200 PATCHes of one project, released together."""
    engine = make_engine(fresh_url, 2)
    account, _ = users.create_user(engine, "u_dispatcher", "dispatcher")
    token = credentials.issue_token(engine, account.id, "test")[1]
    app = make_app(database_url=fresh_url, pool_size=4)
    results = {0: [], 1: []}
    start = threading.Barrier(2)
    with serve(app) as base:
        url = f"{base}{ITEMS}/{OWN}"

        def client(n):
            s = requests.Session()
            s.headers["Authorization"] = f"Bearer {token}"
            known = s.get(url)
            etag, value = known.headers["ETag"], known.json()["properties"]["completed_this_year"]
            start.wait()
            for _ in range(200):
                body = feature({"completed_this_year": float(value) + 1})
                r = s.patch(url, data=body, headers={"Content-Type": GEOJSON, "If-Match": etag})
                results[n].append(r.status_code)
                if r.status_code == 200:
                    etag, value = r.headers["ETag"], r.json()["properties"]["completed_this_year"]
                else:
                    fresh = s.get(url)
                    etag, value = (
                        fresh.headers["ETag"],
                        fresh.json()["properties"]["completed_this_year"],
                    )

        threads = [threading.Thread(target=client, args=(n,)) for n in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    codes = results[0] + results[1]
    successes = codes.count(200)
    assert set(codes) <= {200, 412} and codes.count(412) == 400 - successes
    with engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT version, completed_this_year FROM projects WHERE code = :c"), {"c": OWN}
        ).one()
        start_value = conn.execute(
            sa.text(
                "SELECT (old_properties->>'completed_this_year')::numeric FROM project_history"
                " WHERE code = :c AND op = 'update' ORDER BY id LIMIT 1"
            ),
            {"c": OWN},
        ).scalar()
        updates = conn.execute(
            sa.text("SELECT count(*) FROM project_history WHERE code = :c AND op = 'update'"),
            {"c": OWN},
        ).scalar()
    engine.dispose()
    assert row.version == 1 + successes
    assert updates == successes
    assert row.completed_this_year == start_value + successes  # no lost update


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_a_feature_sent_back_as_fetched_is_accepted(env, method):
    """docs/editing.md: read-only properties echoed from a GET (labels, measures, and the
    battle map's derived figures: health, year_to_date, …) are ignored, for every property
    of the layer (issue #12 §6)."""
    client, _, tokens = env
    fetched = client.get(f"{ITEMS}/{OWN}")
    doc = fetched.get_json()
    layer = client.get("/ogc/collections/projects/queryables").get_json()["properties"]
    assert set(layer) - {"geom", "geometry"} <= set(doc["properties"]) | {"id"}
    body = {"type": "Feature", "geometry": doc["geometry"], "properties": doc["properties"]}
    kind = GEOJSON if method == "PUT" else "application/merge-patch+json"
    r = client.open(f"{ITEMS}/{OWN}", method=method, data=json.dumps(body),
                    headers=headers(tokens["admin"], fetched.headers["ETag"], **{"Content-Type": kind}))  # fmt: skip
    assert r.status_code == 200, r.get_json()
    after = client.get(f"{ITEMS}/{OWN}").get_json()["properties"]
    changed = {k for k in after if after[k] != doc["properties"][k]}
    assert changed <= {"version", "updated_at"}


OUTSIDE = {
    "beijing-polygon": {"type": "Polygon", "coordinates": [[[116.3, 39.9], [116.4, 39.9],
                                                             [116.4, 40.0], [116.3, 39.9]]]},
    "null-island": {"type": "Point", "coordinates": [0, 0]},
    "world": {"type": "Polygon", "coordinates": [[[-179, -85], [179, -85], [179, 85],
                                                  [-179, 85], [-179, -85]]]},
    "line-elsewhere": {"type": "LineString", "coordinates": [[104.0, 30.6], [104.1, 30.7]]},
}  # fmt: skip


@pytest.mark.parametrize("role", ["admin", "dispatcher"])
@pytest.mark.parametrize("case", list(OUTSIDE))
def test_the_city_wide_roles_cannot_put_a_site_outside_the_city(env, role, case):
    """Every site lies in Guang'an, whoever draws it (issue #12 §6); nothing is written."""
    client, engine, tokens = env
    before = snapshot(engine, "none")
    body = feature(new_project(), OUTSIDE[case])
    response = client.post(ITEMS, data=body, headers=headers(tokens[role]))
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["code"] == "outside_city"
    assert snapshot(engine, "none") == before


@pytest.mark.parametrize(("case", "status"), [("line-elsewhere", 201), ("beijing-polygon", 422)])
def test_the_site_extent_setting_replaces_the_city(env, fresh_url, make_app, case, status):
    """MAPSERVER_SITE_EXTENT: a box around Sichuan admits the Chengdu line, not Beijing."""
    _, _, tokens = env
    app = make_app(database_url=fresh_url, site_extent="102,28,109,33")
    body = feature(new_project(), OUTSIDE[case])
    response = app.test_client().post(ITEMS, data=body, headers=headers(tokens["admin"]))
    assert response.status_code == status, response.get_json()
    if status == 422:
        assert "configured extent" in response.get_json()["detail"]


def test_a_city_wide_site_near_the_boundary_is_within_the_tolerance(env):
    client, _, tokens = env
    point = {"type": "Point", "coordinates": [106.63, 30.47]}  # 广安区, inside the city
    response = client.post(
        ITEMS, data=feature(new_project(), point), headers=headers(tokens["admin"])
    )
    assert response.status_code == 201, response.get_json()
