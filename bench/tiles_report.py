"""The ``tiles`` section of RESULTS.md: bench.tiles' figures against issue #15 §4's goals."""

from __future__ import annotations

import statistics

from bench import browserbench as bb
from bench.tools import Load

GOALS = {"z10": 0.8, "z14": 200, "cached": 50, "invalidation_ms": 1000, "tipg": 2.0}


def _cpu(load: Load, *groups: str) -> str:
    values = [load.cpu_ms_per_request(g) for g in groups]
    return " / ".join("–" if v is None else f"{v:.2f}" for v in values)


def z10_line(r: dict) -> str:
    ratio = r["app"].rps / r["pg"].rps if r["pg"].rps else 0
    return (f"{r['tile']}: {r['owned']:,} owned, {r['bytes']:,} B, same bytes {r['same']}; "
            f"app {r['app'].rps:.2f} /s, PG {r['pg'].rps:.2f} /s, {ratio:.2f}×")  # fmt: skip


def z14_line(r: dict) -> str:
    u, c = r["uncached"], r["cached"]
    return (
        f"{r['tiles']} tiles: uncached {u.rps:.0f} req/s, cached {c.rps:.0f} req/s "
        f"({c.rps / u.rps if u.rps else 0:.0f}×)"
    )


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def goals(results: dict) -> list[str]:
    z10, z14, inv = results["z10"], results["z14"], results["invalidation"]
    ratio = z10["app"].rps / z10["pg"].rps if z10["pg"].rps else 0
    u, c = z14["uncached"].rps, z14["cached"].rps
    z10c = z10["cached"][2].rps
    worst = max(i["max"] for i in inv)
    rows = [
        "| goal | measured | met |",
        "|---|---|---|",
        f"| z10 tile, uncached, ≥ {GOALS['z10']}× PostgreSQL alone (same bytes, 2 connections) "
        f"| {z10['app'].rps:.2f} / {z10['pg'].rps:.2f} tiles/s = {ratio:.2f}× "
        f"| {_met(ratio >= GOALS['z10'] and z10['same'])} |",
        f"| z14 tiles, uncached, ≥ {GOALS['z14']} req/s at 16 connections | {u:.0f} req/s "
        f"| {_met(u >= GOALS['z14'])} |",
        f"| cached ≥ {GOALS['cached']}× uncached: z10, 2 connections each "
        f"| {z10c:.0f} / {z10['app'].rps:.2f} = {z10c / z10['app'].rps:.0f}× "
        f"| {_met(z10c >= GOALS['cached'] * z10['app'].rps)} |",
        f"| cached ≥ {GOALS['cached']}× uncached: z14, 16 connections each "
        f"| {c:.0f} / {u:.0f} = {c / u:.0f}× | {_met(c >= GOALS['cached'] * u)} |",
        f"| invalidation: `COMMIT` → fresh tile served < {GOALS['invalidation_ms']} ms "
        f"| worst {worst:.0f} ms | {_met(worst < GOALS['invalidation_ms'])} |",
    ]
    items = results.get("items") or {}
    if "runs" in items:
        app = statistics.mean(x.rps for x in items["runs"]["app"])
        theirs = statistics.mean(x.rps for x in items["runs"]["tipg"])
        rows.append(f"| `items/{{code}}` ≥ {GOALS['tipg']}× tipg's `items/{{id}}` (16 connections) "
                    f"| {app:.0f} / {theirs:.0f} req/s = {app / theirs:.2f}× "
                    f"| {_met(app >= GOALS['tipg'] * theirs)} |")  # fmt: skip
    else:
        rows.append(f"| `items/{{code}}` ≥ {GOALS['tipg']}× tipg | not run: "
                    f"{items.get('skipped', 'skipped')} | – |")  # fmt: skip
    return rows


def _load_row(what: str, conns: int, load: Load, groups: tuple[str, ...]) -> str:
    return (f"| {what} | {conns} | {load.seconds:.0f} | {load.rps:,.1f} ({load.requests:,}) "
            f"| {load.p50_ms:.1f} | {load.p99_ms:.1f} | {load.errors} | {_cpu(load, *groups)} "
            f"| {load.other_cores:.2f} |")  # fmt: skip


def runs(results: dict) -> list[str]:
    z10, z14 = results["z10"], results["z14"]
    app = ("gunicorn", "postgres", "load generator")
    pg = ("postgres", "load generator", "load generator")
    rows = [
        "| run | connections | s | req/s (requests) | p50 ms | p99 ms | errors "
        "| CPU ms/req: server / PostgreSQL / load generator | other load, cores |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
        _load_row(f"z10 {z10['tile'].x}/{z10['tile'].y}, app, uncached", 2, z10["app"], app),
        _load_row("z10, PostgreSQL alone (pgbench, the app's statement)", 2, z10["pg"], pg),
        *(_load_row("z10, app, cached", c, load, app) for c, load in z10["cached"].items()),
        _load_row(f"z14, {z14['tiles']} distinct tiles, uncached", 16, z14["uncached"], app),
        _load_row(f"z14, {z14['tiles']} distinct tiles, cached", 16, z14["cached"], app),
    ]
    items = results.get("items") or {}
    for name, loads in (items.get("runs") or {}).items():
        server = "gunicorn" if name == "app" else "tipg"
        for i, load in enumerate(loads, 1):
            what = ("app `items/{code}`" if name == "app" else "tipg `items/{id}`") + f", run {i}"
            rows.append(_load_row(what, 16, load, (server, "postgres", "load generator")))
    return rows


def markdown(results: dict, args, facts: dict, command: str, elapsed: float) -> str:
    z10, z14 = results["z10"], results["z14"]
    owned = sorted(z14["owned"])
    lines = [
        "## Vector tiles and one feature at 100,000 projects (issue #15 §4)",
        "",
        f"Run {facts['date']}, took {elapsed:.0f} s. Command, from the repository root:",
        "",
        f"    {command}",
        "",
        bb.facts_table(facts).rstrip("\n"),
        f"| server | gunicorn as `make run` ({args.workers} workers × {args.app_threads} "
        f"threads), {args.projects:,} demo projects (loaded in {results['loaded']:.0f} s), "
        "private cluster |",
        "",
        "### Goals",
        "",
        *goals(results),
        "",
        "### Runs",
        "",
        *runs(results),
        "",
        f"The z10 tile {z10['tile'].z}/{z10['tile'].x}/{z10['tile'].y} (x/y) covers 广安区: it "
        f"owns {z10['owned']:,} projects, drawn as {z10['clusters']} cluster points "
        f"({z10['features']} features, {z10['bytes']:,} bytes); PostgreSQL's bytes "
        f"{'equal' if z10['same'] else '**differ from**'} the app's. The z14 runs cycle "
        f"through the {z14['tiles']} z14 tiles under it that own the most projects "
        f"({owned[0]}–{owned[-1]} each, median {statistics.median(owned):.0f}).",
        "",
        *invalidation_lines(results["invalidation"]),
        "",
    ]
    return "\n".join(lines)


def invalidation_lines(inv: list[dict]) -> list[str]:
    rows = ["| tile | edits | new status drawn | p50 ms | max ms |", "|---|--:|--:|--:|--:|"]
    for r in inv:
        t = r["tile"]
        rows.append(f"| z{t.z} {t.x}/{t.y} | {r['edits']} | {r['shown']} | {r['p50']:.1f} "
                    f"| {r['max']:.1f} |")  # fmt: skip
    return ["Invalidation: a project the tile owns gets a new `status` by SQL (`UPDATE`, then "
            "`COMMIT`); the time runs from sending `COMMIT` until a GET of the tile has read the "
            "tile rendered after it whole (`X-Tile-Cache: miss`: the commit deleted the cached "
            "one); "
            "*new status drawn* counts the tiles that draw the project, decoded, with its new "
            "status (a clustered z10 tile draws it in a cluster's count).",
            "", *rows]  # fmt: skip
