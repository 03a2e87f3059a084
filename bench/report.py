"""Formatting the feed benchmark: console lines, the Markdown section of RESULTS.md."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from mapserver.settings import ROOT
from mapserver.store.cluster import Cluster
from mapserver.store.db import OVERFLOW

if TYPE_CHECKING:
    import argparse

    from bench.run import Measurement, SizeResult

SECTION = "feed"  # RESULTS.md may hold other benchmarks' sections (issue #3 §6)
GOAL_SIZE = 100_000
GOAL_LIMIT100_RPS = 190
GOAL_LIMIT10000_RATIO = 0.8


def git_commit(paths: tuple[str, ...] = ("mapserver", "layers")) -> str:
    """HEAD, and whether the code under test differs from it (others edit concurrently)."""
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        check=False,
        capture_output=True,
        text=True,
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--", *paths],
        check=False,
        capture_output=True,
        text=True,
    ).stdout.strip()
    changed = " or ".join(f"{p}/" for p in paths)
    return (head or "unknown") + (f" ({changed} modified)" if dirty else "")


def machine(cluster: Cluster, dbname: str, commit: str) -> dict[str, str]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next(
        (x.split(":", 1)[1].strip() for x in cpuinfo.splitlines() if x.startswith("model name")),
        "unknown",
    )
    mem = next(x for x in Path("/proc/meminfo").read_text().splitlines() if "MemTotal" in x)

    def sql(q: str) -> str:
        return cluster.psql(q, dbname).strip()

    wrk_version = subprocess.run(["wrk", "-v"], check=False, capture_output=True, text=True).stdout
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": f"{os.cpu_count()} (nproc {len(os.sched_getaffinity(0))})",
        "cpu": model,
        "memory": f"{int(mem.split()[1]) // 1024:,} MiB",
        "kernel": platform.release(),
        "postgres": sql("SHOW server_version"),
        "postgis": sql("SELECT postgis_full_version()").split(" [")[0]
        + " "
        + " ".join(
            w for w in sql("SELECT postgis_full_version()").split() if w.startswith("GEOS=")
        ),
        "pg settings": ", ".join(
            f"{k}={sql(f'SHOW {k}')}" for k in ("shared_buffers", "work_mem", "jit", "fsync")
        ),
        "python": platform.python_version(),
        "gunicorn": metadata.version("gunicorn"),
        "psycopg": metadata.version("psycopg"),
        "wrk": wrk_version.split("[")[0].strip() or "wrk",
        "commit": commit,
    }


def _ms(x: float) -> str:
    return f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def _cpu(load, groups: tuple[str, ...]) -> str:
    parts = []
    for g in groups:
        v = load.cpu_ms_per_request(g)
        parts.append("–" if v is None else _ms(v))
    return " / ".join(parts)


def ratio(m: Measurement) -> float | None:
    if m.app is None or m.pg is None or not m.pg.rps:
        return None
    return m.app.rps / m.pg.rps


def _ratio(m: Measurement) -> str:
    r = ratio(m)
    return "–" if r is None else f"{r:.2f}"


def loadavg(values: tuple[float, ...]) -> str:
    return " / ".join(f"{v:.2f}" for v in values)


def line(m: Measurement) -> str:
    a, p = m.app, m.pg
    return (
        f"load {m.load_avg[0]:.2f} | {m.seconds:.0f} s: "
        f"app {a.rps:7.1f} req/s p50 {_ms(a.p50_ms)} p99 {_ms(a.p99_ms)} ms"
        f"{f' ({a.errors} errors)' if a.errors else ''} | "
        f"PG {p.rps:7.1f}/s p50 {_ms(p.p50_ms)} p99 {_ms(p.p99_ms)} ms | "
        f"app/PG {_ratio(m)} | CPU ms/req app run gunicorn/postgres/wrk "
        f"{_cpu(a, ('gunicorn', 'postgres', 'load generator'))}, "
        f"PG run postgres/pgbench {_cpu(p, ('postgres', 'load generator'))} | "
        f"other processes {a.other_cores:.2f} / {p.other_cores:.2f} cores"
    )


def goals(results: list[SizeResult]) -> list[tuple[str, str, bool | None]]:
    found = {
        (m.query): m
        for r in results
        if r.n == GOAL_SIZE
        for m in r.measurements
        if m.target == "layers"
    }
    out: list[tuple[str, str, bool | None]] = []
    m = found.get("limit100")
    out.append(
        (
            f"`limit=100` ≥ {GOAL_LIMIT100_RPS} req/s at 16 connections",
            f"{m.app.rps:.0f} req/s" if m else "not measured",
            m.app.rps >= GOAL_LIMIT100_RPS if m else None,
        )
    )
    m = found.get("limit10000")
    r = ratio(m) if m else None
    out.append(
        (
            f"`limit=10000` ≥ {GOAL_LIMIT10000_RATIO}× PostgreSQL alone",
            f"{m.app.rps:.1f} / {m.pg.rps:.1f} req/s = {r:.2f}×" if m else "not measured",
            r >= GOAL_LIMIT10000_RATIO if r is not None else None,
        )
    )
    return out


def markdown(
    results: list[SizeResult],
    args: argparse.Namespace,
    info: dict[str, str],
    command: str,
    elapsed: float,
) -> str:
    d, c, t = round(args.duration), args.connections, args.threads
    out = [
        "## Feed benchmark (issue #2 §7)",
        "",
        f"Run {info['date']}, took {elapsed:.0f} s. Command, from the repository root:",
        "",
        f"    {command}",
        "",
        "| | |",
        "|---|---|",
        f"| CPU | {info['cpu']} — {info['cpus']} |",
        f"| memory, kernel | {info['memory']}, Linux {info['kernel']} |",
        f"| PostgreSQL | {info['postgres']} ({info['pg settings']}) |",
        f"| PostGIS | {info['postgis']} |",
        f"| app | Python {info['python']}, gunicorn {info['gunicorn']} gthread, "
        f"{args.workers} workers × {args.app_threads} threads, pool {args.pool_size} "
        f"(+{OVERFLOW} overflow) per worker, access log on — "
        f"`mapserver.runner.gunicorn_command` as `make run` uses it |",
        f"| load | {info['wrk']}: `wrk -c{c} -t{t} -d<s>s` after {args.warmup:g} s warm-up; "
        f"`pgbench -c{c} -j{t} -T<s> --protocol={args.pgbench_protocol}` over the unix socket; "
        f"*s* (column) = {d} s, or up to {round(args.max_duration)} s for slow queries so that "
        "about ten rounds of responses complete |",
        f"| code | commit {info['commit']} |",
        f"| load average | {info.get('load average', 'not recorded')} |",
        "",
        "**The machine has "
        + info["cpus"].split()[0]
        + " cores, shared by wrk, gunicorn and PostgreSQL** (and pgbench in the PostgreSQL-only "
        "runs): every figure is throughput of the whole machine, and the load generator's own "
        "CPU is part of it. The CPU columns show where the time went, in CPU milliseconds per "
        "request, summed over each process tree; *other load* is the CPU that processes "
        "outside the benchmark (other people's test runs, say) used meanwhile, in cores — "
        "anything well above 0 means the figures on that row are low.",
        "",
        f"### Goals ({GOAL_SIZE:,} projects)",
        "",
        "| goal | measured | met |",
        "|---|---|---|",
    ]
    for goal, measured, ok in goals(results):
        verdict = "not measured" if ok is None else ("**yes**" if ok else "**no**")
        out.append(f"| {goal} | {measured} | {verdict} |")
    for r in results:
        out += [
            "",
            f"### {r.n:,} projects (generated and loaded in {r.load_seconds:.0f} s)",
            "",
            "| path | query | features | bytes | s | app req/s (requests) | p50 ms | p99 ms "
            "| PG req/s (statements) | p50 ms | p99 ms | app/PG "
            "| CPU ms/req, app run: gunicorn / PG / wrk | PG run: PG / pgbench "
            "| other load, cores: app / PG run |",
            "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
        ]
        for m in r.measurements:
            a, p = m.app, m.pg
            err = f" ({a.errors} err)" if a.errors else ""
            same = "" if m.same_bytes else " ⚠ PG bytes differ"
            out.append(
                f"| {m.target} | {m.title}{same} | {m.features:,} | {m.body_bytes:,} "
                f"| {m.seconds:.0f} "
                f"| {a.rps:.1f} ({a.requests:,}){err} | {_ms(a.p50_ms)} | {_ms(a.p99_ms)} "
                f"| {p.rps:.1f} ({p.requests:,}) | {_ms(p.p50_ms)} | {_ms(p.p99_ms)} "
                f"| {_ratio(m)} "
                f"| {_cpu(a, ('gunicorn', 'postgres', 'load generator'))} "
                f"| {_cpu(p, ('postgres', 'load generator'))} "
                f"| {a.other_cores:.2f} / {p.other_cores:.2f} |"
            )
        out += _target_comparison(r)
    out += [
        "",
        "How to read it: *app* is `wrk` against `GET <path>?<query>` on 127.0.0.1 (whole "
        "responses, keep-alive). *PG* is PostgreSQL alone producing the same bytes in one "
        "statement: the feed's own SQL from `mapserver.features.query_sql.features_sql` "
        "(parameters inlined as literals by psycopg), wrapped as "
        "`SELECT string_agg(f, ',') FROM (<feed SQL>) s(f)`, "
        "with `LIMIT` = the requested limit (the app asks for one row more to detect a next "
        "page). The harness checks that this value equals the `features` array the app sent, "
        "byte for byte, before measuring. The app also runs, per request, "
        "`BEGIN ISOLATION LEVEL REPEATABLE READ`, the ETag's `max(id) FROM change_log`, "
        "`COMMIT` (and a ping of a connection idle for over a second), "
        "when more rows remain, `numberMatched` (a count on tables ≤ "
        "`MAPSERVER_COUNT_THRESHOLD` = 50,000 rows); PG alone runs only the feature statement.",
        "(e) is `limit=1&offset=n/2`: there is no single-feature endpoint on `/layers`; the "
        "OGC `items/{id}` endpoint is measured by `bench.tiles --tipg`. Its cost is the "
        "offset scan.",
    ]
    return "\n".join(out) + "\n"


def _target_comparison(r: SizeResult) -> list[str]:
    """Each extra path (e.g. OGC items, issue #5 §8) against /layers, query by query."""
    by = {(m.target, m.query): m for m in r.measurements}
    others = sorted({m.target for m in r.measurements} - {"layers"})
    if not others:
        return []
    out = [
        "",
        "| path | query | req/s vs /layers | p50 vs /layers | gunicorn CPU ms/req vs /layers "
        "| other load, cores: /layers / this | 1-min load average: /layers / this |",
        "|---|---|--:|--:|--:|--:|--:|",
    ]
    for t in others:
        for (target, q), m in by.items():
            base = by.get(("layers", q))
            if target == t and base:
                cpu, cpu_base = (x.app.cpu_ms_per_request("gunicorn") for x in (m, base))
                cpu_ratio = f"{cpu / cpu_base:.2f}×" if cpu and cpu_base else "–"
                out.append(
                    f"| {t} | {m.title} | {m.app.rps / base.app.rps:.2f}× "
                    f"| {m.app.p50_ms / base.app.p50_ms:.2f}× | {cpu_ratio} "
                    f"| {base.app.other_cores:.2f} / {m.app.other_cores:.2f} "
                    f"| {base.load_avg[0]:.2f} / {m.load_avg[0]:.2f} |"
                )
    return out


HEADER = """# Benchmark results

Written by the harnesses in `bench/` (see `bench/README.md`); each harness
rewrites only its own section, between its markers.
"""


def write_section(path: Path, text: str, name: str = SECTION) -> None:
    begin, end = f"<!-- bench:{name} begin -->", f"<!-- bench:{name} end -->"
    block = f"{begin}\n{text}{end}\n"
    old = path.read_text(encoding="utf-8") if path.exists() else HEADER
    if begin in old and end in old:
        head, rest = old.split(begin, 1)
        new = head + block + rest.split(end, 1)[1].lstrip("\n")
    else:
        new = old.rstrip("\n") + "\n\n" + block
    path.write_text(new, encoding="utf-8")
