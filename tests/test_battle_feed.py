"""Health and overdue as properties of the projects layer: the feed's filter equals
independent SQL and mapserver.battle.health over the raw records; /stats counts equal the feed."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest
import sqlalchemy as sa

from mapserver.battle import health
from mapserver.battle.health import Deadline, HealthRules, Report

# Written apart from the view, with the documented default thresholds (1/30 days, 10/25
# points) and another formulation (EXISTS, division in numeric).
BEHIND = """
p.annual_plan > 0 AND 100 * (extract(doy FROM d.today) / extract(doy FROM make_date(extract(year FROM d.today)::int, 12, 31))
  - (SELECT coalesce(sum(amount), 0) FROM investment_reports r WHERE r.project_id = p.id AND r.review = 'approved'
     AND extract(year FROM r.month) = extract(year FROM d.today) AND r.month <= d.today) / p.annual_plan) >= {points}
"""
LATE = """EXISTS (SELECT 1 FROM milestones m WHERE m.project_id = p.id AND m.actual_date IS NULL
  AND d.today - m.planned_date >= {days})"""
TRACKED = "p.status IN ('preparing', 'under_construction', 'suspended')"
SERIOUS = f"({LATE.format(days=30)} OR {BEHIND.format(points=25)})"
LAG = f"({LATE.format(days=1)} OR {BEHIND.format(points=10)})"
INDEPENDENT = {
    "seriously_lagging": f"{TRACKED} AND {SERIOUS}",
    "lagging": f"{TRACKED} AND NOT {SERIOUS} AND {LAG}",
    "on_track": f"{TRACKED} AND NOT {SERIOUS} AND NOT {LAG}",
    "not_tracked": f"NOT {TRACKED}",
}  # fmt: skip
OVERDUE = """(EXISTS (SELECT 1 FROM callouts c WHERE c.project_id = p.id AND c.status = 'issued'
  AND c.deadline < d.today) OR EXISTS (SELECT 1 FROM problems q WHERE q.project_id = p.id
  AND q.review IS DISTINCT FROM 'approved' AND q.due_date < d.today))"""


def codes(engine, where: str) -> list[str]:
    sql = (
        "SELECT p.code FROM projects p, (SELECT mapserver_today() AS today) d"
        f" WHERE p.deleted_at IS NULL AND {where} ORDER BY p.id"
    )
    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).scalars().all()


def feed(client, query: str) -> dict:
    return json.loads(client.get(f"/layers/projects.geojson?{query}").get_data())


@pytest.mark.parametrize("value", list(INDEPENDENT))
def test_health_filter_equals_independent_sql(client, demo_engine, value):
    body = feed(client, f"health={value}")
    assert [f["id"] for f in body["features"]] == codes(demo_engine, INDEPENDENT[value])
    assert all(f["properties"]["health"] == value for f in body["features"])
    assert all(f["properties"]["health_label"] == health.LABELS[value] for f in body["features"])


@pytest.mark.parametrize("value", ["true", "false"])
def test_overdue_filter_equals_independent_sql(client, demo_engine, value):
    where = OVERDUE if value == "true" else f"NOT {OVERDUE}"
    body = feed(client, f"overdue={value}")
    assert [f["id"] for f in body["features"]] == codes(demo_engine, where)


def test_filters_combine(client, demo_engine):
    body = feed(client, "health=lagging,seriously_lagging&county=511621,511623")
    where = f"({INDEPENDENT['lagging']} OR {INDEPENDENT['seriously_lagging']})"
    expected = codes(demo_engine, f"{where} AND p.county IN ('511621', '511623')")
    assert [f["id"] for f in body["features"]] == expected


def test_view_equals_the_python_rules_for_every_project(demo_engine):
    """The database's arithmetic and mapserver.battle.health agree exactly, project by project."""
    with demo_engine.connect() as conn:
        today = conn.execute(sa.text("SELECT mapserver_today()")).scalar_one()
        milestones, reports = defaultdict(list), defaultdict(list)
        for r in conn.execute(
            sa.text("SELECT project_id, planned_date, actual_date FROM milestones")
        ):
            milestones[r.project_id].append(Deadline(r.planned_date, r.actual_date))
        for r in conn.execute(
            sa.text(
                "SELECT project_id, month, amount FROM investment_reports WHERE review = 'approved'"
            )
        ):
            reports[r.project_id].append(Report(r.month, r.amount))
        rows = conn.execute(sa.text(
            "SELECT id, status, annual_plan, health, days_late, points_behind, year_to_date"
            " FROM battle_projects")).all()  # fmt: skip
    for row in rows:
        got = health.assess(
            row.status, row.annual_plan, milestones[row.id], reports[row.id], today, HealthRules()
        )
        assert (got.health, got.days_late, got.year_to_date) == (
            row.health,
            row.days_late,
            row.year_to_date,
        )
        if got.points_behind is not None:
            assert float(got.points_behind) == pytest.approx(float(row.points_behind), abs=0.006)


def test_the_demo_mix_is_interesting(client):
    counts = {g["code"]: g["count"] for g in client.get("/stats").get_json()["groups"]["health"]}
    tracked = counts["on_track"] + counts["lagging"] + counts["seriously_lagging"]
    assert counts["on_track"] > tracked / 2
    assert counts["lagging"] >= 10 and 3 <= counts["seriously_lagging"] <= counts["lagging"]
    assert feed(client, "overdue=true")["numberReturned"] >= 3


@pytest.mark.parametrize(
    "query",
    [
        "",
        "county=511602",
        "working_group=transport,energy",
        "status=under_construction",
        "overdue=true",
    ],
)
def test_stats_health_counts_equal_the_feed(client, query):
    stats = client.get(f"/stats?{query}").get_json()
    groups = {g["code"]: g["count"] for g in stats["groups"]["health"]}
    assert sum(groups.values()) == stats["count"]
    for value, count in groups.items():
        separator = "&" if query else ""
        assert feed(client, f"{query}{separator}health={value}")["numberReturned"] == count


def test_layer_describes_the_new_filters(client):
    layer = client.get("/layers/projects").get_json()
    filters = {f["name"]: f for f in layer["filters"]}
    assert [v["code"] for v in filters["health"]["values"]] == list(health.HEALTHS)
    assert {v["code"] for v in filters["overdue"]["values"]} == {"true", "false"}


def test_unknown_health_is_refused(client):
    response = client.get("/layers/projects.geojson?health=fine")
    assert response.status_code == 400 and response.get_json()["parameter"] == "health"
