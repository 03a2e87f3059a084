"""The review queue (待审核): every report and resolution a county has submitted, oldest
first, for the dispatcher who approves or returns them (mapserver/battle/review.py)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from mapserver.battle.record_lists import plain

# One list of both reviewed kinds; the columns either lacks are NULL.
QUEUE = """
SELECT * FROM (
    SELECT 'investment' AS noun, r.id, r.version, r.submitted_at, r.submitted_by,
        to_char(r.month, 'YYYY-MM') AS month, r.amount, r.remarks,
        NULL AS description, NULL AS resolution, NULL AS responsible_unit, r.project_id
    FROM investment_reports r WHERE r.review = 'submitted'
    UNION ALL
    SELECT 'problems', r.id, r.version, r.submitted_at, r.submitted_by, NULL, NULL, NULL,
        r.description, r.resolution, r.responsible_unit, r.project_id
    FROM problems r WHERE r.review = 'submitted'
) q
JOIN LATERAL (SELECT p.code AS project, p.name AS project_name, p.county,
        c.name AS county_name, p.working_group, p.annual_plan
    FROM projects p LEFT JOIN counties c ON c.adcode = p.county
    WHERE p.id = q.project_id AND p.deleted_at IS NULL) p ON true
WHERE (CAST(:county AS text) IS NULL OR p.county = :county)
ORDER BY q.submitted_at, q.noun, q.id
LIMIT :limit
"""


def queue(conn: sa.Connection, county: str | None = None, limit: int = 1000) -> dict[str, Any]:
    """``{"items": [...], "numberMatched"}``: what waits for review, oldest first."""
    rows = conn.execute(sa.text(QUEUE), {"county": county, "limit": limit}).mappings()
    items = [{k: v for k, v in plain(r).items() if v is not None} for r in rows]
    return {"items": items, "numberMatched": len(items)}
