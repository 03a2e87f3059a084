"""Battle-map records (节点, 月度投资, 问题, 点球): checking bodies, who may write what,
and writing them, each in one transaction of :mod:`mapserver.store.writes`.

A record type (:class:`Kind`) lists its columns and what a county editor may do with
it; the database's ``mapserver_check_record_actor`` trigger (migration 0005) holds the
same rules, so a bug here cannot break them. Values the server sets (who issued a
call-out, the day a problem was resolved) come from the type's ``prepare`` hook.
Reading them is :mod:`mapserver.battle.record_lists`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from mapserver.accounts.roles import ROLE_TITLES, Actor
from mapserver.battle import review
from mapserver.editing import attributes
from mapserver.errors import Forbidden, InvalidParameter, NotFound, Unprocessable
from mapserver.store import periods
from mapserver.store.writes import Writer, check_version

# What every record's representation carries besides its columns (ignored when echoed).
READ_ONLY = {"id", "version", "created_at", "updated_at", "demo", "project_name", "county"}
READ_ONLY |= {"county_name", "working_group"}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text | date | month | amount | choice
    required: bool = False  # on create
    max_length: int = 200
    choices: tuple[str, ...] = ()
    on_create: bool = True
    on_update: bool = True


@dataclass
class Change:
    """A write being prepared: the values to store; the row before (None: a new one)."""

    values: dict[str, Any]
    old: Mapping[str, Any] | None
    actor: Actor
    today: dt.date


@dataclass(frozen=True, kw_only=True)
class CountyRule:
    """What a county editor may do with their own county's records; migration 0005 gives
    the database's trigger the same three things."""

    creates: bool = False
    changes: frozenset[str] = frozenset()  # columns they may change
    statuses: tuple[str, ...] = ()  # statuses they may set


@dataclass(frozen=True)
class Listing:
    """How lists read a record type."""

    period_column: str  # the date ``period`` filters on
    derived: str = ""  # SQL select items (aliases r, p) for the read-only fields
    overdue: str | None = None  # SQL condition (alias r) behind ``overdue``
    due_column: str | None = None  # the date ``sort=urgent`` orders by (with ``overdue``)


@dataclass(frozen=True)
class Kind:
    """One record type: its table, columns, and what a county editor may do with it."""

    table: str
    title: str  # for messages: 节点 milestone
    columns: tuple[Column, ...]
    county: CountyRule
    listing: Listing
    prepare: Callable[[Change], None] | None = None
    server_set: frozenset[str] = frozenset()  # columns only ``prepare`` writes
    read_only: frozenset[str] = frozenset()  # derived fields of the representation
    reviewed: bool = False  # the city reviews it (``review``; migration 0007)

    @property
    def by_name(self) -> dict[str, Column]:
        return {c.name: c for c in self.columns}

    @property
    def statuses(self) -> tuple[str, ...]:
        column = self.by_name.get("status")
        return column.choices if column else ()


@dataclass(frozen=True)
class Saved:
    id: int
    version: int


def failure(name: str, message: str) -> Unprocessable:
    return Unprocessable(f"{name}：{message}", property=name, pointer=f"/{name}")


def check_body(kind: Kind, body: Any, *, create: bool) -> dict[str, Any]:
    """The values of a JSON object body, typed; unknown or misplaced fields refused."""
    if not isinstance(body, Mapping):
        raise InvalidParameter(
            "请求体应为 JSON 对象 the body must be a JSON object", parameter="body"
        )
    columns, out = kind.by_name, {}
    for name, value in body.items():
        if name == "project":
            out[name] = _project_code(value)
        elif name in columns and (columns[name].on_create or not create):
            out[name] = _value(columns[name], value)  # fixed ones: ``update`` compares
        elif name in columns:
            raise failure(name, "创建时不可填写 not when creating")
        elif name not in READ_ONLY | kind.read_only | kind.server_set:
            allowed = ["project", *columns]
            raise failure(name, f"未知字段 unknown field; allowed: {allowed}")
    if create:
        required = ["project", *(c.name for c in kind.columns if c.required)]
        missing = [n for n in required if out.get(n) is None]
        if missing:
            raise failure(missing[0], f"必填 required (missing: {', '.join(missing)})")
    return out


def _project_code(value: Any) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= 64:
        raise failure("project", "应为项目编码 must be a project code")
    return value


def _value(c: Column, value: Any) -> Any:
    if value is None:
        if c.required:
            raise failure(c.name, "不能为空 must not be null")
        return None
    if c.kind == "choice":
        if value not in c.choices:
            raise failure(c.name, f"无效值 {str(value)[:50]!r}; allowed: {list(c.choices)}")
        return value
    try:
        if c.kind == "month":
            return periods.parse_month(value)
        typed = attributes.typed(attributes.Field(c.name, c.kind, c.required, c.max_length), value)
    except ValueError as exc:
        raise failure(c.name, str(exc)) from None
    return None if typed == "" else typed


def check_permission(
    actor: Actor, kind: Kind, county: str, old: Mapping | None, changed: Mapping
) -> None:
    """Who may write what (the database checks it again)."""
    if not actor.can_edit:
        raise Forbidden(f"{ROLE_TITLES[actor.role]}不能修改数据", role=actor.role)
    if actor.city_wide:
        return
    if county != actor.county:
        raise Forbidden(
            f"该项目属于 {county}，您只能填报 {actor.county} 的项目 Project is in county {county}",
            county=county,
        )
    if old is None and not kind.county.creates:
        raise Forbidden(f"县区编辑不能新建{kind.title} County editors cannot create these")
    refused = sorted(set(changed) - kind.county.changes) if old is not None else []
    if refused:
        raise Forbidden(
            f"县区编辑不能修改 {', '.join(refused)} County editors cannot change these",
            fields=refused,
            allowed=sorted(kind.county.changes),
        )
    status = changed.get("status")
    if status is not None and status not in kind.county.statuses:
        raise Forbidden(f"县区编辑不能把状态改为 {status}", allowed=list(kind.county.statuses))


def _project(conn: sa.Connection, code: str) -> Mapping[str, Any]:
    row = conn.execute(
        sa.text("SELECT id, county FROM projects WHERE code = :c AND deleted_at IS NULL"),
        {"c": code},
    )
    found = row.mappings().one_or_none()
    if found is None:
        raise failure("project", f"没有项目 no project {code[:70]!r}")
    return found


def _names(kind: Kind, values: Mapping[str, Any]) -> list[str]:
    allowed = set(kind.by_name) | kind.server_set
    for name in values:
        assert name in allowed, name  # identifiers only from the record type
    return list(values)


def create(w: Writer, kind: Kind, body: Any) -> Saved:
    """A new record for a project named by its code."""
    values = check_body(kind, body, create=True)
    code = values.pop("project")
    with w.transaction() as conn:
        project = _project(conn, code)
        change = Change(values, None, w.actor, periods.database_today(conn))
        if kind.prepare:
            kind.prepare(change)
        check_permission(w.actor, kind, project["county"], None, change.values)
        _check_review(conn, kind, change, change.values)
        names = _names(kind, change.values)
        sql = (
            f"INSERT INTO {kind.table} (project_id, {', '.join(names)}) VALUES (:_project, "
            f"{', '.join(':' + n for n in names)}) RETURNING id, version"
        )
        row = conn.execute(sa.text(sql), {**change.values, "_project": project["id"]}).one()
    return Saved(row.id, row.version)


def update(w: Writer, kind: Kind, record_id: int, body: Any, if_match: int | None) -> Saved:
    """Change the fields given (PATCH), after the version check."""
    values = check_body(kind, body, create=False)
    with w.transaction() as conn:
        old = lock(conn, kind, record_id)
        check_version(old["version"], if_match, kind.title)
        _drop_fixed(kind, values, old)
        change = Change(values, old, w.actor, periods.database_today(conn))
        if kind.prepare:
            kind.prepare(change)
        changed = {k: v for k, v in change.values.items() if old[k] != v}
        check_permission(w.actor, kind, old["county"], old, changed)
        _check_review(conn, kind, change, changed)
        if not changed:
            return Saved(record_id, old["version"])
        names = _names(kind, changed)
        sets = ", ".join(f"{n} = :{n}" for n in names)
        sql = f"UPDATE {kind.table} SET {sets} WHERE id = :_id RETURNING version"
        version = conn.execute(sa.text(sql), {**changed, "_id": record_id}).scalar_one()
    return Saved(record_id, version)


def _check_review(conn: sa.Connection, kind: Kind, change: Change, changed: Mapping) -> None:
    """A reviewed record: who may move its review, and whether its month is still open."""
    if not kind.reviewed:
        return
    if changed.get("review") == "returned" and not change.values.get("return_reason"):
        raise failure("return_reason", "退回须说明原因 a reason is required to return")
    if change.actor.city_wide:
        return
    month = change.values.get("month", (change.old or {}).get("month"))
    review.check(change, changed.get("review"), month, review.deadline_day(conn))


def _drop_fixed(kind: Kind, values: dict[str, Any], old: Mapping[str, Any]) -> None:
    """Fields fixed once created may be echoed unchanged, never changed."""
    fixed = ["project", *(c.name for c in kind.columns if not c.on_update)]
    for name in fixed:
        if name in values and values.pop(name) != old[name]:
            raise failure(name, "创建后不可修改 fixed once created")


def lock(conn: sa.Connection, kind: Kind, record_id: int) -> Mapping[str, Any]:
    """The record with its project's code and county, locked for the write."""
    row = conn.execute(
        sa.text(
            f"SELECT r.*, p.code AS project, p.county FROM {kind.table} r"
            " JOIN projects p ON p.id = r.project_id"
            " WHERE r.id = :id AND p.deleted_at IS NULL FOR UPDATE OF r"
        ),
        {"id": record_id},
    )
    found = row.mappings().one_or_none()
    if found is None:
        raise NotFound(f"没有这条{kind.title} no such record {record_id}", parameter="id")
    return found


def etag(version: int) -> str:
    return f'"v{version}"'
