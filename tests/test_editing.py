"""Writing projects through mapserver.editing, on a real PostGIS: the county rule, versions,
history, soft delete; and the same rules held by the database when the app is bypassed."""

from __future__ import annotations

import json

import psycopg.errors
import pytest
import sqlalchemy as sa

from mapserver.accounts.roles import Actor
from mapserver.editing import projects as editing
from mapserver.errors import Forbidden, NotFound, PreconditionFailed, Unprocessable
from mapserver.layers import load_layers
from mapserver.settings import Settings
from mapserver.store import claims
from mapserver.store.db import make_engine
from mapserver.vocabulary import Vocabulary
from tests.projects import GUANG_AN, OTHER, OWN, SQUARE, YUECHI, new_project, snapshot

ADMIN = Actor(1, "admin", "admin")
DISPATCHER = Actor(2, "dispatcher", "dispatcher")
EDITOR = Actor(3, "editor_511602", "county_editor", GUANG_AN)
VIEWER = Actor(4, "viewer", "viewer")

INSIDE = {"type": "Point", "coordinates": [106.66, 30.60]}  # inside 广安区
IN_YUECHI = {"type": "Point", "coordinates": [106.35, 30.53]}


@pytest.fixture
def engine(fresh_url):
    e = make_engine(fresh_url, 4)
    yield e
    e.dispose()


@pytest.fixture
def editor_for(engine):
    layers = load_layers(Settings().layers_dir, engine)
    vocab = Vocabulary(engine)

    def make(actor: Actor) -> editing.Editor:
        return editing.Editor(engine, layers["projects"], vocab, actor)

    return make


def body(properties=None, geometry=..., **extra) -> bytes:
    doc = {"type": "Feature", "properties": properties or {}, **extra}
    if geometry is not ...:
        doc["geometry"] = geometry
    return json.dumps(doc).encode()


def version_of(engine, code: str) -> int:
    with engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT version FROM projects WHERE code = :c"), {"c": code}
        ).scalar()


def patch(ed, code, props=None, geometry=..., if_match=None, crs=None):
    payload = editing.read_payload(ed, body(props, geometry), complete=False, crs=crs, repair=False)
    return editing.change(ed, code, payload, if_match, replace=False)


def test_county_editor_creates_in_own_county_with_measures_history_and_change_log(
    engine, editor_for
):
    ed = editor_for(EDITOR)
    payload = editing.read_payload(
        ed, body(new_project(), SQUARE), complete=True, crs=None, repair=False
    )
    saved = editing.create(ed, payload)
    assert saved.version == 1
    with engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT county, area_mu, area_ha, demo FROM projects WHERE code = :c"),
            {"c": saved.code},
        ).one()
        hist = conn.execute(
            sa.text("SELECT op, actor, actor_role, version FROM project_history WHERE code = :c"),
            {"c": saved.code},
        ).all()
        log = conn.execute(
            sa.text("SELECT op FROM change_log WHERE feature_id = :c"), {"c": saved.code}
        ).all()
    assert row.county == GUANG_AN and not row.demo
    assert row.area_ha == pytest.approx(row.area_mu / 15)
    assert 420 < row.area_ha < 430  # 0.02° × 0.02° at 30.6° N ≈ 1.916 km × 2.218 km = 425 ha
    assert hist == [("create", "editor_511602", "county_editor", 1)]
    assert log == [("insert",)]


@pytest.mark.parametrize(
    ("actor", "code", "props", "geometry"),
    [
        (EDITOR, OTHER, {"name": "改别县的项目"}, ...),  # another county's project
        (EDITOR, OWN, {"county": YUECHI}, ...),  # moving it into another county
        (EDITOR, OWN, {}, IN_YUECHI),  # its site into another county
        (VIEWER, OWN, {"name": "只读"}, ...),
    ],
    ids=["other-county", "reassign", "move-site-out", "viewer"],
)
def test_refused_writes_change_nothing(engine, editor_for, actor, code, props, geometry):
    before = snapshot(engine, code)
    with pytest.raises((Forbidden, Unprocessable)):
        patch(editor_for(actor), code, props, geometry)
    assert snapshot(engine, code) == before


def test_county_editor_cannot_delete_other_county(engine, editor_for):
    before = snapshot(engine, OTHER)
    with pytest.raises(Forbidden):
        editing.delete(editor_for(EDITOR), OTHER, None)
    assert snapshot(engine, OTHER) == before


@pytest.mark.parametrize("actor", [ADMIN, DISPATCHER])
def test_city_wide_roles_edit_anything(engine, editor_for, actor):
    saved = patch(editor_for(actor), OTHER, {"county": GUANG_AN, "name": "调度改名"}, if_match=1)
    assert saved.version == 2


def test_tolerance_for_points_and_polygons_but_lines_only_need_to_touch(engine, editor_for):
    ed = editor_for(EDITOR)
    with engine.connect() as conn:
        # a point 150 m and one 400 m outside 广安区, due north of its northernmost vertex
        top = conn.execute(
            sa.text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT (ST_DumpPoints(boundary)).geom p"
                " FROM counties WHERE adcode = :c) s ORDER BY ST_Y(p) DESC LIMIT 1"
            ),
            {"c": GUANG_AN},
        ).one()
    near = {"type": "Point", "coordinates": [top[0], top[1] + 150 / 111_000]}
    far = {"type": "Point", "coordinates": [top[0], top[1] + 400 / 111_000]}
    assert patch(ed, OWN, {}, near).version == 2
    with pytest.raises(Unprocessable) as refused:
        patch(ed, OWN, {}, far)
    assert refused.value.extra["code"] == "outside_county"
    assert refused.value.extra["location"]["type"] == "Point"
    crossing = {"type": "LineString", "coordinates": [[106.66, 30.60], [106.35, 30.53]]}
    assert patch(ed, OWN, {}, crossing).version == 3
    outside = {"type": "LineString", "coordinates": [[106.30, 30.50], [106.35, 30.53]]}
    with pytest.raises(Unprocessable):
        patch(ed, OWN, {}, outside)


def test_stale_version_is_refused_and_nothing_written(engine, editor_for):
    ed = editor_for(EDITOR)
    patch(ed, OWN, {"name": "第一次"}, if_match=1)
    before = snapshot(engine, OWN)
    with pytest.raises(PreconditionFailed) as stale:
        patch(ed, OWN, {"name": "过期"}, if_match=1)
    assert stale.value.extra["current_version"] == 2
    assert snapshot(engine, OWN) == before


def test_soft_delete_hides_and_restore_brings_back(engine, editor_for):
    ed = editor_for(EDITOR)
    patch(ed, OWN, {"name": "改过的名字"}, if_match=1)
    deleted = editing.delete(ed, OWN, 2)
    assert deleted.version == 3
    with pytest.raises(NotFound):
        patch(ed, OWN, {"name": "已删"})
    revisions = json.loads(editing.history(engine, OWN))
    assert [r["op"] for r in revisions] == ["delete", "update", "create"]
    assert revisions[1]["changed"] == ["name"]
    assert revisions[1]["old"]["properties"]["name"] != "改过的名字"
    original = revisions[2]["revision"]
    restored = editing.restore(ed, OWN, original, 3)
    assert restored.version == 4
    with engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT name, deleted_at FROM projects WHERE code = :c"), {"c": OWN}
        ).one()
    assert row.deleted_at is None and row.name == revisions[2]["new"]["properties"]["name"]
    latest = json.loads(editing.history(engine, OWN))[0]
    assert latest["op"] == "undelete" and latest["note"] == f"restored revision {original}"


# -- the database holds the rules even when the app's checks are skipped ------------------

AS_APP = "SET LOCAL ROLE mapserver_app"


def raw_write(engine, sql: str, actor: Actor | None, **params) -> None:
    """SQL as the write role, for ``actor`` as the app signs it (mapserver/store/claims.py)."""
    with engine.begin() as conn:
        conn.execute(sa.text(AS_APP))
        claims.act(conn, actor)
        conn.execute(sa.text(sql), params)


BYPASS = [
    (EDITOR, "UPDATE projects SET name = 'x' WHERE code = :c", OTHER),
    (EDITOR, "UPDATE projects SET county = '511621' WHERE code = :c", OWN),
    (
        EDITOR,
        "UPDATE projects SET geom = ST_GeomFromText('POINT(106.35 30.53)', 4326) WHERE code = :c",
        OWN,
    ),
    (EDITOR, "UPDATE projects SET deleted_at = now() WHERE code = :c", OTHER),
    (VIEWER, "UPDATE projects SET name = 'x' WHERE code = :c", OWN),
    (None, "UPDATE projects SET name = 'x' WHERE code = :c", OWN),  # no acting user at all
    (ADMIN, "DELETE FROM projects WHERE code = :c", OWN),  # deleting is soft only
]


@pytest.mark.parametrize(("actor", "sql", "code"), BYPASS)
def test_database_refuses_what_the_app_would(engine, actor, sql, code):
    before = snapshot(engine, code)
    with pytest.raises(sa.exc.DBAPIError) as refused:
        raw_write(engine, sql, actor, c=code)
    assert isinstance(refused.value.orig, psycopg.errors.InsufficientPrivilege)
    assert snapshot(engine, code) == before


def test_database_allows_the_allowed(engine):
    raw_write(engine, "UPDATE projects SET name = 'ok' WHERE code = :c", EDITOR, c=OWN)
    raw_write(engine, "UPDATE projects SET name = 'ok' WHERE code = :c", DISPATCHER, c=OTHER)
    assert version_of(engine, OWN) == 2 and version_of(engine, OTHER) == 2


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE project_history SET actor = 'x'",
        "DELETE FROM project_history",
        "TRUNCATE project_history",
    ],
)
@pytest.mark.parametrize("as_app", [True, False], ids=["app-role", "owner"])
def test_history_cannot_be_rewritten(engine, sql, as_app):
    with pytest.raises(sa.exc.DBAPIError):
        with engine.begin() as conn:
            if as_app:
                conn.execute(sa.text(AS_APP))
            conn.execute(sa.text(sql))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM project_history")).scalar() == 100
