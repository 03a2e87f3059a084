"""A pan of one screen on the big screen in tile mode (issue #15 §4): ``python -m bench.pan``.

A private cluster with ``n`` demo projects (100,000: the battle map draws them from vector
tiles), gunicorn as ``make run`` starts it, one headless Chromium (1920×1080) on ``/``. Each
pan is a mouse drag of one screen width (CDP ``Input.dispatchMouseEvent``: press, a move by
the whole width at once, a pause so that Leaflet adds no inertia, release), alternately to
the left and back; *redrawn* is when every tile of the projects' layer that intersects the
map is drawn (Leaflet's ``leaflet-tile-loaded``) and they cover the map, then the next
animation frame. Times are measured in the page, from the move (the view jumps by a screen)
to that frame, by a watcher put in the page before the drag: a script the harness sends
after the release would start only when the page's main thread is free, so it would time
the page's later work (the prefetch's decoding and drawing ahead) as the pan's.

The first pass over the positions finds the server's tile cache cold (every tile rendered),
later passes warm (what a big screen that pans around sees after its first minutes); both
are reported.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from selenium.webdriver.common.by import By

from bench import browserbench as bb
from bench.run import (
    app_server,
    entry,
    prepare_database,
    private_cluster,
)
from tests.browser import chromium

GOAL_P95_MS = 300
WIDTH, HEIGHT = 1920, 1080

# Whether every project tile that intersects the map is drawn and together they cover it.
DRAWN = """
function drawn(map) {
  const view = map.getBoundingClientRect();
  let area = 0;
  const tiles = [...map.querySelectorAll('.leaflet-tile-container .leaflet-tile')];
  for (const t of tiles) {
    const r = t.getBoundingClientRect();
    const w = Math.min(r.right, view.right) - Math.max(r.left, view.left);
    const h = Math.min(r.bottom, view.bottom) - Math.max(r.top, view.top);
    if (w <= 0 || h <= 0) continue;
    if (!t.classList.contains('leaflet-tile-loaded')) return false;
    area += w * h;
  }
  return area >= 0.999 * view.width * view.height;
}
"""
# Resolves with performance.now() at the frame after the map is drawn (after a zoom: not timed).
REDRAWN = (
    DRAWN
    + """
const [timeoutMs, done] = arguments;
const started = performance.now();
const map = document.querySelector('.leaflet-container');
(function check() {
  if (drawn(map)) requestAnimationFrame(() => done(performance.now()));
  else if (performance.now() - started > timeoutMs) done(null);
  else requestAnimationFrame(check);
})();
"""
)
# Installed before a drag, so that the timing does not wait for the harness's own scripts
# (they queue behind the page's work): remembers when the drag's move reached the page (the
# view jumps by a screen), and from the release on (Leaflet then lays out the new view's
# tiles) checks every frame until the map is drawn, then takes the next frame's time.
WATCH = (
    DRAWN
    + """
const pan = (window.__pan = { up: null, at: null });
const map = document.querySelector('.leaflet-container');
const check = () => {
  if (drawn(map)) requestAnimationFrame(() => { pan.at = performance.now(); });
  else requestAnimationFrame(check);
};
const once = { capture: true, once: true };
document.addEventListener('mousemove', () => { pan.up = performance.now(); }, once);
document.addEventListener('mouseup', () => requestAnimationFrame(check), once);
"""
)
# Resolves with the watcher's {up, at} once it has seen the redraw ({at: null} at the timeout).
PANNED = """
const [timeoutMs, done] = arguments;
const started = performance.now();
(function wait() {
  const pan = window.__pan;
  if (pan.at !== null || performance.now() - started > timeoutMs) done(pan);
  else setTimeout(wait, 20);
})();
"""
# Resolves when the page's prefetch of the ring around the view is done (data-tiles-prefetch,
# vectortiles.js `prefetch`), at once on a page without it; the milliseconds waited.
PREFETCHED = """
const [timeoutMs, done] = arguments;
const started = performance.now();
const root = document.documentElement;
(function check() {
  const state = root.dataset.tilesPrefetch;
  if (state === undefined || state === 'done' || performance.now() - started > timeoutMs) {
    done(performance.now() - started);
  } else setTimeout(check, 20);
})();
"""
TILE_REQUESTS = (
    "return performance.getEntriesByType('resource')"
    "  .filter((r) => /WebMercatorQuad\\/\\d+\\//.test(r.name)).length;"
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.pan", description=__doc__.split("\n")[0])
    p.add_argument("--projects", type=int, default=100_000)
    p.add_argument("--pans", type=int, default=20, help="measured pans per pass")
    p.add_argument("--passes", type=int, default=2, help="passes over the same positions")
    p.add_argument("--timeout", type=float, default=30, help="seconds to wait for a redraw")
    p.add_argument(
        "--settle",
        type=float,
        default=30,
        help="seconds to wait after each redraw for the page's prefetch of the ring (0: none)",
    )
    p.add_argument("--zoom-in", type=int, default=2, help="levels in from the first view ('+')")
    bb.add_server_options(p)
    return p.parse_args(argv)


def mouse(driver, kind: str, x: float, y: float) -> None:
    event = {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}
    if kind == "mouseMoved":
        event["buttons"] = 1
    driver.execute_cdp_cmd("Input.dispatchMouseEvent", event)


def drag(driver, dx: float) -> None:
    """Press in the middle of the map, move by ``dx`` at once, hold (no inertia), release."""
    box = driver.execute_script(
        "const r = document.querySelector('.leaflet-container').getBoundingClientRect();"
        "return [r.left, r.top, r.width, r.height];"
    )
    x0, y0 = box[0] + box[2] / 2 - dx / 2, box[1] + box[3] / 2
    mouse(driver, "mousePressed", x0, y0)
    mouse(driver, "mouseMoved", x0 + dx / 100, y0)  # Leaflet starts a drag past 3 px
    driver.execute_script(WATCH)
    mouse(driver, "mouseMoved", x0 + dx, y0)
    time.sleep(0.08)  # Leaflet's inertia looks at the last 50 ms of movement: none
    mouse(driver, "mouseReleased", x0 + dx, y0)


def pan_once(driver, dx: float, timeout: float, settle: float) -> tuple[float, float]:
    """(ms to the redraw, ms then waited for the prefetch before the next pan)."""
    drag(driver, dx)
    out = driver.execute_async_script(PANNED, timeout * 1000)
    if out["at"] is None or out["up"] is None:
        raise RuntimeError(f"the map was not redrawn within {timeout} s of a pan")
    waited = driver.execute_async_script(PREFETCHED, settle * 1000) if settle else 0.0
    return out["at"] - out["up"], waited


def run(args: argparse.Namespace, logdir: Path) -> dict:
    with private_cluster() as cluster:
        print(f"bench.pan: loading {args.projects:,} demo projects …", flush=True)
        _, url, _ = prepare_database(cluster, args.projects)
        with app_server(url, args, logdir) as (base, _pid), chromium(WIDTH, HEIGHT) as driver:
            driver.set_script_timeout(args.timeout + 10)
            driver.get(base + "/")
            driver.execute_script("performance.setResourceTimingBufferSize(1000000)")
            deadline = time.monotonic() + args.timeout
            state = "return document.documentElement.dataset.state"
            while driver.execute_script(state) != "ready" and time.monotonic() < deadline:
                time.sleep(0.05)
            mode = driver.execute_script("return document.documentElement.dataset.mapMode")
            first = zoom_shown(driver)
            for _ in range(args.zoom_in):
                driver.find_element(By.CSS_SELECTOR, ".leaflet-container").send_keys("+")
                time.sleep(0.5)  # the zoom animation
                driver.execute_async_script(REDRAWN, args.timeout * 1000)
            width = driver.execute_script(
                "return document.querySelector('.leaflet-container').clientWidth"
            )
            if args.settle:
                driver.execute_async_script(PREFETCHED, args.settle * 1000)
            passes, requests, settled = [], [], []
            for n in range(args.passes):
                times, waits = [], []
                before = driver.execute_script(TILE_REQUESTS)
                for i in range(args.pans):
                    # out to the left for half the pans, then back: the same positions each pass
                    dx = width if i < args.pans // 2 else -width
                    took, waited = pan_once(driver, dx, args.timeout, args.settle)
                    times.append(took)
                    waits.append(waited)
                requests.append(driver.execute_script(TILE_REQUESTS) - before)
                settled.append(statistics.median(waits))
                print(f"bench.pan: pass {n + 1}: p50 {statistics.median(times):.0f} ms, "
                      f"p95 {bb.percentile(times, 95):.0f} ms", flush=True)  # fmt: skip
                passes.append(times)
            zooms = (first, zoom_shown(driver))
    return {
        "mode": mode,
        "width": width,
        "passes": passes,
        "zoom": zooms,
        "requests": requests,
        "settled": settled,
    }


def zoom_shown(driver) -> int | None:
    """The zoom of the newest project tile the page requested."""
    return driver.execute_script(
        "const z = performance.getEntriesByType('resource').map((r) => r.name)"
        "  .map((n) => /WebMercatorQuad\\/(\\d+)\\//.exec(n)).filter(Boolean);"
        "return z.length ? Number(z[z.length - 1][1]) : null;"
    )


def markdown(args: argparse.Namespace, out: dict, facts: dict, command: str) -> str:
    title = "A pan of one screen at 100,000 projects, tile mode (issue #15 §4)"
    server = f"{args.projects:,} demo projects, private cluster"
    lines = [
        *bb.section_head(title, facts, command, args, server),
        "",
        f"The page in `{out['mode']}` mode, {WIDTH}×{HEIGHT}, zoomed in by {args.zoom_in} '+' "
        f"keys from its first view (last tile requested before: zoom {out['zoom'][0]}; after "
        f"the pans: zoom {out['zoom'][1]}); each pan drags the map by its "
        f"width ({out['width']} px), {args.pans // 2} to the left then back, per pass. "
        "Milliseconds from the drag's move (the view jumps by a screen) to the frame after "
        "every project tile in view is drawn (see `bench/pan.py`). Before each pan the "
        f"harness waits (at most {args.settle:g} s) for the page's prefetch of the tiles around "
        "its view (`data-tiles-prefetch`); *prefetch wait* is that wait's median, *tile requests "
        "per pan* every tile the page requested in the pass (view and prefetch) over its pans.",
        "",
        "| pass | server tile cache | pans | p50 ms | p95 ms | max ms | goal p95 | met "
        "| prefetch wait p50 ms | tile requests per pan |",
        "|---|---|--:|--:|--:|--:|---|---|--:|--:|",
    ]
    for i, times in enumerate(out["passes"], 1):
        p95 = bb.percentile(times, 95)
        lines.append(
            f"| {i} | {'cold at first' if i == 1 else 'warm'} | {len(times)} "
            f"| {statistics.median(times):.0f} | {p95:.0f} | {max(times):.0f} "
            f"| ≤ {GOAL_P95_MS} ms | {'yes' if p95 <= GOAL_P95_MS else '**no**'} "
            f"| {out['settled'][i - 1]:.0f} | {out['requests'][i - 1] / len(times):.0f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    return bb.harness("bench.pan", "pan", argv, parse_args, run, markdown)


if __name__ == "__main__":
    entry(main)
