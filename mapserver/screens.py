"""Screen tokens (大屏令牌): a big screen's own read-only access, named and revocable.

A dispatcher issues one, optionally bound to an address range, and opens ``/?screen=…``
once on the screen; the page keeps it in a cookie. Like API tokens, only the SHA-256
digest is stored. Every write to ``screen_tokens`` is in this module (issue, revoke), so
the database rule can route them through narrow functions. Revoking wakes every live
stream (NOTIFY), which ends the screen's within a second.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from mapserver.credentials import digest
from mapserver.errors import InvalidParameter, NotFound
from mapserver.live import CHANNEL

TOKEN_PREFIX = "gasc_"  # Guang'an screen; never confused with an API token (gams_)
MAX_NAME = 100
TOUCH_EVERY = dt.timedelta(minutes=1)  # last_used_at is noted at most this often


@dataclass(frozen=True)
class ScreenToken:
    """A screen token as listed: never the secret itself."""

    id: int
    name: str
    cidr: str | None
    created_by: str | None
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


def network(value: str | None) -> str | None:
    """A CIDR range as PostgreSQL stores it (``10.1.2.0/24``), or InvalidParameter."""
    if value is None or value == "":
        return None
    try:
        return str(ipaddress.ip_network(value.strip(), strict=False))
    except (ValueError, AttributeError):
        raise InvalidParameter(
            f"cidr {str(value)[:64]!r} is not an address range (e.g. 10.20.0.0/16)",
            parameter="cidr",
        ) from None


def issue(engine: Engine, name: str, cidr: str | None, user_id: int | None) -> tuple[int, str]:
    """A new screen token: (id, plaintext); the plaintext is shown once and never stored."""
    name = name.strip()
    if not 1 <= len(name) <= MAX_NAME:
        raise InvalidParameter(
            f"a screen token needs a name of 1 to {MAX_NAME} characters", parameter="name"
        )
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with engine.begin() as conn:
        token_id = conn.execute(
            sa.text(
                "INSERT INTO screen_tokens (name, token_hash, cidr, created_by) "
                "VALUES (:n, :h, CAST(:c AS cidr), :u) RETURNING id"
            ),
            {"n": name, "h": digest(token), "c": network(cidr), "u": user_id},
        ).scalar_one()
    return token_id, token


def revoke(engine: Engine, token_id: int) -> None:
    """Revoke a token (NotFound if there is none) and wake every live stream."""
    with engine.begin() as conn:
        found = conn.execute(
            sa.text(
                "UPDATE screen_tokens SET revoked_at = coalesce(revoked_at, now()) "
                "WHERE id = :id RETURNING id"
            ),
            {"id": token_id},
        ).one_or_none()
        if found is None:
            raise NotFound(f"no screen token {token_id}", parameter="id")
        conn.execute(sa.text("SELECT pg_notify(:channel, 'access')"), {"channel": CHANNEL})


def lookup(engine: Engine, token: str, address: str | None, touch: bool = False) -> int | None:
    """The id of a live token usable from ``address``; None if unknown, revoked or out of
    its range. With ``touch``, notes the use (at most once a minute)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    try:
        address = str(ipaddress.ip_address(address or ""))
    except ValueError:
        address = None
    sql = (
        "SELECT id FROM screen_tokens WHERE token_hash = :h AND revoked_at IS NULL "
        "AND (cidr IS NULL OR CAST(:a AS inet) <<= cidr)"
    )
    with engine.begin() as conn:
        found = conn.execute(sa.text(sql), {"h": digest(token), "a": address}).scalar()
        if found is not None and touch:
            conn.execute(
                sa.text(
                    "UPDATE screen_tokens SET last_used_at = now() WHERE id = :id "
                    "AND (last_used_at IS NULL OR last_used_at < now() - :every)"
                ),
                {"id": found, "every": TOUCH_EVERY},
            )
    return found


def listing(engine: Engine) -> list[ScreenToken]:
    """Every screen token, newest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT s.id, s.name, CAST(s.cidr AS text), u.username, s.created_at, "
                "s.last_used_at, s.revoked_at FROM screen_tokens s "
                "LEFT JOIN users u ON u.id = s.created_by ORDER BY s.id DESC"
            )
        ).all()
    return [ScreenToken(*row) for row in rows]
