"""Writing the demo data set into a database (boundaries, working groups, projects)."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from mapserver import boundaries, demo
from mapserver.measures import measure

MEASURE_COLUMNS = ("area_mu", "area_ha", "length_km")
PROJECT_COLUMNS = (
    "code",
    "name",
    "level",
    "working_group",
    "county",
    "status",
    "owner_unit",
    "leader",
    "total_investment",
    "annual_plan",
    "completed_this_year",
    "planned_start",
    "planned_end",
    "description",
)


def is_empty(engine: Engine) -> bool:
    with engine.connect() as conn:
        return not conn.execute(sa.text("SELECT EXISTS (SELECT 1 FROM counties)")).scalar()


def load_demo(engine: Engine, n: int = 100, seed: int = demo.SEED) -> int:
    """Boundaries, working groups and ``n`` demo projects, in one transaction."""
    regions = boundaries.read_regions()
    counties = boundaries.counties(regions)
    with engine.begin() as conn:
        for region in regions.values():
            table = "cities" if region.level == "city" else "counties"
            conn.execute(
                sa.text(
                    f"INSERT INTO {table} (adcode, name, boundary) "
                    "VALUES (:a, :n, ST_Multi(ST_GeomFromText(:w, 4326)))"
                ),
                {"a": region.adcode, "n": region.name, "w": region.boundary.wkt},
            )
        conn.execute(
            sa.text("INSERT INTO working_groups (code, name) VALUES (:c, :n)"),
            [{"c": c, "n": name} for c, name in demo.WORKING_GROUPS.items()],
        )
        copy_projects(conn, demo.generate(counties, n, seed))
    return n


def copy_projects(conn: sa.Connection, projects: Iterable[demo.DemoProject]) -> None:
    """COPY rows in: fast enough for the 100,000-project benchmark table."""
    cols = ", ".join((*PROJECT_COLUMNS, "geom", "demo", *MEASURE_COLUMNS))
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"COPY projects ({cols}) FROM STDIN") as copy:
        for p in projects:
            geom = f"SRID=4326;{p.geom.wkt}" if p.geom is not None else None
            sizes = measure(p.geom).as_dict() if p.geom is not None else {}
            row = [*(getattr(p, c) for c in PROJECT_COLUMNS), geom, True]
            copy.write_row(row + [sizes.get(c) for c in MEASURE_COLUMNS])
