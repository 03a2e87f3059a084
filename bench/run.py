"""The feed benchmark (issue #2 §7): ``python -m bench.run``.

For each table size: a fresh database in a private, throw-away PostgreSQL
cluster, ``n`` demo projects from the app's own generator, gunicorn started
the way ``make run`` starts it, then for every query ``wrk`` against the app
and ``pgbench`` running the same SQL, aggregated into one value, against
PostgreSQL alone. Everything it starts is stopped on exit, Ctrl-C included;
traffic goes to 127.0.0.1 and a unix socket only.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from bench import report
from bench.queries import (
    BBOX_RANGE,
    LAYER,
    QUERIES,
    TARGETS,
    Query,
    Target,
    feature_query,
    pg_statement,
)
from bench.tools import CpuMeter, Load, pgbench, require, wrk
from mapserver import runner
from mapserver.demo import loader
from mapserver.layers import load_layers
from mapserver.settings import PREFIX, ROOT, Settings
from mapserver.store import schema
from mapserver.store.cluster import Cluster
from mapserver.store.db import make_engine
from mapserver.vocabulary import Vocabulary

HERE = Path(__file__).resolve().parent
DEFAULTS = Settings()


@dataclass
class Measurement:
    """One query on one target at one size: the app, PostgreSQL alone, and sizes."""

    target: str
    query: str
    title: str
    params: dict[str, str]
    features: int
    body_bytes: int
    pg_bytes: int
    same_bytes: bool
    seconds: float = 0.0  # wrk and pgbench duration for this query
    app: Load | None = None
    pg: Load | None = None
    load_avg: tuple[float, float, float] = (0.0, 0.0, 0.0)  # 1/5/15 min, before the app run


@dataclass
class SizeResult:
    n: int
    load_seconds: float
    measurements: list[Measurement] = field(default_factory=list)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="10000,100000", help="table sizes, comma-separated")
    p.add_argument("--duration", type=float, default=10, help="seconds per measurement (minimum)")
    p.add_argument(
        "--max-duration",
        type=float,
        default=30,
        help="slow queries run longer, up to this, so that ~10 rounds of requests complete",
    )
    p.add_argument("--warmup", type=float, default=2, help="seconds of wrk before each one")
    p.add_argument("--connections", type=int, default=16, help="wrk connections = pgbench clients")
    p.add_argument("--threads", type=int, default=2, help="wrk threads = pgbench jobs")
    p.add_argument("--targets", default="layers", help=f"HTTP paths: {', '.join(TARGETS)}")
    p.add_argument("--queries", default=",".join(q.name for q in QUERIES))
    p.add_argument("--workers", type=int, default=DEFAULTS.workers, help="gunicorn workers")
    p.add_argument(
        "--app-threads", type=int, default=DEFAULTS.threads, help="gunicorn threads per worker"
    )
    p.add_argument("--pool-size", type=int, default=DEFAULTS.pool_size)
    p.add_argument(
        "--pgbench-protocol",
        choices=("simple", "extended", "prepared"),
        default="prepared",
        help="prepared: planned once per connection, as the app's psycopg does after 5 uses",
    )
    p.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    p.add_argument("--no-output", action="store_true", help="print only; leave RESULTS.md")
    args = p.parse_args(argv)
    args.sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    args.targets = [TARGETS[t] for t in args.targets.split(",")]
    wanted = args.queries.split(",")
    unknown = set(wanted) - {q.name for q in QUERIES}
    if unknown:
        p.error(f"unknown queries {sorted(unknown)}; known: {[q.name for q in QUERIES]}")
    args.queries = [q for q in QUERIES if q.name in wanted]
    return args


def _stop_on_signals() -> None:
    """SIGTERM/SIGHUP unwind like Ctrl-C, so every ``finally`` below runs."""

    def bail(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, bail)
    signal.signal(signal.SIGHUP, bail)


@contextmanager
def private_cluster() -> Iterator[Cluster]:
    base = Path(tempfile.mkdtemp(prefix="mapserver-bench-"))
    base.chmod(0o755)
    cluster = Cluster.in_directory(base)
    try:
        cluster.start()
        cluster.wait_ready()
        yield cluster
    finally:
        print("bench: stopping and removing the private cluster", flush=True)
        cluster.destroy()
        if not cluster.socketdir.is_relative_to(base):
            shutil.rmtree(cluster.socketdir, ignore_errors=True)
        shutil.rmtree(base, ignore_errors=True)


def prepare_database(cluster: Cluster, n: int) -> tuple[str, str, float]:
    """A fresh migrated database with n demo projects, vacuumed and analysed."""
    dbname = f"bench_{n}"
    cluster.psql(f'DROP DATABASE IF EXISTS "{dbname}"')
    cluster.ensure_database(dbname)
    url = cluster.url(dbname)
    schema.upgrade(url)
    engine = make_engine(url, 1)
    started = time.monotonic()
    try:
        loader.load_demo(engine, n, records=n <= 1000)  # records: minutes at 100,000
    finally:
        engine.dispose()
    cluster.psql("VACUUM (ANALYZE)", dbname)
    return dbname, url, time.monotonic() - started


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def app_server(
    url: str, args: argparse.Namespace, logdir: Path, extra: dict[str, str] | None = None
) -> Iterator[tuple[str, int]]:
    """gunicorn as ``make run`` starts it (mapserver.runner), on a free 127.0.0.1 port;
    ``extra``: more MAPSERVER_* variables (say, read replicas)."""
    settings = Settings(
        database_url=url,
        host="127.0.0.1",
        port=free_port(),
        workers=args.workers,
        threads=args.app_threads,
        pool_size=args.pool_size,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(PREFIX)}
    env.update(
        MAPSERVER_DATABASE_URL=url,
        MAPSERVER_PORT=str(settings.port),
        MAPSERVER_WORKERS=str(settings.workers),
        MAPSERVER_THREADS=str(settings.threads),
        MAPSERVER_POOL_SIZE=str(settings.pool_size),
        **(extra or {}),
    )
    log = logdir / f"gunicorn-{settings.port}.log"
    with served(runner.gunicorn_command(settings), ROOT, env, log, settings.port, "/layers") as up:
        yield up


@contextmanager
def served(
    cmd: list[str], cwd: Path, env: dict[str, str], log: Path, port: int, ready: str
) -> Iterator[tuple[str, int]]:
    """A server process in its own session, logging to ``log``, until ``ready`` (a path)
    answers 200 on 127.0.0.1:``port``; stopped on exit. Yields its base URL and pid."""
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_http(base + ready, proc, log)
            yield base, proc.pid
        finally:
            _stop(proc)


def _wait_http(url: str, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer {url} within {timeout} s")


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM gunicorn's own process group (start_new_session); SIGKILL if it lingers."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


def postmaster_pid(cluster: Cluster) -> int:
    return int((cluster.datadir / "postmaster.pid").read_text().split()[0])


def settle(engine: sa.Engine, timeout: float = 180) -> None:
    """Wait until the cluster runs no query but this one.

    wrk and pgbench stop at their deadline with requests still in flight; the
    app and PostgreSQL finish those, and would steal the next measurement's CPU.
    """
    deadline = time.monotonic() + timeout
    sql = (
        "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
        "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
    )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        while conn.exec_driver_sql(sql).scalar() and time.monotonic() < deadline:
            time.sleep(0.1)
    time.sleep(0.5)


def split_body(body: bytes) -> tuple[bytes, dict]:
    """The ``features`` array's inner bytes and the members after it."""
    head = b'{"type":"FeatureCollection","features":['
    if not body.startswith(head):
        raise RuntimeError(f"unexpected response start: {body[:80]!r}")
    end = body.rindex(b'],"numberReturned"')
    return body[len(head) : end], json.loads(b"{" + body[end + 2 :])


def check(
    base: str, target: Target, query: Query, n: int, pg_engine: sa.Engine, statement: str
) -> Measurement:
    """One request to the app and one to PostgreSQL: the bytes must agree."""
    params = dict(query.params(n))
    started = time.monotonic()
    with urllib.request.urlopen(target.url(base, params), timeout=120) as r:
        if r.status != 200:
            raise RuntimeError(f"{target.url(base, params)} answered {r.status}")
        body = r.read()
    alone = time.monotonic() - started
    features, tail = split_body(body)
    with pg_engine.connect() as conn:
        value = conn.exec_driver_sql(statement).scalar() or ""
    pg_bytes = value.encode()
    return Measurement(
        target=target.name,
        query=query.name,
        title=query.title,
        params=params,
        features=tail["numberReturned"],
        body_bytes=len(body),
        pg_bytes=len(pg_bytes),
        same_bytes=pg_bytes == features,
        seconds=alone,  # replaced by the planned duration
    )


def planned_duration(args: argparse.Namespace, alone: float, warm: Load | None) -> float:
    """At least --duration; longer for slow queries, up to --max-duration.

    All connections start together, so responses come in rounds; a run that
    holds only a few rounds over- or under-counts by up to one round. Aim for
    ten. The round time is the warm-up's median latency, or, when the warm-up
    completed too few requests, the request alone times connections per core.
    """
    if warm is not None and warm.requests >= args.connections:
        round_time = warm.p50_ms / 1000
    else:
        round_time = alone * args.connections / (os.cpu_count() or 1)
    return min(args.max_duration, max(args.duration, 10 * round_time))


def bench_size(cluster: Cluster, n: int, args: argparse.Namespace, logdir: Path) -> SizeResult:
    print(f"\nbench: loading {n:,} projects …", flush=True)
    dbname, url, load_seconds = prepare_database(cluster, n)
    print(f"bench: loaded in {load_seconds:.1f} s (VACUUM ANALYZE done)", flush=True)
    result = SizeResult(n, load_seconds)
    engine = make_engine(url, 2)
    try:
        layer = load_layers(ROOT / "layers", engine)[LAYER]
        vocab = Vocabulary(engine)
        statements = {
            q.name: pg_statement(engine, feature_query(layer, vocab, q.params(n)))
            for q in args.queries
        }
        with app_server(url, args, logdir) as (base, gunicorn_pid):
            meter = CpuMeter({"gunicorn": gunicorn_pid, "postgres": postmaster_pid(cluster)})
            # Query by query, every path in turn: a /layers run and its OGC twin are
            # measured minutes apart at most, under the same outside load.
            for q in args.queries:
                for target in args.targets:
                    m = check(base, target, q, n, engine, statements[q.name])
                    url_q = target.url(base, m.params)
                    note = "" if m.same_bytes else "  ** PG bytes differ from the app's **"
                    print(
                        f"bench: n={n:,} {target.name}/{q.name}: {m.features} features, "
                        f"{m.body_bytes:,} B{note}",
                        flush=True,
                    )
                    if q.name == "bbox" and n == 100_000:
                        lo, hi = BBOX_RANGE
                        if not lo <= m.features <= hi:
                            print(f"bench: WARNING bbox returns {m.features}, not {lo}–{hi}")
                    warm = None
                    if args.warmup > 0:
                        warm = wrk(url_q, args.warmup, args.connections, args.threads)
                        settle(engine)
                    m.seconds = planned_duration(args, m.seconds, warm)
                    m.load_avg = os.getloadavg()
                    m.app = wrk(url_q, m.seconds, args.connections, args.threads, meter)
                    settle(engine)
                    m.pg = pgbench(
                        statements[q.name],
                        str(cluster.socketdir),
                        cluster.port,
                        dbname,
                        m.seconds,
                        args.connections,
                        args.threads,
                        args.pgbench_protocol,
                        meter,
                    )
                    settle(engine)
                    print("       " + report.line(m), flush=True)
                    result.measurements.append(m)
    finally:
        engine.dispose()
    return result


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    _stop_on_signals()
    require("wrk", "wrk")
    command = ".venv/bin/python -m bench.run" + (
        " " + shlex.join(argv if argv is not None else sys.argv[1:])
        if (argv if argv is not None else sys.argv[1:])
        else ""
    )
    started = time.monotonic()
    commit = report.git_commit()  # at the start: the code gunicorn imports
    load_before = os.getloadavg()
    print(f"bench: load average {report.loadavg(load_before)} (1/5/15 min)", flush=True)
    start_date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    results: list[SizeResult] = []
    with tempfile.TemporaryDirectory(prefix="mapserver-bench-logs-") as logs:
        with private_cluster() as cluster:
            for n in args.sizes:
                results.append(bench_size(cluster, n, args, Path(logs)))
            machine = report.machine(cluster, f"bench_{args.sizes[-1]}", commit)
            machine["date"] = start_date
            machine["load average"] = (
                f"{report.loadavg(load_before)} at the start, "
                f"{report.loadavg(os.getloadavg())} at the end (1/5/15 min)"
            )
    elapsed = time.monotonic() - started
    text = report.markdown(results, args, machine, command, elapsed)
    print("\n" + text)
    if not args.no_output:
        report.write_section(args.output, text)
        print(f"bench: wrote {args.output} ({elapsed:.0f} s in all)")
    return 0


def entry(main: Callable[[], int]) -> None:
    """Run a harness's ``main`` as a command: Ctrl-C says what it stopped."""
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\nbench: interrupted; everything it started has been stopped", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    entry(main)
