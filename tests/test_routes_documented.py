"""Every route of the app is documented, and every documented route exists (issue #13 §2).

The docs write a path parameter as ``{code}`` or ``<code>``; a generated family of routes is
documented once, as the family (``/battle/{noun}``); a page may shorten a long prefix it
has just named to ``…`` (``…/items/{code}/history``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from mapserver.settings import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FAMILIES = {r"^/battle/(milestones|investment|problems|callouts)(?=/|$)": "/battle/{noun}"}
# A parameter as the docs write it, or a literal value in its place (``WebMercatorQuad``).
PARAM = r"(?:\{[^}/]+\}|<[^>/]+>|[^/\s`{}<>…]+)"
DOCUMENTED = re.compile(r"`(?:GET|POST|PUT|PATCH|DELETE)(?:, ?[A-Z]+)* (/[^`\s?\[…]*)(…?)")


def docs_text() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in DOCS)


def doc_form(rule: str) -> str:
    """The rule as the docs write it: parameters as ``{}``, a family by its name."""
    path = rule.rstrip("/") or "/"
    for pattern, family in FAMILIES.items():
        path = re.sub(pattern, family, path)
    return re.sub(r"<[^>]+>", "{}", path)


def pattern_of(path: str) -> str:
    parts = [PARAM if p == "{}" else re.escape(p) for p in re.split(r"(\{\})", path)]
    return "".join(parts)


def documented(path: str, text: str) -> bool:
    end = r"(?=[`\s?#),;*]|$)"
    if re.search(pattern_of(path) + end, text):
        return True
    segments = path.split("/")
    return any(
        re.search("…" + pattern_of("/" + "/".join(segments[i:])) + end, text)
        for i in range(2, len(segments) - 1)
    )


def test_every_route_is_documented(app):
    text = docs_text()
    rules = {doc_form(r.rule) for r in app.url_map.iter_rules() if r.endpoint != "static"}
    missing = sorted(path for path in rules if not documented(path, text))
    assert missing == [], f"routes the docs never name: {missing}"


def route_regexes(rule: str) -> list[re.Pattern]:
    """What a documented path naming the rule looks like: the rule itself, or its family."""
    plain = re.sub(r"<[^>]+>", "{}", rule.rstrip("/") or "/")
    family = re.sub(r"\{[a-z]+\}", "{}", doc_form(rule))
    return [
        re.compile("".join(PARAM if p == "{}" else re.escape(p) for p in re.split(r"(\{\})", f)))
        for f in {plain, family}
    ]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_documented_route_exists(app, doc):
    routes = [x for r in app.url_map.iter_rules() for x in route_regexes(r.rule)]
    found = DOCUMENTED.finditer(doc.read_text(encoding="utf-8"))
    named = {m.group(1).rstrip("/") or "/" for m in found if not m.group(2)}
    unknown = sorted(p for p in named if not any(r.fullmatch(p) for r in routes))
    assert unknown == [], f"{doc.name} documents routes the app does not have: {unknown}"


def test_a_family_is_documented_with_its_nouns():
    text = (ROOT / "docs" / "battle.md").read_text(encoding="utf-8")
    assert all(f"`{noun}`" in text for noun in ("milestones", "investment", "problems", "callouts"))


def test_the_checks_can_fail():
    text = docs_text()
    assert not documented("/battle/no-such-noun", text)
    assert documented(doc_form("/ogc/collections/<collection_id>/items"), text)
    assert len({m.group(1) for m in DOCUMENTED.finditer(text)}) > 40


def test_the_routes_command_lists_every_rule_without_a_database(app):
    """``python -m mapserver routes`` (issue #13 §2): no database in reach, every rule."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAPSERVER_")}
    done = subprocess.run(
        [sys.executable, "-m", "mapserver", "routes"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    listed = {tuple(line.split()[:2]) for line in done.stdout.splitlines()}
    expected = {
        (",".join(sorted(r.methods - {"HEAD", "OPTIONS"})), r.rule)
        for r in app.url_map.iter_rules()
    }
    assert listed == expected
