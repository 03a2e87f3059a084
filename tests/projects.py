"""Projects the editing tests write: counties, codes, a site, a new project, a row snapshot."""

from __future__ import annotations

import sqlalchemy as sa

GUANG_AN = "511602"  # 广安区
YUECHI = "511621"  # 岳池县
OWN = "GA-2024-001"  # a line in 广安区
OTHER = "GA-2026-003"  # a polygon in 岳池县


SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[106.65, 30.59], [106.67, 30.59], [106.67, 30.61], [106.65, 30.61], [106.65, 30.59]]
    ],
}


def new_project(county=GUANG_AN, **overrides) -> dict:
    return {
        "name": "测试项目",
        "level": "municipal",
        "working_group": "transport",
        "county": county,
        "status": "preparing",
        "owner_unit": "广安区交通运输局",
        "total_investment": 1000,
        "annual_plan": 200,
        "completed_this_year": 50.5,
        "planned_start": "2026-01-01",
        "planned_end": "2027-12-31",
    } | overrides


def snapshot(engine, code: str):
    """Everything a write touches: the row, its history and the change log."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT to_jsonb(p) - 'updated_at' FROM projects p WHERE code = :c"),
            {"c": code},
        ).scalar()
        counts = conn.execute(
            sa.text(
                "SELECT (SELECT count(*) FROM project_history), (SELECT count(*) FROM change_log)"
            )
        ).one()
    return row, tuple(counts)
