"""GET /edit: who gets the editor page, and what it carries inline for the form."""

from __future__ import annotations

import json
import re

import pytest

from mapserver import attributes, users
from mapserver.db import make_engine


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
    client = own_app.test_client()
    token = client.get("/login", headers={"Accept": "application/json"}).get_json()["csrf_token"]
    body = {"username": "page_t", "password": password}
    assert client.post("/login", json=body, headers={"X-CSRFToken": token}).status_code == 200

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
