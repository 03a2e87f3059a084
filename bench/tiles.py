"""Vector tiles and one feature at 100,000 projects (issue #15 §4): ``python -m bench.tiles``.

A private cluster with ``n`` demo projects and gunicorn as ``make run`` starts it (bench.run),
then, each with ``wrk`` and the CPU each process tree used:

* the z10 tile over 广安区 (Guang'an district), uncached, at 2 connections, against
  PostgreSQL alone (``pgbench``) running the app's own tile statement, same bytes checked;
* many distinct z14 tiles at 16 connections, uncached and cached;
* invalidation: a project's status changed by SQL, from ``COMMIT`` to the fresh tile served;
* with ``--tipg PATH``: ``items/{code}`` against tipg's ``items/{id}`` on the same database.

*Uncached* means what a cache miss costs: a trigger the harness adds to its throw-away
database turns the tile store into a no-op, so every request looks up, renders and tries to
store (it is dropped for the cached runs).
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import mapbox_vector_tile
import psycopg
import sqlalchemy as sa

from bench import browserbench as bb
from bench import report, tiles_report, tipg
from bench.queries import literal_sql
from bench.run import (
    _stop_on_signals,
    app_server,
    entry,
    postmaster_pid,
    prepare_database,
    private_cluster,
    settle,
)
from bench.tools import CpuMeter, Load, pgbench, require, wrk
from mapserver.features import tiles
from mapserver.features.query import FeatureQuery
from mapserver.features.tiles import TileId
from mapserver.layers import load_layers
from mapserver.settings import ROOT
from mapserver.store.cluster import Cluster
from mapserver.store.db import make_engine

SECTION = "tiles"
DISTRICT = "511602"  # 广安区
TILES = "/ogc/collections/projects/tiles/WebMercatorQuad"
NO_STORE = """CREATE OR REPLACE FUNCTION bench_no_store() RETURNS trigger LANGUAGE plpgsql
AS $$ BEGIN RETURN NULL; END $$;
DROP TRIGGER IF EXISTS bench_no_store ON tile_cache;
CREATE TRIGGER bench_no_store BEFORE INSERT OR UPDATE ON tile_cache
FOR EACH ROW EXECUTE FUNCTION bench_no_store();
TRUNCATE tile_cache"""
STORE = "DROP TRIGGER IF EXISTS bench_no_store ON tile_cache"
# wrk: every connection walks the path list from its own place (a global ``paths`` first).
CYCLE = """
local n = 0
setup = function(thread) thread:set("offset", n * 7919); n = n + 1 end
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[((offset or 0) + i) % #paths + 1])
end
"""


@dataclass
class Run:
    name: str
    what: str
    connections: int
    load: Load


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.tiles", description=__doc__.split("\n")[0])
    p.add_argument("--projects", type=int, default=100_000)
    p.add_argument("--duration", type=float, default=10, help="seconds per measurement")
    p.add_argument("--warmup", type=float, default=2)
    p.add_argument("--edits", type=int, default=20, help="invalidation: edits per zoom")
    p.add_argument("--z14-tiles", type=int, default=256, help="distinct z14 tiles requested")
    p.add_argument("--tipg", type=Path, help="a virtual environment with tipg 1.6 (README)")
    p.add_argument("--tipg-rounds", type=int, default=2, help="app/tipg runs, alternating")
    bb.add_server_options(p)
    return p.parse_args(argv)


def lua_paths(paths: list[str]) -> str:
    return "paths = " + "{" + ",".join(json.dumps(x) for x in paths) + "}\n" + CYCLE


def tile_path(t: TileId) -> str:
    return f"{TILES}/{t.z}/{t.y}/{t.x}"


def district_tile(engine: sa.Engine, z: int) -> TileId:
    """The tile of zoom ``z`` holding the district's representative point."""
    sql = ("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_PointOnSurface(boundary), 3857)"
           " p FROM counties WHERE adcode = :a) s")  # fmt: skip
    with engine.connect() as conn:
        x, y = conn.execute(sa.text(sql), {"a": DISTRICT}).one()
    span = 2 * tiles.ORIGIN / (1 << z)
    return TileId(z, int((x + tiles.ORIGIN) // span), int((tiles.ORIGIN - y) // span))


def busiest_children(engine: sa.Engine, parent: TileId, z: int, most: int) -> list[TileId]:
    """The tiles of zoom ``z`` under ``parent`` that own the most projects."""
    span = 2 * tiles.ORIGIN / (1 << z)
    sql = f"""SELECT floor((ST_X(p) + {tiles.ORIGIN}) / {span})::int AS x,
           floor(({tiles.ORIGIN} - ST_Y(p)) / {span})::int AS y, count(*) FROM (
        SELECT ST_Transform(CASE WHEN GeometryType(geom) = 'POINT' THEN geom
                                 ELSE ST_PointOnSurface(geom) END, 3857) p
        FROM projects WHERE deleted_at IS NULL AND geom IS NOT NULL
          AND geom && ST_Transform(ST_TileEnvelope(:z, :x, :y), 4326)) s
    GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2"""
    shift = z - parent.z
    with engine.connect() as conn:
        rows = conn.execute(sa.text(sql), {"z": parent.z, "x": parent.x, "y": parent.y}).all()
    inside = [TileId(z, x, y) for x, y, _ in rows
              if (x >> shift, y >> shift) == (parent.x, parent.y)]  # fmt: skip
    return inside[:most]


class Client:
    """One keep-alive HTTP connection to the app."""

    def __init__(self, base: str) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=60)

    def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        try:
            self.conn.request("GET", path)
            r = self.conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self.conn.close()  # the server closed the idle keep-alive connection: reconnect
            self.conn.request("GET", path)
            r = self.conn.getresponse()
        return r.status, dict(r.getheaders()), r.read()


def tile_statement(engine: sa.Engine, tile: TileId) -> str:
    """The app's statement for ``tile`` (unfiltered), parameters as literals: the tile only."""
    layer = load_layers(ROOT / "layers", engine)["projects"]
    sql, params = tiles.tile_sql(FeatureQuery(layer=layer), tile)
    return f"SELECT t FROM ({literal_sql(engine, sql, params)}) AS s(owned, t)"


@contextmanager
def caching(cluster: Cluster, dbname: str, on: bool) -> Iterator[None]:
    cluster.psql(STORE if on else NO_STORE, dbname)
    try:
        yield
    finally:
        cluster.psql(STORE, dbname)


def measure(url: str, args, conns: int, meter: CpuMeter, engine, lua: str = "") -> Load:
    if args.warmup > 0:
        wrk(url, args.warmup, conns, min(conns, 2), lua=lua)
        settle(engine)
    load = wrk(url, args.duration, conns, min(conns, 2), meter, lua=lua)
    settle(engine)
    return load


def z10(ctx: dict, args) -> dict:
    """The district's z10 tile, uncached, 2 connections: the app, then PostgreSQL alone."""
    engine, base, cluster, dbname = ctx["engine"], ctx["base"], ctx["cluster"], ctx["dbname"]
    tile = district_tile(engine, 10)
    statement = tile_statement(engine, tile)
    with caching(cluster, dbname, on=False):
        status, headers, body = Client(base).get(tile_path(tile))
        with engine.connect() as conn:
            alone = bytes(conn.exec_driver_sql(statement).scalar() or b"")
        app = measure(base + tile_path(tile), args, 2, ctx["meter"], engine)
    Client(base).get(tile_path(tile))  # now stored
    cached = {c: measure(base + tile_path(tile), args, c, ctx["meter"], engine) for c in (2, 16)}
    pg = pgbench(statement, str(cluster.socketdir), cluster.port, dbname, args.duration, 2, 2,
                 "prepared", ctx["meter"])  # fmt: skip
    settle(engine)
    features = mapbox_vector_tile.decode(body)["projects"]["features"] if body else []
    return {"tile": tile, "status": status, "cache": headers.get("X-Tile-Cache"),
            "owned": int(headers.get("X-Tile-Owned", 0)), "bytes": len(body),
            "features": len(features), "clusters": sum(bool(f["properties"].get("cluster"))
                                                       for f in features),
            "same": alone == body, "app": app, "pg": pg, "cached": cached}  # fmt: skip


def z14(ctx: dict, args, parent: TileId) -> dict:
    """Distinct z14 tiles under ``parent`` at 16 connections: uncached, then cached."""
    engine, base, cluster, dbname = ctx["engine"], ctx["base"], ctx["cluster"], ctx["dbname"]
    chosen = busiest_children(engine, parent, 14, args.z14_tiles)
    paths = [tile_path(t) for t in chosen]
    lua, url = lua_paths(paths), base + paths[0]
    with caching(cluster, dbname, on=False):
        uncached = measure(url, args, 16, ctx["meter"], engine, lua)
    client = Client(base)
    for path in paths:  # fill the cache
        client.get(path)
    assert client.get(paths[0])[1].get("X-Tile-Cache") == "hit"
    cached = measure(url, args, 16, ctx["meter"], engine, lua)
    owned = [int(client.get(p)[1].get("X-Tile-Owned", 0)) for p in paths]
    return {"tiles": len(paths), "owned": owned, "uncached": uncached, "cached": cached,
            "busiest": chosen[0]}  # fmt: skip


def invalidation(ctx: dict, tile: TileId, edits: int) -> dict:
    """Change a project the tile owns, ``edits`` times: milliseconds from sending ``COMMIT``
    until the tile rendered after it (a cache miss) has been read whole; ``shown``: how many
    of those tiles draw the project with its new status (none where it is in a cluster)."""
    engine, client = ctx["engine"], Client(ctx["base"])
    span = tile.span
    sql = f"""SELECT code FROM projects WHERE deleted_at IS NULL AND GeometryType(geom) = 'POINT'
      AND floor((ST_X(ST_Transform(geom, 3857)) + {tiles.ORIGIN}) / {span}) = :x
      AND floor(({tiles.ORIGIN} - ST_Y(ST_Transform(geom, 3857))) / {span}) = :y
      ORDER BY code LIMIT 1"""
    with engine.connect() as conn:
        code = conn.execute(sa.text(sql), {"x": tile.x, "y": tile.y}).scalar_one()
    url = engine.url.render_as_string(hide_password=False).replace("+psycopg", "")
    times, shown = [], 0
    with psycopg.connect(url) as db:
        for i in range(edits):
            client.get(tile_path(tile))  # cached again
            status = ("suspended", "under_construction")[i % 2]
            db.execute("UPDATE projects SET status = %s WHERE code = %s", (status, code))
            started = time.perf_counter()
            db.commit()
            while True:
                _, headers, body = client.get(tile_path(tile))
                if headers["X-Tile-Cache"] == "miss":  # rendered after the commit
                    break
                if time.perf_counter() - started > 10:
                    raise RuntimeError("the tile did not change within 10 s of the commit")
            times.append((time.perf_counter() - started) * 1000)
            drawn = [f for f in mapbox_vector_tile.decode(body)["projects"]["features"]
                     if f["properties"].get("id") == code]  # fmt: skip
            shown += bool(drawn) and drawn[0]["properties"].get("status") == status
    return {"tile": tile, "edits": edits, "shown": shown, "p50": statistics.median(times),
            "max": max(times), "min": min(times)}  # fmt: skip


def one_feature(ctx: dict, args, logdir: Path) -> dict | None:
    """``items/{code}`` on the app against tipg's ``items/{id}``, 1,000 codes, 16 connections,
    alternating runs."""
    why = tipg.missing(args.tipg)
    if why:
        print(f"bench: tipg skipped ({why}); see bench/README.md to install it", flush=True)
        return {"skipped": why}
    engine = ctx["engine"]
    with engine.connect() as conn:
        codes = conn.execute(sa.text("SELECT code FROM projects WHERE deleted_at IS NULL"
                                     " ORDER BY id")).scalars().all()  # fmt: skip
    codes = codes[:: max(1, len(codes) // 1000)][:1000]
    ours = [f"/ogc/collections/projects/items/{c}" for c in codes]
    theirs = [tipg.item_path(c) for c in codes]
    runs: dict[str, list[Load]] = {"app": [], "tipg": []}
    with tipg.server(args.tipg, ctx["cluster"], ctx["dbname"], args.workers, logdir) as (
        tbase, tpid
    ):  # fmt: skip
        meter = CpuMeter({**ctx["meter"].roots, "tipg": tpid})
        for _ in range(args.tipg_rounds):
            for name, base, paths in (("app", ctx["base"], ours), ("tipg", tbase, theirs)):
                status = Client(base).get(paths[0])[0]
                if status != 200:
                    raise RuntimeError(f"{name} answered {status} for {paths[0]}")
                runs[name].append(measure(base + paths[0], args, 16, meter, engine,
                                          lua_paths(paths)))  # fmt: skip
                print(f"bench: items/{{id}} {name}: {runs[name][-1].rps:.0f} req/s", flush=True)
    return {"runs": runs, "version": tipg.version(args.tipg), "codes": len(codes)}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    _stop_on_signals()
    require("wrk", "wrk")
    command = bb.command_line("bench.tiles", argv)
    facts, started = bb.machine_facts(), time.monotonic()
    facts.pop("browser", None)
    load_before = bb.loadavg()
    with tempfile.TemporaryDirectory(prefix="mapserver-bench-logs-") as logs:
        with private_cluster() as cluster:
            print(f"bench: loading {args.projects:,} projects …", flush=True)
            dbname, url, loaded = prepare_database(cluster, args.projects)
            engine = make_engine(url, 2)
            try:
                with app_server(url, args, Path(logs)) as (base, pid):
                    meter = CpuMeter({"gunicorn": pid, "postgres": postmaster_pid(cluster)})
                    ctx = {"engine": engine, "base": base, "cluster": cluster,
                           "dbname": dbname, "meter": meter}  # fmt: skip
                    results = {"loaded": loaded, "z10": z10(ctx, args)}
                    print(f"bench: z10 {tiles_report.z10_line(results['z10'])}", flush=True)
                    results["z14"] = z14(ctx, args, results["z10"]["tile"])
                    print(f"bench: z14 {tiles_report.z14_line(results['z14'])}", flush=True)
                    results["invalidation"] = [
                        invalidation(ctx, results["z14"]["busiest"], args.edits),
                        invalidation(ctx, results["z10"]["tile"], max(3, args.edits // 4)),
                    ]
                    results["items"] = one_feature(ctx, args, Path(logs))
                    pg = report.machine(cluster, dbname, facts["commit"])
            finally:
                engine.dispose()
    facts["postgres"] = f"{pg['postgres']} ({pg['pg settings']})"
    facts["load average"] = f"{load_before} at the start, {bb.loadavg()} at the end"
    text = tiles_report.markdown(results, args, facts, command, time.monotonic() - started)
    print("\n" + text)
    if not args.no_output:
        report.write_section(args.output, text, SECTION)
        print(f"bench: wrote {args.output}")
    return 0


if __name__ == "__main__":
    entry(main)
