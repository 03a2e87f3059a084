"""Startup work only the database's owner may do: the rules file and the claim key.

The app logs in as a role that may write neither ``health_rules``/``reporting_rules`` nor
the claim key (migration 0010). With ``MAPSERVER_ADMIN_DATABASE_URL`` (the owner) the app
does this work itself at startup; without it, on its own URL, which works when that is
the owner, or when nothing has changed since the owner last did it (``make run`` and
``python -m mapserver migrate`` do). Otherwise it stops with what to run.
"""

from __future__ import annotations

from pathlib import Path

import psycopg.errors
import sqlalchemy as sa

from mapserver import claims, rules
from mapserver.db import make_engine
from mapserver.errors import ConfigError

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
