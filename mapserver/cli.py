"""Command line: ``python -m mapserver <command>``."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

import click
from sqlalchemy.engine import Engine

from mapserver import claims, credentials, demo, loader, runner, schema, secretkey, users
from mapserver.accounts import ROLES
from mapserver.db import make_engine
from mapserver.errors import ConfigError, ProblemError
from mapserver.settings import Settings


def _url() -> str:
    """The owner's URL: every command here is the owner's work (accounts written by the
    owner need no actor claim)."""
    settings = Settings.load()
    url = settings.admin_database_url or settings.database_url
    if not url:
        raise click.ClickException("MAPSERVER_DATABASE_URL is not set")
    return url


@click.group()
def main() -> None:
    """广安市重点项目“挂图作战”地图服务 / Guang'an battle-map server."""


@main.command()
@click.argument("revision", default="head")
def migrate(revision: str) -> None:
    """Apply migrations up to REVISION (default: head), then install the claim key."""
    schema.upgrade(_url(), revision)
    if revision == "head":
        _install_key()


@main.command("install-key")
def install_key() -> None:
    """Give the database the key it checks the app's actor claims with (as the owner)."""
    _install_key()


def _install_key() -> None:
    engine = make_engine(_url(), 1)
    try:
        key = claims.subkey(secretkey.load(Settings.load().secret_key))
        changed = claims.install_key(engine, key)
    finally:
        engine.dispose()
    click.echo("actor-claim key installed" if changed else "actor-claim key already installed")


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


@contextlib.contextmanager
def _accounts() -> Iterator[Engine]:
    """An engine for account commands; refusals become one-line errors, not tracebacks."""
    engine = make_engine(_url(), 1)
    try:
        yield engine
    except ProblemError as exc:
        raise click.ClickException(exc.detail) from None
    finally:
        engine.dispose()


@main.command("create-user")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--county", help="county adcode, for --role county_editor (e.g. 511602)")
@click.option("--display-name", default="", help="name shown in the UI, e.g. 张三")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
def create_user(
    username: str, role: str, county: str | None, display_name: str, password_stdin: bool
) -> None:
    """Create a user; without --password-stdin a random password is printed once."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    with _accounts() as engine:
        account, generated = users.create_user(
            engine, username, role, county, display_name, password
        )
    click.echo(f"created {account.username} ({account.role})")
    if not password_stdin:
        click.echo(f"password (shown only now): {generated}")


@main.command("issue-token")
@click.argument("username")
@click.option("--name", required=True, help="what the token is for, e.g. 'QGIS 调度科'")
def issue_token(username: str, name: str) -> None:
    """Issue an API token for USERNAME and print it (the only time it is shown)."""
    with _accounts() as engine:
        token_id, token = credentials.issue_token(engine, users.get_user(engine, username).id, name)
    click.echo(f"token {token_id} for {username} (shown only now):")
    click.echo(token)


@main.command("revoke-token")
@click.argument("token_id", type=int)
def revoke_token(token_id: int) -> None:
    """Revoke API token TOKEN_ID (see list-tokens)."""
    with _accounts() as engine:
        credentials.revoke_token(engine, token_id)
    click.echo(f"revoked token {token_id}")


@main.command("list-users")
def list_users() -> None:
    """List users: name, role, county, active, last login."""
    _print_each(users.list_users, _user_line)


def _user_line(a: users.Account) -> str:
    last = a.last_login_at.strftime("%Y-%m-%d %H:%M") if a.last_login_at else "-"
    state = "active" if a.active else "disabled"
    return f"{a.username:<20} {a.role:<14} {a.county or '-':<7} {state:<8} {last}"


@main.command("list-tokens")
def list_tokens() -> None:
    """List API tokens (never their secrets)."""
    _print_each(
        credentials.list_tokens,
        lambda t: f"{t.id:>5} {t.username:<20} {'revoked' if t.revoked_at else 'live':<8} {t.name}",
    )


def _print_each(fetch: Callable[[Engine], list], line: Callable[[Any], str]) -> None:
    with _accounts() as engine:
        rows = fetch(engine)
    for row in rows:
        click.echo(line(row))
