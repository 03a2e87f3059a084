"""Screen tokens (大屏令牌): a big screen's own read-only access, named and revocable.

A dispatcher issues one, optionally bound to an address range, and opens ``/?screen=…``
once on the screen; the page keeps it in a cookie. Like API tokens, only the SHA-256
digest is stored. Every write to ``screen_tokens`` is in this module, through migration
0011's definer functions: issuing and revoking carry a dispatcher's or an admin's actor
claim (mapserver.store.claims). Revoking wakes every live stream (NOTIFY), which ends the
screen's within a second.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from mapserver.accounts.credentials import digest, new_token
from mapserver.accounts.roles import Actor
from mapserver.errors import InvalidParameter, NotFound
from mapserver.features.live import ACCESS, CHANNEL
from mapserver.store import claims

TOKEN_PREFIX = "gasc_"  # Guang'an screen; never confused with an API token (gams_)


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


def issue(engine: Engine, name: str, cidr: str | None, by: Actor | None) -> tuple[int, str]:
    """A new screen token: (id, plaintext); the plaintext is shown once and never stored.
    ``by``: the dispatcher or admin issuing it, or None for maintenance (the CLI)."""
    name, token = new_token(TOKEN_PREFIX, name, "a screen token")
    with engine.begin() as conn:
        claims.act(conn, by)
        token_id = conn.execute(
            sa.text("SELECT mapserver_issue_screen_token(:n, :h, CAST(:c AS cidr))"),
            {"n": name, "h": digest(token), "c": network(cidr)},
        ).scalar_one()
    return token_id, token


def revoke(engine: Engine, token_id: int, by: Actor | None) -> None:
    """Revoke a token (NotFound if there is none) and wake every live stream."""
    with engine.begin() as conn:
        claims.act(conn, by)
        found = conn.execute(
            sa.text("SELECT mapserver_revoke_screen_token(:id)"), {"id": token_id}
        ).one_or_none()
        if found is None:
            raise NotFound(f"no screen token {token_id}", parameter="id")
        conn.execute(sa.text("SELECT pg_notify(:c, :p)"), {"c": CHANNEL, "p": ACCESS})


def lookup(engine: Engine, token: str, address: str | None, touch: bool = False) -> int | None:
    """The id of a live token usable from ``address``; None if unknown, revoked or out of
    its range. With ``touch``, notes the use (at most once a minute)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    try:
        address = str(ipaddress.ip_address(address or ""))
    except ValueError:
        address = None
    sql = "SELECT mapserver_use_screen_token(:h, CAST(:a AS inet), :t)"
    with engine.begin() as conn:
        return conn.execute(sa.text(sql), {"h": digest(token), "a": address, "t": touch}).scalar()


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
