"""Running the server: the private development cluster, migrations, demo data, gunicorn."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from mapserver import create_app
from mapserver.accounts import users
from mapserver.demo import loader
from mapserver.settings import ROOT, Settings
from mapserver.store import schema
from mapserver.store.cluster import Cluster
from mapserver.store.db import make_engine

DEV_DATABASE = "mapserver"
LOGIN_ROLE = "mapserver_web"  # the app's login on the private cluster: owns nothing


def private_cluster() -> Cluster:
    return Cluster.in_directory(ROOT / "var" / "pg")


def prepare(url: str, app_url: str | None = None) -> None:
    """As the owner (``url``): migrate, load the demo data if (and only if) the database is
    empty; then start the app once on ``app_url`` (its login; default ``url``) to check the
    layers, with the owner applying the rules file and installing the claim key."""
    schema.upgrade(url)
    engine = make_engine(url, 1)
    try:
        if loader.is_empty(engine):
            n = loader.load_demo(engine)
            print(f"mapserver: empty database; loaded the demo data set ({n} projects, 演示数据)")
            print(demo_accounts_table(users.create_demo_users(engine)))
    finally:
        engine.dispose()
    # Fail here, with the file and key, rather than in every gunicorn worker.
    app = create_app({"database_url": app_url or url, "admin_database_url": url})
    app.extensions["mapserver"].engine.dispose()


def demo_accounts_table(rows: list[tuple[str, str, str | None, str]]) -> str:
    """The demo accounts for the console: the only place their passwords ever appear."""
    lines = [
        "mapserver: demo accounts (演示账号); passwords are shown only this once, write them down:",
        f"  {'username':<16} {'role':<14} {'county':<7} password",
    ]
    lines += [f"  {u:<16} {r:<14} {c or '-':<7} {p}" for u, r, c, p in rows]
    return "\n".join(lines)


# gunicorn's parser costs the square of a request line's length (an unlimited line let 8 MB
# of query string hold a worker for 13 s), so lines and header fields are capped and answered
# 414 / 431 before the app runs. 8190 bytes is the most gunicorn accepts short of "unlimited";
# a longer CQL2 filter does not fit in a GET (docs/api.md).
MAX_REQUEST_LINE = 8190
GUNICORN_CONFIG = "python:mapserver.ops.gunicorn_conf"  # the metrics directory of the workers
REQUEST_LIMITS = ("--limit-request-line", str(MAX_REQUEST_LINE),
                  "--limit-request-field_size", str(MAX_REQUEST_LINE),
                  "--limit-request-fields", "100")  # fmt: skip


WORKER_CLASS = "mapserver.ops.workers.ProblemWorker"


def gunicorn_command(settings: Settings) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--worker-class",
        WORKER_CLASS,
        "--workers",
        str(settings.workers),
        "--threads",
        str(settings.threads),
        "--bind",
        f"{settings.host}:{settings.port}",
        "--graceful-timeout",
        "5",
        "--timeout",
        "60",
        *REQUEST_LIMITS,
        # No gunicorn access log: the app logs each request once, with its id and route
        # template rather than the raw path and query string (mapserver.ops.accesslog).
        "--config",
        GUNICORN_CONFIG,
        "mapserver:create_app()",
    ]


def serve(settings: Settings, url: str | None = None) -> int:
    """gunicorn in the foreground; SIGINT/SIGTERM stop it and return its exit code."""
    env = dict(os.environ)
    if url:
        env["MAPSERVER_DATABASE_URL"] = url
    proc = subprocess.Popen(gunicorn_command(settings), env=env)

    def forward(signum: int, _frame: object) -> None:
        proc.send_signal(signal.SIGTERM)

    old = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        return proc.wait()
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


def run(settings: Settings) -> int:
    """`make run`: production when MAPSERVER_DATABASE_URL is set, else a cluster under var/."""
    if settings.database_url:
        prepare(settings.admin_database_url or settings.database_url, settings.database_url)
        return serve(settings)
    cluster = private_cluster()
    try:
        cluster.start()
        cluster.ensure_database(DEV_DATABASE)
        cluster.ensure_login_role(LOGIN_ROLE)
        login = cluster.url(DEV_DATABASE, LOGIN_ROLE)
        prepare(cluster.url(DEV_DATABASE), login)  # the owner is the cluster's superuser
        print(f"mapserver: serving http://{settings.host}:{settings.port}/ (Ctrl-C stops)")
        return serve(settings, login)
    finally:
        print("mapserver: stopping the private PostgreSQL cluster")
        cluster.stop()
