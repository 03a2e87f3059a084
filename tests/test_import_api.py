"""``POST /import`` over HTTP: a preview of the file's sites, never a write."""

from __future__ import annotations

import io

import pytest

from tests.projects import snapshot


@pytest.fixture
def env(write_env):
    return write_env


KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>厂区</name>
<Polygon><outerBoundaryIs><LinearRing><coordinates>
106.65,30.59 106.67,30.59 106.67,30.61 106.65,30.61 106.65,30.59
</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark></Document></kml>"""


def upload(client, token, name, data, **form):
    files = {"file": (io.BytesIO(data), name), **form}
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post("/import", data=files, headers=headers, content_type="multipart/form-data")


def test_kml_preview_in_crs84_with_area_and_nothing_saved(env):
    client, engine, tokens = env
    before = snapshot(engine, "none")
    response = upload(client, tokens["county_editor"], "site.kml", KML.encode())
    assert response.status_code == 200, response.get_json()
    doc = response.get_json()
    assert doc["format"] == "KML" and doc["source_crs"]["crs"] in ("CRS84", "EPSG:4326")
    [feature] = doc["features"]
    assert feature["properties"]["name"] == "厂区"
    assert feature["properties"]["area_ha"] == pytest.approx(425, abs=5)
    assert feature["geometry"]["type"] == "Polygon"
    assert snapshot(engine, "none") == before


@pytest.mark.parametrize(
    ("role", "name", "data", "status"),
    [
        ("anonymous", "site.kml", KML.encode(), 401),
        ("viewer", "site.kml", KML.encode(), 403),
        ("county_editor", "site.txt", b"hello", 400),
        ("county_editor", "site.kml", b"<kml", 422),
        ("county_editor", "site.kml", b"", 422),
    ],
)
def test_refusals_are_problems(env, role, name, data, status):
    client, _, tokens = env
    response = upload(client, tokens[role], name, data)
    assert response.status_code == status, response.get_json()
    assert response.mimetype == "application/problem+json"


def test_unknown_crs_is_a_bad_parameter(env):
    client, _, tokens = env
    response = upload(client, tokens["county_editor"], "site.kml", KML.encode(), crs="EPSG:99999")
    assert response.status_code == 400 and response.get_json()["parameter"] == "crs"
