"""The offline basemap: MBTiles and PMTiles files made here (GDAL from a synthetic raster
over Guang'an; PMTiles by tests/basemap_files.py), served at /basemap with the file's own
bytes, the TMS row flipped, caching headers, and problems for bad input; bad files stop
the server at startup; Tianditu and the switcher's choices reach the page config and CSP."""

from __future__ import annotations

import gzip
import math
import shutil
import sqlite3
from pathlib import Path
from urllib.parse import quote

import mapbox_vector_tile
import pytest

from mapserver.basemap.pmtiles import tile_id
from mapserver.basemap.sources import open_basemaps, page_choices, parse_setting
from mapserver.errors import ConfigError
from tests import apps, basemap_files

pytestmark = pytest.mark.gdal  # gdal_translate makes the MBTiles

VECTOR, IMAGERY = "矢量", "影像"


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("basemap")
    city = basemap_files.make_mbtiles(folder / "city.mbtiles")
    tiles, meta = basemap_files.mbtiles_tiles(city)
    basemap_files.write(folder / "img.pmtiles", tiles, meta)
    basemap_files.write(folder / "leaf.pmtiles", tiles, meta, leaf=True)
    return {"city": city, "img": folder / "img.pmtiles", "leaf": folder / "leaf.pmtiles"}


@pytest.fixture(scope="module")
def basemap_app(demo_url, files):
    setting = f"{VECTOR}={files['city']};{IMAGERY}={files['img']};{files['leaf']}"
    with apps.built(database_url=demo_url, basemap=setting, tianditu_key="K3Y") as app:
        yield app


@pytest.fixture
def web(basemap_app):
    return basemap_app.test_client()


def stored_tiles(path: Path) -> dict[tuple[int, int, int], bytes]:
    """The file's rows as (z, column, TMS row) → bytes, read with sqlite3 directly."""
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles")
        return {(z, x, row): bytes(data) for z, x, row, data in rows}


def xyz_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The XYZ (slippy map) tile holding lon/lat: row 0 at the north."""
    n = 1 << z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def url(name: str, z: int, x: int, y: int) -> str:
    return f"/basemap/{quote(name)}/{z}/{x}/{y}"


def test_tile_ids_follow_the_spec():
    """The values published with the PMTiles v3 spec."""
    assert [tile_id(0, 0, 0), tile_id(1, 0, 0), tile_id(1, 0, 1), tile_id(1, 1, 1)] == [0, 1, 2, 3]
    assert [tile_id(1, 1, 0), tile_id(2, 0, 0), tile_id(12, 3423, 1763)] == [4, 5, 19078479]


def test_the_listing_names_each_file_with_its_metadata(web, files):
    listing = web.get("/basemap").get_json()["basemaps"]
    assert [b["name"] for b in listing] == [VECTOR, IMAGERY, "leaf"]
    with sqlite3.connect(files["city"]) as db:
        meta = dict(db.execute("SELECT name, value FROM metadata"))
    for entry in listing:
        assert entry["format"] == "png"
        bounds = [float(v) for v in meta["bounds"].split(",")]
        assert entry["bounds"] == pytest.approx(bounds, abs=1e-6)
        assert (entry["minzoom"], entry["maxzoom"]) == (int(meta["minzoom"]), int(meta["maxzoom"]))
    assert [b["container"] for b in listing] == ["mbtiles", "pmtiles", "pmtiles"]


@pytest.mark.parametrize("name", [VECTOR, IMAGERY, "leaf"])
def test_every_tile_is_the_files_bytes_with_the_row_flipped(web, files, name):
    stored = stored_tiles(files["city"])
    assert len(stored) >= 6
    for (z, x, row), data in stored.items():
        response = web.get(url(name, z, x, (1 << z) - 1 - row))
        assert response.status_code == 200 and response.mimetype == "image/png"
        assert response.data == data


def test_the_tile_over_guang_an_is_where_the_map_asks(web, files):
    stored = stored_tiles(files["city"])
    z = max(z for z, _, _ in stored)
    x, y = xyz_of(106.65, 30.5, z)
    assert web.get(url(VECTOR, z, x, y)).data == stored[(z, x, (1 << z) - 1 - y)]
    assert web.get(f"/basemap/{z}/{x}/{y}").data == stored[(z, x, (1 << z) - 1 - y)]
    assert web.get(url(VECTOR, z, x, (1 << z) - 1 - y)).status_code == 204  # unflipped: nothing


def test_caching_headers_and_revalidation(web):
    tiles = web.get("/basemap").get_json()["basemaps"][0]["tiles"]
    z, x, y = 11, *xyz_of(106.65, 30.5, 11)
    versioned = web.get(tiles.format(z=z, x=x, y=y))
    assert versioned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    plain = web.get(url(VECTOR, z, x, y))
    assert plain.headers["Cache-Control"] == "public, max-age=86400"
    etag = plain.headers["ETag"]
    assert etag == versioned.headers["ETag"]
    again = web.get(url(VECTOR, z, x, y), headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert web.get(url(IMAGERY, z, x, y)).headers["ETag"] == etag  # same bytes, same tag


def test_a_missing_tile_is_no_content(web):
    response = web.get(url(VECTOR, 3, 0, 0))
    assert response.status_code == 204 and response.data == b""
    assert "max-age" in response.headers["Cache-Control"]


@pytest.mark.parametrize(
    ("path", "parameter"),
    [("5/a/1", "x"), ("5/1/-1", "y"), ("25/0/0", "z"), ("3/8/0", "x"), ("3/0/8", "y"),
     ("1.5/0/0", "z"), ("3/0/99999999999", "y")],
)  # fmt: skip
def test_a_bad_address_is_a_400_naming_it(web, path, parameter):
    response = web.get(f"/basemap/{quote(VECTOR)}/{path}")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["parameter"] == parameter


def test_an_unknown_basemap_is_a_404(web, client):
    response = web.get("/basemap/nosuch/1/0/0")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    assert client.get("/basemap/1/0/0").status_code == 404  # none configured
    assert client.get("/basemap").get_json() == {"basemaps": []}


def test_the_page_offers_files_then_tianditu(web):
    choices = web.get("/config").get_json()["basemaps"]
    assert [c["name"] for c in choices] == [VECTOR, IMAGERY, "leaf", "天地图矢量", "天地图影像"]
    assert choices[0]["layers"][0]["url"].startswith(f"/basemap/{VECTOR}/{{z}}/{{x}}/{{y}}?v=")
    vector, imagery = ([layer["url"] for layer in c["layers"]] for c in choices[3:])
    assert ["/vec_w/" in vector[0], "/cva_w/" in vector[1]] == [True, True]
    assert ["/img_w/" in imagery[0], "/cia_w/" in imagery[1]] == [True, True]
    assert all("tk=K3Y" in u and u.startswith("https://t{s}.tianditu.gov.cn/") for u in vector)


def test_tianditu_hosts_are_allowed_only_when_configured(web, client):
    with_key = web.get("/basemap").headers["Content-Security-Policy"]
    assert all(f"https://t{i}.tianditu.gov.cn" in with_key for i in range(8))
    assert "tianditu" not in client.get("/basemap").headers["Content-Security-Policy"]
    assert client.get("/config").get_json()["basemaps"] == []


def test_vector_tiles_are_served_gzipped_and_offered_to_the_pages_as_vector(
    tmp_path, demo_url, make_app
):
    """A vector MBTiles built as the README says (ogr2ogr): its tiles keep their gzip and
    their OpenMapTiles layer names; the switcher offers it with ``vector`` set."""
    path = basemap_files.make_vector_mbtiles(tmp_path / "roads.mbtiles", maxzoom=12)
    basemaps = open_basemaps(f"roads={path}")
    assert basemaps["roads"].gzipped and basemaps["roads"].tile_format == "pbf"
    [choice] = page_choices(basemaps, None, None, "")
    [layer] = choice["layers"]
    assert choice["name"] == "roads" and layer["vector"] is True
    assert (layer["minNativeZoom"], layer["maxNativeZoom"]) == (5, 12)
    assert layer["url"].startswith("/basemap/roads/{z}/{x}/{y}?v=")
    x, y = xyz_of(106.65, 30.5, 10)
    with sqlite3.connect(path) as db:
        (stored,) = db.execute(
            "SELECT tile_data FROM tiles WHERE zoom_level = 10 AND tile_column = ? AND tile_row = ?",
            (x, (1 << 10) - 1 - y),
        ).fetchone()
    app = make_app(database_url=demo_url, basemap=f"roads={path}")
    response = app.test_client().get(f"/basemap/roads/10/{x}/{y}")
    assert response.mimetype == "application/vnd.mapbox-vector-tile"
    assert response.headers["Content-Encoding"] == "gzip" and response.data == stored
    layers = mapbox_vector_tile.decode(gzip.decompress(response.data))
    assert {"landcover", "transportation", "building", "place"} <= set(layers)


def corrupt(files, tmp_path, name: str, edit) -> Path:
    path = tmp_path / name
    shutil.copy(files["city"], path)
    with sqlite3.connect(path) as db:
        db.execute(edit)
    return path


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda f, t: t / "gone.mbtiles", "no such file"),
        (lambda f, t: f["city"].with_suffix(".tif"), "unknown format"),
        (lambda f, t: corrupt(f, t, "bad.mbtiles", "UPDATE metadata SET value='tiff' WHERE name='format'"), "format"),
        (lambda f, t: corrupt(f, t, "empty.mbtiles", "DELETE FROM tiles"), "no tiles"),
        (lambda f, t: corrupt(f, t, "nb.mbtiles", "UPDATE metadata SET value='1,2' WHERE name='bounds'"), "bounds"),
        (lambda f, t: shutil.copy(f["img"], t / "x.mbtiles") and t / "x.mbtiles", "not an MBTiles"),
        (lambda f, t: shutil.copy(f["city"], t / "x.pmtiles") and t / "x.pmtiles", "not a PMTiles"),
    ],
    ids=["missing", "extension", "format", "empty", "bounds", "not-sqlite", "not-pmtiles"],
)  # fmt: skip
def test_a_bad_file_stops_the_server_naming_it(files, tmp_path, demo_url, make, says, make_app):
    path = make(files, tmp_path)
    with pytest.raises(ConfigError) as error:
        make_app(database_url=demo_url, basemap=f"底图={path}")
    assert "MAPSERVER_BASEMAP" in str(error.value) and str(path) in str(error.value)
    assert says in str(error.value)


def test_the_setting_syntax():
    assert parse_setting(" 矢量=/a/city.mbtiles ; /b/img.pmtiles;") == [
        ("矢量", Path("/a/city.mbtiles")),
        ("img", Path("/b/img.pmtiles")),
    ]
    for bad in ("a=/x.mbtiles;a=/y.mbtiles", "a b=/x.mbtiles", "x/y=/z.mbtiles"):
        with pytest.raises(ConfigError, match="MAPSERVER_BASEMAP"):
            parse_setting(bad)
