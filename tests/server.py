"""A real gunicorn serving the app on a free loopback port, for tests that need one."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

import requests

from mapserver import runner
from mapserver.settings import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(
    database_url: str,
    workers: int = 2,
    target: str = "mapserver:create_app()",
    log: IO[str] | None = None,
    **settings: str,
) -> Iterator[str]:
    """Yield the base URL of a gunicorn running ``target`` (the app, unless a test's own);
    its stderr (the request log) goes to ``log``, a file (a pipe nobody read would fill up
    and block the workers)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAPSERVER_")}
    env.update({"MAPSERVER_DATABASE_URL": database_url, "MAPSERVER_PORT": str(port),
                "MAPSERVER_WORKERS": str(workers), "MAPSERVER_THREADS": "16"})  # fmt: skip
    env.update({f"MAPSERVER_{k.upper()}": str(v) for k, v in settings.items()})
    cmd = [sys.executable, "-m", "gunicorn", "-k", runner.WORKER_CLASS, "-w", str(workers), "--threads", "16",
           "-b", f"127.0.0.1:{port}", "--graceful-timeout", "2", *runner.REQUEST_LIMITS,
           "--config", runner.GUNICORN_CONFIG, target]  # fmt: skip
    stderr = log or tempfile.TemporaryFile("w+")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stderr=stderr, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base, proc, stderr)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        if log is None:
            stderr.close()


def _wait(base: str, proc: subprocess.Popen, log: IO[str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"gunicorn exited: {log.read()[-4000:]}")
        try:
            requests.get(base + "/config", timeout=5)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")
