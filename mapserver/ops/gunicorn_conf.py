"""gunicorn hooks (``-c python:mapserver.ops.gunicorn_conf``): the metrics directory of its workers.

prometheus-client picks its multi-process mode when first imported, from
``PROMETHEUS_MULTIPROC_DIR``; the master sets it before forking any worker (the app is
imported in the workers) and empties it, so counts from an earlier run never add up
with this one's. A worker that exits is marked dead, so its live gauges stop counting.
Only hooks live here: gunicorn reads every name of this module as a setting.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

_ENV = "PROMETHEUS_MULTIPROC_DIR"  # mapserver.ops.metrics.MULTIPROC_ENV, not imported: see above
_made: list[str] = []  # the temporary directory this master made, removed when it exits


def on_starting(server: Any) -> None:
    """An empty metrics directory: the operator's (emptied), else a temporary one."""
    given = os.environ.get(_ENV)
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()
    else:
        os.environ[_ENV] = tempfile.mkdtemp(prefix="mapserver-metrics-")
        _made.append(os.environ[_ENV])


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server: Any) -> None:
    for path in _made:
        shutil.rmtree(path, ignore_errors=True)
