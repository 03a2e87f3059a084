"""tipg (developmentseed's OGC Features and Tiles API) beside the app, on the same database.

tipg is not a dependency of the project: it lives in a virtual environment of its own,
outside the repository (bench/README.md says how to make one), and ``--tipg PATH`` names it.
It serves the same view the app serves (``battle_projects``, id column ``code``), with as
many uvicorn workers as the app has gunicorn workers.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from bench.run import free_port, served
from mapserver.store.cluster import Cluster

COLLECTION = "public.battle_projects"
PINNED = "1.6"  # the version the issue compares with


def missing(venv: Path | None) -> str | None:
    """Why tipg cannot run from ``venv`` (None: it can)."""
    if venv is None:
        return "no --tipg given"
    if not (venv / "bin" / "uvicorn").exists():
        return f"{venv}/bin/uvicorn not found"
    found = version(venv)
    if not found.startswith(PINNED + "."):
        return f"{venv} has tipg {found or '(none)'}, not {PINNED}.x"
    return None


def version(venv: Path) -> str:
    out = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import tipg; print(tipg.__version__)"],
        check=False,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def item_path(code: str) -> str:
    return f"/collections/{COLLECTION}/items/{quote(code)}"


@contextmanager
def server(venv: Path, cluster: Cluster, dbname: str, workers: int, logdir: Path) -> Iterator[
    tuple[str, int]
]:  # fmt: skip
    """tipg under uvicorn on a free 127.0.0.1 port, over the cluster's unix socket."""
    port = free_port()
    socket = quote(str(cluster.socketdir), safe="")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TIPG_", "MAPSERVER_"))}
    env.update(
        DATABASE_URL=f"postgresql://postgres@{socket}:{cluster.port}/{dbname}",
        TIPG_DB_SCHEMAS='["public"]',
        TIPG_DB_TABLES=f'["{COLLECTION}"]',
        TIPG_TABLE_CONFIG__public_battle_projects__pk="code",
        TIPG_TABLE_CONFIG__public_battle_projects__geomcol="geom",
    )
    cmd = [str(venv / "bin" / "uvicorn"), "tipg.main:app", "--host", "127.0.0.1",
           "--port", str(port), "--workers", str(workers), "--no-access-log"]  # fmt: skip
    with served(cmd, logdir, env, logdir / f"tipg-{port}.log", port, "/collections") as up:
        yield up
