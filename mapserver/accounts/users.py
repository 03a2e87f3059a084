"""User accounts: creation, validation, login checks, and the demo accounts.

Framework-free: every function takes the engine and plain values, so the CLI, the
runner and the web layer share them. Sessions and API tokens: :mod:`mapserver.accounts.credentials`.

The app's database role cannot write ``users``: every write goes through a definer
function of migration 0010 that checks the claim of ``by`` (an admin's for creating and
changing users). ``by=None`` is the owner's maintenance (CLI on the admin URL, demo).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from mapserver.accounts import passwords
from mapserver.accounts.roles import ADMIN, COUNTY_EDITOR, DISPATCHER, ROLES, VIEWER, Actor
from mapserver.errors import Conflict, InvalidParameter, NotFound
from mapserver.store import claims

USERNAME = re.compile(r"[a-z][a-z0-9_.-]{1,39}")
MAX_DISPLAY_NAME = 100
COLUMNS = "id, username, display_name, role, county, active, created_at, last_login_at"


@dataclass(frozen=True)
class Account:
    """A user as the rest of the code sees it (never with the password hash)."""

    id: int
    username: str
    display_name: str
    role: str
    county: str | None
    active: bool
    created_at: dt.datetime
    last_login_at: dt.datetime | None

    def actor(self) -> Actor:
        return Actor(self.id, self.username, self.role, self.county)


def create_user(
    engine: Engine,
    username: str,
    role: str,
    county: str | None = None,
    display_name: str = "",
    password: str | None = None,
    by: Actor | None = None,
) -> tuple[Account, str]:
    """A new active user and its password (generated when none is given: show it once)."""
    if not USERNAME.fullmatch(username):
        raise InvalidParameter(
            f"username {username[:50]!r} must be 2-40 characters: a-z first, then a-z, 0-9, _ . -",
            parameter="username",
        )
    _check_display_name(display_name)
    password = password or passwords.generate()
    digest = passwords.hash_password(password)
    with engine.begin() as conn:
        check_role(conn, role, county)
        claims.act(conn, by)
        row = conn.execute(
            sa.text(f"SELECT {COLUMNS} FROM mapserver_create_user(:u, :d, :r, :c, :h)"),
            {"u": username, "d": display_name, "r": role, "c": county, "h": digest},
        ).one_or_none()
    if row is None:
        raise Conflict(f"username {username!r} is taken", parameter="username")
    return Account(*row), password


def check_role(conn: Connection, role: str, county: str | None) -> None:
    """A known role; a county (that exists) for county editors and for no one else."""
    if role not in ROLES:
        raise InvalidParameter(f"unknown role {role[:50]!r}", parameter="role", allowed=ROLES)
    if (role == COUNTY_EDITOR) != (county is not None):
        raise InvalidParameter(
            "a county is required for county_editor and allowed for no other role",
            parameter="county",
        )
    if county is not None:
        names = county_names(conn)
        if county not in names:
            raise InvalidParameter(
                f"unknown county {county[:50]!r}", parameter="county", allowed=list(names)
            )


def county_names(conn: Connection) -> dict[str, str]:
    return dict(conn.execute(sa.text("SELECT adcode, name FROM counties ORDER BY adcode")).all())


def _check_display_name(display_name: str) -> None:
    if len(display_name) > MAX_DISPLAY_NAME:
        raise InvalidParameter(
            f"display_name has more than {MAX_DISPLAY_NAME} characters", parameter="display_name"
        )


def get_user(engine: Engine, username: str) -> Account:
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(f"SELECT {COLUMNS} FROM users WHERE username = :u"), {"u": username}
        ).one_or_none()
    if row is None:
        raise NotFound(f"no user {username[:50]!r}", parameter="username")
    return Account(*row)


def list_users(engine: Engine) -> list[Account]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text(f"SELECT {COLUMNS} FROM users ORDER BY username")).all()
    return [Account(*row) for row in rows]


def authenticate(engine: Engine, username: str, password: str) -> Actor | None:
    """The actor when the password is right and the user active, else None.

    Unknown users cost the same hashing work as known ones; a hash made with old
    parameters is replaced now that we know the password.
    """
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(f"SELECT {COLUMNS}, password_hash FROM users WHERE username = :u"),
            {"u": username},
        ).one_or_none()
    stored = row.password_hash if row else None
    if not passwords.verify(stored, password) or not row.active:
        return None
    actor = Actor(row.id, row.username, row.role, row.county)
    rehashed = passwords.hash_password(password) if passwords.needs_rehash(stored) else stored
    with engine.begin() as conn:
        claims.claim(conn, actor)
        conn.execute(
            sa.text("SELECT mapserver_note_login(:id, :old, :new)"),
            {"id": row.id, "old": stored, "new": rehashed},
        )
    return actor


def update_user(engine: Engine, user_id: int, by: Actor | None = None, **changes: Any) -> Account:
    """Change ``active``, ``role`` with ``county``, ``display_name`` or ``password``.

    Deactivating a user or changing their password ends their sessions; a new role
    applies to their next request (sessions read the user's row every time).
    """
    unknown = set(changes) - {"active", "role", "county", "display_name", "password"}
    if unknown:
        name = sorted(unknown)[0]
        raise InvalidParameter(f"cannot change {name!r}", parameter=name)
    values = {k: v for k, v in changes.items() if k != "password"}
    if "password" in changes:
        values["password_hash"] = passwords.hash_password(changes["password"])
    if "display_name" in values:
        _check_display_name(values["display_name"])
    with engine.begin() as conn:
        if "role" in values:
            values.setdefault("county", None)
            check_role(conn, values["role"], values["county"])
        elif "county" in values:
            raise InvalidParameter("change county together with role", parameter="county")
        claims.act(conn, by)
        row = conn.execute(
            sa.text(f"SELECT {COLUMNS} FROM mapserver_update_user(:id, CAST(:changes AS jsonb))"),
            {"id": user_id, "changes": json.dumps(values)},
        ).one_or_none()
        if row is None:
            raise NotFound(f"no user {user_id}", parameter="id")
    return Account(*row)


def set_active(engine: Engine, user_id: int, active: bool, by: Actor | None = None) -> Account:
    """Enable or disable a user; disabling ends their sessions and stops their tokens."""
    return update_user(engine, user_id, by, active=active)


def set_password(engine: Engine, user_id: int, password: str, by: Actor | None = None) -> Account:
    """A new password; the user's sessions end (their API tokens keep working)."""
    return update_user(engine, user_id, by, password=password)


DEMO_TITLES = {ADMIN: "演示管理员", DISPATCHER: "演示调度员", VIEWER: "演示只读用户"}


def create_demo_users(engine: Engine) -> list[tuple[str, str, str | None, str]]:
    """One user per city-wide role and one county editor per county, random passwords.

    Returns (username, role, county, password) rows for the console, the only place
    the passwords ever appear.
    """
    with engine.connect() as conn:
        counties = county_names(conn)
    wanted: list[tuple[str, str, str | None, str]] = [
        (role, role, None, title) for role, title in DEMO_TITLES.items()
    ]
    wanted += [
        (f"editor_{adcode}", COUNTY_EDITOR, adcode, f"{name}演示编辑")
        for adcode, name in counties.items()
    ]
    created = []
    for username, role, county, title in wanted:
        _, password = create_user(engine, username, role, county, title)
        created.append((username, role, county, password))
    return created
