"""Oversized and odd requests get the answer they deserve, also through a real gunicorn:
a chunked body over the limit is 413 (not a truncated body refused as invalid JSON), and an
item id with control characters is 404 for every method (issue #12 §6)."""

from __future__ import annotations

import pytest
import requests

from mapserver.accounts import credentials, users
from mapserver.store.db import make_engine
from tests.server import gunicorn

PATHS = ("/battle/milestones", "/ogc/collections/projects/items")


def chunks(count: int):
    """A JSON body in 10 kB chunks, sent without Content-Length."""
    yield b'{"a": "'
    for _ in range(count):
        yield b"x" * 10_000
    yield b'"}'


@pytest.fixture(scope="module")
def server(cluster, template_db):
    from tests.conftest import new_database

    url = new_database(cluster, template_db)
    engine = make_engine(url, 1)
    account, _ = users.create_user(engine, "chunky", "admin")
    token = credentials.issue_token(engine, account.id, "t")[1]
    engine.dispose()
    with gunicorn(url, workers=1, max_body_bytes="200000") as base:
        yield base, {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("path", PATHS)
def test_a_chunked_body_over_the_limit_is_413(server, path):
    base, headers = server
    r = requests.post(base + path, data=chunks(30), headers=headers, timeout=30)
    assert r.status_code == 413 and r.headers["Content-Type"] == "application/problem+json"
    assert r.json()["limit"] == 200000


@pytest.mark.parametrize("path", PATHS)
def test_a_chunked_body_within_the_limit_is_read_whole(server, path):
    base, headers = server
    r = requests.post(base + path, data=chunks(3), headers=headers, timeout=30)
    assert r.status_code in (400, 422)  # a complete body, refused for what it says
    assert "Invalid JSON" not in r.text and "JSON 格式错误" not in r.text


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_an_item_id_with_control_characters_is_not_found(client, method):
    r = client.open("/ogc/collections/projects/items/%0D%0Ax", method=method)
    assert r.status_code == 404 and r.mimetype == "application/problem+json"
