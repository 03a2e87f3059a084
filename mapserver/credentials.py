"""Login sessions and API tokens: random secrets handed out once, stored as SHA-256.

A stolen database therefore holds nothing that logs in. Both are checked against the
user's row on every use, so disabling a user stops them at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from mapserver.accounts import Actor
from mapserver.errors import InvalidParameter, NotFound

TOKEN_PREFIX = "gams_"  # Guang'an map server; lets secret scanners recognise a leaked token
MAX_TOKEN_NAME = 100


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def open_session(engine: Engine, user_id: int, lifetime: dt.timedelta) -> str:
    """A new session; returns its token for the cookie (the database keeps the digest)."""
    token = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO user_sessions (id, user_id, expires_at) "
                "VALUES (:id, :user_id, now() + :lifetime)"
            ),
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
        conn.execute(
            sa.text(
                "UPDATE user_sessions SET revoked_at = now() WHERE id = :id AND revoked_at IS NULL"
            ),
            {"id": digest(token)},
        )


def revoke_sessions(conn: Connection, user_id: int) -> None:
    """End every session of a user (inside the caller's transaction)."""
    conn.execute(
        sa.text(
            "UPDATE user_sessions SET revoked_at = now() "
            "WHERE user_id = :u AND revoked_at IS NULL AND expires_at > now()"
        ),
        {"u": user_id},
    )


@dataclass(frozen=True)
class TokenInfo:
    """An API token as listed: never the secret itself."""

    id: int
    username: str
    name: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


def issue_token(engine: Engine, user_id: int, name: str) -> tuple[int, str]:
    """A new API token: (id, plaintext); the plaintext is shown once and never stored."""
    name = name.strip()
    if not 1 <= len(name) <= MAX_TOKEN_NAME:
        raise InvalidParameter(
            f"a token needs a name of 1 to {MAX_TOKEN_NAME} characters", parameter="name"
        )
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with engine.begin() as conn:
        token_id = conn.execute(
            sa.text(
                "INSERT INTO api_tokens (user_id, name, token_hash) "
                "VALUES (:u, :n, :h) RETURNING id"
            ),
            {"u": user_id, "n": name, "h": digest(token)},
        ).scalar_one()
    return token_id, token


def token_actor(engine: Engine, token: str) -> Actor | None:
    """The actor of a live token (not revoked, user active); notes when it was used."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    return _actor(
        engine,
        "UPDATE api_tokens t SET last_used_at = now() FROM users u "
        "WHERE t.token_hash = :h AND t.revoked_at IS NULL AND u.id = t.user_id AND u.active "
        "RETURNING u.id, u.username, u.role, u.county",
        token,
    )


def revoke_token(engine: Engine, token_id: int, user_id: int | None = None) -> None:
    """Revoke a token; with ``user_id``, only if it is that user's (else NotFound)."""
    with engine.begin() as conn:
        found = conn.execute(
            sa.text(
                "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) "
                "WHERE id = :id AND (CAST(:u AS bigint) IS NULL OR user_id = :u) RETURNING id"
            ),
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
