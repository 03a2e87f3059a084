"""Load as it will come (issue #14 §4): ``python -m bench.load``.

A private cluster with ``--projects`` demo projects, gunicorn as ``make run`` starts it
(with enough threads per worker for the open streams: each ``/events`` stream holds a
gthread thread). For ``--seconds``, at once, each kind of client in its own process:

* ``--streams`` open ``/events`` streams (the big screens' and editors' live feed),
  counting every change event they receive;
* ``--screens`` big screens, each reloading every ``--reload-every`` seconds (staggered):
  the page, the whole ``/layers/projects.geojson`` and ``/stats``;
* ``--editors`` editors (dispatcher accounts, Bearer tokens), each saving its own project
  every ``--save-every`` seconds (staggered): GET the item for its ETag, then a
  merge-patch with ``If-Match``;
* ``--gis`` GIS clients paging ``/ogc/collections/projects/items?limit=100`` through
  ``next`` links, again and again.

Reported: p50/p95/p99 of the feed pages (the goal: p95 < 300 ms with the streams open),
of the saves and of the screens' whole feed; events delivered per stream against the
commits in the change log (goal: 0 missed, 0 duplicated); CPU per request (gunicorn and
PostgreSQL process trees, over every request but the streams).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import threading
import time
from collections import Counter
from pathlib import Path

import requests
import sqlalchemy as sa

from bench import browserbench as bb
from bench.run import app_server, postmaster_pid, prepare_database, private_cluster
from bench.tools import CpuMeter
from mapserver.accounts import credentials, users
from mapserver.store.db import make_engine

GOAL_MS = 300
ITEMS = "/ogc/collections/projects/items"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n")[0])
    p.add_argument("--projects", type=int, default=1000)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--streams", type=int, default=200)
    p.add_argument("--screens", type=int, default=20)
    p.add_argument("--reload-every", type=float, default=30)
    p.add_argument("--editors", type=int, default=50)
    p.add_argument("--save-every", type=float, default=10)
    p.add_argument("--gis", type=int, default=4)
    bb.add_server_options(p)
    p.set_defaults(app_threads=160)
    return p.parse_args(argv)


def stream(base: str, since: int, until: float, seen: list[int]) -> None:
    """One SSE client: the ids of the change events it receives until ``until``."""
    with requests.get(f"{base}/events", params={"since": since}, stream=True,
                      timeout=(10, 30)) as response:  # fmt: skip
        event, ident = "", 0
        for line in response.iter_lines(decode_unicode=True):
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("id:"):
                ident = int(line[3:].strip() or 0)
            elif line == "":
                if event == "change":
                    seen.append(ident)
                event = ""
            if time.time() > until:
                return


def streams(base: str, n: int, since: int, until: float, out: mp.Queue) -> None:
    seen: list[list[int]] = [[] for _ in range(n)]
    threads = [threading.Thread(target=stream, args=(base, since, until, s), daemon=True)
               for s in seen]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join(until - time.time() + 60)
    out.put(("streams", seen))


def timed(
    session: requests.Session, method: str, url: str, **kw: object
) -> tuple[float, requests.Response]:
    started = time.monotonic()
    response = session.request(method, url, timeout=60, **kw)
    return (time.monotonic() - started) * 1000, response


def screen(base: str, k: int, every: float, until: float, times: list[float]) -> None:
    """A big screen reloading: page, whole feed (timed), statistics."""
    time.sleep(k * every / 20 % every)
    with requests.Session() as s:
        while time.time() < until:
            started = time.monotonic()
            s.get(base + "/", timeout=60)
            ms, r = timed(s, "GET", base + "/layers/projects.geojson")
            assert r.status_code == 200, r.status_code
            times.append(ms)
            s.get(base + "/stats", timeout=60)
            time.sleep(max(0.0, every - (time.monotonic() - started)))


def editor(base: str, token: str, code: str, k: int, args: tuple, out: list) -> None:
    """Save one project every ``every`` seconds: (ms of the PATCH, status)."""
    every, until, total = args
    time.sleep(k * every / total)
    auth = {"Authorization": f"Bearer {token}"}
    with requests.Session() as s:
        n = 0
        while time.time() < until:
            started = time.monotonic()
            got = s.get(f"{base}{ITEMS}/{code}", headers=auth, timeout=60)
            n += 1
            body = json.dumps({"type": "Feature", "properties": {"completed_this_year": n}})
            ms, r = timed(s, "PATCH", f"{base}{ITEMS}/{code}", data=body, headers={
                **auth, "If-Match": got.headers["ETag"],
                "Content-Type": "application/merge-patch+json"})  # fmt: skip
            out.append((ms, r.status_code))
            time.sleep(max(0.0, every - (time.monotonic() - started)))


def gis(base: str, until: float, times: list[float]) -> None:
    """Page through the whole collection, again and again."""
    with requests.Session() as s:
        while time.time() < until:
            url: str | None = f"{base}{ITEMS}?limit=100"
            while url and time.time() < until:
                ms, r = timed(s, "GET", url, headers={"Accept": "application/geo+json"})
                assert r.status_code == 200, r.status_code
                times.append(ms)
                links = r.json().get("links", [])
                url = next((x["href"] for x in links if x["rel"] == "next"), None)


def clients(kind: str, target, argsets: list[tuple], out: mp.Queue) -> None:
    """One process of ``kind``: a thread per argument set, each appending to its own list."""
    results: list[list] = [[] for _ in argsets]
    threads = [threading.Thread(target=target, args=(*a, r), daemon=True)
               for a, r in zip(argsets, results, strict=True)]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put((kind, [x for r in results for x in r]))


def accounts(url: str, n: int) -> list[tuple[str, str]]:
    """(token, project code) per editor: dispatchers, one project each."""
    engine = make_engine(url, 1)
    with engine.connect() as conn:
        codes = conn.execute(sa.text(
            "SELECT code FROM projects WHERE deleted_at IS NULL ORDER BY id LIMIT :n"
        ), {"n": n}).scalars().all()  # fmt: skip
    out = []
    for k, code in enumerate(codes):
        account, _ = users.create_user(engine, f"load_{k}", "dispatcher", None)
        out.append((credentials.issue_token(engine, account.id, "load")[1], code))
    engine.dispose()
    return out


def latest(url: str) -> int:
    engine = make_engine(url, 1)
    with engine.connect() as conn:
        value = conn.execute(sa.text("SELECT coalesce(max(id), 0) FROM change_log")).scalar()
    engine.dispose()
    return int(value)


def processes(
    base: str, url: str, args: argparse.Namespace, out: mp.Queue
) -> tuple[list[mp.Process], int]:
    until, since = time.time() + args.seconds, latest(url)
    eds = [(base, tok, code, k, (args.save_every, until, args.editors))
           for k, (tok, code) in enumerate(accounts(url, args.editors))]  # fmt: skip
    plan = [
        (streams, (base, args.streams, since, until + 5, out)),
        (clients, ("screens", screen,
                   [(base, k, args.reload_every, until) for k in range(args.screens)], out)),
        (clients, ("saves", editor, eds, out)),
        (clients, ("feed", gis, [(base, until) for _ in range(args.gis)], out)),
    ]  # fmt: skip
    procs = [mp.Process(target=f, args=a) for f, a in plan]
    for p in procs:
        p.start()
    return procs, since


def run(args: argparse.Namespace, logdir: Path) -> dict:
    with private_cluster() as cluster:
        print(f"bench.load: loading {args.projects} demo projects …", flush=True)
        _, url, _ = prepare_database(cluster, args.projects)
        with app_server(url, args, logdir) as (base, pid):
            meter = CpuMeter({"gunicorn": pid, "postgres": postmaster_pid(cluster)})
            before = meter.sample()
            print(f"bench.load: {args.seconds:g} s of load …", flush=True)
            out: mp.Queue = mp.Queue()
            procs, since = processes(base, url, args, out)
            results = dict(out.get(timeout=args.seconds + 300) for _ in procs)
            after = meter.sample()
            for p in procs:
                p.join(30)
            engine = make_engine(url, 1)
            with engine.connect() as conn:
                committed = conn.execute(sa.text(
                    "SELECT id FROM change_log WHERE id > :s ORDER BY id"), {"s": since}
                ).scalars().all()  # fmt: skip
            engine.dispose()
    cpu = {k: after[k] - before[k] for k in ("gunicorn", "postgres", "machine")}
    return {"results": results, "committed": committed, "cpu": cpu}


def delivery(seen: list[list[int]], committed: list[int]) -> tuple[int, int, int]:
    """Streams that got every commit exactly once; events missed; duplicates (all streams)."""
    want = set(committed)
    missed = sum(len(want - set(s)) for s in seen)
    dupes = sum(len(s) - len(set(s)) for s in seen)
    whole = sum(1 for s in seen if set(s) == want and len(s) == len(want))
    return whole, missed, dupes


def markdown(args: argparse.Namespace, out: dict, facts: dict, command: str) -> str:
    res, committed, cpu = out["results"], out["committed"], out["cpu"]
    saves = [ms for ms, status in res["saves"] if status == 200]
    failed = Counter(status for _, status in res["saves"] if status != 200)
    requests_made = len(res["feed"]) + 3 * len(res["screens"]) + 2 * len(res["saves"])
    whole, missed, dupes = delivery(res["streams"], committed)
    feed = bb.summary(res["feed"])
    p95 = bb.percentile(res["feed"], 95)

    def row(label: str, values: list[float]) -> str:
        if not values:
            return f"| {label} | 0 | – | – | – | – |"
        s = bb.summary(values)
        return (f"| {label} | {s['n']} | {s['p50']:.0f} | {bb.percentile(values, 95):.0f} | "
                f"{s['p99']:.0f} | {s['max']:.0f} |")  # fmt: skip

    verdict = "met" if p95 < GOAL_MS else "**not met**"
    per = {k: 1000 * v / max(requests_made, 1) for k, v in cpu.items()}
    return f"""## Load as it will come (issue #14 §4)

Run {facts["date"]}. Command, from the repository root:

    {command}

{bb.facts_table(facts)}| server | gunicorn as `make run` ({args.workers} workers × \
{args.app_threads} threads: each open stream holds a thread), {args.projects} demo projects |

For {args.seconds:g} s at once: {args.streams} open `/events` streams; {args.screens} big \
screens reloading every {args.reload_every:g} s (page, whole feed, `/stats`); \
{args.editors} editors saving every {args.save_every:g} s (GET + merge-patch with \
`If-Match`); {args.gis} GIS clients paging `{ITEMS}?limit=100`.

| what | requests | p50 ms | p95 ms | p99 ms | max ms |
|---|---|---|---|---|---|
{row("feed page (GIS, `limit=100`)", res["feed"])}
{row("save (PATCH)", saves)}
{row("big screen's whole feed", res["screens"])}

Feed p95 with the streams open: **{p95:.0f} ms** (goal < {GOAL_MS} ms: {verdict}); \
{feed["n"]} pages. Saves refused or failed: {dict(failed) or 0}.

Events: {len(committed)} commits in the change log during the run; {whole} of \
{args.streams} streams received every one exactly once; missed {missed}, duplicated \
{dupes} (over all streams).

CPU per request (over {requests_made:,} requests, streams not counted): gunicorn \
{per["gunicorn"]:.1f} ms, PostgreSQL {per["postgres"]:.1f} ms. All CPUs the kernel counts \
(`/proc/stat`, everyone's work, possibly more CPUs than the 2 this run may use) were busy \
{cpu["machine"] / args.seconds:.2f} cores on average: well above 2 means other work shared \
the machine and the latencies are pessimistic.
"""


def main(argv: list[str] | None = None) -> int:
    return bb.harness("bench.load", "load", argv, parse_args, run, markdown)


if __name__ == "__main__":
    raise SystemExit(main())
