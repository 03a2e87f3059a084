"""Accounts, password hashes, sessions and API tokens, without the web layer."""

from __future__ import annotations

import datetime as dt
import stat

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from click.testing import CliRunner

from mapserver import runner
from mapserver.accounts import credentials, passwords, secretkey, users
from mapserver.cli import main
from mapserver.errors import Conflict, InvalidParameter, NotFound
from mapserver.store.db import make_engine
from tests.conftest import new_database


@pytest.fixture
def engine(fresh_url):
    engine = make_engine(fresh_url, 2)
    yield engine
    engine.dispose()


def stored_hash(engine, username):
    with engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT password_hash FROM users WHERE username = :u"), {"u": username}
        ).scalar_one()


def test_password_is_stored_as_argon2id_with_owasp_parameters(engine):
    account, password = users.create_user(engine, "alice", "dispatcher")
    assert len(password) >= 20
    digest = stored_hash(engine, "alice")
    assert digest.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert password not in digest
    assert users.authenticate(engine, "alice", password) == account.actor()


def test_old_parameters_are_rehashed_on_login(engine):
    users.create_user(engine, "alice", "viewer")
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("correct horse")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE users SET password_hash = :h"), {"h": old})
    assert users.authenticate(engine, "alice", "correct horse") is not None
    assert stored_hash(engine, "alice").startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert users.get_user(engine, "alice").last_login_at is not None


@pytest.mark.parametrize(("username", "password"), [("alice", "wrong password"), ("nobody", "x")])
def test_wrong_credentials(engine, username, password):
    users.create_user(engine, "alice", "viewer", password="right password")
    assert users.authenticate(engine, username, password) is None


class SpyHasher:
    def __init__(self, real):
        self.real, self.seen = real, []

    def __getattr__(self, name):
        return getattr(self.real, name)

    def verify(self, digest, password):
        self.seen.append(digest)
        return self.real.verify(digest, password)


def test_unknown_user_costs_a_hash_too(monkeypatch):
    spy = SpyHasher(passwords.HASHER)
    monkeypatch.setattr(passwords, "HASHER", spy)
    assert passwords.verify(None, "anything") is False
    assert spy.seen and spy.seen[0].startswith("$argon2id$v=19$m=19456,t=2,p=1$")


@pytest.mark.parametrize(
    ("args", "parameter"),
    [
        (("Alice", "viewer"), "username"),
        (("a", "viewer"), "username"),
        (("al ice", "viewer"), "username"),
        (("alice", "boss"), "role"),
        (("alice", "county_editor"), "county"),
        (("alice", "viewer", "511602"), "county"),
        (("alice", "county_editor", "999999"), "county"),
        (("alice", "viewer", None, "", "short"), "password"),
        (("alice", "viewer", None, "名" * 101), "display_name"),
    ],
)
def test_create_user_validation(engine, args, parameter):
    with pytest.raises(InvalidParameter) as info:
        users.create_user(engine, *args)
    assert info.value.extra["parameter"] == parameter
    assert users.list_users(engine) == []


def test_username_taken(engine):
    users.create_user(engine, "alice", "viewer")
    with pytest.raises(Conflict):
        users.create_user(engine, "alice", "admin")


def test_county_editor_and_role_change(engine):
    account, _ = users.create_user(engine, "editor", "county_editor", "511621", "岳池编辑")
    assert account.actor().county == "511621" and not account.actor().city_wide
    changed = users.update_user(engine, account.id, role="dispatcher")
    assert (changed.role, changed.county) == ("dispatcher", None)
    with pytest.raises(InvalidParameter):
        users.update_user(engine, account.id, county="511602")
    with pytest.raises(NotFound):
        users.update_user(engine, 999999, active=False)


def test_sessions_expire_end_and_follow_the_user(engine):
    account, _ = users.create_user(engine, "alice", "dispatcher")
    hour = dt.timedelta(hours=1)
    token = credentials.open_session(engine, account.id, hour)
    assert credentials.session_actor(engine, token) == account.actor()
    with engine.connect() as conn:
        ids = conn.execute(sa.text("SELECT id FROM user_sessions")).scalars().all()
    assert ids == [credentials.digest(token)]  # only the digest is stored
    assert (
        credentials.session_actor(engine, credentials.open_session(engine, account.id, -hour))
        is None
    )
    credentials.close_session(engine, token)
    assert credentials.session_actor(engine, token) is None
    other = credentials.open_session(engine, account.id, hour)
    users.set_password(engine, account.id, "a new long password")
    assert credentials.session_actor(engine, other) is None


def test_api_tokens(engine):
    account, _ = users.create_user(engine, "alice", "dispatcher")
    token_id, token = credentials.issue_token(engine, account.id, " QGIS ")
    assert token.startswith("gams_") and len(token) > 40
    assert credentials.token_actor(engine, token) == account.actor()
    assert credentials.token_actor(engine, token[:-1]) is None
    [listed] = credentials.list_tokens(engine, account.id)
    assert (listed.id, listed.name, listed.username) == (token_id, "QGIS", "alice")
    assert listed.last_used_at is not None and listed.revoked_at is None
    users.set_active(engine, account.id, False)
    assert credentials.token_actor(engine, token) is None
    users.set_active(engine, account.id, True)
    with pytest.raises(NotFound):
        credentials.revoke_token(engine, token_id, account.id + 1)
    credentials.revoke_token(engine, token_id, account.id)
    assert credentials.token_actor(engine, token) is None
    with pytest.raises(InvalidParameter):
        credentials.issue_token(engine, account.id, "   ")


def test_demo_users(engine):
    rows = users.create_demo_users(engine)
    names = [r[0] for r in rows]
    assert names[:3] == ["admin", "dispatcher", "viewer"]
    assert sorted(names[3:]) == [
        f"editor_{c}" for c in ("511602", "511603", "511621", "511622", "511623", "511681")
    ]
    for username, role, county, password in rows:
        actor = users.authenticate(engine, username, password)
        assert (actor.role, actor.county) == (role, county)
    assert users.get_user(engine, "editor_511602").display_name == "广安区演示编辑"
    assert len({r[3] for r in rows}) == len(rows)
    table = runner.demo_accounts_table(rows)
    assert all(name in table and password in table for name, _, _, password in rows)


def test_make_run_prints_demo_accounts_once(cluster, capsys):
    url = new_database(cluster)  # empty: prepare() migrates and loads the demo data
    runner.prepare(url)
    first = capsys.readouterr().out
    assert "演示账号" in first and "editor_511681" in first
    runner.prepare(url)
    assert "演示账号" not in capsys.readouterr().out
    engine = make_engine(url, 1)
    password = next(line.split()[-1] for line in first.splitlines() if "viewer " in line)
    assert users.authenticate(engine, "viewer", password).role == "viewer"
    engine.dispose()


def test_secret_key_file(tmp_path):
    path = tmp_path / "var" / "secret_key"
    assert secretkey.load("configured", path) == "configured" and not path.exists()
    key = secretkey.load(None, path)
    assert len(key) >= 64 and secretkey.load(None, path) == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["secret_key"]


def cli(url, *args, input=None):
    return CliRunner().invoke(main, args, input=input, env={"MAPSERVER_DATABASE_URL": url})


def test_cli_accounts(fresh_url, engine):
    result = cli(
        fresh_url, "create-user", "zhang", "--role", "dispatcher", "--display-name", "张三"
    )
    assert result.exit_code == 0, result.output
    password = result.output.split("shown only now): ")[1].strip()
    assert users.authenticate(engine, "zhang", password) is not None
    result = cli(
        fresh_url,
        "create-user",
        "li",
        "--role",
        "county_editor",
        "--county",
        "511622",
        "--password-stdin",
        input="a chosen password\n",
    )
    assert result.exit_code == 0 and "a chosen password" not in result.output
    assert users.authenticate(engine, "li", "a chosen password").county == "511622"
    listed = cli(fresh_url, "list-users").output
    assert "zhang" in listed and "511622" in listed
    issued = cli(fresh_url, "issue-token", "zhang", "--name", "QGIS")
    token = issued.output.splitlines()[-1]
    assert credentials.token_actor(engine, token).username == "zhang"
    token_id = issued.output.split()[1]
    assert cli(fresh_url, "revoke-token", token_id).exit_code == 0
    assert credentials.token_actor(engine, token) is None
    assert "revoked" in cli(fresh_url, "list-tokens").output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("create-user", "x1", "--role", "county_editor"), "county is required"),
        (("create-user", "x1", "--role", "boss"), "Invalid value for '--role'"),
        (("issue-token", "nobody", "--name", "n"), "no user 'nobody'"),
        (("revoke-token", "424242"), "no API token 424242"),
    ],
)
def test_cli_refusals(fresh_url, args, message):
    result = cli(fresh_url, *args)
    assert result.exit_code != 0
    assert message in result.output
