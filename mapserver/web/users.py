"""``/auth/users``: administrators list, create and change user accounts (JSON)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from mapserver.accounts import users
from mapserver.accounts.roles import ADMIN, Actor
from mapserver.errors import Forbidden, InvalidParameter
from mapserver.web.auth import account_json, require_login
from mapserver.web.json_api import created, json_object
from mapserver.web.state import current

FIELDS = {
    "username": str,
    "role": str,
    "county": (str, type(None)),
    "display_name": str,
    "password": str,
    "active": bool,
}


def _admin(*, write: bool) -> Actor:
    actor = require_login(csrf=write)
    if actor.role != ADMIN:
        raise Forbidden("只有管理员可以管理账号 Only administrators manage accounts")
    return actor


def _fields(allowed: set[str]) -> dict[str, Any]:
    """The body's fields, each of the expected JSON type; unknown ones refused."""
    body = json_object()
    for name, value in body.items():
        if name not in allowed:
            raise InvalidParameter(
                f"unknown field {name[:50]!r}", parameter=name[:50], allowed=sorted(allowed)
            )
        if not isinstance(value, FIELDS[name]):
            raise InvalidParameter(f"{name} has the wrong type", parameter=name)
    return body


def list_users() -> Response:
    _admin(write=False)
    return jsonify(users=[account_json(a) for a in users.list_users(current().engine)])


def create_user() -> Response:
    """A new user; the password is generated (and shown once) unless given."""
    actor = _admin(write=True)
    body = _fields({"username", "role", "county", "display_name", "password"})
    for name in ("username", "role"):
        if name not in body:
            raise InvalidParameter(f"{name} is required", parameter=name)
    account, password = users.create_user(current().engine, **body, by=actor)
    result = account_json(account)
    if "password" not in body:
        result["password"] = password
    return created(result)


def update_user(username: str) -> Response:
    """Change ``active``, ``role`` (with ``county``), ``display_name`` or ``password``."""
    actor = _admin(write=True)
    changes = _fields({"role", "county", "display_name", "password", "active"})
    if username == actor.username and {"role", "active"} & set(changes):
        raise Forbidden("不能修改自己的角色或停用自己 You cannot demote or disable yourself")
    engine = current().engine
    account = users.update_user(engine, users.get_user(engine, username).id, actor, **changes)
    return jsonify(account_json(account))
