"""Read replicas (issue 14 §3): ``python -m bench.replicas``.

A throw-away primary with ``n`` demo projects and a streaming standby of it
(``pg_basebackup -R``, no apply delay) on the same machine. Then:

1. feed throughput (``wrk`` on one feed page) with gunicorn reading from the primary alone,
   then with the standby as ``MAPSERVER_READ_DATABASE_URLS``; each database's committed
   transactions are counted meanwhile, to show where the reads went;
2. replica lag under 20 edits/s: UPDATEs on the primary at a steady rate for ``--seconds``,
   the standby polled every 10 ms for the newest change-log id it holds; the lag of an
   edit is when it was first seen there minus when its COMMIT returned.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import sqlalchemy as sa

from bench import report
from bench.run import _stop_on_signals, app_server, prepare_database, private_cluster
from bench.tools import Load, wrk
from mapserver.settings import ROOT
from mapserver.store.cluster import Cluster
from mapserver.store.db import make_engine

PAGE = "/layers/projects.geojson?limit=100"
XACTS = "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=20, help="each wrk run and the edits")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rate", type=float, default=20, help="edits per second")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--app-threads", type=int, default=8)
    parser.add_argument("--pool-size", type=int, default=8)
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "RESULTS.md")
    parser.add_argument("--no-output", action="store_true")
    return parser.parse_args(argv)


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise RuntimeError(f"not within {timeout} s: {what}")


def xacts(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT pg_stat_clear_snapshot()"))
        return conn.execute(sa.text(XACTS)).scalar_one()


def in_rotation(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/readyz", timeout=5) as r:
            body = json.load(r)
    except OSError:
        return False
    return body["checks"]["replicas"]["replicas"]["replica1"]["in_rotation"]


def feed_run(base: str, args, engines: dict[str, sa.Engine]) -> tuple[Load, dict[str, int]]:
    """One wrk run on the feed page; transactions committed meanwhile, per database."""
    wrk(base + PAGE, 2, args.connections, 2)  # warm-up
    before = {name: xacts(e) for name, e in engines.items()}
    load = wrk(base + PAGE, args.seconds, args.connections, 2)
    time.sleep(1.5)  # statistics reach pg_stat_database within a second of going idle
    return load, {name: xacts(e) - before[name] for name, e in engines.items()}


def edit_lag(primary: sa.Engine, replica: sa.Engine, rate: float, seconds: float) -> list[float]:
    """Replica lag (ms) of each of ``rate × seconds`` edits made at a steady rate."""
    committed: dict[int, float] = {}
    seen: dict[int, float] = {}
    done, lock = threading.Event(), threading.Lock()

    def poll() -> None:
        with replica.connect() as conn:
            while not done.is_set() or len(seen) < len(committed):
                newest = conn.execute(sa.text("SELECT coalesce(max(id), 0) FROM change_log"))
                now, top = time.monotonic(), newest.scalar_one()
                conn.commit()
                with lock:
                    for change in [c for c in committed if c <= top and c not in seen]:
                        seen[change] = now
                time.sleep(0.01)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    sql = sa.text(
        "UPDATE projects SET name = name || '' WHERE code = (SELECT min(code) FROM projects)"
    )
    started = time.monotonic()
    for k in range(int(rate * seconds)):
        time.sleep(max(0.0, started + k / rate - time.monotonic()))
        with primary.begin() as conn:
            conn.execute(sql)
        at = time.monotonic()  # COMMIT returned
        with primary.connect() as conn:
            change = conn.execute(sa.text("SELECT max(id) FROM change_log")).scalar_one()
        with lock:
            committed[change] = at
    done.set()
    poller.join(30)
    return [1000 * (seen[c] - t) for c, t in committed.items() if c in seen]


def standby_of(primary: Cluster, dbname: str) -> Cluster:
    base = Path(tempfile.mkdtemp(prefix="mapserver-bench-standby-"))
    base.chmod(0o755)
    standby = primary.standby(base)
    standby.start()
    standby.wait_ready()
    return standby


def measure(args, c: Cluster, standby: Cluster, url: str, dbname: str, logdir: Path) -> dict:
    engines = {"primary": make_engine(url, 2), "replica": make_engine(standby.url(dbname), 2)}
    try:
        with app_server(url, args, logdir) as (base, _):
            alone = feed_run(base, args, engines)
        extra = {"MAPSERVER_READ_DATABASE_URLS": standby.url(dbname)}
        with app_server(url, args, logdir, extra) as (base, _):
            wait_until(lambda: in_rotation(base), 30, "the replica in rotation")
            both = feed_run(base, args, engines)
        lags = edit_lag(engines["primary"], engines["replica"], args.rate, args.seconds)
    finally:
        for engine in engines.values():
            engine.dispose()
    return {"alone": alone, "both": both, "lags": lags}


def markdown(args, m: dict, facts: dict[str, str]) -> str:
    rows = []
    for label, (load, xact) in (("primary only", m["alone"]), ("primary + 1 replica", m["both"])):
        rows.append(
            f"| {label} | {load.rps:.0f} | {load.p50_ms:.1f} | {load.p99_ms:.1f} | "
            f"{load.errors} | {xact['primary']:,} | {xact['replica']:,} |"
        )
    lags = sorted(m["lags"])
    p95 = lags[int(0.95 * (len(lags) - 1))] if lags else float("nan")
    return (
        f"### Read replicas, {args.projects:,} projects (issue 14 §3)\n\n"
        f"    .venv/bin/python -m bench.replicas --projects {args.projects} "
        f"--seconds {args.seconds:g}\n\n"
        f"`wrk -c{args.connections} -t2 -d{args.seconds:g}s` on `{PAGE}`; gunicorn "
        f"{args.workers} workers × {args.app_threads} threads; the standby streams from the "
        "primary on this same machine: 2 cores shared by both databases, gunicorn and wrk, "
        "so the throughput cannot show what a replica on its own machine adds, only that "
        "routing costs nothing measurable and that the reads leave the primary (*xacts*: "
        "transactions committed during the run; the primary's in the second row are the "
        "replica checks, 2 a second per worker, and the app's own).\n\n"
        "| reads from | req/s | p50 ms | p99 ms | errors | primary xacts | replica xacts |\n"
        "|---|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n\n"
        f"Replica lag under {args.rate:g} edits/s for {args.seconds:g} s ({len(lags)} edits "
        f"seen on the standby): p50 {statistics.median(lags):.0f} ms, p95 {p95:.0f} ms, "
        f"max {lags[-1]:.0f} ms (COMMIT returned on the primary → the standby's "
        "`max(id)` shows it, polled every 10 ms).\n\n"
        + "".join(f"{k}: {v}; " for k, v in facts.items()).rstrip("; ")
        + "\n"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    _stop_on_signals()
    commit = report.git_commit()
    logs = tempfile.TemporaryDirectory(prefix="mapserver-bench-logs-")
    with logs, private_cluster() as c:
        dbname, url, _ = prepare_database(c, args.projects)
        standby = standby_of(c, dbname)
        try:
            m = measure(args, c, standby, url, dbname, Path(logs.name))
        finally:
            standby.destroy()
        facts = {
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "cpus": f"{os.cpu_count()}",
            "postgres": c.psql("SHOW server_version", dbname).strip(),
            "load average at the end": report.loadavg(os.getloadavg()),
            "commit": commit,
        }
    text = markdown(args, m, facts)
    print("\n" + text)
    if not args.no_output:
        report.write_section(args.output, text, "replicas")
    return 0


if __name__ == "__main__":
    sys.exit(main())
