"""Writing the demo data set into a database (boundaries, working groups, projects, and
the battle map's milestones, monthly reports, problems and call-outs)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from mapserver.demo import battle as battle_demo
from mapserver.demo import boundaries
from mapserver.demo import projects as demo
from mapserver.geo.measures import measure
from mapserver.store import periods

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


def load_demo(
    engine: Engine,
    n: int = 100,
    seed: int = demo.SEED,
    *,
    records: bool = True,
    today: dt.date | None = None,
) -> int:
    """Boundaries, working groups and ``n`` demo projects, in one transaction; with
    ``records``, their battle-map records as of ``today`` (default: today in Guang'an),
    and each project's completed-this-year figure the sum of its monthly reports."""
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
        projects = list(demo.generate(counties, n, seed))
        if records:
            battle = battle_demo.generate(projects, today or periods.today())
            projects = [
                dataclasses.replace(p, completed_this_year=battle.ytd[p.code]) for p in projects
            ]
        copy_projects(conn, projects)
        if records:
            insert_records(conn, battle)
    with engine.connect() as conn:
        # Planner statistics now, not when autovacuum gets round to it: the feed decides
        # from the row estimate whether numberMatched is cheap (feed.cheap_count).
        conn.execute(sa.text("ANALYZE"))
        conn.commit()
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


RECORD_COLUMNS = {
    "milestones": ("name", "planned_date", "actual_date", "note"),
    "investment_reports": ("month", "amount", "remarks", "review", "return_reason"),
    "problems": ("description", "category", "raised_on", "responsible_unit", "due_date",
                 "status", "resolution", "resolved_on", "review", "return_reason"),
    "callouts": ("responsible_unit", "issued_by", "issued_on", "deadline", "demand", "status",
                 "response", "responded_on", "closed_on"),
}  # fmt: skip


def insert_records(conn: sa.Connection, battle: battle_demo.BattleDemo) -> None:
    """The battle-map demo records, marked demo, for the projects already loaded."""
    ids = dict(conn.execute(sa.text("SELECT code, id FROM projects")).all())
    for table, columns in RECORD_COLUMNS.items():
        rows = [{**r, "project_id": ids[r["code"]]} for r in getattr(battle, _field(table))]
        if rows:
            names, values = ", ".join(columns), ", ".join(f":{c}" for c in columns)
            sql = f"INSERT INTO {table} (project_id, demo, {names}) VALUES (:project_id, true, "
            conn.execute(sa.text(f"{sql}{values})"), rows)


def _field(table: str) -> str:
    return {"investment_reports": "reports"}.get(table, table)
