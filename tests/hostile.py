"""The hostile requests of issue #12 §1, shared by tests/test_hostile.py and bench/hostile.py."""

from __future__ import annotations

import json
import socket
import time

import sqlalchemy as sa


def nested_text(levels: int) -> str:
    """S_INTERSECTS with a point inside ``levels`` GEOMETRYCOLLECTIONs, in CQL2 text."""
    inner = "GEOMETRYCOLLECTION(" * levels + "POINT(106.63 30.46)" + ")" * levels
    return f"S_INTERSECTS(geom, {inner})"


def nested_json(levels: int) -> str:
    """The same in CQL2-JSON."""
    geometry: dict = {"type": "Point", "coordinates": [106.63, 30.46]}
    for _ in range(levels):
        geometry = {"type": "GeometryCollection", "geometries": [geometry]}
    return json.dumps({"op": "s_intersects", "args": [{"property": "geom"}, geometry]})


def line(points: int, x: float = 106.63, y: float = 30.46) -> str:
    """WKT: a zigzag of ``points`` vertices across a few kilometres around (x, y)."""
    coords = [f"{x - 0.03 + 0.06 * i / points:.5f} {y + (0.01 if i % 2 else -0.01):.5f}"
              for i in range(points)]  # fmt: skip
    return f"LINESTRING({', '.join(coords)})"


def enlarge_sites(url: str, count: int = 4) -> str:
    """Make ``count`` projects' sites legal 20,000-vertex polygons (3 km around their
    point); the WKT of a 180-vertex line across them, for the slow S_DWITHIN filter."""
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(
                "UPDATE projects SET geom = ST_Buffer(CAST(ST_PointOnSurface(geom) AS geography),"
                " 3000, 5000)::geometry WHERE id IN (SELECT id FROM projects ORDER BY id LIMIT :n)"
            ), {"n": count})  # fmt: skip
            x, y, n = conn.execute(sa.text(
                "SELECT ST_X(ST_Centroid(ST_Collect(geom))), ST_Y(ST_Centroid(ST_Collect(geom))),"
                " max(ST_NPoints(geom)) FROM projects"
            )).one()  # fmt: skip
    finally:
        engine.dispose()
    assert n >= 19_000, n
    return line(180, x, y)


def slow_filter(wkt: str) -> str:
    """The 3.3 kB anonymous filter that cost 14.5 s of database CPU before the fixes."""
    return f"NOT S_DWITHIN(geom, {wkt}, 10, meters)"


def send_raw(base: str, request: bytes, timeout: float = 5.0) -> tuple[int, float, bytes]:
    """The status code answering ``request`` sent on a raw socket, how long it took, the answer."""
    host, port = base.rsplit("/", 1)[1].split(":")
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        try:
            s.sendall(request)
        except OSError:
            pass  # the server may answer and close before reading everything
        answer = b""
        try:
            while chunk := s.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass  # closed with our unread bytes still queued: what came first is the answer
    return int(answer.split()[1]), time.monotonic() - started, answer
