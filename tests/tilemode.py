"""Tile mode in a browser test: a copy of the layer files with a low `tiles:` threshold (the
demo's ~100 projects become "many"), and the page hooks that say the tiles are drawn."""

from __future__ import annotations

import shutil
from pathlib import Path

from mapserver.settings import ROOT
from tests.browser import assert_only_own_origin, hook, severe_logs

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
