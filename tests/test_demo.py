"""The demo data set: coverage, validity and placement, checked in PostGIS."""

import pytest
import sqlalchemy as sa

from mapserver.demo import boundaries
from mapserver.demo import projects as demo


def scalar(engine, sql, **params):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar_one()


def test_hundred_projects_all_marked_demo(demo_engine):
    assert scalar(demo_engine, "SELECT count(*) FROM projects") == 100
    assert scalar(demo_engine, "SELECT count(*) FROM projects WHERE demo") == 100
    assert (
        scalar(demo_engine, "SELECT count(*) FROM projects WHERE description LIKE '【演示数据】%'")
        == 100
    )


@pytest.mark.parametrize(
    ("column", "minimum", "expected_values"),
    [
        ("county", 8, {"511602", "511603", "511621", "511622", "511623", "511681"}),
        ("status", 5, {"reserve", "preparing", "under_construction", "completed", "suspended"}),
        ("working_group", 8, set(demo.WORKING_GROUPS)),
    ],
)
def test_every_value_represented(demo_engine, column, minimum, expected_values):
    with demo_engine.connect() as conn:
        counts = dict(
            conn.execute(sa.text(f"SELECT {column}, count(*) FROM projects GROUP BY 1")).all()
        )
    assert set(counts) == expected_values
    assert min(counts.values()) >= minimum


def test_geometry_mix(demo_engine):
    with demo_engine.connect() as conn:
        kinds = dict(
            conn.execute(
                sa.text("SELECT GeometryType(geom), count(*) FROM projects GROUP BY 1")
            ).all()
        )
    assert kinds["POINT"] >= 10 and kinds["POLYGON"] >= 10 and kinds["LINESTRING"] >= 10
    assert None in kinds  # some reserve projects have no site yet


def test_every_site_valid_and_placed(demo_engine):
    sql = """SELECT count(*) FROM projects p JOIN counties c ON c.adcode = p.county
             WHERE p.geom IS NOT NULL AND NOT (
               ST_IsValid(p.geom) AND CASE GeometryType(p.geom)
                 WHEN 'LINESTRING' THEN ST_Intersects(p.geom, c.boundary)
                 ELSE ST_Within(p.geom, c.boundary) END)"""
    assert scalar(demo_engine, sql) == 0


def test_some_lines_cross_county_lines(demo_engine):
    sql = """SELECT count(*) FROM projects p JOIN counties c ON c.adcode = p.county
             WHERE GeometryType(p.geom) = 'LINESTRING' AND NOT ST_Within(p.geom, c.boundary)"""
    assert scalar(demo_engine, sql) >= 3


def test_no_site_only_for_reserve(demo_engine):
    assert (
        scalar(
            demo_engine, "SELECT count(*) FROM projects WHERE geom IS NULL AND status <> 'reserve'"
        )
        == 0
    )


def test_generator_is_deterministic():
    regions = boundaries.counties(boundaries.read_regions())
    first = [(p.code, p.name, p.geom.wkt if p.geom else None) for p in demo.generate(regions, 50)]
    again = [(p.code, p.name, p.geom.wkt if p.geom else None) for p in demo.generate(regions, 50)]
    assert first == again


def test_boundaries_loaded(demo_engine):
    assert scalar(demo_engine, "SELECT count(*) FROM counties") == 6
    assert scalar(demo_engine, "SELECT name FROM cities") == "广安市"
    assert scalar(demo_engine, "SELECT bool_and(ST_IsValid(boundary)) FROM counties")
