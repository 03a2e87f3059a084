"""Login sessions and API tokens: random secrets handed out once, stored as SHA-256.

A stolen database therefore holds nothing that logs in. Both are checked against the
user's row on every use, so disabling a user stops them at once. The app's database role
writes neither table itself: the definer functions of migration 0010 do, opening a
session or issuing a token only under the claim (mapserver/store/claims.py) of its user.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from mapserver.accounts.roles import Actor
from mapserver.errors import InvalidParameter, NotFound
from mapserver.store import claims

TOKEN_PREFIX = "gams_"  # Guang'an map server; lets secret scanners recognise a leaked token
MAX_TOKEN_NAME = 100


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def open_session(
    engine: Engine, user_id: int, lifetime: dt.timedelta, by: Actor | None = None
) -> str:
    """A new session for ``by`` (the user just logged in; None: maintenance); returns its
    token for the cookie (the database keeps the digest)."""
    token = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        claims.act(conn, by)
        conn.execute(
            sa.text("SELECT mapserver_open_session(:id, :user_id, :lifetime)"),
            {"id": digest(token), "user_id": user_id, "lifetime": lifetime},
        )
    return token


def session_actor(engine: Engine, token: str) -> Actor | None:
    """The actor of a live session: not revoked, not expired, its user active."""
    return _actor(
        engine,
        "SELECT u.id, u.username, u.role, u.county FROM user_sessions s "
        "JOIN users u ON u.id = s.user_id WHERE s.id = :h "
        "AND s.revoked_at IS NULL AND s.expires_at > now() AND u.active",
        token,
    )


def _actor(engine: Engine, sql: str, secret: str) -> Actor | None:
    """The (id, username, role, county) row that ``sql`` finds for the secret's digest."""
    with engine.begin() as conn:
        row = conn.execute(sa.text(sql), {"h": digest(secret)}).one_or_none()
    return Actor(*row) if row else None


def close_session(engine: Engine, token: str) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("SELECT mapserver_close_session(:id)"), {"id": digest(token)})


@dataclass(frozen=True)
class TokenInfo:
    """An API token as listed: never the secret itself."""

    id: int
    username: str
    name: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


def new_token(prefix: str, name: str, what: str) -> tuple[str, str]:
    """A token's checked name and a fresh secret starting with ``prefix`` (API and screen
    tokens alike): (name, plaintext)."""
    name = name.strip()
    if not 1 <= len(name) <= MAX_TOKEN_NAME:
        raise InvalidParameter(
            f"{what} needs a name of 1 to {MAX_TOKEN_NAME} characters", parameter="name"
        )
    return name, prefix + secrets.token_urlsafe(32)


def issue_token(
    engine: Engine, user_id: int, name: str, by: Actor | None = None
) -> tuple[int, str]:
    """A new API token: (id, plaintext); the plaintext is shown once and never stored.
    ``by``: the user themself (their claim), or None for maintenance (the CLI)."""
    name, token = new_token(TOKEN_PREFIX, name, "a token")
    with engine.begin() as conn:
        claims.act(conn, by)
        token_id = conn.execute(
            sa.text("SELECT mapserver_issue_token(:u, :n, :h)"),
            {"u": user_id, "n": name, "h": digest(token)},
        ).scalar_one()
    return token_id, token


def token_actor(engine: Engine, token: str) -> Actor | None:
    """The actor of a live token (not revoked, user active); notes when it was used."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    return _actor(engine, "SELECT id, username, role, county FROM mapserver_use_token(:h)", token)


def revoke_token(
    engine: Engine, token_id: int, user_id: int | None = None, by: Actor | None = None
) -> None:
    """Revoke a token; with ``user_id``, only if it is that user's (else NotFound).
    ``by``: its owner or an admin (their claim), or None for maintenance (the CLI)."""
    with engine.begin() as conn:
        claims.act(conn, by)
        found = conn.execute(
            sa.text("SELECT mapserver_revoke_token(:id, CAST(:u AS bigint))"),
            {"id": token_id, "u": user_id},
        ).one_or_none()
    if found is None:
        raise NotFound(f"no API token {token_id}", parameter="id")


def list_tokens(engine: Engine, user_id: int | None = None) -> list[TokenInfo]:
    """Tokens of one user, or of everyone (``None``), newest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT t.id, u.username, t.name, t.created_at, t.last_used_at, t.revoked_at "
                "FROM api_tokens t JOIN users u ON u.id = t.user_id "
                "WHERE CAST(:u AS bigint) IS NULL OR t.user_id = :u ORDER BY t.id DESC"
            ),
            {"u": user_id},
        ).all()
    return [TokenInfo(*row) for row in rows]
