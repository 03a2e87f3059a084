"""User accounts: creation, validation, login checks, and the demo accounts.

Framework-free: every function takes the engine and plain values, so the CLI, the
runner and the web layer share them. Sessions and API tokens: :mod:`mapserver.credentials`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from mapserver import credentials, passwords
from mapserver.accounts import ADMIN, COUNTY_EDITOR, DISPATCHER, ROLES, VIEWER, Actor
from mapserver.errors import Conflict, InvalidParameter, NotFound

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
        row = conn.execute(
            sa.text(
                "INSERT INTO users (username, display_name, role, county, password_hash) "
                "VALUES (:u, :d, :r, :c, :h) ON CONFLICT (username) DO NOTHING "
                f"RETURNING {COLUMNS}"
            ),
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
    update: dict[str, Any] = {"id": row.id, "h": stored}
    if passwords.needs_rehash(stored):
        update["h"] = passwords.hash_password(password)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE users SET last_login_at = now(), password_hash = :h WHERE id = :id"),
            update,
        )
    return Actor(row.id, row.username, row.role, row.county)


def update_user(engine: Engine, user_id: int, **changes: Any) -> Account:
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
        sets = ", ".join(f"{name} = :{name}" for name in values) or "id = id"
        row = conn.execute(
            sa.text(f"UPDATE users SET {sets} WHERE id = :id RETURNING {COLUMNS}"),
            {**values, "id": user_id},
        ).one_or_none()
        if row is None:
            raise NotFound(f"no user {user_id}", parameter="id")
        if "password" in changes or changes.get("active") is False:
            credentials.revoke_sessions(conn, user_id)
    return Account(*row)


def set_active(engine: Engine, user_id: int, active: bool) -> Account:
    """Enable or disable a user; disabling ends their sessions and stops their tokens."""
    return update_user(engine, user_id, active=active)


def set_password(engine: Engine, user_id: int, password: str) -> Account:
    """A new password; the user's sessions end (their API tokens keep working)."""
    return update_user(engine, user_id, password=password)


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
