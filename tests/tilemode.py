"""Tile mode in a browser test: a copy of the layer files with a low `tiles:` threshold (the
demo's ~100 projects become "many"), and the page hooks that say the tiles are drawn."""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import requests
import sqlalchemy as sa
from selenium.webdriver.common.by import By

from mapserver.accounts import credentials, users
from mapserver.settings import ROOT
from mapserver.store.db import make_engine
from tests import apps
from tests.browser import assert_only_own_origin, hook, map_offset, serve, severe_logs

THRESHOLD = 10


def layers_dir(tmp: Path, tiles: str) -> Path:
    """The project's layer files with `tiles:` set on projects."""
    target = tmp / "layers"
    shutil.copytree(ROOT / "layers", target)
    with (target / "projects.yaml").open("a", encoding="utf-8") as f:
        f.write(f"\ntiles: {tiles}\n")
    return target


def tiles_settled(driver) -> bool:
    return hook(driver, "map-mode") == "tiles" and hook(driver, "tiles") == "loaded"


def assert_clean(driver, base: str) -> None:
    assert severe_logs(driver) == []
    assert_only_own_origin(driver, base)


def point_project(engine) -> tuple[str, float, float, str]:
    """A project sited on a point far from others (so its pixels are its own)."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT p.code, ST_X(p.geom), ST_Y(p.geom), p.status FROM projects p "
                "WHERE GeometryType(p.geom) = 'POINT' ORDER BY ("
                "  SELECT min(ST_Distance(p.geom::geography, q.geom::geography)) FROM projects q"
                "  WHERE q.code <> p.code AND q.geom IS NOT NULL) DESC LIMIT 1"
            )
        ).one()
    return row[0], row[1], row[2], row[3]


# The pixel of the vector tile canvas under a page point (tiles take no pointer events, so
# they are found by their boxes; the loaded tiles of the zoom shown are the only ones left).
PIXEL = """
const [x, y] = arguments;
for (const node of document.querySelectorAll('canvas.vector-tile.leaflet-tile-loaded')) {
  const box = node.getBoundingClientRect();
  if (x < box.left || x >= box.right || y < box.top || y >= box.bottom) continue;
  const k = node.width / box.width;
  const at = [Math.floor((x - box.left) * k), Math.floor((y - box.top) * k)];
  return [...node.getContext('2d').getImageData(at[0], at[1], 1, 1).data];
}
return null;
"""


def screen_point(driver, lon: float, lat: float) -> tuple[float, float]:
    rect = driver.find_element(By.ID, "map").rect
    dx, dy = map_offset(driver, lon, lat)
    return rect["x"] + rect["width"] / 2 + dx, rect["y"] + rect["height"] / 2 + dy


def hex_rgb(color: str) -> list[int]:
    return [int(color[i : i + 2], 16) for i in (1, 3, 5)]


def class_colours(base: str) -> dict[str, list[int]]:
    """The layer's site colour of each status class, as [r, g, b] (what the page draws)."""
    classes = requests.get(f"{base}/layers/projects", timeout=10).json()["style"]["classes"]
    return {name: hex_rgb(c["color"]) for name, c in classes.items()}


def close_to(rgba, rgb) -> bool:
    return bool(rgba) and rgba[3] > 0 and all(abs(a - b) <= 3 for a, b in zip(rgba[:3], rgb))


@contextlib.contextmanager
def served_in_tile_mode(database_url: str, tmp_path: Path, admin: str) -> Iterator[tuple]:
    """A private database served in tile mode (no clusters): its URL, an owner's engine and
    an API token of a new admin named `admin`."""
    layers = layers_dir(tmp_path, f"{{screen_threshold: {THRESHOLD}}}")
    engine = make_engine(database_url, 2)
    account, _ = users.create_user(engine, admin, "admin", None)
    token = credentials.issue_token(engine, account.id, "test")[1]
    try:
        with apps.built(database_url=database_url, layers_dir=layers) as app, serve(app) as url:
            yield url, engine, token
    finally:
        engine.dispose()


def patch_project(base: str, token: str, code: str, feature: dict) -> None:
    """Change a project through the write API as a GIS client would (ETag, If-Match)."""
    item = f"{base}/ogc/collections/projects/items/{code}"
    etag = requests.get(item, timeout=10).headers["ETag"]
    headers = {
        "Authorization": f"Bearer {token}",
        "If-Match": etag,
        "Content-Type": "application/geo+json",
    }
    body = json.dumps({"type": "Feature", **feature})
    assert requests.patch(item, data=body, headers=headers, timeout=10).status_code in (200, 204)
