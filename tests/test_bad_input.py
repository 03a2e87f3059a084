"""Every bad request gets a 4xx problem+json naming what was wrong; never a 500."""

from __future__ import annotations

import pytest

FEED = "/layers/projects.geojson"
CASES = [
    # (query, status, parameter, words the detail must contain)
    ("colour=red", 400, "colour", "unknown parameter"),
    ("county=999999", 400, "county", "999999"),
    ("status=building", 400, "status", "building"),
    ("working_group=transport,nope", 400, "working_group", "nope"),
    ("county=", 400, "county", "empty"),
    ("county=511621,,511622", 400, "county", "empty"),
    ("bbox=1,2,3", 400, "bbox", "four numbers"),
    ("bbox=a,b,c,d", 400, "bbox", "four numbers"),
    ("bbox=106,30,nan,31", 400, "bbox", "four numbers"),
    ("bbox=106,30,inf,31", 400, "bbox", "four numbers"),
    ("bbox=107,30,106,31", 400, "bbox", "inverted"),
    ("bbox=106,31,107,30", 400, "bbox", "inverted"),
    ("bbox=106,30,200,31", 400, "bbox", "outside"),
    ("limit=abc", 400, "limit", "whole number"),
    ("limit=-1", 400, "limit", "whole number"),
    ("limit=0", 400, "limit", "≥ 1"),
    ("limit=1.5", 400, "limit", "whole number"),
    ("limit=10001", 400, "limit", "maximum"),
    ("limit=99999999999999999999", 400, "limit", "whole number"),
    ("offset=-5", 400, "offset", "whole number"),
    ("offset=x", 400, "offset", "whole number"),
    ("limit=5&limit=6", 400, "limit", "2 times"),
    ("count=maybe", 400, "count", "true or false"),
    ("county=%00", 400, "county", "unknown code"),
    ("status='%20OR%201=1--", 400, "status", "unknown code"),
    ("properties=name,password_hash", 400, "properties", "unknown property"),
    ("properties=-name", 400, "properties", "plain names only"),
    ("labels=maybe", 400, "labels", "true or false"),
    ('properties=name"%20FROM%20users--', 400, "properties", "unknown property"),
]


@pytest.mark.parametrize(("query", "status", "parameter", "words"), CASES)
def test_bad_feed_parameters(client, query, status, parameter, words):
    response = client.get(f"{FEED}?{query}")
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status
    assert body["parameter"] == parameter
    assert words in body["detail"]


def test_unknown_code_lists_allowed_values(client):
    body = client.get(f"{FEED}?county=1").get_json()
    assert {"code": "511621", "label": "岳池县"} in body["allowed"]


def test_unknown_parameter_lists_allowed(client):
    body = client.get(f"{FEED}?foo=1").get_json()
    assert set(body["allowed"]) >= {"working_group", "status", "county", "bbox", "limit", "offset"}


@pytest.mark.parametrize(
    "url", ["/layers/nope.geojson", "/layers/nope", "/layers/__class__.geojson", "/nothing-here"]
)
def test_not_found(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_wrong_method(client):
    response = client.post(FEED)
    assert response.status_code == 405
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    "url",
    ["/stats?county=x", "/stats?limit=5", "/events?since=abc", "/events?since=-1", "/events?x=1"],
)
def test_bad_stats_and_events_parameters(client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["parameter"]
