"""Page load to first complete render (issue #3 §6): ``python -m bench.pageload``.

For each size: a private cluster with ``n`` demo projects, gunicorn as ``make run``
starts it, then runs of a fresh headless Chromium (fresh profile, so no HTTP cache)
that navigates to ``/``. Before navigation a script is registered with
``Page.addScriptToEvaluateOnNewDocument``: a MutationObserver on the document
element that records ``performance.now()`` (milliseconds since navigation start,
``performance.timeOrigin``) when ``data-feature-count`` first appears (app.js has
drawn the features) and when ``data-state`` becomes ``ready`` (features and
statistics drawn), and the next ``requestAnimationFrame`` after that. Navigation and
resource timing come from the Performance API.

Each fresh browser first opens the page once on ``localhost`` (another site, so another
renderer process), goes to ``about:blank`` and turns its caches off (CDP
``Network.setCacheDisabled``), then the measured load on ``127.0.0.1`` fetches everything
again: the figures are a page load in a running browser, as on the big screen, not the
browser's start-up. In a browser that has just started, each new font size and weight the
page lays out costs a synchronous fontconfig query in the browser process (5–30 ms each
here, ``WebSandboxSupportLinux::GetWebFontRenderStyleForStrike`` in a trace; 150–250 ms over
a load); ``--cold-browser`` measures that too.

The headline runs add nothing else to the page. The ``--breakdown`` runs also wrap
``Response.prototype.json`` (read the body as text, then ``JSON.parse``, each timed) to
split the feed's body read from its parse; they are reported separately.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench import browserbench as bb
from bench.run import _stop_on_signals, app_server, prepare_database, private_cluster
from tests.browser import chromium

GOALS_MS = {100: 1000, 10_000: 1500, 100_000: 2000}  # 100,000: tile mode (issue #15 §4)

MARKS = """
(() => {
  const b = (window.__bench = { marks: {}, json: [] });
  const mark = (k) => { if (!(k in b.marks)) b.marks[k] = performance.now(); };
  new MutationObserver(() => {
    const root = document.documentElement;
    if (root.getAttribute('data-feature-count') !== null) mark('features');
    if (root.getAttribute('data-tiles') === 'loaded' && !('tiles' in b.marks)) {
      mark('tiles'); // tile mode: every tile in view drawn
      requestAnimationFrame(() => mark('tilesFrame'));
    }
    const state = root.getAttribute('data-state');
    if (state === 'error') mark('error');
    if (state === 'ready' && !('ready' in b.marks)) {
      mark('ready');
      requestAnimationFrame(() => mark('frame'));
    }
  }).observe(document, {
    subtree: true,
    attributes: true,
    attributeFilter: ['data-state', 'data-feature-count', 'data-tiles'],
  });
})();
"""

JSON_TIMING = """
(() => {
  const original = Response.prototype.json;
  Response.prototype.json = async function () {
    if (!window.__bench) return original.call(this);
    const url = this.url;
    const t0 = performance.now();
    const text = await this.text();
    const t1 = performance.now();
    const value = JSON.parse(text);
    const t2 = performance.now();
    window.__bench.json.push({ url, start: t0, body: t1 - t0, parse: t2 - t1, end: t2,
                              chars: text.length });
    return value;
  };
})();
"""

COLLECT = """
const [timeoutMs, done] = arguments;
const started = performance.now();
(function check() {
  const b = window.__bench;
  const tiles = document.documentElement.getAttribute('data-map-mode') === 'tiles';
  if (b && ((b.marks.frame !== undefined && (!tiles || b.marks.tilesFrame !== undefined))
            || b.marks.error !== undefined || performance.now() - started > timeoutMs)) {
    const nav = performance.getEntriesByType('navigation')[0].toJSON();
    const resources = performance.getEntriesByType('resource').map((r) => ({
      name: r.name, type: r.initiatorType, start: r.startTime, requestStart: r.requestStart,
      responseStart: r.responseStart, end: r.responseEnd, transfer: r.transferSize,
      encoded: r.encodedBodySize, decoded: r.decodedBodySize,
    }));
    const paints = Object.fromEntries(
      performance.getEntriesByType('paint').map((p) => [p.name, p.startTime]));
    return done({ marks: b.marks, json: b.json, nav, resources, paints,
                  features: document.documentElement.getAttribute('data-feature-count'),
                  mode: document.documentElement.getAttribute('data-map-mode'),
                  timeOrigin: performance.timeOrigin });
  }
  setTimeout(check, 10);
})();
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.pageload", description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="100,10000", help="project counts, comma-separated")
    p.add_argument("--runs", type=int, default=10, help="measured runs per size")
    p.add_argument("--warmup", type=int, default=1, help="runs before measuring")
    p.add_argument("--breakdown", type=int, default=3, help="extra runs with JSON timing")
    p.add_argument("--timeout", type=float, default=60, help="seconds to wait for one load")
    p.add_argument(
        "--cold-browser", action="store_true", help="measure in a browser that has just started"
    )
    p.add_argument(
        "--part",
        default="pageload",
        help="RESULTS.md sub-section to write (live:<part>): another keeps the first's readings",
    )
    bb.add_server_options(p)
    args = p.parse_args(argv)
    args.sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    return args


def warm_up(driver, base: str, timeout: float) -> None:
    """Browser start-up, not page load: open the page once on another site (``localhost``
    for ``127.0.0.1``: another renderer process, so nothing of its scripts is reused), then
    turn every cache off for the measured load."""
    driver.get(base.replace("127.0.0.1", "localhost", 1) + "/")
    deadline = time.monotonic() + timeout
    ready = "return document.documentElement.dataset.state"
    while driver.execute_script(ready) != "ready" and time.monotonic() < deadline:
        time.sleep(0.05)
    driver.get("about:blank")
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})


def one_load(base: str, timeout: float, json_timing: bool, warm: bool = True) -> dict:
    """A fresh browser (own profile) navigates to the page; the page's timings."""
    with chromium() as driver:
        if warm:
            warm_up(driver, base, timeout)
        driver.set_script_timeout(timeout + 10)
        driver.set_page_load_timeout(timeout + 10)
        source = MARKS + (JSON_TIMING if json_timing else "")
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": source})
        driver.get(base + "/")
        data = driver.execute_async_script(COLLECT, timeout * 1000)
    if "ready" not in data["marks"]:
        raise RuntimeError(f"page not ready: marks {data['marks']}")
    return data


def resource(data: dict, fragment: str) -> dict | None:
    return next((r for r in data["resources"] if fragment in r["name"]), None)


def phases(data: dict) -> dict[str, float]:
    """Milliseconds since navigation start of the steps of one load."""
    m, nav = data["marks"], data["nav"]
    feed = resource(data, "/layers/projects.geojson")
    stats = resource(data, "/stats")
    counties = resource(data, "/layers/counties.geojson")
    scripts = [r for r in data["resources"] if r["name"].endswith(".js")]
    out = {
        "HTML response end": nav["responseEnd"],
        "JS modules (count)": len(scripts),
        "last JS module response end": max((r["end"] for r in scripts), default=float("nan")),
        "DOMContentLoaded": nav["domContentLoadedEventEnd"],
        "load event": nav["loadEventEnd"],
    }
    if feed:
        out |= {
            "feed request start": feed["start"],
            "feed first byte": feed["responseStart"],
            "feed response end": feed["end"],
            "feed wait (TTFB)": feed["responseStart"] - feed["requestStart"],
            "feed download": feed["end"] - feed["responseStart"],
            "feed KiB transferred": feed["transfer"] / 1024,
            "feed KiB decoded": feed["decoded"] / 1024,
        }
    if counties:
        out["counties response end"] = counties["end"]
    if stats:
        out["stats response end"] = stats["end"]
    out |= {"features drawn": m.get("features", float("nan")), "ready": m["ready"]}
    out["next frame"] = m.get("frame", float("nan"))
    if "tiles" in m:  # tile mode: ready is when the page and every tile in view are drawn
        out["tiles in view drawn"] = m["tiles"]
        out["ready"] = max(m["ready"], m["tiles"])
        out["next frame"] = max(out["next frame"], m.get("tilesFrame", float("nan")))
    if feed and "features" in m:
        out["feed end → features drawn"] = m["features"] - feed["end"]
    for j in data["json"]:
        if "/layers/projects.geojson" in j["url"]:
            out["feed body read (text())"] = j["body"]
            out["feed JSON.parse"] = j["parse"]
            out["feed parsed → features drawn"] = m["features"] - j["end"]
    return out


def bench_size(cluster, n: int, args: argparse.Namespace, logdir: Path) -> dict:
    print(f"\nbench.pageload: loading {n:,} demo projects …", flush=True)
    _, url, _ = prepare_database(cluster, n)
    result: dict = {"n": n, "runs": [], "breakdown": []}
    with app_server(url, args, logdir) as (base, _pid):
        result["load_before"] = bb.loadavg()
        for i in range(args.warmup + args.runs):
            data = one_load(base, args.timeout, False, not args.cold_browser)
            if i >= args.warmup:
                result["runs"].append(phases(data))
            print(
                f"bench.pageload: n={n:,} run {i + 1 - args.warmup}: ready "
                f"{phases(data)['ready']:.0f} ms, {data['features']} features, "
                f"{data.get('mode') or 'geojson'} mode",
                flush=True,
            )
            result["features"] = data["features"]
            result["mode"] = data.get("mode") or "geojson"
        result["load_after"] = bb.loadavg()
        for _ in range(args.breakdown):
            data = one_load(base, args.timeout, True, not args.cold_browser)
            result["breakdown"].append(phases(data))
        result["load_after_breakdown"] = bb.loadavg()
    return result


def _med(rows: list[dict], key: str) -> str:
    vals = [r[key] for r in rows if key in r]
    return f"{statistics.median(vals):.1f}" if vals else "–"


def _p90(rows: list[dict], key: str) -> str:
    vals = [r[key] for r in rows if key in r]
    return f"{bb.percentile(vals, 90):.1f}" if vals else "–"


def markdown(args: argparse.Namespace, results: list[dict], facts: dict, command: str) -> str:
    title = "Page load to first complete render (issue #3 §6)"
    lines = [
        *bb.section_head(title, facts, command, args, "private cluster, fresh database per size"),
        "",
        f"Each run: a fresh headless Chromium with a fresh profile (empty cache) opens `/`; "
        f"{args.runs} runs after {args.warmup} warm-up. **ready** = milliseconds from "
        'navigation start (`performance.timeOrigin`) to `data-state="ready"` (features '
        "and statistics drawn), timed in the page by a MutationObserver registered before "
        "navigation; *next frame* = the `requestAnimationFrame` after it (the canvas "
        "painted). Browser start-up is not included"
        + (
            " — except here: `--cold-browser`, each load is the browser's first."
            if args.cold_browser
            else ": each fresh browser first opens the page once on `localhost` (another "
            "renderer process), then loads it on `127.0.0.1` with every cache off (CDP "
            "`Network.setCacheDisabled`) — a page load in a running browser, as on the big "
            "screen (a browser's first loads also pay for fontconfig, see the module docstring)."
        ),
        "",
        "| projects | features drawn | ready p50 | ready p90 | next frame p50 | next frame p90 "
        "| goal | met | load avg before → after |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        goal = GOALS_MS.get(r["n"])
        p50 = statistics.median(x["ready"] for x in r["runs"])
        met = "–" if goal is None else ("yes" if p50 < goal else "**no**")
        lines.append(
            f"| {r['n']:,} | {r['features']} ({r['mode']}) | {p50:.0f} ms "
            f"| {_p90(r['runs'], 'ready')} ms "
            f"| {_med(r['runs'], 'next frame')} ms | {_p90(r['runs'], 'next frame')} ms "
            f"| < {goal} ms | {met} | {r['load_before']} → {r['load_after']} |"
        )
    lines += [
        "",
        'Goal judged on the median (p90 shown beside it). In tile mode (`data-map-mode="tiles"`, '
        "above the layer's `tiles.screen_threshold`), *ready* is the later of "
        '`data-state="ready"` and `data-tiles="loaded"` (every tile in view drawn), and '
        "*next frame* the frame after both; *features drawn* is the page's "
        "`data-feature-count`.",
        "",
        "### Where the time goes (milliseconds since navigation start unless a duration)",
        "",
        "Medians of the measured runs; the *breakdown* column is from "
        f"{args.breakdown} extra runs per size that also time `Response.json()` as "
        "`text()` + `JSON.parse` (a wrapper installed before navigation).",
        "",
    ]
    keys: list[str] = []
    for r in results:
        for row in r["runs"] + r["breakdown"]:
            keys += [k for k in row if k not in keys]
    head = " | ".join(f"{r['n']:,}" + " | " + f"{r['n']:,} breakdown" for r in results)
    lines += [f"| step | {head} |", "|---|" + "---|" * (2 * len(results))]
    for k in keys:
        cells = " | ".join(f"{_med(r['runs'], k)} | {_med(r['breakdown'], k)}" for r in results)
        lines.append(f"| {k} | {cells} |")
    loads = "; ".join(
        f"{r['n']:,}: {r['load_before']} → {r['load_after']} → {r['load_after_breakdown']}"
        for r in results
    )
    lines += [
        "",
        f"Load average (1/5/15 min) before → after the runs → after breakdown: {loads}.",
        "",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    _stop_on_signals()
    command = bb.command_line("bench.pageload", argv)
    started = time.monotonic()
    results = []
    with tempfile.TemporaryDirectory(prefix="mapserver-bench-logs-") as logs:
        with private_cluster() as cluster:
            for n in args.sizes:
                results.append(bench_size(cluster, n, args, Path(logs)))
    text = markdown(args, results, bb.machine_facts(), command)
    text += f"\nTook {time.monotonic() - started:.0f} s.\n"
    bb.publish(args, text, args.part)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\nbench.pageload: interrupted; all it started is stopped", file=sys.stderr)
        sys.exit(130)
