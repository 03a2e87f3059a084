"""Every URL rule is declared in one table, mapserver/web/routes.py (issue #13 §2):
no module adds a rule anywhere else, and the app's URL map is exactly the table."""

from __future__ import annotations

import ast
from pathlib import Path

from mapserver import route_map
from mapserver.settings import ROOT
from mapserver.web import routes

PACKAGE = ROOT / "mapserver"
ROUTING = {"route", "get", "post", "put", "patch", "delete", "add_url_rule", "register_blueprint"}
IMPLIED = {"HEAD", "OPTIONS"}


def routing_calls(source: str) -> list[str]:
    """Where the source adds a rule outside the table: a ``@x.get(…)``-style decorator, an
    ``add_url_rule`` or ``register_blueprint`` call, or a ``Blueprint`` of its own."""
    found = []
    for node in ast.walk(ast.parse(source)):
        decorators = getattr(node, "decorator_list", [])
        for d in decorators:
            if isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute):
                if d.func.attr in ROUTING:
                    found.append(f"line {d.lineno}: @…{d.func.attr}(")
        if isinstance(node, ast.Call):
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name in {"add_url_rule", "register_blueprint", "Blueprint"}:
                found.append(f"line {node.lineno}: {name}(")
    return found


def test_no_module_routes_outside_the_table():
    table = Path(routes.__file__)
    offenders = {
        str(path.relative_to(ROOT)): calls
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != table and (calls := routing_calls(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_the_scan_finds_a_route_added_elsewhere():
    source = """
@bp.get("/x")
def x(): ...

@app.route("/y", methods=["POST"])
def y(): ...

app.add_url_rule("/z", "z", z)
bp = Blueprint("b", __name__)
"""
    assert len(routing_calls(source)) == 4
    assert routing_calls("value = request.args.get('x')\n@functools.cache\ndef f(): ...") == []


def test_the_url_map_is_the_table():
    app = route_map()
    mapped = sorted(
        (
            r.rule,
            ",".join(sorted(r.methods - IMPLIED)),
            r.endpoint,
            sorted((r.defaults or {}).items()),
        )
        for r in app.url_map.iter_rules()
        if r.endpoint != "static"
    )
    declared = sorted(
        (r.rule, r.method, r.endpoint, sorted(r.defaults.items())) for r in routes.ROUTES
    )
    assert mapped == declared
    assert all(app.view_functions[r.endpoint] is r.view for r in routes.ROUTES)


def test_endpoints_are_named_by_module_and_view():
    """``<module>.<view>``, as the blueprints named them: what url_for and metrics use."""
    for r in routes.ROUTES:
        assert r.endpoint.endswith(f".{r.view.__name__}"), r
    assert {r.endpoint for r in routes.ROUTES if r.rule.startswith("/battle/milestones")} == {
        f"milestones.{v}" for v in ("index", "one", "create", "update", "history")
    }
