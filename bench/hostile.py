"""The big screen under a denial-of-service attempt (issue #12 §1): ``python -m bench.hostile``.

A private cluster with the demo projects, four of them given legal 20,000-vertex sites,
gunicorn as ``make run`` starts it (production defaults: statement timeout, request-line
limit). A big-screen-like client fetches ``/layers/projects.geojson`` every ``--every``
seconds: first alone for ``--quiet`` seconds, then for ``--attack`` seconds while
``--clients`` attacker processes send, round-robin and as fast as answered, the hostile
requests of the issue: an 8 MB request line, a 9 kB header field, the 3.3 kB
``NOT S_DWITHIN`` filter on the OGC items, the feed and ``/stats``, and 199 nested
GEOMETRYCOLLECTIONs on the feed, ``/stats`` and ``/report``.
Goal: the big screen's p95 under attack < 2 × its quiet p95.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import requests

from bench import browserbench as bb
from bench.run import app_server, prepare_database, private_cluster
from tests.hostile import enlarge_sites, nested_text, send_raw, slow_filter

GOAL = 2.0
SCREEN = "/layers/projects.geojson"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.hostile", description=__doc__.split("\n")[0])
    p.add_argument("--clients", type=int, default=8, help="attacker processes")
    p.add_argument("--quiet", type=float, default=30, help="seconds of the big screen alone")
    p.add_argument("--attack", type=float, default=60, help="seconds under attack")
    p.add_argument("--every", type=float, default=0.5, help="big screen: seconds between polls")
    p.add_argument("--projects", type=int, default=100, help="demo projects loaded")
    bb.add_server_options(p)
    return p.parse_args(argv)


def attacks(base: str, wkt: str) -> list[tuple[str, object]]:
    """(name, what to send): a raw request (bytes) or a URL path with its query."""
    slow, nested = quote(slow_filter(wkt)), quote(nested_text(199))
    return [
        ("8 MB request line", b"GET /stats?q=" + b"x" * 8 * 2**20 + b" HTTP/1.1\r\n\r\n"),
        ("9 kB header", b"GET /stats HTTP/1.1\r\nHost: a\r\nX-A: " + b"x" * 9000 + b"\r\n\r\n"),
        ("slow S_DWITHIN, items", f"/ogc/collections/projects/items?filter={slow}"),
        ("slow S_DWITHIN, feed", f"/layers/projects.geojson?filter={slow}"),
        ("slow S_DWITHIN, stats", f"/stats?filter={slow}"),
        ("nested 199, feed", f"/layers/projects.geojson?filter={nested}"),
        ("nested 199, stats", f"/stats?filter={nested}"),
        ("nested 199, report", f"/report?filter={nested}"),
    ]


def attacker(base: str, wkt: str, start: int, until: float, out: mp.Queue) -> None:
    """Send the attacks round-robin until ``until``; report (name, status) counts."""
    plan, seen, i = attacks(base, wkt), Counter(), start
    with requests.Session() as session:
        while time.time() < until:
            name, what = plan[i % len(plan)]
            i += 1
            try:
                if isinstance(what, bytes):
                    status, _ = send_raw(base, what, timeout=30)
                else:
                    status = session.get(base + what, timeout=30).status_code
            except (OSError, requests.RequestException) as exc:
                status = type(exc).__name__
            seen[(name, status)] += 1
    out.put(seen)


def poll(base: str, seconds: float, every: float) -> list[float]:
    """The big screen: its feed every ``every`` seconds; latencies in ms."""
    times, until = [], time.monotonic() + seconds
    with requests.Session() as session:
        while time.monotonic() < until:
            started = time.monotonic()
            response = session.get(base + SCREEN, timeout=60)
            assert response.status_code == 200 and response.json()["features"]
            times.append((time.monotonic() - started) * 1000)
            time.sleep(max(0.0, every - (time.monotonic() - started)))
    return times


def run(args: argparse.Namespace, logdir: Path) -> dict:
    with private_cluster() as cluster:
        print(f"bench.hostile: loading {args.projects} demo projects …", flush=True)
        dbname, url, _ = prepare_database(cluster, args.projects)
        wkt = enlarge_sites(url)
        cluster.psql("VACUUM (ANALYZE)", dbname)
        with app_server(url, args, logdir) as (base, _pid):
            poll(base, 3, args.every)  # warm-up
            print(f"bench.hostile: quiet for {args.quiet:g} s …", flush=True)
            quiet = poll(base, args.quiet, args.every)
            print(f"bench.hostile: {args.clients} attackers for {args.attack:g} s …", flush=True)
            out: mp.Queue = mp.Queue()
            until = time.time() + args.attack
            procs = [mp.Process(target=attacker, args=(base, wkt, k, until, out))
                     for k in range(args.clients)]  # fmt: skip
            for p in procs:
                p.start()
            attacked = poll(base, args.attack, args.every)
            seen = sum((out.get(timeout=120) for _ in procs), Counter())
            for p in procs:
                p.join(30)
    return {"quiet": quiet, "attacked": attacked, "seen": seen}


def markdown(args: argparse.Namespace, out: dict, facts: dict, command: str) -> str:
    quiet, attacked = bb.summary(out["quiet"]), bb.summary(out["attacked"])
    p95q, p95a = bb.percentile(out["quiet"], 95), bb.percentile(out["attacked"], 95)
    ratio = p95a / p95q
    rows = [f"| {name} | {status} | {n} |" for (name, status), n in sorted(
        out["seen"].items(), key=lambda kv: (kv[0][0], str(kv[0][1])))]  # fmt: skip
    verdict = "met" if ratio < GOAL else "**not met**"

    def figures(label: str, s: dict, p95: float) -> str:
        return (f"| {label} | {s['n']} | {s['p50']:.0f} | {p95:.0f} | {s['p99']:.0f} | "
                f"{s['max']:.0f} |")  # fmt: skip

    return f"""## The big screen under a denial-of-service attempt (issue #12 §1)

Run {facts["date"]}. Command, from the repository root:

    {command}

{bb.facts_table(facts)}| server | gunicorn as `make run` ({args.workers} workers × \
{args.app_threads} threads), {args.projects} demo projects (4 with 20,000-vertex sites), \
private cluster, default `MAPSERVER_STATEMENT_TIMEOUT_MS` |

The big screen fetches `{SCREEN}` every {args.every:g} s: {args.quiet:g} s alone, then \
{args.attack:g} s while {args.clients} attacker processes send the hostile requests \
round-robin, each as soon as the previous one is answered.

| big screen | requests | p50 ms | p95 ms | p99 ms | max ms |
|---|---|---|---|---|---|
{figures("quiet", quiet, p95q)}
{figures("under attack", attacked, p95a)}

p95 under attack / quiet: **{ratio:.2f}×** (goal < {GOAL:g}×: {verdict}).

| attack | answer | count |
|---|---|---|
{chr(10).join(rows)}
"""


def main(argv: list[str] | None = None) -> int:
    return bb.harness("bench.hostile", "hostile", argv, parse_args, run, markdown)


if __name__ == "__main__":
    raise SystemExit(main())
