"""Command line: ``python -m mapserver <command>``."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
import psycopg
from sqlalchemy.engine import Engine

from mapserver import runner
from mapserver.accounts import credentials, screens, secretkey, users
from mapserver.accounts.roles import ROLES
from mapserver.demo import loader
from mapserver.demo import projects as demo
from mapserver.errors import ConfigError, ProblemError
from mapserver.ops import backup as backups
from mapserver.ops import restore as restores
from mapserver.ops.pgclient import ClientError
from mapserver.ops.progress import Progress
from mapserver.settings import Settings
from mapserver.store import claims, schema
from mapserver.store.cluster import ClusterError
from mapserver.store.db import make_engine


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


@main.command()
def routes() -> None:
    """Every route: methods, path, view (no database needed)."""
    from mapserver import route_map

    app = route_map()
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, sorted(r.methods))):
        methods = ",".join(sorted(rule.methods - {"HEAD", "OPTIONS"}))
        view = app.view_functions[rule.endpoint]
        click.echo(f"{methods:<12} {rule.rule:<62} {view.__module__}.{view.__qualname__}")


@main.command("install-key")
def install_key() -> None:
    """Give the database the key it checks the app's actor claims with (as the owner)."""
    _install_key()


def _install_key(url: str | None = None) -> None:
    engine = make_engine(url or _url(), 1)
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


@main.command("issue-screen-token")
@click.option("--name", required=True, help="which screen, e.g. '指挥中心大屏'")
@click.option("--cidr", default=None, help="only from this address range, e.g. 10.20.0.0/16")
def issue_screen_token(name: str, cidr: str | None) -> None:
    """Issue a big screen's read-only token; prints it once (open /?screen=TOKEN on it)."""
    with _accounts() as engine:
        token_id, token = screens.issue(engine, name, cidr, None)
    click.echo(f"screen token {token_id} (shown only now; open /?screen=<token> on the screen):")
    click.echo(token)


@main.command("revoke-screen-token")
@click.argument("token_id", type=int)
def revoke_screen_token(token_id: int) -> None:
    """Revoke screen token TOKEN_ID: the screen shows 访问已撤销 within a second."""
    with _accounts() as engine:
        screens.revoke(engine, token_id, None)
    click.echo(f"revoked screen token {token_id}")


@main.command("list-screen-tokens")
def list_screen_tokens() -> None:
    """List screen tokens (never their secrets)."""

    def line(t: screens.ScreenToken) -> str:
        return f"{t.id:>5} {'revoked' if t.revoked_at else 'live':<8} {t.cidr or '-':<18} {t.name}"

    _print_each(screens.listing, line)


def _print_each(fetch: Callable[[Engine], list], line: Callable[[Any], str]) -> None:
    with _accounts() as engine:
        rows = fetch(engine)
    for row in rows:
        click.echo(line(row))


@contextlib.contextmanager
def _admin_url(create: bool = False) -> Iterator[str]:
    """The database admin commands (backup, restore) work on, as its owner.

    MAPSERVER_ADMIN_DATABASE_URL or MAPSERVER_DATABASE_URL when set; else the private
    cluster under var/, started for the
    command (and stopped after) unless `make run` has it running. ``create``: make its
    database if missing (a restore's target), else a missing one is an error.
    """
    settings = Settings.load()
    if settings.admin_database_url or settings.database_url:
        yield settings.admin_database_url or settings.database_url
        return
    cluster = runner.private_cluster()
    was_running = cluster.initialised() and cluster.running()
    cluster.start()
    try:
        if create:
            cluster.ensure_database(runner.DEV_DATABASE)
        elif not cluster.psql(f"SELECT 1 FROM pg_database WHERE datname = '{runner.DEV_DATABASE}'"):
            raise click.ClickException("the private cluster has no database yet (run `make run`)")
        yield cluster.url(runner.DEV_DATABASE)
    finally:
        if not was_running:
            cluster.stop()


@contextlib.contextmanager
def _admin_errors() -> Iterator[None]:
    """Refusals and failures of backup/restore as one line, not a traceback."""
    try:
        yield
    except (backups.BackupError, ClientError, ClusterError, ConfigError, psycopg.Error) as exc:
        raise click.ClickException(str(exc)) from None


@main.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
def backup(file: Path | None) -> None:
    """Back up the database and the photo files into FILE (a tar with a manifest).

    Default FILE: mapserver-<UTC time>.tar in the current directory.
    """
    path = file or backups.default_path()
    with _admin_errors(), _admin_url() as url:
        manifest = backups.create(url, path, Settings.load().media_dir, Progress("backup"))
    total = sum(manifest["rows"].values())
    click.echo(f"backup {path}: {total} rows in {len(manifest['rows'])} tables, "
               f"change log at {manifest['data_version']}, "
               f"{len(manifest['members']) - 1} media files")  # fmt: skip


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore(file: Path) -> None:
    """Restore FILE (from `backup`) into an empty database; refuses one with tables.

    Checks every member's SHA-256 first; photo files go to MAPSERVER_MEDIA_DIR.
    """
    with _admin_errors(), _admin_url(create=True) as url:
        manifest = restores.restore(url, file, Settings.load().media_dir, Progress("restore"))
        _install_key(url)  # this deployment's secret, not the backed-up one's
    click.echo(f"restored {file} (made {manifest['created_at']}, "
               f"{sum(manifest['rows'].values())} rows)")  # fmt: skip


@main.command("new-epoch")
def new_epoch() -> None:
    """Start a new change-log epoch: open screens reload (after a point-in-time recovery)."""
    with _admin_errors(), _admin_url() as url:
        epoch = restores.new_epoch(url, "new-epoch command")
    click.echo(f"change log continues at {epoch}; open screens reload")


@main.group()
def tiles() -> None:
    """Vector tiles (docs/tiles.md)."""


@tiles.command("seed")
@click.option("--layer", "layer_id", required=True, help="layer id, e.g. projects")
@click.option("--zooms", required=True, help="zoom range, e.g. 8-12 (or one zoom: 10)")
def seed_tiles(layer_id: str, zooms: str) -> None:
    """Render and cache every tile of ZOOMS over the layer's extent (unfiltered)."""
    from mapserver.features import tile_cache
    from mapserver.features.query import FeatureQuery
    from mapserver.layers import load_layers

    first, _, last = zooms.partition("-")
    if not (first.isdigit() and (last or first).isdigit()) or int(first) > int(last or first):
        raise click.ClickException(f"--zooms: expected FROM-TO such as 8-12, got {zooms!r}")
    engine = make_engine(_url(), 1)
    try:
        layers = load_layers(Settings.load().layers_dir, engine)
        if layer_id not in layers:
            raise click.ClickException(f"no layer {layer_id!r} (one of {', '.join(layers)})")
        layer = layers[layer_id]
        top = int(last or first)
        if top > layer.tiles.max_zoom:
            raise click.ClickException(
                f"--zooms: {layer_id} has tiles up to {layer.tiles.max_zoom}"
            )

        def progress(done: int, total: int, tile) -> None:
            line = f"\r{done}/{total} tiles ({100 * done // total}%) z{tile.z}"
            click.echo(line, nl=done == total)

        n = tile_cache.seed(engine, FeatureQuery(layer=layer), range(int(first), top + 1), progress)
    finally:
        engine.dispose()
    click.echo(f"{n} tiles of {layer_id} cached (zooms {first}-{top})")
