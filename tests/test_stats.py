"""/stats: the same filters and WHERE clause as the feed, figures checked in SQL."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

CASES = [
    ("", "TRUE"),
    ("county=511621", "county = '511621'"),
    ("status=under_construction,completed", "status IN ('under_construction', 'completed')"),
    ("working_group=transport&county=511602,511603", "working_group = 'transport' AND county IN ('511602', '511603')"),
    ("county=511681&status=suspended&working_group=energy",
     "county = '511681' AND status = 'suspended' AND working_group = 'energy'"),
]  # fmt: skip


@pytest.mark.parametrize(("query", "where"), CASES)
def test_stats_match_sql_and_feed(client, demo_engine, query, where):
    body = client.get(f"/stats?{query}").get_json()
    with demo_engine.connect() as conn:
        count, total, plan, typed, done, pending = conn.execute(
            sa.text(
                "SELECT count(*), coalesce(sum(total_investment), 0), coalesce(sum(annual_plan), 0),"
                " coalesce(sum(completed_this_year), 0),"
                " (SELECT coalesce(sum(r.amount), 0) FROM investment_reports r"
                "  JOIN projects q ON q.id = r.project_id WHERE r.review = 'approved'"
                "  AND q.deleted_at IS NULL AND r.month >= date_trunc('year', mapserver_today())"
                f"  AND r.month <= mapserver_today() AND q.id IN (SELECT id FROM projects WHERE {where})),"
                " (SELECT coalesce(sum(r.amount), 0) FROM investment_reports r"
                "  JOIN projects q ON q.id = r.project_id WHERE r.review = 'submitted'"
                f"  AND q.deleted_at IS NULL AND q.id IN (SELECT id FROM projects WHERE {where}))"
                f" FROM projects WHERE {where}"
            )
        ).one()
        by_county = dict(
            conn.execute(
                sa.text(f"SELECT county, count(*) FROM projects WHERE {where} GROUP BY 1")
            ).all()
        )
    assert body["count"] == count
    assert body["sums"]["total_investment"] == pytest.approx(float(total), abs=0.01)
    assert body["sums"]["annual_plan"] == pytest.approx(float(plan), abs=0.01)
    assert body["sums"]["completed_this_year"] == pytest.approx(float(typed), abs=0.01)
    # Approved monthly reports only; what awaits review apart (issue #11).
    assert body["sums"]["year_to_date"] == pytest.approx(float(done), abs=0.01)
    assert body["sums"]["pending_investment"] == pytest.approx(float(pending), abs=0.01)
    if plan:
        assert body["completion_rate"] == pytest.approx(float(done) / float(plan), abs=1e-4)
    counties = {g["code"]: g["count"] for g in body["groups"]["county"]}
    assert len(counties) == 6
    assert {k: v for k, v in counties.items() if v} == by_county
    for name in ("status", "working_group"):
        assert sum(g["count"] for g in body["groups"][name]) == count
    feed = json.loads(client.get(f"/layers/projects.geojson?{query}").get_data())
    assert feed["numberReturned"] == count


def test_labels_and_order(client):
    body = client.get("/stats").get_json()
    assert [g["label"] for g in body["groups"]["status"]] == [
        "储备",
        "前期",
        "在建",
        "竣工",
        "停缓建",
    ]
    assert body["groups"]["county"][0] == {
        **body["groups"]["county"][0],
        "code": "511602",
        "label": "广安区",
    }
    assert body["version"] >= 100


def test_empty_selection(client):
    """A filter nothing matches: zero everywhere, no rate (not 0 %), every group still listed."""
    body = client.get("/stats", query_string={"filter": "name = '无此项目 no such project'"})
    body = body.get_json()
    assert body["count"] == 0 and body["completion_rate"] is None
    assert set(body["sums"].values()) == {0}
    for key, groups in body["groups"].items():
        assert groups, key
        assert all(set(g.values()) - {g["code"], g["label"]} == {0} for g in groups), key
