"""Login throttling with counters in the database, so every worker and app host shares them.

Two limits, checked before a password is (see docs/auth.md, "Throttling"):

- per client address, ``MAPSERVER_LOGIN_LIMIT`` attempts per fixed window (e.g. 10 per
  minute). An address over it waits for the window's end, never longer.
- per username as typed (known or not, so answers never tell which accounts exist), a
  growing delay: after ``MAPSERVER_LOGIN_FREE_FAILURES`` failed attempts each further one
  must wait 1, 2, 4 … seconds, at most ``MAPSERVER_LOGIN_MAX_DELAY``. Once the wait is over
  a right password always works, and a success clears the count. The count is forgotten a
  day after the last failure.

An admitted attempt is counted before the password is checked (and uncounted by a
success), so concurrent guesses cannot slip past a count that is not yet written.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import limits
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from mapserver.errors import ConfigError

FORGET = dt.timedelta(days=1)
MAX_KEY = 100  # usernames have at most 40 characters; longer ones are cut, still counted
SWEEP = 100  # expired rows deleted per admitted attempt


@dataclass(frozen=True)
class Policy:
    """The limits, from the settings; ``window`` and ``max_delay`` in seconds."""

    attempts: int
    window: float
    free_failures: int
    max_delay: float

    @classmethod
    def from_settings(cls, settings: Any) -> Policy:
        """Validated ``login_limit``, ``login_free_failures`` and ``login_max_delay``."""
        limit = settings.login_limit
        try:
            [item] = limits.parse_many(limit)
        except ValueError:
            raise ConfigError(
                f"MAPSERVER_LOGIN_LIMIT={limit!r} is not one rate limit (e.g. 10 per minute)"
            ) from None
        if settings.login_free_failures < 1:
            raise ConfigError("MAPSERVER_LOGIN_FREE_FAILURES must be at least 1")
        delay = settings.login_max_delay
        if not (math.isfinite(delay) and 0 < delay <= 86400):
            raise ConfigError(
                f"MAPSERVER_LOGIN_MAX_DELAY={delay!r}: seconds, over 0, at most 86400"
            )
        return cls(item.amount, float(item.get_expiry()), settings.login_free_failures, delay)

    def delay(self, failures: int) -> float:
        """Seconds the next attempt on an account must wait after ``failures`` failures."""
        if failures < self.free_failures:
            return 0.0
        return min(2.0 ** min(failures - self.free_failures, 60), self.max_delay)


def keys(address: str | None, username: str) -> tuple[str, str]:
    """The address's and the username's counter keys (address first: the lock order)."""
    return f"addr:{address or 'unknown'}", f"user:{username[:MAX_KEY]}"


def admit(engine: Engine, policy: Policy, address: str | None, username: str) -> float:
    """0 when this attempt may check a password (it is counted now); else the seconds
    to wait before the next one may."""
    addr, user = keys(address, username)
    with engine.begin() as conn:
        now = conn.execute(sa.text("SELECT now()")).scalar_one()
        window = dt.timedelta(seconds=policy.window)
        rows = {
            key: _locked(conn, key, now, span) for key, span in ((addr, window), (user, FORGET))
        }
        wait = max((row["next_allowed"] - now).total_seconds() for row in rows.values())
        if wait > 0:
            return wait
        count = rows[addr]["count"] + 1
        expires = rows[addr]["expires_at"]
        _store(conn, addr, count, expires if count >= policy.attempts else now, expires)
        count = rows[user]["count"] + 1
        allowed = now + dt.timedelta(seconds=policy.delay(count))
        _store(conn, user, count, allowed, allowed + FORGET)
    _sweep(engine)
    return 0.0


def succeeded(engine: Engine, username: str) -> None:
    """A right password: the username's count starts again (the address's does not, or a
    guesser with an account of their own could reset it)."""
    with engine.begin() as conn:
        conn.execute(
            sa.text("DELETE FROM login_failures WHERE key = :k"), {"k": keys("", username)[1]}
        )


def _locked(conn: Connection, key: str, now: dt.datetime, span: dt.timedelta) -> dict[str, Any]:
    """The key's live counter, row-locked until commit; a fresh one (lasting ``span``) if
    none or expired. An address's ``expires_at`` is the end of its window."""
    conn.execute(
        sa.text(
            "INSERT INTO login_failures (key, count, next_allowed, expires_at)"
            " VALUES (:k, 0, now(), now()) ON CONFLICT (key) DO NOTHING"
        ),
        {"k": key},
    )
    row = conn.execute(
        sa.text(
            "SELECT count, next_allowed, expires_at FROM login_failures WHERE key = :k FOR UPDATE"
        ),
        {"k": key},
    ).one_or_none()
    if row is None or row.expires_at <= now:
        return {"count": 0, "next_allowed": now, "expires_at": now + span}
    return row._asdict()


def _store(
    conn: Connection, key: str, count: int, next_allowed: dt.datetime, expires: dt.datetime
) -> None:
    conn.execute(
        sa.text(
            "INSERT INTO login_failures (key, count, next_allowed, expires_at)"
            " VALUES (:k, :c, :n, :e) ON CONFLICT (key) DO UPDATE"
            " SET count = :c, next_allowed = :n, expires_at = :e"
        ),
        {"k": key, "c": count, "n": next_allowed, "e": expires},
    )


def _sweep(engine: Engine) -> None:
    """Forget a few expired counters (rows others are busy with are skipped)."""
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "DELETE FROM login_failures WHERE key IN (SELECT key FROM login_failures"
                " WHERE expires_at < now() - interval '1 minute'"
                " ORDER BY expires_at LIMIT :n FOR UPDATE SKIP LOCKED)"
            ),
            {"n": SWEEP},
        )
