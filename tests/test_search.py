"""``q``: a project by a part of its code or name, on the feed and the OGC items, checked
against SQL written here (``strpos``, no LIKE), with LIKE's own characters taken literally."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
import sqlalchemy as sa

FEED = "/layers/projects.geojson"
ITEMS = "/ogc/collections/projects/items"
# The literal names a fresh database gets, for the wildcard tests.
ODD = {"百分之%工程": "%", "下划线_工程": "_", "反斜杠\\工程": "\\", "引号\"'工程": "'"}


def expected(engine, text: str, where: str = "TRUE", **params) -> list[str]:
    sql = (
        "SELECT code FROM projects WHERE deleted_at IS NULL AND "
        "(strpos(lower(code), lower(:text)) > 0 OR strpos(lower(name), lower(:text)) > 0)"
        f" AND {where} ORDER BY id"
    )
    with engine.connect() as conn:
        return list(conn.execute(sa.text(sql), {"text": text, **params}).scalars())


def codes(client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    return [f["id"] for f in json.loads(response.get_data())["features"]]


def problem(client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return response.get_json()


def a_name_part(engine) -> str:
    with engine.connect() as conn:
        name = conn.execute(sa.text("SELECT name FROM projects ORDER BY id LIMIT 1")).scalar_one()
    return name[1:3]


@pytest.mark.parametrize("path", [FEED, ITEMS])
def test_name_part_equals_sql(client, demo_engine, path):
    part = a_name_part(demo_engine)
    want = expected(demo_engine, part)
    assert want
    assert codes(client, f"{path}?q={quote(part)}&limit=10000") == want


@pytest.mark.parametrize("text", ["GA-2024", "ga-2025-00", "2026-003", "-0"])
def test_code_part_ignores_case(client, demo_engine, text):
    want = expected(demo_engine, text)
    assert want
    assert codes(client, f"{FEED}?q={quote(text)}&limit=10000") == want


def test_with_filters_and_limit(client, demo_engine):
    want = expected(demo_engine, "GA-", "county = :c", c="511621")
    assert len(want) > 2
    got = codes(client, f"{ITEMS}?q=GA-&county=511621&limit=2")
    assert got == want[:2]


def test_trimmed(client, demo_engine):
    assert codes(client, f"{FEED}?q=%20GA-2024%20&limit=10000") == expected(demo_engine, "GA-2024")


def test_like_characters_are_literal(fresh_url, make_app):
    from mapserver.store.db import make_engine

    engine = make_engine(fresh_url, 1)
    with engine.begin() as conn:
        ids = conn.execute(sa.text("SELECT id FROM projects ORDER BY id LIMIT :n"), {"n": len(ODD)})
        for row_id, name in zip(ids.scalars().all(), ODD):
            conn.execute(sa.text("UPDATE projects SET name = :n WHERE id = :i"),
                         {"n": name, "i": row_id})  # fmt: skip
    c = make_app(database_url=fresh_url).test_client()
    for name, char in ODD.items():
        for text in (char, f"{char}工程", name):
            got = codes(c, f"{FEED}?q={quote(text)}&limit=10000")
            assert got == expected(engine, text), text
            assert len(got) == 1, text
    assert codes(c, f"{FEED}?q={quote('%%')}") == []
    assert codes(c, f"{FEED}?q={quote('<script>')}") == []
    engine.dispose()


@pytest.mark.parametrize(
    ("value", "words"),
    [("", "empty"), ("%20%20", "empty"), ("x" * 101, "at most 100"), ("a%00b", "control"),
     ("a%0Ab", "control")],
)  # fmt: skip
@pytest.mark.parametrize("path", [FEED, ITEMS])
def test_bad_values_name_the_parameter(client, path, value, words):
    body = problem(client, f"{path}?q={value}")
    assert body["parameter"] == "q"
    assert words in body["detail"]


def test_given_twice(client):
    assert problem(client, f"{FEED}?q=a&q=b")["parameter"] == "q"


def test_longest_allowed(client):
    assert codes(client, f"{FEED}?q={'x' * 100}") == []


def test_other_layers_search_their_id(client, demo_engine):
    with demo_engine.connect() as conn:
        want = conn.execute(sa.text("SELECT adcode FROM counties WHERE adcode LIKE '%162%' "
                                    "ORDER BY adcode")).scalars().all()  # fmt: skip
    got = codes(client, "/layers/counties.geojson?q=162")
    assert sorted(got) == want and want


def test_etag_depends_on_q(client):
    tags = []
    for text in ("GA-2024", "GA-2025"):
        response = client.get(f"{FEED}?q={text}")
        response.get_data()  # the stream read to its end, and closed
        tags.append(response.headers["ETag"])
    assert tags[0] != tags[1]


def test_openapi_lists_q(client):
    doc = client.get("/ogc/api?f=json").get_json()
    params = doc["paths"]["/collections/projects/items"]["get"]["parameters"]
    q = next(p for p in params if p.get("name") == "q")
    assert q["schema"]["maxLength"] == 100 and "\\u0000" in q["schema"]["pattern"]
    assert "name" in q["description"]
