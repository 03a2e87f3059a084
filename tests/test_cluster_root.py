"""``make run`` from a checkout only root can enter (issue 14 §5): the private cluster
runs as ``postgres``, so its data goes where that user can reach it, and stays there."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the case exists only as root")

# What `make run` does to the cluster (mapserver.runner.run), then one statement.
SCRIPT = """
import sys
from mapserver import runner
c = runner.private_cluster()
c.start()
try:
    c.ensure_database(runner.DEV_DATABASE)
    print(c.psql(sys.argv[1], runner.DEV_DATABASE).strip())
finally:
    c.stop()
"""


def _run(checkout: Path, sql: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, sql],
        check=False,
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if not k.startswith("MAPSERVER_")},
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_checkout_postgres_cannot_enter() -> None:
    home = Path(tempfile.mkdtemp(prefix="mapserver-roothome-"))
    home.chmod(0o700)  # like /root
    checkout = home / "checkout"
    try:
        shutil.copytree(ROOT / "mapserver", checkout / "mapserver",
                        ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
        probe = ["runuser", "-u", "postgres", "--", "test", "-x", str(checkout)]
        assert subprocess.run(probe, check=False).returncode != 0

        assert _run(checkout, "CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)") == ""
        # A second start finds the same data: the cluster's place is stable.
        assert _run(checkout, "SELECT n FROM kept") == "7"
        data = (checkout / "var" / "pg").resolve()
        assert data.is_relative_to("/var/lib/mapserver")
        assert (data / "CHECKOUT").read_text().strip() == str(checkout / "var" / "pg")
    finally:
        target = (checkout / "var" / "pg").resolve()
        if target.is_relative_to("/var/lib/mapserver"):
            shutil.rmtree(target, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)
