"""The database rule holds against SQL run as the app's own login (issue #12 §2).

Every bypass of the hostile test, as raw SQL on the role the app logs in as
(``mapserver_web``, a non-superuser member of ``mapserver_app``): forged actor settings,
a claim signed without the key or made in another transaction, account writes, reading
the key, leaving the role, and the account functions under a claim that does not allow
the call. Each is refused with 42501 and changes nothing. Figures by direct SQL.
"""

from __future__ import annotations

import hashlib
import hmac

import psycopg.errors
import pytest
import sqlalchemy as sa

from mapserver import runner
from mapserver.accounts import screens, secretkey, users
from mapserver.accounts.roles import Actor
from mapserver.settings import Settings
from mapserver.store import claims, owner
from mapserver.store.db import make_engine

OWN, OTHER = "GA-2024-001", "GA-2026-003"  # in 广安区 (511602) and 岳池县 (511621)
GUANG_AN = "511602"
FORGE = (
    "SELECT set_config('mapserver.actor', 'admin', true),"
    " set_config('mapserver.actor_role', 'admin', true),"
    " set_config('mapserver.actor_county', '511621', true),"
    " set_config('mapserver.county_tolerance_m', '1e9', true)"
)


@pytest.fixture
def db(fresh_url):
    """(owner engine, login engine, the accounts by role) on a private demo copy."""
    owner = make_engine(fresh_url, 1)
    login = make_engine(fresh_url.replace("postgres@", f"{runner.LOGIN_ROLE}@", 1), 1)
    made = {}
    for role, county in (("admin", None), ("county_editor", GUANG_AN), ("viewer", None)):
        made[role] = users.create_user(owner, f"u_{role}", role, county)[0].actor()
    yield owner, login, made
    login.dispose()
    owner.dispose()


def project(owner: sa.Engine, code: str) -> tuple:
    with owner.connect() as conn:
        return tuple(
            conn.execute(
                sa.text("SELECT name, county, version FROM projects WHERE code = :c"), {"c": code}
            ).one()
        )


def accounts(owner: sa.Engine) -> tuple:
    sql = (
        "SELECT (SELECT array_agg(row(username, role, county, active, password_hash)"
        " ORDER BY id) FROM users), (SELECT count(*) FROM api_tokens),"
        " (SELECT count(*) FROM user_sessions)"
    )
    with owner.connect() as conn:
        return tuple(conn.execute(sa.text(sql)).one())


def refused(login: sa.Engine, *statements: str, actor: Actor | None = None, **params) -> None:
    """The statements in one transaction of the login (``actor``'s real claim first) fail
    with 42501, insufficient privilege."""
    with pytest.raises(sa.exc.DBAPIError) as caught, login.begin() as conn:
        claims.act(conn, actor)
        for sql in statements:
            conn.execute(sa.text(sql), params)
    assert isinstance(caught.value.orig, psycopg.errors.InsufficientPrivilege), caught.value


AS_APP = "SET LOCAL ROLE mapserver_app"
RENAME = "UPDATE projects SET name = 'hijacked' WHERE code = :c"


@pytest.mark.parametrize("as_app", [True, False], ids=["write-role", "login"])
def test_forged_settings_do_not_reach_another_county(db, as_app):
    owner, login, made = db
    before = project(owner, OTHER)
    first = (AS_APP,) if as_app else ()
    refused(login, *first, FORGE, RENAME, actor=made["county_editor"], c=OTHER)
    refused(login, *first, FORGE, RENAME, c=OTHER)  # no claim at all, only the settings
    assert project(owner, OTHER) == before


def test_a_claim_signed_without_the_key_is_refused(db):
    owner, login, made = db
    before = project(owner, OTHER)
    admin = made["admin"]
    with login.connect() as conn:  # a well-formed claim for this very transaction, wrong key
        txid = conn.execute(sa.text("SELECT txid_current()")).scalar_one()
        claim = claims.signed(b"guessed" * 5, admin, 200.0, txid)
        conn.execute(sa.text("SELECT set_config('mapserver.claim', :c, true)"), {"c": claim})
        with pytest.raises(sa.exc.DBAPIError, match="bad signature"):
            conn.execute(sa.text(RENAME), {"c": OTHER})
        conn.rollback()
    editor = made["county_editor"]
    with login.connect() as conn:  # the editor's real claim, its role edited to admin
        claims.claim(conn, editor)
        real = conn.execute(sa.text("SELECT current_setting('mapserver.claim')")).scalar_one()
        edited = real.replace("|county_editor|511602|", "|admin||")
        conn.execute(sa.text("SELECT set_config('mapserver.claim', :c, true)"), {"c": edited})
        with pytest.raises(sa.exc.DBAPIError, match="bad signature"):
            conn.execute(sa.text(RENAME), {"c": OTHER})
        conn.rollback()
    assert project(owner, OTHER) == before


def test_a_claim_from_another_transaction_is_refused(db):
    owner, login, made = db
    before = project(owner, OTHER)
    with login.begin() as conn:  # a valid admin claim, as the app made it for one write
        claims.claim(conn, made["admin"])
        stolen = conn.execute(sa.text("SELECT current_setting('mapserver.claim')")).scalar_one()
    with login.connect() as conn:
        conn.execute(sa.text("SELECT set_config('mapserver.claim', :c, true)"), {"c": stolen})
        with pytest.raises(sa.exc.DBAPIError, match="another transaction"):
            conn.execute(sa.text(RENAME), {"c": OTHER})
        conn.rollback()
    assert project(owner, OTHER) == before


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE users SET role = 'admin', county = NULL WHERE username = 'u_county_editor'",
        "UPDATE users SET password_hash = 'x' WHERE username = 'u_admin'",
        "INSERT INTO users (username, role, password_hash) VALUES ('evil', 'admin', 'x')",
        "INSERT INTO api_tokens (user_id, name, token_hash)"
        " SELECT id, 'evil', repeat('a', 64) FROM users WHERE username = 'u_admin'",
        "UPDATE api_tokens SET revoked_at = NULL",
        "INSERT INTO user_sessions (id, user_id, expires_at)"
        " SELECT 'evil', id, now() + interval '1 day' FROM users WHERE username = 'u_admin'",
        "DELETE FROM users",
        "SELECT key FROM mapserver_private.claim_key",
        "INSERT INTO mapserver_private.claim_key (key) VALUES (repeat('k', 32)::bytea)",
    ],
)
@pytest.mark.parametrize("as_app", [True, False], ids=["write-role", "login"])
def test_accounts_and_the_key_are_out_of_reach(db, sql, as_app):
    owner, login, made = db
    before = accounts(owner)
    refused(login, *((AS_APP,) if as_app else ()), sql, actor=made["admin"])
    assert accounts(owner) == before


@pytest.mark.parametrize(
    "sql",
    [
        "RESET ROLE",
        "SET ROLE postgres",
        "SET SESSION AUTHORIZATION postgres",
        "ALTER ROLE mapserver_web SUPERUSER",
        "GRANT postgres TO mapserver_web",
        "ALTER TABLE projects DISABLE TRIGGER USER",
        "CREATE OR REPLACE FUNCTION mapserver_maintenance() RETURNS boolean"
        " LANGUAGE sql AS $$ SELECT true $$",
    ],
)
def test_the_login_cannot_leave_its_role(db, sql):
    """RESET ROLE leaves the login, itself a member of the write role: still refused."""
    owner, login, _ = db
    before = project(owner, OTHER)
    if sql == "RESET ROLE":
        refused(login, AS_APP, sql, FORGE, RENAME, c=OTHER)
    else:
        refused(login, AS_APP, sql)
    assert project(owner, OTHER) == before


def test_the_login_is_no_superuser_and_owns_nothing(db):
    _, login, _ = db
    with login.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT r.rolsuper, r.rolcreaterole, r.rolcreatedb,"
                " (SELECT count(*) FROM pg_class WHERE relowner = r.oid)"
                " + (SELECT count(*) FROM pg_proc WHERE proowner = r.oid)"
                " + (SELECT count(*) FROM pg_namespace WHERE nspowner = r.oid)"
                " FROM pg_roles r WHERE r.rolname = session_user"
            )
        ).one()
    assert tuple(row) == (False, False, False, 0)


def calls(made: dict[str, Actor]) -> list[tuple[str, str, str]]:
    """(function call, whose real claim, why it is refused) as the login."""
    editor, admin = made["county_editor"].user_id, made["admin"].user_id
    return [
        ("mapserver_create_user('evil', '', 'admin', NULL, 'x')", "county_editor", "not admin"),
        (f"mapserver_update_user({editor}, '{{\"role\": \"admin\", \"county\": null}}')",
         "county_editor", "not admin"),
        (f"mapserver_open_session('evil', {admin}, interval '1 day')", "viewer", "not them"),
        (f"mapserver_issue_token({admin}, 'evil', repeat('a', 64))", "county_editor", "not them"),
        (f"mapserver_note_login({admin}, 'x', 'y')", "viewer", "not them"),
        ("mapserver_create_user('evil', '', 'admin', NULL, 'x')", "", "no claim"),
    ]  # fmt: skip


def test_account_functions_refuse_a_claim_that_does_not_allow_the_call(db):
    owner, login, made = db
    before = accounts(owner)
    for call, whose, _why in calls(made):
        refused(login, f"SELECT {call}", actor=made.get(whose))
    forged_admin = claims.signed(b"guessed" * 5, made["admin"], 200.0, 0)
    with login.connect() as conn:
        conn.execute(sa.text("SELECT set_config('mapserver.claim', :c, true)"), {"c": forged_admin})
        with pytest.raises(sa.exc.DBAPIError, match="bad signature"):
            conn.execute(sa.text("SELECT mapserver_create_user('evil', '', 'admin', NULL, 'x')"))
        conn.rollback()
    assert accounts(owner) == before


def test_the_login_writes_accounts_under_a_claim_that_allows_it(db):
    """The narrow functions do work for the app: an admin creates, a user opens a session."""
    owner, login, made = db
    account, _ = users.create_user(login, "by_admin", "viewer", by=made["admin"])
    with owner.connect() as conn:
        assert (
            conn.execute(
                sa.text("SELECT role FROM users WHERE id = :i"), {"i": account.id}
            ).scalar_one()
            == "viewer"
        )
    with pytest.raises(sa.exc.DBAPIError):  # the same as a viewer: refused
        users.create_user(login, "by_viewer", "viewer", by=made["viewer"])


def test_the_installed_key_is_the_apps_subkey(db):
    """The database checks claims with HMAC(secret, "actor-claim"), never the secret."""
    owner, _, _ = db
    with owner.connect() as conn:
        key = conn.execute(sa.text("SELECT key FROM mapserver_private.claim_key")).scalar_one()
    secret = secretkey.load(Settings.load().secret_key)
    assert bytes(key) == hmac.new(secret.encode(), b"actor-claim", hashlib.sha256).digest()
    assert bytes(key) != secret.encode()


def test_a_write_may_not_move_today_in_its_session(db):
    """``mapserver.today`` closes months for county editors: only the database's or the
    role's setting counts, never one set in the write's own session."""
    owner, login, made = db
    editor = made["county_editor"]
    before = project(owner, OWN)
    move = "SELECT set_config('mapserver.today', '2000-01-01', true)"
    refused(login, AS_APP, move, RENAME, actor=editor, c=OWN)
    assert project(owner, OWN) == before
    with login.begin() as conn:  # the same write without moving the day: the editor's own
        conn.execute(sa.text(AS_APP))
        claims.claim(conn, editor)
        conn.execute(sa.text(RENAME), {"c": OWN})
    assert project(owner, OWN)[0] == "hijacked"


SHADOWS = {
    # pg_temp is searched first (even before pg_catalog) unless a function pins it last.
    "pg_roles, to pass as maintenance": (
        None,
        "CREATE TEMP TABLE pg_roles (oid oid, rolname name, rolsuper boolean)",
        "INSERT INTO pg_temp.pg_roles VALUES (1, current_user, true)",
        FORGE,
        RENAME,
    ),
    "projects, to move a project into the editor's county": (
        "county_editor",
        "CREATE TEMP TABLE projects AS SELECT id, code, text '511602' AS county"
        " FROM public.projects",
        "INSERT INTO problems (project_id, description, raised_on, responsible_unit)"
        " SELECT id, 'x', mapserver_today(), 'x' FROM public.projects WHERE code = :c",
    ),
}


@pytest.mark.parametrize("shadow", list(SHADOWS))
def test_a_temporary_table_cannot_answer_for_the_rules(db, shadow):
    owner, login, made = db
    whose, *statements = SHADOWS[shadow]
    before = problems_and_project(owner)
    refused(login, AS_APP, *statements, actor=made.get(whose), c=OTHER)
    assert problems_and_project(owner) == before


def problems_and_project(owner: sa.Engine) -> tuple:
    with owner.connect() as conn:
        problems = conn.execute(sa.text("SELECT count(*) FROM problems")).scalar_one()
    return problems, project(owner, OTHER)


def test_startup_says_when_the_app_logs_in_as_the_owner(db):
    owner_engine, login, _ = db
    assert owner.warn_if_owner(owner_engine) and not owner.warn_if_owner(login)


def screen_tokens(owner: sa.Engine) -> tuple:
    sql = "SELECT count(*), count(revoked_at), max(last_used_at) FROM screen_tokens"
    with owner.connect() as conn:
        return tuple(conn.execute(sa.text(sql)).one())


@pytest.mark.parametrize(
    ("sql", "whose"),
    [
        ("INSERT INTO screen_tokens (name, token_hash) VALUES ('evil', repeat('a', 64))",
         "admin"),
        ("UPDATE screen_tokens SET revoked_at = NULL", "admin"),
        ("DELETE FROM screen_tokens", "admin"),
        ("SELECT mapserver_issue_screen_token('evil', repeat('b', 64), NULL)", "county_editor"),
        ("SELECT mapserver_issue_screen_token('evil', repeat('b', 64), NULL)", "viewer"),
        ("SELECT mapserver_issue_screen_token('evil', repeat('b', 64), NULL)", ""),
        ("SELECT mapserver_revoke_screen_token(id) FROM screen_tokens", "county_editor"),
    ],
)  # fmt: skip
def test_screen_tokens_are_written_only_by_dispatchers_and_admins(db, sql, whose):
    """Migration 0011: issuing and revoking a screen token need a dispatcher's or admin's
    claim; the table itself is out of the login's reach."""
    owner, login, made = db
    screens.issue(owner, "指挥中心大屏", None, None)
    before = screen_tokens(owner)
    refused(login, sql, actor=made.get(whose))
    assert screen_tokens(owner) == before


def test_an_admins_claim_issues_and_revokes_a_screen_token(db):
    _owner, login, made = db
    token_id, token = screens.issue(login, "会议室大屏", "10.20.0.0/16", made["admin"])
    assert screens.lookup(login, token, "10.20.1.2") == token_id
    assert screens.lookup(login, token, "192.168.1.2") is None
    screens.revoke(login, token_id, made["admin"])
    assert screens.lookup(login, token, "10.20.1.2") is None
