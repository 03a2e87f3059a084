"""One write transaction: as the write role, with the acting user set for the database.

Every write of the server (projects in ``editing``, the battle-map records in
``records``, published red/black lists in ``ranking_periods``) runs inside
:func:`transaction`. It switches to the write role (``MAPSERVER_WRITE_ROLE``, which may
not delete or rewrite history), signs the acting user's claim for the triggers that check
the county rule and record history (mapserver/store/claims.py: a claim SQL cannot forge), and
turns the database's refusals into client errors.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass

import psycopg.errors
import sqlalchemy as sa

from mapserver.accounts.roles import Actor
from mapserver.errors import Conflict, Forbidden, PreconditionFailed, Unprocessable
from mapserver.store import claims

WRITE_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class Writer:
    """Who writes, where, as which database role."""

    engine: sa.Engine
    actor: Actor
    write_role: str = "mapserver_app"

    def transaction(self) -> AbstractContextManager[sa.Connection]:
        return transaction(self.engine, self.actor, self.write_role)


@contextmanager
def transaction(
    engine: sa.Engine,
    actor: Actor,
    write_role: str = "mapserver_app",
    tolerance_m: float = 200.0,
    note: str = "",
) -> Iterator[sa.Connection]:
    """One write: as the write role, with the acting user's claim for the triggers."""
    try:
        with engine.begin() as conn:
            if write_role:
                if not WRITE_ROLE.match(write_role):
                    raise ValueError(f"MAPSERVER_WRITE_ROLE: not a role name: {write_role!r}")
                conn.execute(sa.text(f'SET LOCAL ROLE "{write_role}"'))
            claims.claim(conn, actor, tolerance_m)
            conn.execute(sa.text("SELECT set_config('mapserver.note', :n, true)"), {"n": note})
            yield conn
    except sa.exc.DBAPIError as exc:
        raise translated(exc) from None


def translated(exc: sa.exc.DBAPIError) -> Exception:
    """The database's refusals as client errors; anything else stays a bug."""
    orig = exc.orig
    message = getattr(getattr(orig, "diag", None), "message_primary", None) or str(orig)
    if isinstance(orig, psycopg.errors.InsufficientPrivilege):
        return Forbidden(f"数据库拒绝 Refused by the database: {message}")
    if isinstance(orig, psycopg.errors.UniqueViolation):
        return Conflict(f"已存在 Already exists: {message}")
    if isinstance(orig, psycopg.errors.CheckViolation | psycopg.errors.ForeignKeyViolation):
        return Unprocessable(f"数据不符合约束 Violates a constraint: {message}")
    return exc


def check_version(current: int, if_match: int | None, what: str = "项目") -> None:
    """Optimistic locking: ``if_match`` None means ``If-Match: *`` (any current version)."""
    if if_match is not None and current != if_match:
        raise PreconditionFailed(
            f"{what}已被他人修改：当前版本 {current}，您的版本 {if_match} "
            f"Changed since you loaded it (now version {current}, yours {if_match})",
            current_version=current,
            your_version=if_match,
        )
