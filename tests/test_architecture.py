"""The layering of docs/architecture.md, checked on the import statements of mapserver/.

The web layer (mapserver/web/) sits on top: only it reads ``flask.request``, only it and
the app factory (mapserver/__init__.py) import Flask or werkzeug, and no other package
imports it. The packages at the bottom (geo, cql, uploads, basemap) import no package
above them, so they stay usable without the rest.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "mapserver"
TOP = "(top level)"  # __init__, cli, settings, errors, layers, vocabulary …
FRAMEWORKS = ("flask", "werkzeug")
# What each bottom package may import besides itself and the top level's plain modules.
BOTTOM = {"geo": set(), "basemap": set(), "cql": {"geo"}, "uploads": {"geo"}}
TOP_ALLOWED = {"errors", "settings", "layers", "vocabulary"}  # what bottom packages may use


def modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        yield ".".join(p for p in parts if p != "__init__"), path


def package_of(module: str) -> str:
    """The subpackage a dotted module belongs to, or TOP for mapserver's own modules."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and (PACKAGE / parts[1]).is_dir() else TOP


def imported(path: Path) -> Iterator[str]:
    """Every dotted name an import statement of the file names (``from a import b``: a.b)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


MODULES = list(modules())
IDS = [name for name, _ in MODULES]


def test_the_layout_has_every_package():
    packages = {package_of(name) for name in IDS} - {TOP}
    assert packages >= {"web", "features", "cql", "ogc", "editing", "uploads", "battle"}
    assert packages >= {"accounts", "geo", "store", "demo", "ops", "basemap"}


@pytest.mark.parametrize(("name", "path"), MODULES, ids=IDS)
def test_only_the_web_layer_reads_the_request(name, path):
    if package_of(name) == "web":
        return
    names = set(imported(path))
    assert "flask.request" not in names, f"{name} reads flask.request; only mapserver.web may"
    if name != "mapserver":  # the app factory builds the Flask app
        frameworks = {n for n in names if n.split(".")[0] in FRAMEWORKS}
        assert not frameworks, f"{name} imports {sorted(frameworks)}; only mapserver.web may"


@pytest.mark.parametrize(("name", "path"), MODULES, ids=IDS)
def test_nothing_below_imports_the_web_layer(name, path):
    if package_of(name) == "web" or name == "mapserver":  # the app factory registers it
        return
    upward = sorted(
        n for n in imported(path) if n == "mapserver.web" or n.startswith("mapserver.web.")
    )
    assert not upward, f"{name} imports the web layer: {upward}"


@pytest.mark.parametrize(("name", "path"), MODULES, ids=IDS)
def test_bottom_packages_import_nothing_above_them(name, path):
    package = package_of(name)
    if package not in BOTTOM:
        return
    allowed = BOTTOM[package] | {package}
    for target in (n for n in imported(path) if n.startswith("mapserver.")):
        other = package_of(target)
        if other == TOP:
            assert target.split(".")[1] in TOP_ALLOWED, f"{name} imports {target}"
        else:
            assert other in allowed, f"{name} ({package}/) imports {target} ({other}/)"


def test_test_modules_do_not_import_each_other():
    """Shared test helpers live in support modules (tests/browser.py, tests/apps.py, …), so a
    test module can be run, moved or deleted alone."""
    tests = PACKAGE.parent / "tests"
    offenders = [
        f"{path.name} imports {name}"
        for path in sorted(tests.glob("*.py"))
        for name in imported(path)
        if name.startswith(("tests.test_", "test_")) and name.split(".")[-1] != "conftest"
    ]
    assert offenders == []
