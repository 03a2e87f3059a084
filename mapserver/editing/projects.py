"""Writing projects: create, replace, patch, delete (soft) and restore, each in one
transaction with the county rule, optimistic locking and the history.

Every write goes through :func:`_transaction`: it runs as the write role with the acting
user set for the database's own triggers (county rule, history, change log), locks the
row, compares the client's version, checks the rule here first (for a clear message),
and only then writes. Nothing is written when any step refuses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import shapely
import shapely.geometry
import sqlalchemy as sa
from shapely.geometry.base import BaseGeometry

from mapserver.accounts.roles import Actor
from mapserver.editing import attributes
from mapserver.errors import (
    Conflict,
    Forbidden,
    InvalidParameter,
    NotFound,
    Unprocessable,
)
from mapserver.geo import geometry
from mapserver.geo.crs import CrsError
from mapserver.geo.extent import SiteExtent
from mapserver.layers import Layer
from mapserver.store import writes
from mapserver.vocabulary import Vocabulary

EDITABLE = ("projects",)  # collections the write API serves
MISSING: Any = object()
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MEASURES = ("area_mu", "area_ha", "length_km")


@dataclass(frozen=True)
class Editor:
    """What every write needs besides its payload."""

    engine: sa.Engine
    layer: Layer
    vocabulary: Vocabulary
    actor: Actor
    tolerance_m: float = 200.0
    write_role: str = "mapserver_app"
    extent: SiteExtent = field(default_factory=SiteExtent)


@dataclass(frozen=True)
class Saved:
    code: str
    version: int
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Payload:
    """A checked body: editable values, and the site (MISSING when not sent)."""

    values: Mapping[str, Any]
    site: geometry.CheckedGeometry | None = MISSING
    code: str | None = None


def read_payload(
    ed: Editor, body: bytes, *, complete: bool, crs: str | None, repair: bool
) -> Payload:
    """A GeoJSON Feature from a request body, checked; ``complete`` for create/replace."""
    doc = _feature(body, complete)
    values = attributes.check(
        ed.layer, ed.vocabulary, doc.get("properties") or {}, complete=complete
    )
    site = MISSING
    if "geometry" in doc:
        site = None if doc["geometry"] is None else _site(doc["geometry"], crs, repair)
    return Payload(values, site, _code(doc))


def _feature(body: bytes, complete: bool) -> dict:
    try:
        doc = geometry.parse_json(body)
    except geometry.GeometryError as exc:
        raise InvalidParameter(exc.message, parameter="body", code=exc.code) from None
    if not isinstance(doc, dict) or doc.get("type") != "Feature":
        raise InvalidParameter(
            '请求体应为 GeoJSON Feature body must be {"type": "Feature", …}', parameter="body"
        )
    if complete and "geometry" not in doc:
        raise Unprocessable(
            "缺少 geometry (null 表示暂无位置) geometry missing", pointer="/geometry"
        )
    if "properties" in doc and not isinstance(doc["properties"], dict | None):
        raise Unprocessable(
            "properties 必须是对象 properties must be an object", pointer="/properties"
        )
    return doc


def _site(obj: Any, crs: str | None, repair: bool) -> geometry.CheckedGeometry:
    try:
        return geometry.check_geometry(obj, crs=crs, repair=repair)
    except geometry.GeometryError as exc:
        raise Unprocessable(
            exc.message, code=exc.code, pointer="/geometry", location=_location(exc.location)
        ) from None
    except CrsError as exc:
        raise InvalidParameter(str(exc), parameter="crs") from None


def _location(point: tuple[float, float] | None) -> dict | None:
    return None if point is None else {"type": "Point", "coordinates": list(point)}


def _code(doc: dict) -> str | None:
    code = doc.get("id", (doc.get("properties") or {}).get("code"))
    if code is None:
        return None
    if not isinstance(code, str) or not CODE.match(code):
        raise Unprocessable(f"项目编码无效 invalid code {str(code)[:70]!r}", pointer="/id")
    return code


def _transaction(ed: Editor, note: str = "") -> AbstractContextManager[sa.Connection]:
    """One write: as the write role, with the acting user set for the triggers."""
    return writes.transaction(ed.engine, ed.actor, ed.write_role, ed.tolerance_m, note)


def _lock(conn: sa.Connection, code: str, *, deleted: bool = False) -> Mapping[str, Any]:
    row = (
        conn.execute(
            sa.text(
                "SELECT *, ST_AsBinary(geom) AS wkb FROM projects WHERE code = :code FOR UPDATE"
            ),
            {"code": code},
        )
        .mappings()
        .one_or_none()
    )
    if row is None or (row["deleted_at"] is not None and not deleted):
        raise NotFound(f"没有项目 no project {code[:70]!r}", parameter="featureId")
    return row


def _check_version(row: Mapping[str, Any], if_match: int | None) -> None:
    writes.check_version(row["version"], if_match)


def _check_rule(conn: sa.Connection, ed: Editor, old: str | None, new: str, site: Any) -> None:
    """The county rule, checked before writing (the database checks it again)."""
    a = ed.actor
    if not a.can_edit:
        raise Forbidden("只读用户不能修改 Viewers cannot edit", role=a.role)
    if a.city_wide:
        if isinstance(site, geometry.CheckedGeometry):
            _check_in_city(conn, ed, site.geometry)
        return
    if old is not None and old != a.county:
        raise Forbidden(
            f"该项目属于 {old}，您只能编辑 {a.county} 的项目 Project belongs to county {old}",
            county=old,
        )
    if new != a.county:
        raise Forbidden(
            f"不能把项目放到其他县区 {new} Cannot put a project in county {new}", county=new
        )
    if isinstance(site, geometry.CheckedGeometry):
        _check_fits(conn, ed, site.geometry)


def _check_fits(conn: sa.Connection, ed: Editor, geom: BaseGeometry) -> None:
    row = conn.execute(
        sa.text(
            "SELECT mapserver_site_fits(g, :county, :tol),"
            " ST_AsText(ST_Transform(ST_PointOnSurface(ST_Difference(ST_Transform(g, 4544),"
            " ST_Buffer(ST_Transform(c.boundary, 4544), :tol))), 4326))"
            " FROM ST_GeomFromWKB(:wkb, 4326) g, counties c WHERE c.adcode = :county"
        ),
        {"wkb": geom.wkb, "county": ed.actor.county, "tol": ed.tolerance_m},
    ).one()
    if not row[0]:
        point = _point(row[1])
        raise Unprocessable(
            f"位置超出本县区边界（容差 {ed.tolerance_m:g} 米） Site lies outside the county "
            f"(tolerance {ed.tolerance_m:g} m)",
            code="outside_county",
            pointer="/geometry",
            location=_location(point),
        )


def _check_in_city(conn: sa.Connection, ed: Editor, geom: BaseGeometry) -> None:
    area = ed.extent
    params = {"wkb": geom.wkb, "tol": ed.tolerance_m} | area.params
    if conn.execute(sa.text(area.sql), params).scalar() is False:
        zh, en = area.label
        raise Unprocessable(
            f"位置超出{zh}（容差 {ed.tolerance_m:g} 米） Site lies outside {en} "
            f"(tolerance {ed.tolerance_m:g} m)",
            code="outside_city",
            pointer="/geometry",
        )


def _point(text: str | None) -> tuple[float, float] | None:
    match = re.match(r"POINT ?\(([-\d.e]+) ([-\d.e]+)\)", text or "")
    return (float(match.group(1)), float(match.group(2))) if match else None


def _site_columns(site: Any) -> dict[str, Any]:
    """Bound values for geom and its measures (pyproj Geod); {} when the site is not sent."""
    if site is MISSING:
        return {}
    if site is None:
        return {"geom": None} | dict.fromkeys(MEASURES)
    sizes = site.measures.as_dict()
    return {"geom": site.geometry.wkb} | {m: sizes.get(m) for m in MEASURES}


def _assignments(columns: Mapping[str, Any]) -> str:
    """``col = :col`` for allowlisted columns (attributes.FIELDS, geom, measures)."""
    allowed = set(attributes.FIELDS) | {"geom", "deleted_at", "deleted_by", *MEASURES}
    parts = []
    for name in columns:
        assert name in allowed, name
        value = {
            "geom": "ST_GeomFromWKB(:geom, 4326)",
            "deleted_at": "CAST(:deleted_at AS timestamptz)",
        }.get(name, f":{name}")
        parts.append(f'"{name}" = {value}')
    return ", ".join(parts)


def _update(conn: sa.Connection, row_id: int, columns: Mapping[str, Any]) -> int:
    sql = f"UPDATE projects SET {_assignments(columns)} WHERE id = :_id RETURNING version"
    return conn.execute(sa.text(sql), {**columns, "_id": row_id}).scalar_one()


def _notes(site: Any) -> tuple[str, ...]:
    return site.notes if isinstance(site, geometry.CheckedGeometry) else ()


def create(ed: Editor, payload: Payload) -> Saved:
    """A new project; its code is the client's (``id``) or the next ``GA-<year>-<n>``."""
    with _transaction(ed) as conn:
        row_id = conn.execute(sa.text("SELECT nextval(pg_get_serial_sequence('projects', 'id'))"))
        row_id = row_id.scalar_one()
        code = payload.code or f"GA-{_year(conn)}-{row_id:04d}"
        if conn.execute(sa.text("SELECT 1 FROM projects WHERE code = :c"), {"c": code}).first():
            raise Conflict(f"项目编码已存在 code {code!r} exists", pointer="/id")
        attributes.check_dates(payload.values)
        _check_rule(conn, ed, None, payload.values["county"], payload.site)
        columns = {**payload.values, **_site_columns(payload.site)}
        names = ", ".join(f'"{n}"' for n in columns)
        values = ", ".join(
            "ST_GeomFromWKB(:geom, 4326)" if n == "geom" else f":{n}" for n in columns
        )
        sql = f"INSERT INTO projects (id, code, {names}) VALUES (:_id, :_code, {values})"
        sql += " RETURNING version"
        version = conn.execute(sa.text(sql), {**columns, "_id": row_id, "_code": code}).scalar_one()
    return Saved(code, version, _notes(payload.site))


def _year(conn: sa.Connection) -> int:
    return int(conn.execute(sa.text("SELECT extract(year FROM now())")).scalar_one())


def change(
    ed: Editor, code: str, payload: Payload, if_match: int | None, *, replace: bool
) -> Saved:
    """PUT (``replace``: every editable field, absent optional ones cleared) or PATCH."""
    with _transaction(ed) as conn:
        row = _lock(conn, code)
        _check_version(row, if_match)
        values = dict(payload.values)
        if replace:
            values = {name: values.get(name) for name in attributes.FIELDS}
        attributes.check_dates({**row, **values})
        county = values.get("county", row["county"])
        _check_rule(conn, ed, row["county"], county, payload.site)
        version = _update(conn, row["id"], {**values, **_site_columns(payload.site)})
    return Saved(code, version, _notes(payload.site))


def delete(ed: Editor, code: str, if_match: int | None) -> Saved:
    """Soft delete: the row stays (with its history) and can be restored."""
    with _transaction(ed) as conn:
        row = _lock(conn, code)
        _check_version(row, if_match)
        _check_rule(conn, ed, row["county"], row["county"], MISSING)
        sql = "UPDATE projects SET deleted_at = now(), deleted_by = :by WHERE id = :id"
        sql += " RETURNING version"
        version = conn.execute(
            sa.text(sql), {"by": ed.actor.username, "id": row["id"]}
        ).scalar_one()
    return Saved(code, version)


def restore(ed: Editor, code: str, revision: int, if_match: int | None) -> Saved:
    """Bring back the state a revision left (a deleted project too); a new revision itself."""
    with _transaction(ed, note=f"restored revision {revision}") as conn:
        old = conn.execute(
            sa.text(
                "SELECT new_properties, ST_AsBinary(new_geom) AS wkb FROM project_history"
                " WHERE id = :rev AND code = :code AND new_properties IS NOT NULL"
            ),
            {"rev": revision, "code": code},
        ).one_or_none()
        if old is None:
            raise NotFound(f"项目 {code[:70]!r} 没有修订 {revision}", parameter="revision")
        row = _lock(conn, code, deleted=True)
        _check_version(row, if_match)
        props = old.new_properties
        values = {name: props.get(name) for name in attributes.FIELDS}
        values = attributes.check(ed.layer, ed.vocabulary, values, complete=True)
        site = None if old.wkb is None else geometry.check_geometry(_geojson(old.wkb))
        _check_rule(conn, ed, row["county"], values["county"], site)
        columns = {**values, **_site_columns(site)}
        columns |= {"deleted_at": props.get("deleted_at"), "deleted_by": props.get("deleted_by")}
        version = _update(conn, row["id"], columns)
    return Saved(code, version)


def _geojson(data: bytes) -> dict:
    """A stored site back as GeoJSON, to pass through the same checks as a new one."""
    return shapely.geometry.mapping(shapely.from_wkb(data))


HISTORY_SQL = """
SELECT coalesce(json_agg(json_build_object(
    'revision', h.id, 'version', h.version, 'op', h.op, 'at', h.at, 'actor', h.actor,
    'actor_role', h.actor_role, 'note', h.note, 'changed', h.changed,
    'old', CASE WHEN h.old_properties IS NULL THEN NULL ELSE json_build_object(
        'properties', h.old_properties, 'geometry', ST_AsGeoJSON(h.old_geom, 7)::json) END,
    'new', CASE WHEN h.new_properties IS NULL THEN NULL ELSE json_build_object(
        'properties', h.new_properties, 'geometry', ST_AsGeoJSON(h.new_geom, 7)::json) END
) ORDER BY h.id DESC), '[]')::text
FROM (SELECT * FROM project_history WHERE code = :code ORDER BY id DESC LIMIT :limit) h
"""


def history(engine: sa.Engine, code: str, limit: int = 500) -> str:
    """A project's revisions, newest first, as a JSON array built by PostGIS."""
    with engine.connect() as conn:
        known = conn.execute(sa.text("SELECT 1 FROM projects WHERE code = :c"), {"c": code})
        if known.first() is None:
            raise NotFound(f"没有项目 no project {code[:70]!r}", parameter="featureId")
        return conn.execute(sa.text(HISTORY_SQL), {"code": code, "limit": limit}).scalar_one()


def etag(version: int, fmt: str = "json") -> str:
    """The strong ETag of one version of a project (the HTML page has its own)."""
    return f'"v{version}"' if fmt == "json" else f'"v{version}-{fmt}"'


# A live project's version (``:c`` its code): also a scalar sub-query of the item read.
VERSION_SQL = "SELECT version FROM projects WHERE code = :c AND deleted_at IS NULL"


def version_of(conn: sa.Connection, code: str) -> int | None:
    """The current version of a live project, or None."""
    return conn.execute(sa.text(VERSION_SQL), {"c": code}).scalar()
