"""Test fixtures on a real PostgreSQL + PostGIS, started by the suite itself."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

import mapserver
from mapserver import runner
from mapserver.accounts import credentials, users
from mapserver.demo import loader
from mapserver.store import claims, schema
from mapserver.store.cluster import Cluster
from mapserver.store.db import make_engine
from tests import apps

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
# The suite's apps keep the battle records, the report and the downloads public, as they
# were before read permissions (issue 12 §5), so tests of other things need no login;
# tests/test_read_access.py gives each app its settings and checks the defaults.
for _what in ("RECORDS", "REPORT", "DOWNLOADS"):
    os.environ.setdefault(f"MAPSERVER_READ_{_what}", "public")

# Tests that need a tool beyond PostgreSQL carry a marker (tests/test_markers.py checks it),
# so ``pytest -m "not browser"`` runs where no Chromium exists, and a missing tool is a
# skip that says what to install rather than an error in every test.
NEEDS = {
    "browser": (
        lambda: all(Path(p).exists() for p in ("/usr/bin/chromium", "/usr/bin/chromedriver")),
        "Debian's Chromium is not installed: apt install chromium chromium-driver",
    ),
    "gdal": (
        lambda: shutil.which("ogrinfo") is not None,
        "GDAL's command-line tools are not installed: apt install gdal-bin",
    ),
    "clients": (
        lambda: importlib.util.find_spec("owslib") is not None,
        "OWSLib is not installed: pip install -r requirements.txt",
    ),
}


def pytest_configure(config: pytest.Config) -> None:
    for name, (_, install) in NEEDS.items():
        config.addinivalue_line("markers", f"{name}: needs what this says when absent: {install}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    missing = {name: install for name, (present, install) in NEEDS.items() if not present()}
    for item in items:
        for name in missing.keys() & {m.name for m in item.iter_markers()}:
            item.add_marker(pytest.mark.skip(reason=missing[name]))


# The suite's clusters live in memory (/dev/shm) when it has room, and do not flush: nothing
# they hold outlives the run, and a crash of PostgreSQL alone (the fault tests' immediate
# stop) still recovers from the OS's page cache. ~500 tests copy the 20 MB demo database;
# on the 2-core VM a copy took 270-400 ms on its disk and 30-50 ms in memory.
# TEST_CLUSTER_DIR=/some/dir puts them elsewhere.
NO_FLUSH = {"fsync": "off", "full_page_writes": "off", "max_wal_size": "256MB"}
IN_MEMORY = Path("/dev/shm")


def cluster_parent() -> str | None:
    """Where the suite's clusters go: TEST_CLUSTER_DIR, else memory with 4 GB free, else /tmp."""
    if "TEST_CLUSTER_DIR" in os.environ:
        return os.environ["TEST_CLUSTER_DIR"]
    if IN_MEMORY.is_dir() and shutil.disk_usage(IN_MEMORY).free > 4 * 2**30:
        return str(IN_MEMORY)
    return None


@contextlib.contextmanager
def temporary_cluster(prefix: str = "mapserver-test-") -> Iterator[Cluster]:
    """A started cluster in a new directory (cluster_parent()), destroyed afterwards; with
    the app's login role, as ``make run``'s cluster has it."""
    base = Path(tempfile.mkdtemp(prefix=prefix, dir=cluster_parent()))
    base.chmod(0o755)
    c = Cluster.in_directory(base)
    c.start()
    c.ensure_login_role(runner.LOGIN_ROLE)
    for name, value in NO_FLUSH.items():
        admin_sql(c, f"ALTER SYSTEM SET {name} = '{value}'")
    admin_sql(c, "SELECT pg_reload_conf()")
    try:
        yield c
    finally:
        admin = _ADMIN.pop(c.socketdir, None)
        if admin is not None:
            admin.dispose()
        c.destroy()


# One open superuser connection per cluster for creating and dropping the tests' databases:
# a psql process per statement cost ~35 ms, three of them for each of ~500 tests.
_ADMIN: dict[Path, sa.Engine] = {}


def admin_sql(cluster: Cluster, sql: str) -> None:
    """Run a statement that cannot be in a transaction (CREATE/DROP DATABASE) as superuser."""
    engine = _ADMIN.get(cluster.socketdir)
    if engine is None:
        url = cluster.url("postgres")
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
        _ADMIN[cluster.socketdir] = engine
    with engine.connect() as conn:
        conn.exec_driver_sql(sql)


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    with temporary_cluster() as c:
        yield c


@pytest.fixture(scope="session", autouse=True)
def app_logs_in_as_the_login_role(cluster: Cluster) -> Iterator[None]:
    """Every app the suite builds on the cluster's superuser URL serves as the login role
    ``make run`` uses (a non-superuser that owns nothing); its startup work, and the
    tests' own setup, stay the owner's."""
    owner = "postgresql+psycopg://postgres@/"
    login = owner.replace("postgres@", f"{runner.LOGIN_ROLE}@")

    def app_engine(url: str, *args, **kwargs) -> sa.Engine:
        return make_engine(url.replace(owner, login, 1), *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mapserver, "make_engine", app_engine)
        yield


@pytest.fixture(scope="session")
def template_db(cluster: Cluster) -> str:
    """A migrated database with the 100 demo projects, copied for each test that writes."""
    name = "demo_template"
    cluster.ensure_database(name)
    url = cluster.url(name)
    schema.upgrade(url)
    engine = make_engine(url, 1)
    loader.load_demo(engine)
    claims.install_key(engine, claims.configured_key())
    engine.dispose()
    return name


def new_database(cluster: Cluster, template: str | None = None) -> str:
    name = "t_" + uuid.uuid4().hex[:12]
    admin_sql(
        cluster, f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
    )
    return cluster.url(name)


@pytest.fixture(scope="session")
def demo_url(cluster: Cluster, template_db: str) -> str:
    """The demo database for read-only tests (shared by the session)."""
    return new_database(cluster, template_db)


@pytest.fixture
def fresh_url(cluster: Cluster, template_db: str) -> Iterator[str]:
    """A private copy of the demo database for a test that writes; dropped afterwards (a
    thousand copies left behind cost gigabytes of disk and minutes at the end)."""
    url = new_database(cluster, template_db)
    yield url
    name = url.split("?", 1)[0].rsplit("/", 1)[1]
    admin_sql(cluster, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def demo_engine(demo_url: str) -> Iterator[sa.Engine]:
    engine = make_engine(demo_url, 2)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def app(demo_url: str) -> Iterator[Flask]:
    with apps.built(database_url=demo_url) as app:
        yield app


@pytest.fixture
def make_app(request: pytest.FixtureRequest) -> Iterator[Callable[..., Flask]]:
    """``make_app(**settings)``: an app with those settings, on the session's demo database
    unless ``database_url`` is given (``fresh_url`` for a test that writes). Every app it
    built is closed when the test ends."""
    with contextlib.ExitStack() as stack:

        def build(**settings) -> Flask:
            if "database_url" not in settings:
                settings["database_url"] = request.getfixturevalue("demo_url")
            return stack.enter_context(apps.built(**settings))

        yield build


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def driver():
    """A headless Chromium at 1920×1080 for a module's browser tests (tests/browser.py)."""
    from tests.browser import chromium

    with chromium() as d:
        yield d


@pytest.fixture(scope="module")
def base(app):
    """The demo app served on a free port, for a module."""
    from tests.browser import serve

    with serve(app) as url:
        yield url


@pytest.fixture
def write_env(fresh_url, make_app):
    """The write API's tests: an app on a private database, an owner's engine to look at
    it, and a token per role (plus a revoked one and anonymous)."""
    app = make_app(database_url=fresh_url)
    engine = make_engine(fresh_url, 2)
    tokens = {}
    for role, county in [
        ("admin", None),
        ("dispatcher", None),
        ("county_editor", "511602"),
        ("viewer", None),
    ]:
        account, _ = users.create_user(engine, f"u_{role}", role, county)
        tokens[role] = credentials.issue_token(engine, account.id, "test")[1]
    revoked_id, revoked = credentials.issue_token(engine, account.id, "old")
    credentials.revoke_token(engine, revoked_id)
    tokens["revoked"] = revoked
    tokens["anonymous"] = None
    yield app.test_client(), engine, tokens
    engine.dispose()
