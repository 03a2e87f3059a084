"""Alembic: head ↔ base round trips, and the models match the migrations."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from geoalchemy2 import alembic_helpers

from mapserver.store import schema
from mapserver.store.db import make_engine
from mapserver.store.models import Base
from tests.conftest import new_database

TABLES = {"cities", "counties", "working_groups", "projects", "change_log", "users"}
TABLES |= {"user_sessions", "api_tokens", "project_history"}
TABLES |= {"milestones", "investment_reports", "problems", "callouts", "ranking_periods"}
TABLES |= {"record_history", "health_rules", "project_record_summary", "reporting_rules"}
TABLES |= {"photos", "login_failures", "screen_tokens", "tile_cache"}


def tables(engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names()) - {"spatial_ref_sys", "alembic_version"}


def test_round_trip(cluster):
    url = new_database(cluster)
    engine = make_engine(url, 1)
    schema.upgrade(url)
    assert tables(engine) == TABLES
    schema.downgrade(url, "base")
    engine.dispose()
    assert tables(engine) == set()
    schema.upgrade(url)
    assert tables(engine) == TABLES
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT postgis_version()")).scalar()
    engine.dispose()


def test_models_match_migrations(cluster):
    url = new_database(cluster)
    schema.upgrade(url)
    engine = make_engine(url, 1)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_object": alembic_helpers.include_object}
        )
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []


def test_version_bumps_and_geometry_checked(fresh_url):
    engine = make_engine(fresh_url, 1)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE projects SET name = name WHERE id = 1"))
        assert conn.execute(sa.text("SELECT version FROM projects WHERE id = 1")).scalar() == 2
    bowtie = "SRID=4326;POLYGON((106 30,106.1 30.1,106.1 30,106 30.1,106 30))"
    with engine.begin() as conn:
        try:
            conn.execute(sa.text("UPDATE projects SET geom = :g WHERE id = 1"), {"g": bowtie})
        except sa.exc.IntegrityError as exc:
            assert "projects_geom_valid" in str(exc)
        else:
            raise AssertionError("an invalid geometry was stored")
    engine.dispose()


def test_change_log_in_commit_order(fresh_url):
    engine = make_engine(fresh_url, 1)
    with engine.connect() as conn:
        before = conn.execute(sa.text("SELECT max(id) FROM change_log")).scalar()
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE projects SET status = 'completed' WHERE id IN (1, 2)"))
        conn.execute(sa.text("DELETE FROM projects WHERE id = 3"))
    with engine.connect() as conn:
        rows = conn.execute(
            # (the deleted project's battle-map records go with it, in their own layers)
            sa.text(
                "SELECT op, feature_id FROM change_log WHERE id > :b AND layer = 'projects'"
                " ORDER BY id"
            ),
            {"b": before},
        ).all()
        codes = dict(
            conn.execute(sa.text("SELECT id, code FROM projects WHERE id IN (1, 2)")).all()
        )
    assert [r.op for r in rows] == ["update", "update", "delete"]
    assert {rows[0].feature_id, rows[1].feature_id} == set(codes.values())
    engine.dispose()
