"""Vector tiles (OGC API – Tiles, issue #15 §1): MVT decoded and compared with direct SQL,
the documents, filters and bad values, empty tiles, ETags, the cache and its exact
invalidation, counts that add up to /stats, the seed command. docs/tiles.md."""

from __future__ import annotations

import datetime as dt
import math
import shutil
import subprocess
from pathlib import Path

import mapbox_vector_tile
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from mapserver.accounts import credentials, users
from mapserver.cli import main
from mapserver.demo import loader
from mapserver.features import tile_cache
from mapserver.features.query import FeatureQuery
from mapserver.features.tiles import TileId
from mapserver.layers import load_layers
from mapserver.store import schema
from mapserver.store.db import make_engine
from tests import apps
from tests.conftest import new_database

ROOT = Path(__file__).resolve().parent.parent
TILES = "/ogc/collections/{layer}/tiles"
MVT = "application/vnd.mapbox-vector-tile"
PIXEL = 4096 / 256  # MVT grid units in one pixel of a 256-pixel tile
HALF = 20037508.342789244


def tile_url(z: int, x: int, y: int, layer: str = "projects", query: str = "") -> str:
    url = f"{TILES.format(layer=layer)}/WebMercatorQuad/{z}/{y}/{x}"
    return f"{url}?{query}" if query else url


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The slippy-map tile holding a point (the textbook formula, not the server's SQL)."""
    n = 1 << z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return min(x, n - 1), min(y, n - 1)


def in_tile(lon: float, lat: float, z: int, x: int, y: int) -> tuple[float, float]:
    """A point's MVT grid coordinates (y down) in tile z/x/y."""
    mx = math.radians(lon) * 6378137
    my = math.asinh(math.tan(math.radians(lat))) * 6378137
    span = 2 * HALF / (1 << z)
    return (mx + HALF - x * span) / span * 4096, (HALF - y * span - my) / span * 4096


def decode(data: bytes) -> list[dict]:
    layers = mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})
    return [f for layer in layers.values() for f in layer["features"]]


def vertices(coordinates) -> list:
    """Every [x, y] of a decoded geometry's nested coordinate lists."""
    if isinstance(coordinates[0], (int, float)):
        return [coordinates]
    return [p for part in coordinates for p in vertices(part)]


def sites(conn, where: str = "TRUE", params: dict | None = None) -> dict[str, tuple]:
    """code -> (lon, lat of the representative point, geometry type) of live projects."""
    rows = conn.execute(
        sa.text(
            "SELECT code, ST_X(p), ST_Y(p), GeometryType(geom) FROM (SELECT code, geom,"
            " CASE WHEN GeometryType(geom) = 'POINT' THEN geom ELSE ST_PointOnSurface(geom)"
            f" END p FROM battle_projects WHERE deleted_at IS NULL AND {where}) s"
            " WHERE p IS NOT NULL"
        ),
        params or {},
    )
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def busiest_tile(found: dict[str, tuple], z: int) -> tuple[int, int]:
    tiles: dict[tuple[int, int], int] = {}
    for lon, lat, _ in found.values():
        key = tile_of(lon, lat, z)
        tiles[key] = tiles.get(key, 0) + 1
    return max(tiles, key=tiles.get)


def test_tile_features_attributes_and_geometry_match_sql(client, demo_engine):
    with demo_engine.connect() as conn:
        found = sites(conn)
        z = 11
        x, y = busiest_tile(found, z)
        response = client.get(tile_url(z, x, y))
        assert response.status_code == 200 and response.mimetype == MVT
        features = decode(response.get_data())
        owned = {f["properties"]["id"] for f in features if f["properties"]["count"] == 1}
        expected = {c for c, (lon, lat, _) in found.items() if tile_of(lon, lat, z) == (x, y)}
        assert owned == expected and len(owned) >= 2
        assert int(response.headers["X-Tile-Owned"]) == len(owned)
        columns = "code, name, owner_unit, days_late, points_behind, year_to_date, " \
                  "pending_investment, working_group, status, county, health, overdue"  # fmt: skip
        rows = conn.execute(sa.text(f"SELECT {columns} FROM battle_projects")).mappings()
        truth = {r["code"]: dict(r) for r in rows}
        inside = {
            r[0]: r[1:]
            for r in conn.execute(
                sa.text(
                    "SELECT code, ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom)"
                    " FROM projects WHERE GeometryType(geom) <> 'POINT' AND ST_Within("
                    "ST_Transform(geom, 3857), ST_TileEnvelope(:z, :x, :y))"
                ),
                {"z": z, "x": x, "y": y},
            )
        }
    checked_shapes = 0
    for feature in features:
        props = feature["properties"]
        row = truth[props["id"]]
        present = {k for k, v in row.items() if v is not None and k != "code"}
        assert set(props) == present | {"id", "count"}
        for name, value in row.items():
            if name != "code" and value is not None:
                assert props[name] == pytest.approx(
                    float(value)
                    if name in ("points_behind", "year_to_date", "pending_investment")
                    else value
                ), name
        lon, lat, kind = found[props["id"]]
        if kind == "POINT":
            px, py = in_tile(lon, lat, z, x, y)
            gx, gy = feature["geometry"]["coordinates"]
            assert abs(gx - px) <= PIXEL and abs(gy - py) <= PIXEL
        elif props["id"] in inside:  # a line or polygon wholly in the tile: same box
            got = vertices(feature["geometry"]["coordinates"])
            (x0, y1), (x1, y0) = (in_tile(*inside[props["id"]][:2], z, x, y),
                                  in_tile(*inside[props["id"]][2:], z, x, y))  # fmt: skip
            assert abs(min(p[0] for p in got) - x0) <= PIXEL
            assert abs(max(p[0] for p in got) - x1) <= PIXEL
            assert abs(min(p[1] for p in got) - y0) <= PIXEL
            assert abs(max(p[1] for p in got) - y1) <= PIXEL
            checked_shapes += 1
    assert checked_shapes >= 1


def test_documents_tileset_list_metadata_and_tilejson(client):
    conformance = client.get("/ogc/conformance?f=json").get_json()["conformsTo"]
    spec = "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/"
    for name in ("core", "tileset", "tilesets-list", "geodata-tilesets", "mvt", "oas30"):
        assert spec + name in conformance
    collection = client.get("/ogc/collections/projects?f=json").get_json()
    rel = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
    href = next(link["href"] for link in collection["links"] if link["rel"] == rel)
    listing = client.get(href).get_json()
    tileset_href = listing["tilesets"][0]["links"][0]["href"]
    assert listing["tilesets"][0]["dataType"] == "vector"
    meta = client.get(tileset_href).get_json()
    assert meta["dataType"] == "vector" and meta["crs"].endswith("/EPSG/0/3857")
    assert meta["tileMatrixSetURI"].endswith("/WebMercatorQuad")
    item = next(link for link in meta["links"] if link["rel"] == "item")
    assert item["type"] == MVT and item["templated"] is True
    assert "{tileMatrix}/{tileRow}/{tileCol}" in item["href"]
    tilejson = client.get(tileset_href + "?f=tilejson").get_json()
    for key in ("tilejson", "tiles", "vector_layers", "minzoom", "maxzoom", "bounds"):
        assert key in tilejson
    assert tilejson["tilejson"] == "3.0.0"
    fields = tilejson["vector_layers"][0]["fields"]
    assert tilejson["vector_layers"][0]["id"] == "projects"
    assert {"id", "count", "cluster", "name", "status", "health"} <= set(fields)
    lon = (tilejson["bounds"][0] + tilejson["bounds"][2]) / 2
    lat = (tilejson["bounds"][1] + tilejson["bounds"][3]) / 2
    x, y = tile_of(lon, lat, 6)
    url = tilejson["tiles"][0].replace("{z}", "6").replace("{x}", str(x)).replace("{y}", str(y))
    assert client.get(url).status_code == 200
    assert listing["links"][0]["rel"] == "self"


def test_the_tile_matrix_set_is_served_here(client):
    """Offline clients resolve the tiling scheme on this server, not on opengis.net."""
    meta = client.get(TILES.format(layer="projects") + "/WebMercatorQuad").get_json()
    rel = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
    href = next(link["href"] for link in meta["links"] if link["rel"] == rel)
    assert href.startswith("http://localhost/ogc/tileMatrixSets/")
    tms = client.get(href).get_json()
    assert tms["uri"] == meta["tileMatrixSetURI"] and tms["crs"] == meta["crs"]
    z10 = tms["tileMatrices"][10]
    assert z10["id"] == "10" and z10["matrixWidth"] == z10["matrixHeight"] == 1024
    assert z10["cellSize"] == pytest.approx(152.87405657041106)  # metres per pixel at z10
    assert z10["pointOfOrigin"] == [-HALF, HALF] and len(tms["tileMatrices"]) == 25
    listing = client.get("/ogc/tileMatrixSets").get_json()["tileMatrixSets"]
    assert [t["id"] for t in listing] == ["WebMercatorQuad"]
    landing = client.get("/ogc?f=json").get_json()["links"]
    assert any(link["href"].endswith("/ogc/tileMatrixSets") for link in landing)
    assert client.get("/ogc/tileMatrixSets/WorldCRS84Quad").status_code == 404


def test_tilejson_of_a_filter_carries_it(client):
    doc = client.get(
        TILES.format(layer="projects") + "/WebMercatorQuad?f=tilejson&status=completed"
    )
    assert doc.status_code == 200
    assert doc.get_json()["tiles"][0].endswith("/{z}/{y}/{x}?status=completed")


@pytest.mark.parametrize(
    "query",
    ["status=completed", "county=511602,511621", "health=lagging,seriously_lagging",
     "overdue=true", "working_group=industry&status=under_construction",
     "filter=total_investment%20%3E%20100000"],
)  # fmt: skip
def test_filters_select_what_the_feed_selects(client, query):
    feed = client.get(f"/layers/projects.geojson?limit=1000&{query}").get_json()["features"]
    expected = {f["id"] for f in feed if f["geometry"] is not None}
    got: set[str] = set()
    for x, y in ((0, 0),):
        got |= {
            f["properties"]["id"]
            for f in decode(client.get(tile_url(0, x, y, query=query)).get_data() or b"")
            if f["properties"]["count"] == 1
        }
    assert got == expected


@pytest.mark.parametrize(
    ("path", "status", "parameter"),
    [
        (tile_url(0, 0, 0, query="status=nope"), 400, "status"),
        (tile_url(0, 0, 0, query="filter=nosuch = 1"), 400, "filter"),
        (tile_url(0, 0, 0, query="bbox=1,2,3,4"), 400, "bbox"),
        (tile_url(0, 0, 0, query="f=png"), 400, "f"),
        (TILES.format(layer="projects") + "/WebMercatorQuad/a/0/0", 400, "tileMatrix"),
        (TILES.format(layer="projects") + "/WebMercatorQuad/3/-1/0", 400, "tileRow"),
        (TILES.format(layer="projects") + "/WebMercatorQuad/3/0/1.5", 400, "tileCol"),
        (tile_url(3, 8, 0), 404, "tileCol"),
        (tile_url(3, 0, 8), 404, "tileRow"),
        (tile_url(23, 0, 0), 404, "tileMatrix"),
        (TILES.format(layer="projects") + "/WorldCRS84Quad/0/0/0", 404, "tileMatrixSetId"),
        (TILES.format(layer="nosuch") + "/WebMercatorQuad/0/0/0", 404, "layer"),
        (TILES.format(layer="projects") + "/WebMercatorQuad?f=html", 400, "f"),
        (TILES.format(layer="projects") + "?status=nope", 400, "status"),
    ],
)
def test_bad_values_are_problems_naming_the_parameter(client, path, status, parameter):
    response = client.get(path)
    assert response.status_code == status, response.get_data()
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["parameter"] == parameter


def test_empty_tile_is_204_and_cached(client):
    url = tile_url(10, 0, 0)
    first = client.get(url)
    assert first.status_code == 204 and first.get_data() == b""
    again = client.get(url)
    assert again.status_code == 204 and again.headers["X-Tile-Cache"] == "hit"
    assert again.headers["ETag"] == first.headers["ETag"]


def test_a_tile_of_another_day_is_not_served(writable):
    """Health and overdue move at midnight with no change logged: the cache keeps the day."""
    client, engine = writable
    assert client.get(tile_url(0, 0, 0)).headers["X-Tile-Cache"] == "miss"
    assert client.get(tile_url(0, 0, 0)).headers["X-Tile-Cache"] == "hit"
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE tile_cache SET day = day - 1"))
    assert client.get(tile_url(0, 0, 0)).headers["X-Tile-Cache"] == "miss"


def test_etag_and_304(client):
    url = tile_url(0, 0, 0)
    first = client.get(url)
    assert first.headers["Cache-Control"] == "public, no-cache"
    etag = first.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(url).headers["X-Tile-Cache"] == "hit"


def test_every_layer_has_tiles(client):
    for layer in ("projects", "counties", "city"):
        assert client.get(TILES.format(layer=layer)).status_code == 200
        assert client.get(tile_url(0, 0, 0, layer=layer)).status_code in (200, 204)
    counties = decode(client.get(tile_url(0, 0, 0, layer="counties")).get_data())
    assert len(counties) == 6 and {f["properties"]["count"] for f in counties} == {1}


def test_a_login_layers_tiles_need_a_login_and_are_private(fresh_url, make_app):
    """photos is ``read: login`` (docs/access.md): its tiles too, and no proxy shares them."""
    app = make_app(database_url=fresh_url)
    engine = make_engine(fresh_url, 1)  # the owner: accounts are maintenance here
    account, _ = users.create_user(engine, "u_tile_viewer", "viewer", None)
    token = credentials.issue_token(engine, account.id, "tiles")[1]
    client = app.test_client()
    try:
        for url in (TILES.format(layer="photos"), tile_url(0, 0, 0, layer="photos")):
            refused = client.get(url)
            assert refused.status_code == 401 and "Bearer" in refused.headers["WWW-Authenticate"]
        shown = client.get(tile_url(0, 0, 0, layer="photos"),
                           headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        assert shown.status_code in (200, 204)
        assert shown.headers["Cache-Control"] == "private, no-cache"
    finally:
        engine.dispose()


@pytest.mark.gdal
def test_gdal_reads_a_tile(client, tmp_path):
    data = client.get(tile_url(0, 0, 0)).get_data()
    path = tmp_path / "0" / "0"
    path.mkdir(parents=True)
    (path / "0.pbf").write_bytes(data)
    done = subprocess.run(
        ["ogrinfo", "-ro", "-so", "-al", str(path / "0.pbf")],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert "Layer name: projects" in done.stdout
    assert f"Feature Count: {len(decode(data))}" in done.stdout


# -- cache invalidation ---------------------------------------------------------------------


@pytest.fixture
def writable(fresh_url, make_app):
    """The app, and the owner's engine for direct SQL (the app's login may not)."""
    app = make_app(database_url=fresh_url)
    owner = make_engine(fresh_url, 2)
    yield app.test_client(), owner
    owner.dispose()


def cached(engine, z: int, x: int, y: int) -> int:
    with engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT count(*) FROM tile_cache WHERE layer = 'projects'"
                    " AND z = :z AND x = :x AND y = :y"), {"z": z, "x": x, "y": y}
        ).scalar_one()  # fmt: skip


def two_points(engine) -> tuple[tuple, tuple]:
    """Two point projects at least 20 km apart."""
    with engine.connect() as conn:
        found = {c: s for c, s in sites(conn).items() if s[2] == "POINT"}
    codes = sorted(found)
    a = found[codes[0]]
    far = next(c for c in codes if abs(found[c][0] - a[0]) + abs(found[c][1] - a[1]) > 0.4)
    return (codes[0], *a[:2]), (far, *found[far][:2])


def test_an_edit_invalidates_exactly_the_tiles_it_touches(writable):
    client, engine = writable
    (code, lon, lat), (_, far_lon, far_lat) = two_points(engine)
    zooms = (6, 10, 14)
    before = {}
    for z in zooms:
        x, y = tile_of(lon, lat, z)
        before[z] = client.get(tile_url(z, x, y)).headers["ETag"]
        assert client.get(tile_url(z, x, y)).headers["X-Tile-Cache"] == "hit"
    nx, ny = tile_of(far_lon, far_lat, 14)
    neighbour = client.get(tile_url(14, nx, ny)).headers["ETag"]
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE projects SET geom = ST_Translate(geom, 0.002, 0.001) WHERE code = :c"),
            {"c": code},
        )
    for z in zooms:  # gone at commit: nothing to wait for
        assert cached(engine, z, *tile_of(lon, lat, z)) == 0, z
    for z in zooms:
        x, y = tile_of(lon, lat, z)
        after = client.get(tile_url(z, x, y))
        assert after.headers["X-Tile-Cache"] == "miss" and after.headers["ETag"] != before[z]
    untouched = client.get(tile_url(14, nx, ny))
    assert untouched.headers["X-Tile-Cache"] == "hit" and untouched.headers["ETag"] == neighbour


def test_an_edit_through_the_write_api_invalidates_too(writable):
    """A county editor's PATCH runs as the write role (mapserver_app): the triggers still
    reach the cache, and the tile shows the new name at once."""
    client, engine = writable
    account, _ = users.create_user(engine, "tile_editor", "county_editor", "511602")
    token = credentials.issue_token(engine, account.id, "tiles")[1]
    with engine.connect() as conn:
        code, lon, lat = conn.execute(sa.text(
            "SELECT code, ST_X(p), ST_Y(p) FROM (SELECT code, ST_PointOnSurface(geom) p"
            " FROM projects WHERE county = '511602' AND geom IS NOT NULL ORDER BY code LIMIT 1) s"
        )).one()  # fmt: skip
    x, y = tile_of(lon, lat, 12)
    client.get(tile_url(12, x, y))
    assert cached(engine, 12, x, y) == 1
    etag = client.get(f"/ogc/collections/projects/items/{code}").headers["ETag"]
    body = '{"type": "Feature", "properties": {"name": "瓦片测试"}}'
    auth = {"Authorization": f"Bearer {token}", "If-Match": etag,
            "Content-Type": "application/geo+json"}  # fmt: skip
    assert client.patch(f"/ogc/collections/projects/items/{code}", data=body,
                        headers=auth).status_code == 200  # fmt: skip
    assert cached(engine, 12, x, y) == 0
    names = {f["properties"]["id"]: f["properties"]["name"]
             for f in decode(client.get(tile_url(12, x, y)).get_data())}  # fmt: skip
    assert names[code] == "瓦片测试"


def test_a_record_change_invalidates_its_project(writable):
    client, engine = writable
    with engine.connect() as conn:
        code, lon, lat = conn.execute(sa.text(
            "SELECT p.code, ST_X(p.geom), ST_Y(p.geom) FROM projects p JOIN milestones m"
            " ON m.project_id = p.id WHERE GeometryType(p.geom) = 'POINT' AND m.actual_date IS NULL"
            " AND m.planned_date < current_date ORDER BY p.code LIMIT 1")).one()  # fmt: skip
    x, y = tile_of(lon, lat, 12)
    first = client.get(tile_url(12, x, y))
    assert cached(engine, 12, x, y) == 1
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE milestones SET actual_date = planned_date WHERE project_id ="
                    " (SELECT id FROM projects WHERE code = :c)"), {"c": code}
        )  # fmt: skip
    assert cached(engine, 12, x, y) == 0
    after = decode(client.get(tile_url(12, x, y)).get_data())
    mine = next(f for f in after if f["properties"]["id"] == code)
    assert "days_late" not in mine["properties"] or mine["properties"]["days_late"] == 0
    assert first.headers["ETag"] != client.get(tile_url(12, x, y)).headers["ETag"]


def test_a_tile_rendered_before_a_change_is_never_stored(fresh_url):
    engine = make_engine(fresh_url, 2)
    layer = load_layers(ROOT / "layers", engine)["projects"]
    q, place = FeatureQuery(layer=layer), TileId(0, 0, 0)
    rendered = tile_cache.render(engine, q, place)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE projects SET name = name || '（改）' WHERE id = 1"))
    tile_cache.store(engine, q, place, *rendered)
    assert cached(engine, 0, 0, 0) == 0  # rendered before the change: dropped
    tile_cache.store(engine, q, place, *tile_cache.render(engine, q, place))
    assert cached(engine, 0, 0, 0) == 1
    engine.dispose()


def test_the_store_refuses_a_repeatable_read_snapshot(fresh_url):
    """Its check of the change log must see every commit made before its lock was granted:
    in an older snapshot (REPEATABLE READ) it refuses, naming why."""
    engine = make_engine(fresh_url, 1)
    key = {"layer": "projects", "variant": "v", "z": 0, "x": 0, "y": 0}
    values = {"day": dt.date.today(), "tile": b"x", "etag": "e", "owned": 1, "version": 0}
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        with pytest.raises(sa.exc.DBAPIError, match="needs READ COMMITTED"):
            conn.execute(tile_cache.STORE, {**key, **values})
    assert cached(engine, 0, 0, 0) == 0
    engine.dispose()


def test_seed_command_fills_the_cache(fresh_url, monkeypatch):
    monkeypatch.setenv("MAPSERVER_DATABASE_URL", fresh_url)
    result = CliRunner().invoke(main, ["tiles", "seed", "--layer", "projects", "--zooms", "6-8"])
    assert result.exit_code == 0, result.output
    engine = make_engine(fresh_url, 1)
    with engine.connect() as conn:
        n = conn.execute(sa.text("SELECT count(*) FROM tile_cache WHERE layer = 'projects'"))
        n = n.scalar_one()
    engine.dispose()
    assert f"{n}/{n} tiles (100%)" in result.output and n >= 3
    bad = CliRunner().invoke(main, ["tiles", "seed", "--layer", "projects", "--zooms", "9-8"])
    assert bad.exit_code != 0 and "--zooms" in bad.output


# -- completeness: counts over a zoom level add up to /stats ----------------------------------


@pytest.fixture(scope="module")
def crowded(cluster, tmp_path_factory):
    """2,000 projects, and a projects layer that clusters above 200 owned features: at zoom 8
    a tile of Guang'an owns up to 1,400 of them, at zoom 11 at most 183."""
    url = new_database(cluster)
    schema.upgrade(url)
    engine = make_engine(url, 1)
    loader.load_demo(engine, 2000, records=False)
    engine.dispose()
    layers = tmp_path_factory.mktemp("layers")
    shutil.copytree(ROOT / "layers", layers, dirs_exist_ok=True)
    with (layers / "projects.yaml").open("a", encoding="utf-8") as f:
        f.write("tiles: {cluster_threshold: 200, cluster_pixels: 64}\n")
    with apps.built(database_url=url, layers_dir=layers) as app:
        yield app.test_client(), app.extensions["mapserver"].engine


def level_sum(client, z: int, box: tuple, query: str) -> tuple[int, int, int]:
    """Sum of ``count`` over every tile of zoom ``z`` in ``box``; clusters; most owned."""
    x0, y0 = tile_of(box[0], box[3], z)
    x1, y1 = tile_of(box[2], box[1], z)
    total = clusters = most = 0
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            response = client.get(tile_url(z, x, y, query=query))
            assert response.status_code in (200, 204)
            most = max(most, int(response.headers["X-Tile-Owned"]))
            for f in decode(response.get_data()):
                total += f["properties"]["count"]
                clusters += bool(f["properties"].get("cluster"))
                assert {"status", "health"} <= set(f["properties"])  # clusters: commonest of both
    return total, clusters, most


@pytest.mark.parametrize("query", ["", "status=under_construction", "county=511602",
                                   "health=seriously_lagging,not_tracked"])  # fmt: skip
def test_counts_over_a_zoom_level_add_up_to_stats(crowded, query):
    client, engine = crowded
    with engine.connect() as conn:
        box = conn.execute(sa.text(
            "SELECT ST_XMin(e) - 0.01, ST_YMin(e) - 0.01, ST_XMax(e) + 0.01, ST_YMax(e) + 0.01"
            " FROM (SELECT ST_Extent(geom) e FROM projects) s")).one()  # fmt: skip
        no_site = conn.execute(sa.text(
            "SELECT count(*) FROM battle_projects WHERE deleted_at IS NULL AND geom IS NULL"
            + "".join(f" AND {k} = ANY(:{k})" for k in dict(p.split("=") for p in query.split("&") if p))),
            {k: v.split(",") for k, v in (p.split("=") for p in query.split("&") if p)},
        ).scalar_one()  # fmt: skip
    stats = client.get(f"/stats?{query}").get_json()["count"]
    low = level_sum(client, 8, box, query)
    assert low[0] == stats - no_site and low[1] > 0  # clustered, and complete
    high = level_sum(client, 11, box, query)
    assert high[0] == stats - no_site and high[1] == 0 and high[2] <= 200


def test_a_cluster_carries_the_commonest_value_of_each_colouring(crowded):
    """Under 按进度 a cluster is coloured by health: each cluster carries the most common
    status and health of its cell (ties: the first in order), computed here in Python from
    direct SQL and the textbook tile formula."""
    client, engine = crowded
    with engine.connect() as conn:
        found = sites(conn)
        classes = dict(conn.execute(sa.text(
            "SELECT code, status || ' ' || health FROM battle_projects WHERE deleted_at IS NULL")).all())  # fmt: skip
    z = 8
    x, y = busiest_tile(found, z)
    cell = 4096 * 64 / 256  # cluster_pixels 64 of a 256-pixel tile, in grid units
    expected: dict[tuple[int, int], list[str]] = {}
    for code, (lon, lat, _) in found.items():
        if tile_of(lon, lat, z) == (x, y):
            gx, gy = in_tile(lon, lat, z, x, y)
            expected.setdefault((int(gx // cell), int(gy // cell)), []).append(classes[code])
    got = {}
    for f in decode(client.get(tile_url(z, x, y)).get_data()):
        assert f["properties"]["cluster"]
        gx, gy = f["geometry"]["coordinates"]
        p = f["properties"]
        got[(int(gx // cell), int(gy // cell))] = (p["count"], p["status"], p["health"])
    assert len(got) == len(expected) > 1
    for key, members in expected.items():
        for i, name in enumerate(("status", "health")):
            values = [m.split()[i] for m in members]
            commonest = min(set(values), key=lambda v: (-values.count(v), v))
            assert got[key][0] == len(members) and got[key][1 + i] == commonest, (key, name)
