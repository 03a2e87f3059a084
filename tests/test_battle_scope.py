"""Battle lists narrowed to the projects of a filter (``project.<filter>=``) and the most
urgent first (``sort=urgent``): what the big screen asks in tile mode (docs/tiles.md).
Expected lists from direct SQL on the demo data."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

PROBLEM_OVERDUE = "r.review IS DISTINCT FROM 'approved' AND r.due_date < mapserver_today()"
CALLOUT_OVERDUE = "r.status = 'issued' AND r.deadline < mapserver_today()"


def expected(engine, table: str, overdue: str, due: str, where: str, params: dict) -> list[int]:
    """Record ids of live projects matching ``where`` (alias p: battle_projects), urgent first."""
    sql = (
        f"SELECT r.id FROM {table} r JOIN battle_projects p ON p.id = r.project_id"
        f" WHERE p.deleted_at IS NULL AND {where}"
        f" ORDER BY coalesce(({overdue}), false) DESC, r.{due} NULLS LAST, r.id"
    )
    with engine.connect() as conn:
        return [row[0] for row in conn.execute(sa.text(sql), params)]


CASES = [
    ("project.status=under_construction", "p.status = 'under_construction'"),
    ("project.health=lagging,seriously_lagging&project.status=under_construction,preparing",
     "p.health IN ('lagging', 'seriously_lagging') AND p.status IN ('under_construction', 'preparing')"),
    ("project.overdue=false&county=511621,511623",
     "NOT p.overdue AND p.county IN ('511621', '511623')"),
]  # fmt: skip


@pytest.mark.parametrize(("query", "where"), CASES)
def test_open_problems_of_a_filter_urgent_first(client, demo_engine, query, where):
    ids = expected(demo_engine, "problems", PROBLEM_OVERDUE, "due_date",
                   f"r.status = 'open' AND {where}", {})  # fmt: skip
    body = client.get(f"/battle/problems?status=open&sort=urgent&limit=2&{query}").get_json()
    assert ids and [p["id"] for p in body["items"]] == ids[:2]
    assert body["numberMatched"] == len(ids)
    overdue = client.get(f"/battle/problems?status=open&overdue=true&limit=1&{query}").get_json()
    flags = expected(demo_engine, "problems", PROBLEM_OVERDUE, "due_date",
                     f"r.status = 'open' AND ({PROBLEM_OVERDUE}) AND {where}", {})  # fmt: skip
    assert overdue["numberMatched"] == len(flags)


@pytest.mark.parametrize(("query", "where"), CASES)
def test_open_callouts_of_a_filter_urgent_first(client, demo_engine, query, where):
    ids = expected(demo_engine, "callouts", CALLOUT_OVERDUE, "deadline",
                   f"r.status IN ('issued', 'responded') AND {where}", {})  # fmt: skip
    url = f"/battle/callouts?status=issued,responded&sort=urgent&limit=2&{query}"
    body = client.get(url).get_json()
    assert ids and [c["id"] for c in body["items"]] == ids[:2]
    assert body["numberMatched"] == len(ids)


def test_the_ranking_keeps_the_counties_and_units_of_a_filter(client, demo_engine):
    whole = client.get("/battle/ranking").get_json()
    query = "project.working_group=transport&project.status=under_construction"
    narrow = client.get(f"/battle/ranking?{query}").get_json()
    with demo_engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT DISTINCT county, owner_unit FROM battle_projects WHERE deleted_at IS NULL"
            " AND working_group = 'transport' AND status = 'under_construction'")).all()  # fmt: skip
    keys = {"county": {r[0] for r in rows}, "unit": {r[1] for r in rows}}
    for track in ("county", "unit"):
        kept = [e for e in whole["tracks"][track]["ranked"] if e["key"] in keys[track]]
        assert narrow["tracks"][track]["ranked"] == kept
        assert 0 < len(kept) < len(whole["tracks"][track]["ranked"]) or track == "county"
        assert set(narrow["tracks"][track]["red"]) <= keys[track]
    assert narrow["period"] == whole["period"]


BAD = [
    ("/battle/problems?project.name=x", "project.name"),
    ("/battle/problems?project.status=built", "project.status"),
    ("/battle/problems?project.health=", "project.health"),
    ("/battle/problems?sort=oldest", "sort"),
    ("/battle/problems?sort=urgent&sort=urgent", "sort"),
    ("/battle/investment?sort=urgent", "sort"),
    ("/battle/callouts?project.overdue=maybe", "project.overdue"),
    ("/battle/ranking?project.county=999999", "project.county"),
    ("/battle/ranking?project.leader=x", "project.leader"),
    ("/battle/ranking/2026-01?project.status=x", "project.status"),
    ("/battle/ranking/2026-01?county=511602", "county"),
]


@pytest.mark.parametrize(("url", "parameter"), BAD)
def test_bad_scope_or_sort_is_a_problem_naming_the_parameter(client, url, parameter):
    response = client.get(url)
    assert response.status_code == 400, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["parameter"] == parameter
