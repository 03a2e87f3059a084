"""The red/black list over HTTP: computed live, published once, frozen afterwards
(the database refuses to change a published list, whoever asks)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from mapserver.store.db import make_engine
from tests.battle import OWN, auth, battle_env, past_periods


@pytest.fixture
def env(fresh_url):
    with battle_env(fresh_url) as e:
        yield e


def test_live_lists_cover_every_county(client, demo_engine):
    name, start, end = past_periods(demo_engine)["last_quarter"]
    body = client.get(f"/battle/ranking?period={name}").get_json()
    assert (body["kind"], body["start"], body["end"], body["published"]) == (
        "quarter", start, end, False
    )  # fmt: skip
    county = body["tracks"]["county"]
    keys = [e["key"] for e in county["ranked"]] + [u["key"] for u in county["no_data"]]
    assert sorted(keys) == ["511602", "511603", "511621", "511622", "511623", "511681"]
    assert [e["rank"] for e in county["ranked"]] == list(range(1, len(county["ranked"]) + 1))
    scores = [e["score"] for e in county["ranked"]]
    assert scores == sorted(scores, reverse=True)
    assert len(county["red"]) == 2 and len(county["black"]) == 2
    assert not set(county["red"]) & set(county["black"])
    unit = body["tracks"]["unit"]
    assert len(unit["red"]) == 5 and len(unit["black"]) == 5


def test_one_track_and_bad_requests(client, demo_engine):
    month = past_periods(demo_engine)["last_month"][0]
    tracks = client.get(f"/battle/ranking?period={month}&track=unit").get_json()["tracks"]
    assert set(tracks) == {"unit"}
    for query, parameter in [("period=2026-13", "period"), ("period=2026", "period"),
                             (f"period={month}&track=town", "track"), ("top=3", "top")]:  # fmt: skip
        response = client.get(f"/battle/ranking?{query}")
        assert response.status_code == 400 and response.get_json()["parameter"] == parameter
    assert client.get("/battle/ranking?period=2999-01").status_code == 422
    assert client.get("/battle/ranking/2026-01").status_code == 404
    assert client.get("/battle/ranking").get_json()["period"]  # this month by default


def test_a_published_list_never_changes(env):
    client, engine, tokens, _ = env
    month = past_periods(engine)["last_month"][0]
    published = client.post(f"/battle/ranking/{month}/publish", headers=auth(tokens["dispatcher"]))
    assert published.status_code == 201, published.get_json()
    frozen = published.get_json()
    assert frozen["published"] is True and frozen["published_by"] == "u_dispatcher"
    assert frozen["tracks"] == client.get(f"/battle/ranking?period={month}").get_json()["tracks"]
    # The data changes afterwards: every problem resolved, a call-out answered, investment added.
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE problems SET status = 'resolved', resolved_on = raised_on"))
        conn.execute(sa.text("UPDATE investment_reports SET amount = amount * 3"))
        conn.execute(sa.text("UPDATE callouts SET status = 'responded', response = 'x',"
                             " responded_on = issued_on WHERE status = 'issued'"))  # fmt: skip
    live = client.get(f"/battle/ranking?period={month}").get_json()
    assert live["tracks"] != frozen["tracks"]
    assert client.get(f"/battle/ranking/{month}").get_json() == frozen
    again = client.post(f"/battle/ranking/{month}/publish", headers=auth(tokens["admin"]))
    assert again.status_code == 409
    listed = client.get("/battle/ranking/periods").get_json()["periods"]
    assert [(p["period"], p["published_by"]) for p in listed] == [(month, "u_dispatcher")]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ranking_periods SET snapshot = '{}'",
        "UPDATE ranking_periods SET published_by = 'someone else'",
        "DELETE FROM ranking_periods",
        "TRUNCATE ranking_periods",
    ],
)
def test_the_database_refuses_to_change_a_published_list(env, statement):
    """Even the owner (the test connects as a superuser) cannot change one."""
    client, engine, tokens, _ = env
    month = past_periods(engine)["month_before"][0]
    client.post(f"/battle/ranking/{month}/publish", headers=auth(tokens["admin"]))
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(sa.text(statement))
    assert client.get(f"/battle/ranking/{month}").get_json()["published_by"] == "u_admin"


def test_rules_in_force(client):
    body = client.get("/battle/rules").get_json()
    assert body["health"]["lagging_days"] == 1 and body["health"]["seriously_lagging_points"] == 25
    assert body["ranking"]["weights"] == {
        "investment": 40,
        "punctuality": 30,
        "problems": 15,
        "callouts": 15,
    }
    assert body["ranking"]["tracks"]["county"] == {"top_n": 2, "bottom_n": 2}


def test_a_rehearsal_day(fresh_url, make_app):
    """``mapserver.today`` (for rehearsals and tests) moves every derived figure to that day."""
    engine = make_engine(fresh_url, 1)
    with engine.connect() as conn:
        name = conn.execute(sa.text("SELECT current_database()")).scalar_one()
        conn.execute(sa.text(f"ALTER DATABASE \"{name}\" SET mapserver.today = '2026-07-15'"))
        conn.commit()
    engine.dispose()
    app = make_app(database_url=fresh_url)
    client = app.test_client()
    body = client.get("/battle/ranking").get_json()
    assert (body["period"], body["as_of"], body["final"]) == ("2026-07", "2026-07-15", False)
    url = "/battle/milestones?project=" + OWN
    for item in client.get(url).get_json()["items"]:
        assert item["overdue"] == (
            item["actual_date"] is None and item["planned_date"] < "2026-07-15"
        )
