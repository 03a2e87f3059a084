"""The pages' ES module graph, read from the files: every import resolves to a module that
exports the names asked for, every module is loaded by some page, and each page's
hand-written ``modulepreload`` links are exactly the modules its entry imports (directly or
not), so the list cannot drift from the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "static"
PAGES = sorted([*STATIC.glob("*.html"), *(ROOT / "mapserver" / "templates").rglob("*.html")])

ENTRY = re.compile(r'<script type="module" src="(/static/[^"]+)"></script>')
PRELOAD = re.compile(r'<link rel="modulepreload" href="([^"]+)">')
# Static import/export-from statements and bare imports; the app has no dynamic import().
IMPORT = re.compile(r"""^\s*(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]""", re.M)
BARE = re.compile(r"""^\s*import\s*['"]([^'"]+)['"]""", re.M)
NAMED = re.compile(r"""^\s*import\s*\{([^}]*)\}\s*from\s*['"]([^'"]+)['"]""", re.M)
DECLARED = re.compile(
    r"^export\s+(?:async\s+)?(?:function\*?|class|const|let|var)\s+([\w$]+)", re.M
)


def url_of(path: Path) -> str:
    return "/static/" + path.relative_to(STATIC).as_posix()


def path_of(url: str) -> Path:
    assert url.startswith("/static/"), url
    return STATIC / url.removeprefix("/static/")


def imports_of(module: Path) -> set[Path]:
    """The modules `module` imports, as files; a specifier must be relative (no bundler)."""
    text = module.read_text(encoding="utf-8")
    assert "import(" not in text, f"{module}: dynamic import() is not in the preload check"
    found = set()
    for spec in IMPORT.findall(text) + BARE.findall(text):
        assert spec.startswith(("./", "../")), f"{module}: bare specifier {spec!r}"
        target = (module.parent / spec).resolve()
        assert target.is_file(), f"{module.relative_to(ROOT)} imports missing {spec}"
        found.add(target)
    return found


def closure(entry: Path) -> set[Path]:
    """Every module `entry` needs, itself excluded."""
    seen: set[Path] = set()
    todo = [entry]
    while todo:
        for target in imports_of(todo.pop()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    seen.discard(entry)
    return seen


def entries(page: Path) -> list[Path]:
    return [path_of(url) for url in ENTRY.findall(page.read_text(encoding="utf-8"))]


MODULE_PAGES = [p for p in PAGES if entries(p)]


def test_the_pages_load_modules():
    names = {p.name for p in MODULE_PAGES}
    assert {"index.html", "edit.html", "fill.html", "review.html", "items.html"} <= names


@pytest.mark.parametrize("page", MODULE_PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_modulepreload_links_are_the_import_graph(page):
    """Paste the lines from the failure message into the page when an import changes."""
    wanted = set()
    for entry in entries(page):
        assert entry.is_file(), f"{page.name}: no module {entry}"
        wanted |= closure(entry)
    links = PRELOAD.findall(page.read_text(encoding="utf-8"))
    expected = sorted(url_of(p) for p in wanted)
    hint = "\n".join(f'  <link rel="modulepreload" href="{url}">' for url in expected)
    assert len(links) == len(set(links)), f"{page.name}: a modulepreload link twice"
    assert sorted(links) == expected, f"{page.name} should preload exactly:\n{hint}"


def exported(module: Path) -> set[str]:
    """The names `module` exports by declaration (the app's only form of export)."""
    text = module.read_text(encoding="utf-8")
    assert not re.search(r"^export\s*(\{|\*|default)", text, re.M), f"{module}: unread export form"
    return set(DECLARED.findall(text))


@pytest.mark.parametrize(
    "module", sorted((STATIC / "js").rglob("*.js")), ids=lambda p: p.relative_to(STATIC).as_posix()
)
def test_named_imports_are_exported(module):
    """What a file move or split most easily breaks, caught without a browser."""
    for names, spec in NAMED.findall(module.read_text(encoding="utf-8")):
        wanted = {n.split(" as ")[0].strip() for n in names.split(",") if n.strip()}
        missing = wanted - exported((module.parent / spec).resolve())
        assert not missing, f"{spec} does not export {sorted(missing)}"


def test_every_module_is_loaded_by_a_page():
    loaded = set()
    for page in MODULE_PAGES:
        for entry in entries(page):
            loaded |= {entry} | closure(entry)
    orphans = sorted(
        p.relative_to(STATIC).as_posix() for p in (STATIC / "js").rglob("*.js") if p not in loaded
    )
    assert orphans == []
