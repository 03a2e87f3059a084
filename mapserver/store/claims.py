"""Actor claims: who acts in a write transaction, signed so that SQL cannot forge it.

The database's triggers and account functions (migration 0010) believe no setting about
the acting user, only ``mapserver.claim``: ``v1|user id|username|role|county|tolerance
m|txid`` with its HMAC-SHA256 under a key derived from the app's secret. The database
keeps the same key where the app's login role cannot read it, and refuses a claim with a
bad signature or made for another transaction (txid). So SQL slipped into the app's
connection can at most act as the user the app already acts for, in that transaction.

The owner installs the key (:func:`install_key`: ``make run``, ``python -m mapserver
install-key``); the app only checks at startup that its key is the installed one.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from mapserver.accounts.roles import Actor

LABEL = b"actor-claim"  # the claim key is HMAC(secret, LABEL): never the cookie key itself
VERSION = "v1"
OPTION = "claim_key"  # the engine's execution option that carries the key


def subkey(secret: str) -> bytes:
    """The claim key derived from the app's secret (MAPSERVER_SECRET_KEY / var/secret_key)."""
    return hmac.new(secret.encode(), LABEL, hashlib.sha256).digest()


@functools.cache
def configured_key() -> bytes:
    """The key of the configured secret, for engines made without one (CLI, tests)."""
    from mapserver.accounts import secretkey
    from mapserver.settings import Settings

    return subkey(secretkey.load(Settings.load().secret_key))


def key_of(conn: Connection) -> bytes:
    return conn.get_execution_options().get(OPTION) or configured_key()


def signed(key: bytes, actor: Actor, tolerance_m: float, txid: int) -> str:
    """The claim text and its signature, as the database's ``mapserver_claim()`` reads it."""
    fields = [VERSION, str(actor.user_id), actor.username, actor.role, actor.county or ""]
    fields += [repr(float(tolerance_m)), str(txid)]
    if any("|" in f for f in fields):
        raise ValueError(f"'|' in an actor claim: {fields!r}")
    text = "|".join(fields)
    return text + "|" + hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def claim(conn: Connection, actor: Actor, tolerance_m: float = 200.0) -> None:
    """Act as ``actor`` for the rest of this transaction (which it binds to its txid)."""
    txid = conn.execute(sa.text("SELECT txid_current()")).scalar_one()
    conn.execute(
        sa.text("SELECT set_config('mapserver.claim', :c, true)"),
        {"c": signed(key_of(conn), actor, tolerance_m, txid)},
    )


def act(conn: Connection, actor: Actor | None) -> None:
    """:func:`claim` for ``actor``; ``None`` is the owner's maintenance: no claim."""
    if actor is not None:
        claim(conn, actor)


def install_key(engine: Engine, key: bytes) -> bool:
    """As the owner: store ``key`` for the database to check claims; True if it changed."""
    with engine.begin() as conn:
        changed = conn.execute(
            sa.text(
                "INSERT INTO mapserver_private.claim_key (key) VALUES (:k)"
                " ON CONFLICT (id) DO UPDATE SET key = EXCLUDED.key, installed_at = now()"
                " WHERE claim_key.key <> EXCLUDED.key RETURNING true"
            ),
            {"k": key},
        ).scalar()
    return bool(changed)


def key_matches(engine: Engine, key: bytes) -> bool | None:
    """Whether the database checks claims with ``key``; None when it has no key at all."""
    probe = "probe|" + secrets.token_hex(16)
    signature = hmac.new(key, probe.encode(), hashlib.sha256).hexdigest()
    with engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT mapserver_claim_key_matches(:p, :s)"), {"p": probe, "s": signature}
        ).scalar()
