"""The big screen left running (issue #3 §4, "it can run for days"): ``python -m bench.soak``.

A private cluster with the demo projects, gunicorn as ``make run`` starts it, the kiosk
page (``/?kiosk=1``) open in headless Chromium, touring a county every ``--interval``
seconds while a writer commits an edit every ``--every`` seconds (a project's status
cycled: a restyle, a ticker line, a statistics refresh). Every ``--turn-day`` minutes
the database's day moves on (``mapserver_today()`` redefined), so the page reloads its
whole feed as it does at midnight.

Every ``--sample`` seconds, after a forced garbage collection (CDP
``HeapProfiler.collectGarbage``), Chromium's own counters (CDP ``Performance.getMetrics``):
JS heap in use, DOM nodes, event listeners, layout objects. A page that leaks shows a
steady climb; the figures after the first minutes should stay flat.
"""

from __future__ import annotations

import argparse
import datetime as dt
import threading
import time
from pathlib import Path

import sqlalchemy as sa

from bench import browserbench as bb
from bench.live import edits, one_edit
from bench.run import app_server, prepare_database, private_cluster
from mapserver.store.db import make_engine
from tests.browser import chromium, hook, wait_for, wait_ready

METRICS = ("JSHeapUsedSize", "Nodes", "JSEventListeners", "LayoutObjects")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n")[0])
    p.add_argument("--minutes", type=float, default=20, help="how long the page runs")
    p.add_argument("--interval", type=int, default=5, help="kiosk seconds per county")
    p.add_argument("--every", type=float, default=0.5, help="seconds between edits")
    p.add_argument("--sample", type=float, default=60, help="seconds between samples")
    p.add_argument("--turn-day", type=float, default=5, help="minutes between day turns")
    p.add_argument("--projects", type=int, default=100, help="demo projects loaded")
    bb.add_server_options(p)
    return p.parse_args(argv)


class Writer(threading.Thread):
    """Edits at a steady pace until stopped; counts them."""

    def __init__(self, engine: sa.Engine, every: float) -> None:
        super().__init__(daemon=True)
        self.engine, self.every = engine, every
        self.codes, self.statuses = edits(engine)
        self.count = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            one_edit(self.engine, self.codes[self.count % len(self.codes)], self.statuses)
            self.count += 1


def turn_day(engine: sa.Engine, day: dt.date) -> None:
    """Midnight, now: every session's ``mapserver_today()`` is ``day`` (a throw-away cluster)."""
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "CREATE OR REPLACE FUNCTION mapserver_today() RETURNS date LANGUAGE sql "
                f"STABLE AS $$ SELECT date '{day.isoformat()}' $$"
            )
        )


def sample(driver, started: float, writer: Writer, day: dt.date) -> dict:
    driver.execute_cdp_cmd("HeapProfiler.collectGarbage", {})
    values = driver.execute_cdp_cmd("Performance.getMetrics", {})["metrics"]
    row = {m["name"]: m["value"] for m in values if m["name"] in METRICS}
    row.update(
        minute=(time.monotonic() - started) / 60,
        edits=writer.count,
        db_day=day.isoformat(),
        day=hook(driver, "data-day"),
        features=hook(driver, "feature-count"),
        connection=hook(driver, "connection"),
        county=hook(driver, "kiosk-county"),
    )
    return row


def soak(args: argparse.Namespace, driver, engine: sa.Engine, base: str) -> list[dict]:
    driver.get(f"{base}/?kiosk=1&interval={args.interval}")
    wait_ready(driver, 30)
    wait_for(lambda: hook(driver, "connection") == "open", 30)
    driver.execute_cdp_cmd("Performance.enable", {})
    with engine.connect() as conn:
        day = conn.execute(sa.text("SELECT mapserver_today()")).scalar_one()
    writer = Writer(engine, args.every)
    started = next_turn = time.monotonic()
    rows = [sample(driver, started, writer, day)]
    writer.start()
    try:
        end = started + args.minutes * 60
        while (now := time.monotonic()) < end:
            time.sleep(min(args.sample, end - now))
            rows.append(sample(driver, started, writer, day))
            r = rows[-1]
            heap = r["JSHeapUsedSize"] / 2**20
            print(f"bench.soak: {r['minute']:.1f} min, {r['day']}, {heap:.1f} MB", flush=True)
            if args.turn_day and time.monotonic() - next_turn >= args.turn_day * 60:
                day += dt.timedelta(days=1)  # right after a sample: the next one is a while off
                turn_day(engine, day)
                next_turn = time.monotonic()
    finally:
        writer.stopped.set()
        writer.join(10)
    return rows


def run(args: argparse.Namespace, logdir: Path) -> list[dict]:
    with private_cluster() as cluster:
        print(f"bench.soak: loading {args.projects:,} demo projects …", flush=True)
        _, url, _ = prepare_database(cluster, args.projects)
        engine = make_engine(url, 2)
        try:
            with app_server(url, args, logdir) as (base, _pid), chromium() as driver:
                return soak(args, driver, engine, base)
        finally:
            engine.dispose()


def slope_per_hour(rows: list[dict], key: str) -> float:
    """Least-squares growth of ``key`` per hour over the second half of the run."""
    half = rows[len(rows) // 2 :]
    xs, ys = [r["minute"] / 60 for r in half], [r[key] for r in half]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx if sxx else 0.0


def markdown(args: argparse.Namespace, rows: list[dict], facts: dict, command: str) -> str:
    lines = [
        "| minute | edits | day: database / page | features | connection | JS heap (MB) "
        "| DOM nodes | listeners | layout objects |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['minute']:.1f} | {r['edits']} | {r['db_day']} / {r['day']} | {r['features']} | "
            f"{r['connection']} | {r['JSHeapUsedSize'] / 2**20:.2f} | {r['Nodes']:.0f} | "
            f"{r['JSEventListeners']:.0f} | {r['LayoutObjects']:.0f} |"
        )
    heap = slope_per_hour(rows, "JSHeapUsedSize") / 2**20
    nodes = slope_per_hour(rows, "Nodes")
    return f"""## The big screen left running (issue #3 §4)

Run {facts["date"]}. Command, from the repository root:

    {command}

{bb.facts_table(facts)}| server | gunicorn as `make run` ({args.workers} workers × \
{args.app_threads} threads), {args.projects:,} demo projects, private cluster |

The kiosk page (`/?kiosk=1&interval={args.interval}`) for {args.minutes:g} minutes: a county \
every {args.interval} s, an edit committed every {args.every} s (a project's status cycled), \
the database's day moved on every {args.turn_day:g} minutes (the page reloads its feed, as at \
midnight). Each row after a forced garbage collection, from Chromium's own counters \
(CDP `Performance.getMetrics`).

{chr(10).join(lines)}

Growth over the second half, least squares: JS heap {heap:+.2f} MB per hour, DOM nodes \
{nodes:+.0f} per hour.
"""


def main(argv: list[str] | None = None) -> int:
    return bb.harness("bench.soak", "soak", argv, parse_args, run, markdown)


if __name__ == "__main__":
    raise SystemExit(main())
