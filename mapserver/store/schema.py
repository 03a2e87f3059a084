"""Applying the Alembic migrations from code (the CLI and the tests use this)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from mapserver.settings import ROOT


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


def known(revision: str) -> bool:
    """Whether ``revision`` is one of this code's migrations (a backup's may be newer)."""
    scripts = ScriptDirectory.from_config(alembic_config(""))
    return any(r.revision == revision for r in scripts.walk_revisions())
