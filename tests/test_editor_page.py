"""GET /edit: who gets the editor page, and what it carries inline for the form."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from mapserver.accounts import users
from mapserver.editing import attributes
from mapserver.store.db import make_engine


def boot_of(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="boot">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))


@pytest.fixture
def own_app(fresh_url, make_app):
    """An app on a private database, since these tests add a user."""
    app = make_app(database_url=fresh_url)
    yield app


def test_without_login_the_editor_sends_to_the_login_page(client):
    response = client.get("/edit")
    assert response.status_code == 303
    assert response.headers["Location"] == "/login?next=/edit"


def test_the_page_carries_the_editable_fields_with_their_codes(own_app):
    owner = make_engine(own_app.extensions["mapserver"].settings.database_url, 1)
    _, password = users.create_user(owner, "page_t", "viewer")  # the owner's setup
    owner.dispose()
    client = login(own_app, "page_t", password)

    response = client.get("/edit")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-cache"
    boot = boot_of(response.get_data(as_text=True))
    fields = {f["name"]: f for f in boot["fields"]}
    assert list(fields) == list(attributes.FIELDS)
    assert fields["name"] == {
        "name": "name", "title": "项目名称", "kind": "text", "required": True, "max_length": 200,
    }  # fmt: skip
    assert [v["code"] for v in fields["level"]["values"]] == ["provincial", "municipal"]
    assert len(fields["county"]["values"]) == 6 and fields["total_investment"]["unit"] == "万元"
    assert {layer["id"] for layer in boot["layers"]} >= {"projects", "counties"}
    assert boot["roles"]["county_editor"] == "县区编辑"


def login(app, username: str, password: str):
    client = app.test_client()
    token = client.get("/login", headers={"Accept": "application/json"}).get_json()["csrf_token"]
    body = {"username": username, "password": password}
    assert client.post("/login", json=body, headers={"X-CSRFToken": token}).status_code == 200
    return client


@pytest.mark.parametrize("threshold", [None, 99, 100])
def test_tile_mode_above_the_threshold_preloads_only_the_own_county(
    fresh_url, make_app, tmp_path, threshold
):
    """The demo's 100 projects against a threshold: above it the page says tiled and
    preloads the county editor's county only, a city-wide user's projects not at all."""
    shutil.copytree(Path(__file__).resolve().parent.parent / "layers", tmp_path, dirs_exist_ok=True)
    if threshold is not None:
        with (tmp_path / "projects.yaml").open("a", encoding="utf-8") as f:
            f.write(f"\ntiles:\n  screen_threshold: {threshold}\n")
    owner = make_engine(fresh_url, 1)
    with owner.connect() as conn:
        total = conn.execute(
            sa.text("SELECT count(*) FROM projects WHERE deleted_at IS NULL")
        ).scalar()
    _, county_pw = users.create_user(owner, "tile_c", "county_editor", "511602")
    _, admin_pw = users.create_user(owner, "tile_a", "admin")
    owner.dispose()
    app = make_app(database_url=fresh_url, layers_dir=tmp_path)
    tiled = threshold is not None and total > threshold
    for name, password, county in (("tile_c", county_pw, "511602"), ("tile_a", admin_pw, None)):
        html = login(app, name, password).get("/edit").get_data(as_text=True)
        assert boot_of(html)["scope"] == {"tiled": tiled, "county": county if tiled else None}
        feeds = re.findall(r'<link rel="preload"[^>]*href="(/layers/projects[^"]*)"', html)
        if not tiled:
            assert feeds == ["/layers/projects.geojson?limit=10000"]
        elif county:
            assert feeds == [f"/layers/projects.geojson?county={county}&amp;limit=10000"]
        else:
            assert feeds == []
