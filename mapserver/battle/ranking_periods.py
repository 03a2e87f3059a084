"""Red/black lists (红黑榜) per month or quarter: computed live from the records, and
published once as a frozen snapshot that the database refuses to change afterwards.

The figures are read in one snapshot of the database and handed to the framework-free
:mod:`mapserver.battle.ranking` as plain values, taken as of the period's last day (or today
while the period runs).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from mapserver.accounts.roles import ADMIN, DISPATCHER, Actor
from mapserver.battle import health, ranking
from mapserver.battle.ranking import RankingRules
from mapserver.errors import Conflict, Forbidden, NotFound, Unprocessable
from mapserver.features import feed
from mapserver.store import periods
from mapserver.store.periods import Period
from mapserver.store.writes import Writer

KINDS = ("month", "quarter")
LIVE = "p.deleted_at IS NULL AND p.status = ANY(:statuses)"
PROJECTS = (
    f"SELECT p.id, p.code, p.county, p.owner_unit, p.annual_plan FROM projects p WHERE {LIVE}"
)
# Approved figures only (mapserver/battle/review.py): a report or a resolution the city has not
# approved does not count.
REPORTS = f"""SELECT r.project_id, r.month, r.amount FROM investment_reports r
JOIN projects p ON p.id = r.project_id WHERE {LIVE} AND r.month <= :as_of
AND r.review = 'approved'"""
MILESTONES = f"""SELECT r.project_id, r.planned_date, r.actual_date FROM milestones r
JOIN projects p ON p.id = r.project_id WHERE {LIVE}"""
PROBLEMS = f"""SELECT p.county, r.responsible_unit, r.raised_on,
CASE WHEN r.review = 'approved' THEN r.resolved_on END AS resolved_on FROM problems r
JOIN projects p ON p.id = r.project_id WHERE {LIVE}"""
CALLOUTS = f"""SELECT p.county, r.responsible_unit, r.issued_on, r.deadline,
coalesce(r.responded_on, r.closed_on) AS handled_on FROM callouts r
JOIN projects p ON p.id = r.project_id WHERE {LIVE}"""


def _rows(conn: sa.Connection, sql: str, params: dict) -> Iterable[Any]:
    return conn.execute(sa.text(sql), params)


def _projects(conn: sa.Connection, params: dict) -> list[ranking.ProjectFigures]:
    reports: dict[int, list] = {}
    for r in _rows(conn, REPORTS, params):
        reports.setdefault(r.project_id, []).append(health.Report(r.month, r.amount))
    milestones: dict[int, list] = {}
    for m in _rows(conn, MILESTONES, params):
        milestones.setdefault(m.project_id, []).append(
            ranking.Deadline(m.planned_date, m.actual_date)
        )
    return [
        ranking.ProjectFigures(
            p.code,
            p.county,
            p.owner_unit,
            p.annual_plan,
            tuple(reports.get(p.id, ())),
            tuple(milestones.get(p.id, ())),
        )
        for p in _rows(conn, PROJECTS, params)
    ]


def this_month(conn: sa.Connection) -> str:
    """The month it is (``YYYY-MM``) by the database's day."""
    return conn.execute(sa.text("SELECT to_char(mapserver_today(), 'YYYY-MM')")).scalar_one()


def compute(
    conn: sa.Connection, period: Period, rules: RankingRules, tracks: Iterable[str] = ranking.TRACKS
) -> dict[str, Any]:
    """The lists of ``period`` from the data as it is now."""
    today = periods.database_today(conn)
    if period.start > today:
        raise Unprocessable(f"{period.text} 尚未开始 has not begun", parameter="period")
    as_of = period.as_of(today)
    params = {"statuses": list(rules.statuses), "as_of": as_of}
    projects = _projects(conn, params)
    problems = [ranking.Problem(*r) for r in _rows(conn, PROBLEMS, params)]
    callouts = [ranking.Callout(*r) for r in _rows(conn, CALLOUTS, params)]
    counties = conn.execute(sa.text("SELECT adcode, name FROM counties")).all()
    names = {"county": dict(counties), "unit": {}}
    lists = {}
    for track in tracks:
        tallies = ranking.tally(track, names[track], projects, problems, callouts, as_of)
        lists[track] = ranking.rank(tallies, as_of, rules, track)
    return {
        "period": period.text,
        "kind": period.kind,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "as_of": as_of.isoformat(),
        "final": as_of == period.end,
        "published": False,
        "no_data_projects": ranking.without_data(projects, as_of),
        "tracks": lists,
    }


_LIVE: OrderedDict[tuple, dict[str, Any]] = OrderedDict()
_LIVE_LOCK = threading.Lock()
LIVE_CACHE_SIZE = 32


def compute_cached(
    conn: sa.Connection, period: Period, rules: RankingRules, tracks: Iterable[str]
) -> dict[str, Any]:
    """:func:`compute`, remembered per database, data version and day: every big screen asks
    for the live lists when it loads and after every change (40-80 ms of Python each), and
    they can only move when the data or the day does. ``conn`` must be in one snapshot
    (REPEATABLE READ) so the version read is that of the data computed from."""
    version, today = feed.snapshot(conn)
    key = (str(conn.engine.url), version, today, period.text, tuple(tracks), repr(rules))
    with _LIVE_LOCK:
        if key in _LIVE:
            _LIVE.move_to_end(key)
            return _LIVE[key]
    body = compute(conn, period, rules, tracks)
    with _LIVE_LOCK:
        _LIVE[key] = body
        while len(_LIVE) > LIVE_CACHE_SIZE:
            _LIVE.popitem(last=False)
    return body


def check_publisher(actor: Actor) -> None:
    """Dispatchers and administrators publish (the database checks it again)."""
    if actor.role not in (ADMIN, DISPATCHER):
        raise Forbidden("只有调度员和管理员可以发布红黑榜 Only dispatchers publish the lists")


def publish(w: Writer, period: Period, rules: RankingRules, rules_doc: dict) -> dict[str, Any]:
    """Freeze the period's lists (dispatchers and administrators; once per period)."""
    check_publisher(w.actor)
    with w.transaction() as conn:
        known = sa.text("SELECT 1 FROM ranking_periods WHERE period = :p")
        if conn.execute(known, {"p": period.text}).first():
            raise Conflict(f"{period.text} 的红黑榜已发布 already published", period=period.text)
        doc = compute(conn, period, rules)
        conn.execute(
            sa.text(
                "INSERT INTO ranking_periods (period, kind, as_of, published_by, rules, snapshot)"
                " VALUES (:period, :kind, :as_of, :by, CAST(:rules AS jsonb),"
                " CAST(:snapshot AS jsonb))"
            ),
            {
                "period": period.text,
                "kind": period.kind,
                "as_of": dt.date.fromisoformat(doc["as_of"]),
                "by": w.actor.username,
                "rules": _json(rules_doc),
                "snapshot": _json(doc),
            },
        )
    return published(w.engine, period.text)


def _json(doc: dict) -> str:
    return json.dumps(doc, ensure_ascii=False)


PUBLISHED = """
SELECT snapshot || jsonb_build_object('published', true, 'published_at', published_at,
       'published_by', published_by, 'rules', rules)
FROM ranking_periods WHERE period = :p
"""


def published(engine: sa.Engine, period_text: str) -> dict[str, Any]:
    """The frozen lists of a published period (404 when it was not published)."""
    with engine.connect() as conn:
        doc = conn.execute(sa.text(PUBLISHED), {"p": period_text}).scalar()
    if doc is None:
        raise NotFound(
            f"{period_text} 的红黑榜尚未发布 not published; the live lists: "
            f"/battle/ranking?period={period_text}",
            parameter="period",
        )
    return doc


def periods_published(engine: sa.Engine) -> list[dict[str, Any]]:
    """Every published period, newest first (without the lists)."""
    sql = (
        "SELECT period, kind, as_of, published_at, published_by FROM ranking_periods"
        " ORDER BY period DESC"
    )
    with engine.connect() as conn:
        rows = conn.execute(sa.text(sql)).mappings().all()
    return [
        {**r, "as_of": r["as_of"].isoformat(), "published_at": r["published_at"].isoformat()}
        for r in rows
    ]
