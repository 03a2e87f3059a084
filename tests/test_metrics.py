"""/metrics under a real gunicorn with two workers: every scrape adds up all workers,
those that have exited included."""

from __future__ import annotations

import json
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from prometheus_client.mmap_dict import MmapedDict

from mapserver import runner
from mapserver.ops import gunicorn_conf
from mapserver.settings import Settings
from tests.prometheus import sample
from tests.server import gunicorn

ROUTE = "/layers/<layer_id>"


def served_by_worker(directory: Path, route: str) -> dict[str, float]:
    """Requests to ``route`` each worker wrote to its own file (read without the app)."""
    counts: dict[str, float] = {}
    for path in directory.glob("counter_*.db"):
        pid = path.stem.split("_", 1)[1]
        for key, value, _stamp, _pos in MmapedDict.read_all_values_from_file(str(path)):
            _metric, name, labels, _help = json.loads(key)
            if name == "mapserver_requests_total" and labels.get("route") == route:
                counts[pid] = counts.get(pid, 0) + value
    return counts


def scrape(base: str) -> str:
    response = requests.get(base + "/metrics", timeout=10)
    assert response.status_code == 200
    return response.text


def wait_for(condition, timeout: float = 10):
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)
    return found


def test_every_scrape_counts_both_workers(demo_url, tmp_path, monkeypatch):
    directory = tmp_path / "metrics"
    directory.mkdir()
    (directory / "counter_99999.db").write_bytes(b"left by an earlier run")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
    with gunicorn(demo_url, workers=2) as base:
        assert not (directory / "counter_99999.db").exists()  # emptied at start
        n = 60

        def get(_: int) -> int:
            return requests.get(base + "/layers/projects", timeout=10).status_code

        with ThreadPoolExecutor(6) as pool:
            assert set(pool.map(get, range(n))) == {200}
        per_worker = served_by_worker(directory, ROUTE)
        assert sum(per_worker.values()) == n
        # The worker that served most is stopped: gunicorn's child_exit hook marks it dead
        # (its live gauges go) and starts another; every scrape now comes from a process
        # that served few or none of the requests, and still counts them all.
        pid = max(per_worker, key=per_worker.__getitem__)
        os.kill(int(pid), signal.SIGTERM)
        wait_for(lambda: not (directory / f"gauge_livesum_{pid}.db").exists())
        for _ in range(8):
            text = scrape(base)
            labels = {"route": ROUTE, "method": "GET", "status": "200"}
            assert sample(text, "mapserver_requests_total", **labels) == n
            count = sample(text, "mapserver_request_duration_seconds_count",
                           route=ROUTE, method="GET")  # fmt: skip
            assert count == n
        # (the new worker opens connections as it starts: waiting for them, briefly)
        wait_for(lambda: sample(scrape(base), "mapserver_db_pool_waiting") == 0)
        assert sample(text, "mapserver_change_listeners_down") == 0


def test_open_event_streams_and_pool_in_use(demo_url, tmp_path, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    with gunicorn(demo_url, workers=2, heartbeat="0.5") as base:
        streams = [requests.get(base + "/events", stream=True, timeout=10) for _ in range(3)]
        try:
            for s in streams:
                assert s.status_code == 200
            wait_for(lambda: sample(scrape(base), "mapserver_event_streams") == 3)
            # each worker's listener looks every second: caught-up streams show no lag
            wait_for(lambda: sample(scrape(base), "mapserver_change_lag") == 0)
            assert sample(scrape(base), "mapserver_db_pool_in_use") >= 0
        finally:
            for s in streams:
                s.close()
        wait_for(lambda: sample(scrape(base), "mapserver_event_streams") == 0)
        route = {"route": "/events", "method": "GET", "status": "200"}
        wait_for(lambda: sample(scrape(base), "mapserver_requests_total", **route) == 3)


def test_the_master_makes_and_removes_a_directory_when_none_is_given(monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "")  # so that monkeypatch restores it
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    gunicorn_conf.on_starting(None)
    made = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    assert made.is_dir() and made.name.startswith("mapserver-metrics-")
    gunicorn_conf.on_exit(None)
    assert not made.exists()


def test_make_run_serves_with_the_hooks_and_without_a_second_access_log():
    command = runner.gunicorn_command(Settings())
    assert command[command.index("--config") + 1] == runner.GUNICORN_CONFIG
    assert "--access-logfile" not in command  # the app's request log is the one line
