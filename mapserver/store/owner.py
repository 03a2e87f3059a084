"""Startup work only the database's owner may do: the rules file and the claim key.

The app logs in as a role that may write neither ``health_rules``/``reporting_rules`` nor
the claim key (migration 0010). With ``MAPSERVER_ADMIN_DATABASE_URL`` (the owner) the app
does this work itself at startup; without it, on its own URL, which works when that is
the owner, or when nothing has changed since the owner last did it (``make run`` and
``python -m mapserver migrate`` do). Otherwise it stops with what to run.
"""

from __future__ import annotations

import logging
from pathlib import Path

import psycopg.errors
import sqlalchemy as sa

from mapserver.battle import rules
from mapserver.errors import ConfigError
from mapserver.store import claims
from mapserver.store.db import make_engine

log = logging.getLogger(__name__)
AS_OWNER = (
    "run `python -m mapserver migrate` with the owner's MAPSERVER_DATABASE_URL, or set"
    " MAPSERVER_ADMIN_DATABASE_URL (docs/security.md)"
)


def prepare(url: str, layers_dir: Path, claim_key: bytes) -> rules.Rules:
    """The rules, written where the database reads them; the claim key installed."""
    engine = make_engine(url, 1)
    try:
        try:
            loaded = rules.load(layers_dir, engine)
        except sa.exc.ProgrammingError as exc:
            if not isinstance(exc.orig, psycopg.errors.InsufficientPrivilege):
                raise
            msg = f"{rules.RULES_FILE} changed since it was applied: {AS_OWNER}"
            raise ConfigError(msg) from None
        _install(engine, claim_key)
    finally:
        engine.dispose()
    return loaded


def _install(engine: sa.Engine, claim_key: bytes) -> None:
    """The claim key, installed if we may; else it must be the installed one already."""
    if claims.key_matches(engine, claim_key):
        return
    try:
        claims.install_key(engine, claim_key)
    except sa.exc.ProgrammingError as exc:
        if not isinstance(exc.orig, psycopg.errors.InsufficientPrivilege):
            raise
        raise ConfigError(
            "the database checks actor claims with another key than this app's secret"
            f" (MAPSERVER_SECRET_KEY or var/secret_key) or none: {AS_OWNER}"
        ) from None


LOGIN = """
SELECT r.rolsuper OR EXISTS (SELECT 1 FROM pg_class c WHERE c.relowner = r.oid
                             AND c.relnamespace = 'public'::regnamespace)
FROM pg_roles r WHERE r.rolname = session_user
"""


def warn_if_owner(engine: sa.Engine) -> bool:
    """A login that is a superuser or owns the tables can undo the database rule (RESET
    ROLE, ALTER TABLE … DISABLE TRIGGER): say so, once, at startup; True if it is one."""
    with engine.connect() as conn:
        owner = bool(conn.execute(sa.text(LOGIN)).scalar())
    if owner:
        log.warning(
            "mapserver: the app logs in as a superuser or the tables' owner; SQL injected into"
            " its connection could undo the database rule. Log in as a role that owns nothing"
            " (docs/security.md)."
        )
    return owner
