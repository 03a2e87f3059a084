"""/ogc/api against the running app: the document is valid OpenAPI 3.0, and schemathesis,
with every check it has, finds every GET answered as the document says.

Schemathesis runs as its command line against the app served in this process
(tests/browser.py ``serve``): its pytest integration cannot take an app from a
fixture under pytest 9 (it reads ``Node._nodeid``, which pytest 9.2 no longer has).
tests/schemathesis_hooks.py keeps its positive cases valid where a JSON Schema
cannot say what valid is (CQL2, real dates, bbox inside its CRS).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from openapi_spec_validator import validate

from mapserver.accounts import credentials, users
from mapserver.store.db import make_engine
from tests import apps
from tests.browser import serve
from tests.conftest import new_database

ROOT = Path(__file__).resolve().parent.parent
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
# (not MAPSERVER_*: the app refuses settings it does not know)
EXAMPLES = os.environ.get("OGC_SCHEMATHESIS_EXAMPLES", "25")  # per operation and phase
SEED = os.environ.get("OGC_SCHEMATHESIS_SEED", "20261126")  # same cases in every run


def test_the_document_is_valid_openapi_3_0(client):
    doc = json.loads(client.get("/ogc/api?f=json").get_data())
    validate(doc)  # raises on the first error


PHOTO = """
INSERT INTO photos (project_id, sha256, media_type, bytes, width, height, location, distance_m,
                    site, uploaded_by)
SELECT id, repeat('a', 64), 'image/jpeg', 10, 4, 3, ST_PointOnSurface(geom), 0, 'on_site', 'loader'
FROM projects WHERE geom IS NOT NULL ORDER BY code LIMIT 1 RETURNING id
"""


@pytest.fixture(scope="module")
def api(cluster, template_db):
    """The app on a copy of the demo data with a viewer's token (history needs a login),
    and an existing feature id per collection."""
    url = new_database(cluster, template_db)
    engine = make_engine(url, 1)
    account, _ = users.create_user(engine, "schemathesis", "viewer")
    token = credentials.issue_token(engine, account.id, "schemathesis")[1]
    with engine.connect() as conn:
        ids = {table: conn.execute(sa.text(sql)).scalar_one() for table, sql in (
            ("projects", "SELECT min(code) FROM projects"),
            ("counties", "SELECT min(adcode) FROM counties"),
            ("city", "SELECT min(adcode) FROM cities"),
        )}  # fmt: skip
    with engine.begin() as conn:  # the demo has no site photos: one, as the loader would
        ids["photos"] = str(conn.execute(sa.text(PHOTO)).scalar_one())
    engine.dispose()
    with apps.built(database_url=url) as app:
        yield app, token, ids


def test_schemathesis_finds_every_get_as_documented(api, tmp_path):
    app, token, ids = api
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT),
           "SCHEMATHESIS_HOOKS": "tests.schemathesis_hooks",
           "OGC_FEATURE_IDS": json.dumps(ids)}  # fmt: skip
    with serve(app) as base:
        cmd = [str(SCHEMATHESIS), "run", f"{base}/ogc/api?f=json", "--checks", "all",
               "--include-method", "GET", "--max-examples", EXAMPLES, "--seed", SEED,
               "--workers", "1", "--header", f"Authorization: Bearer {token}",
               "--report", "junit", "--report-dir", str(tmp_path)]  # fmt: skip
        done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=600, check=False)  # fmt: skip
    assert done.returncode == 0, (done.stdout + done.stderr)[-20_000:]
    assert "35 selected" in done.stdout and "No issues found" in done.stdout, done.stdout
