"""Test fixtures on a real PostgreSQL + PostGIS, started by the suite itself."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

import mapserver
from mapserver import claims, create_app, loader, runner, schema
from mapserver.cluster import Cluster
from mapserver.db import make_engine

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    base = Path(tempfile.mkdtemp(prefix="mapserver-test-"))
    base.chmod(0o755)
    c = Cluster.in_directory(base)
    c.start()
    c.ensure_login_role(runner.LOGIN_ROLE)
    yield c
    c.destroy()


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
    cluster.ensure_database(name, template=template)
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
    cluster.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def demo_engine(demo_url: str) -> Iterator[sa.Engine]:
    engine = make_engine(demo_url, 2)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def app(demo_url: str):
    app = create_app({"database_url": demo_url})
    yield app
    state = app.extensions["mapserver"]
    state.notifier.stop()
    state.engine.dispose()


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
