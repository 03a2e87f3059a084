"""Command line: ``python -m mapserver <command>``."""

from __future__ import annotations

import sys

import click

from mapserver import demo, loader, runner, schema
from mapserver.db import make_engine
from mapserver.errors import ConfigError
from mapserver.settings import Settings


def _url() -> str:
    url = Settings.load().database_url
    if not url:
        raise click.ClickException("MAPSERVER_DATABASE_URL is not set")
    return url


@click.group()
def main() -> None:
    """广安市重点项目“挂图作战”地图服务 / Guang'an battle-map server."""


@main.command()
@click.argument("revision", default="head")
def migrate(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    schema.upgrade(_url(), revision)


@main.command()
@click.argument("revision", default="base")
def downgrade(revision: str) -> None:
    """Undo migrations down to REVISION (default: base; drops every table)."""
    schema.downgrade(_url(), revision)


@main.command("load-demo")
@click.option("--projects", "n", default=100, show_default=True, help="how many demo projects")
@click.option("--seed", default=demo.SEED, show_default=True)
@click.option("--if-empty", is_flag=True, help="do nothing when the database has data")
def load_demo(n: int, seed: int, if_empty: bool) -> None:
    """Load the demo boundaries, working groups and projects (演示数据)."""
    engine = make_engine(_url(), 1)
    if not loader.is_empty(engine):
        if if_empty:
            click.echo("database already has data; demo data not loaded")
            return
        raise click.ClickException("database already has data; load into an empty one")
    loader.load_demo(engine, n, seed)
    click.echo(f"loaded {n} demo projects (seed {seed})")


@main.command()
def serve() -> None:
    """Serve with gunicorn on MAPSERVER_HOST:MAPSERVER_PORT (uses MAPSERVER_DATABASE_URL)."""
    sys.exit(runner.serve(Settings.load()))


@main.command()
def run() -> None:
    """What `make run` does: private cluster unless MAPSERVER_DATABASE_URL, migrate, demo, serve."""
    try:
        sys.exit(runner.run(Settings.load()))
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
