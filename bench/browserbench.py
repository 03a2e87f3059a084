"""Shared pieces of the browser benchmarks (issue #3 §6): bench.live and bench.pageload.

The server side is bench.run's (private cluster, demo data, gunicorn as ``make run``);
the browser is the browser tests' headless Chromium (tests/browser.py), a fresh
profile per ``chromium()``. Everything started here is stopped on exit.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from bench import report
from bench.run import DEFAULTS, _stop_on_signals


def add_server_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workers", type=int, default=DEFAULTS.workers, help="gunicorn workers")
    p.add_argument(
        "--app-threads", type=int, default=DEFAULTS.threads, help="gunicorn threads per worker"
    )
    p.add_argument("--pool-size", type=int, default=DEFAULTS.pool_size)
    p.add_argument("--output", type=Path, default=Path(__file__).resolve().parent / "RESULTS.md")
    p.add_argument("--no-output", action="store_true", help="print only; leave RESULTS.md")


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil
    return ordered[int(rank) - 1]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "min": min(values),
        "p50": statistics.median(values),
        "p90": percentile(values, 90),
        "p99": percentile(values, 99),
        "max": max(values),
    }


def loadavg() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def machine_facts() -> dict[str, str]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next(
        (x.split(":", 1)[1].strip() for x in cpuinfo.splitlines() if x.startswith("model name")),
        "unknown",
    )
    chromium = subprocess.run(
        ["/usr/bin/chromium", "--version"], check=False, capture_output=True, text=True
    ).stdout.strip()
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cpu": f"{model} — nproc {len(os.sched_getaffinity(0))}",
        "kernel": platform.release(),
        "browser": f"{chromium or 'chromium'}, selenium {metadata.version('selenium')}, "
        "headless=new",
        "app": f"Python {platform.python_version()}, gunicorn {metadata.version('gunicorn')}",
        "commit": report.git_commit(("mapserver", "static", "layers")),
    }


def facts_table(facts: dict[str, str]) -> str:
    rows = ["| | |", "|---|---|"]
    rows += [f"| {k} | {v} |" for k, v in facts.items() if k != "date"]
    return "\n".join(rows) + "\n"


def section_head(title: str, facts: dict, command: str, args, server: str) -> list[str]:
    """A section's title, date, command and facts table, ending with gunicorn's row."""
    return [
        f"## {title}",
        "",
        f"Run {facts['date']}. Command, from the repository root:",
        "",
        f"    {command}",
        "",
        facts_table(facts)
        + f"| server | gunicorn as `make run` ({args.workers} workers × {args.app_threads} "
        f"threads), {server} |",
    ]


def write_live_part(path: Path, text: str, part: str) -> None:
    """Put ``text`` in RESULTS.md's live section, between ``bench:live:<part>`` markers.

    Both browser harnesses share the one ``<!-- bench:live begin/end -->`` section (other
    sections, e.g. the feed benchmark's, are left as they are).
    """

    begin, end = "<!-- bench:live begin -->", "<!-- bench:live end -->"
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    inner = old.split(begin, 1)[1].split(end, 1)[0].strip("\n") if begin in old else ""
    sub_begin, sub_end = f"<!-- bench:live:{part} begin -->", f"<!-- bench:live:{part} end -->"
    block = f"{sub_begin}\n{text.rstrip()}\n{sub_end}"
    if sub_begin in inner and sub_end in inner:
        head, rest = inner.split(sub_begin, 1)
        inner = head + block + rest.split(sub_end, 1)[1]
    else:
        inner = (inner + "\n\n" if inner else "") + block
    report.write_section(path, inner.strip("\n") + "\n", name="live")


def command_line(module: str, argv: list[str] | None) -> str:
    """The command that ran a harness, as RESULTS.md quotes it."""
    rest = argv if argv is not None else sys.argv[1:]
    return f".venv/bin/python -m {module}" + (" " + shlex.join(rest) if rest else "")


def publish(args: argparse.Namespace, text: str, part: str) -> None:
    """Print a harness's section, and put it in RESULTS.md unless --no-output."""
    print("\n" + text)
    if not args.no_output:
        write_live_part(args.output, text, part)
        print(f"bench: wrote {args.output} ({part})")


def harness(
    module: str,
    part: str,
    argv: list[str] | None,
    parse_args: Callable[[list[str] | None], argparse.Namespace],
    run: Callable[[argparse.Namespace, Path], object],
    markdown: Callable[[argparse.Namespace, object, dict, str], str],
) -> int:
    """A harness's main: parse, run with a log directory, publish; Ctrl-C stops it all."""
    args = parse_args(argv)
    _stop_on_signals()
    command = command_line(module, argv)
    try:
        with tempfile.TemporaryDirectory(prefix="mapserver-bench-logs-") as logs:
            out = run(args, Path(logs))
    except KeyboardInterrupt:
        print(f"\n{module}: interrupted; everything it started has been stopped", file=sys.stderr)
        return 130
    publish(args, markdown(args, out, machine_facts(), command), part)
    return 0
