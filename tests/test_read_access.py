"""Who may read what (issue 12 §5): every read route × every kind of reader × the settings.

The layers here are the real files with one change: ``city`` is ``read: [dispatcher,
admin]`` (a layer only some roles read). ``photos`` is ``read: login`` as shipped, and
``projects`` public. The expected answer of each cell is worked out from the rule alone:
allowed → 200; nobody → 401 with ``WWW-Authenticate: Bearer``; logged in without the role
→ 403.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from mapserver.accounts import credentials, screens, users
from mapserver.errors import ConfigError
from mapserver.settings import ROOT, Settings
from mapserver.store.db import make_engine
from tests import apps
from tests.conftest import new_database

PUBLIC, LOGIN = None, frozenset()
ROLES_ONLY = frozenset({"dispatcher", "admin"})
SETTINGS = {
    # the shipped defaults (given here: the suite's environment makes them public)
    "default": {"read_records": "login", "read_report": "login", "read_downloads": "login"},
    "public": {"read_records": "public", "read_report": "public", "read_downloads": "public"},
    "roles": {
        "read_records": "dispatcher,admin,screen",
        "read_report": "dispatcher, admin",
        "read_downloads": "admin",
    },
}
# The rule each setting gives: None public, empty any login, else those roles.
RULES = {
    "default": {"records": LOGIN, "report": LOGIN, "downloads": LOGIN},
    "public": {"records": PUBLIC, "report": PUBLIC, "downloads": PUBLIC},
    "roles": {
        "records": frozenset({"dispatcher", "admin", "screen"}),
        "report": ROLES_ONLY,
        "downloads": frozenset({"admin"}),
    },
}
# route -> what governs it: a layer rule, or a setting (downloads: the layer's rule too)
LAYER_RULES = {"projects": PUBLIC, "photos": LOGIN, "city": ROLES_ONLY}
ROUTES = {
    "/layers/projects.geojson?limit=2": [("layer", "projects")],
    "/layers/photos.geojson": [("layer", "photos")],
    "/layers/city.geojson": [("layer", "city")],
    "/layers/city": [("layer", "city")],
    "/stats": [("layer", "projects")],
    "/layers/city/stats": [("layer", "city")],
    "/ogc/collections/projects/items?limit=2": [("layer", "projects")],
    "/ogc/collections/projects/items/GA-2024-001": [("layer", "projects")],
    "/ogc/collections/photos/items?f=json": [("layer", "photos")],
    "/ogc/collections/city/items/511600": [("layer", "city")],
    "/ogc/collections/city/queryables": [("layer", "city")],
    "/ogc/collections/city": [("layer", "city")],
    "/ogc/collections/projects/items?f=csv&limit=5": [("layer", "projects"), ("setting", "downloads")],
    "/ogc/collections/city/items?f=kml": [("layer", "city"), ("setting", "downloads")],
    "/battle/problems": [("setting", "records")],
    "/battle/callouts?status=issued,responded": [("setting", "records")],
    "/battle/milestones": [("setting", "records")],
    "/battle/investment": [("setting", "records")],
    "/battle/ranking": [("setting", "records")],
    "/battle/ranking/periods": [("setting", "records")],
    "/battle/photos": [("setting", "records")],
    "/changes": [("setting", "records"), ("layer", "projects")],
    "/report": [("setting", "report"), ("layer", "projects")],
    "/report.xlsx": [("setting", "report"), ("layer", "projects")],
}  # fmt: skip
# reader -> the role it reads as (None: nobody)
READERS = {
    "anonymous": None,
    "viewer": "viewer",
    "county_editor": "county_editor",
    "dispatcher": "dispatcher",
    "screen": "screen",
    "revoked_screen": None,
    "bearer": "viewer",  # a viewer's API token
}


def allows(rule, role) -> bool:
    return rule is None or (role is not None and (not rule or role in rule))


def expected(route: str, reader: str, setting: str) -> int:
    role = READERS[reader]
    for kind, name in ROUTES[route]:
        rule = LAYER_RULES[name] if kind == "layer" else RULES[setting][name]
        if not allows(rule, role):
            return 401 if role is None else 403
    return 200


@pytest.fixture(scope="module")
def layers_dir(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("layers")
    shutil.copytree(ROOT / "layers", target, dirs_exist_ok=True)
    city = target / "city.yaml"
    city.write_text("read: [dispatcher, admin]\n" + city.read_text(encoding="utf-8"), "utf-8")
    return target


@pytest.fixture(scope="module")
def database(cluster, template_db) -> Iterator[tuple[str, dict]]:
    """A private database with a user per role, a viewer's API token, and screen tokens."""
    url = new_database(cluster, template_db)
    engine = make_engine(url, 1)
    secrets = {}
    for role, county in (("viewer", None), ("county_editor", "511602"), ("dispatcher", None)):
        account, secrets[role] = users.create_user(engine, f"r_{role}", role, county)
        if role == "viewer":
            secrets["bearer"] = credentials.issue_token(engine, account.id, "QGIS")[1]
    secrets["screen"] = screens.issue(engine, "指挥中心大屏", None, None)[1]
    revoked_id, secrets["revoked_screen"] = screens.issue(engine, "旧大屏", None, None)
    screens.revoke(engine, revoked_id, None)
    engine.dispose()
    yield url, secrets


def log_in(client, username: str, password: str) -> None:
    csrf = client.get("/login", headers={"Accept": "application/json"}).get_json()["csrf_token"]
    response = client.post(
        "/login", json={"username": username, "password": password}, headers={"X-CSRFToken": csrf}
    )
    assert response.status_code == 200


@pytest.fixture(scope="module", params=sorted(SETTINGS))
def setup(request, database, layers_dir):
    """(setting, app, {reader: (client, headers)})."""
    url, secrets = database
    with apps.built(database_url=url, layers_dir=layers_dir, **SETTINGS[request.param]) as app:
        clients = {}
        for reader in READERS:
            client = app.test_client()
            headers = {}
            if reader in ("viewer", "county_editor", "dispatcher"):
                log_in(client, f"r_{reader}", secrets[reader])
            elif reader == "bearer":
                headers = {"Authorization": f"Bearer {secrets['bearer']}"}
            elif reader in ("screen", "revoked_screen"):
                client.set_cookie("mapserver_screen", secrets[reader])
            clients[reader] = (client, headers)
        yield request.param, app, clients


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("route", sorted(ROUTES))
def test_matrix(setup, route, reader):
    setting, _app, clients = setup
    client, headers = clients[reader]
    response = client.get(route, headers=headers)
    want = expected(route, reader, setting)
    assert response.status_code == want, response.get_data(as_text=True)[:300]
    if want == 401:
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="mapserver"'
    if want in (401, 403):
        assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("reader", sorted(READERS))
def test_listings_hold_only_readable_layers(setup, reader):
    _setting, _app, clients = setup
    client, headers = clients[reader]
    role = READERS[reader]
    want = sorted(name for name, rule in LAYER_RULES.items() if allows(rule, role))
    want += ["counties"]  # public, unchanged
    listed = [layer["id"] for layer in client.get("/layers", headers=headers).get_json()["layers"]]
    assert sorted(listed) == sorted(want)
    ogc = client.get("/ogc/collections?f=json", headers=headers).get_json()
    assert sorted(c["id"] for c in ogc["collections"]) == sorted(want)
    paths = client.get("/ogc/api", headers=headers).get_json()["paths"]
    assert ("/collections/city/items" in paths) == ("city" in want)


@pytest.mark.parametrize("reader", sorted(READERS))
def test_big_screen_page_offers_what_the_reader_may_read(setup, reader):
    setting, _app, clients = setup
    client, headers = clients[reader]
    response = client.get("/", headers=headers)
    if reader == "revoked_screen":
        assert response.status_code == 303 and response.location.endswith("/screen/revoked")
        return
    html = response.get_data(as_text=True)
    boot = json.loads(
        re.search(r'<script type="application/json" id="boot">(.*?)</script>', html)[1]
    )
    records = allows(RULES[setting]["records"], READERS[reader])
    assert set(boot["apis"]) == ({"records", "photos", "changes"} if records else set())
    assert ('href="/battle/ranking"' in html) == records  # preloads only what it may read
    listed = {layer["id"] for layer in boot["layers"]}
    assert ("city" in listed) == allows(LAYER_RULES["city"], READERS[reader])


def test_defaults_need_a_login():
    defaults = Settings()
    assert (defaults.read_records, defaults.read_report, defaults.read_downloads) == (
        "login",
        "login",
        "login",
    )


def test_bad_settings_stop_the_server(demo_url, make_app):
    for name, value in (("read_records", "everyone"), ("read_report", "viewer,mayor")):
        with pytest.raises(ConfigError, match=f"MAPSERVER_{name.upper()}"):
            make_app(database_url=demo_url, **{name: value})


def test_a_bad_bearer_token_is_refused_even_on_public_routes(setup):
    _setting, _app, clients = setup
    client, _ = clients["anonymous"]
    response = client.get("/stats", headers={"Authorization": "Bearer gams_nope"})
    assert response.status_code == 401


def test_revoked_screen_is_sent_to_the_revoked_page_which_forgets_it(setup, database):
    _setting, _app, clients = setup
    client, _ = clients["revoked_screen"]
    response = client.get("/screen/revoked")
    assert response.status_code == 200 and "访问已撤销" in response.get_data(as_text=True)
    assert "mapserver_screen=;" in response.headers["Set-Cookie"]
    client.set_cookie("mapserver_screen", database[1]["revoked_screen"])  # for the next test
    working, _ = clients["screen"]
    assert "Set-Cookie" not in working.get("/screen/revoked").headers  # a live one stays


def test_a_server_whose_map_is_internal_sends_the_page_to_the_login(demo_url, tmp_path, make_app):
    shutil.copytree(ROOT / "layers", tmp_path, dirs_exist_ok=True)
    projects = tmp_path / "projects.yaml"
    projects.write_text("read: login\n" + projects.read_text(encoding="utf-8"), "utf-8")
    app = make_app(database_url=demo_url, layers_dir=tmp_path)
    response = app.test_client().get("/?county=511621")
    assert response.status_code == 303 and response.location == "/login?next=/"
    assert app.test_client().get("/stats").status_code == 401


@pytest.mark.parametrize(
    ("accept", "status"),
    [("text/html,application/xhtml+xml,*/*;q=0.8", 303), ("application/json", 401), ("*/*", 401)],
)
def test_a_browser_is_sent_to_log_in_for_the_report(demo_url, accept, status, make_app):
    """A browser opening /report before logging in lands on the login page, and comes back
    to the same report after; API clients get the 401 problem+json."""
    app = make_app(database_url=demo_url, read_report="login")
    response = app.test_client().get("/report?period=2026-11", headers={"Accept": accept})
    assert response.status_code == status
    if status == 303:
        assert response.headers["Location"] == "/login?next=/report%3Fperiod%3D2026-11"
    else:
        assert response.mimetype == "application/problem+json"
