"""Actor claims: the acting user as a signed statement SQL cannot forge (issue #12 §2).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

Until now the triggers trusted the settings ``mapserver.actor_role`` & co., which any SQL
run in the app's transaction could set. Now the app signs a claim per write transaction,
``v1|user id|username|role|county|tolerance m|txid``, with HMAC-SHA256 under a key derived
from its secret (mapserver/store/claims.py), and puts it in ``mapserver.claim``. The database
keeps the same key in ``mapserver_private.claim_key``, which neither the app's login role
nor ``mapserver_app`` can read; ``mapserver_claim()`` (SECURITY DEFINER) verifies the
signature and that the claim names *this* transaction, and every trigger reads the actor
from it. The owner (migrations, loaders, the CLI on the admin URL) writes without a claim;
a session that logs in as a member of ``mapserver_app`` cannot (``mapserver_maintenance``
now also looks at ``session_user``, which ``SET ROLE``/``RESET ROLE`` do not change).

Accounts, sessions and API tokens are no longer writable by ``mapserver_app``: the app
writes them through narrow SECURITY DEFINER functions, each checking the claim it needs
(only an admin's creates users or changes roles; a session or token only for the claimed
user). ``login_failures`` stays writable: its counters only slow guessing, and SQL that
can read ``users`` can take the password hashes away to guess offline anyway.
"""

import importlib.util
from pathlib import Path

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

APP_ROLE = "mapserver_app"
ACCOUNT_TABLES = "users, user_sessions, api_tokens"

PRIVATE = """
CREATE SCHEMA mapserver_private;
REVOKE ALL ON SCHEMA mapserver_private FROM PUBLIC;
CREATE TABLE mapserver_private.claim_key (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    key bytea NOT NULL CHECK (length(key) >= 32),
    installed_at timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON mapserver_private.claim_key FROM PUBLIC;
"""

# Parsed and checked here only; ``{crypto}`` is the schema pgcrypto lives in.
CLAIM = """
CREATE FUNCTION mapserver_claim(OUT user_id bigint, OUT actor text, OUT role text,
                                OUT county text, OUT tolerance_m float8)
RETURNS SETOF record LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, {crypto}, pg_temp AS $$
-- The verified claim of this transaction: no row without one; an invalid one is refused.
DECLARE
    raw text := nullif(current_setting('mapserver.claim', true), '');
    parts text[];
    signed_key bytea;
BEGIN
    IF raw IS NULL THEN
        RETURN;
    END IF;
    parts := string_to_array(raw, '|');
    IF coalesce(array_length(parts, 1), 0) <> 8 OR parts[1] <> 'v1' THEN
        RAISE EXCEPTION 'malformed actor claim' USING ERRCODE = '42501';
    END IF;
    SELECT k.key INTO signed_key FROM mapserver_private.claim_key k;
    IF signed_key IS NULL THEN
        RAISE EXCEPTION 'no actor-claim key installed (python -m mapserver install-key)'
            USING ERRCODE = '42501';
    END IF;
    IF encode(hmac(convert_to(array_to_string(parts[1:7], '|'), 'UTF8'), signed_key,
                   'sha256'::text), 'hex') IS DISTINCT FROM parts[8] THEN
        RAISE EXCEPTION 'actor claim: bad signature' USING ERRCODE = '42501';
    END IF;
    IF parts[7] IS DISTINCT FROM txid_current()::text THEN
        RAISE EXCEPTION 'actor claim made for another transaction' USING ERRCODE = '42501';
    END IF;
    RETURN QUERY SELECT parts[2]::bigint, parts[3], parts[4], nullif(parts[5], ''),
                        parts[6]::float8;
END $$
"""

CHECK_KEY = """
CREATE FUNCTION mapserver_claim_key_matches(probe text, signature text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, {crypto}, pg_temp AS $$
    -- Lets the app find out at startup that its secret is the installed one (yes or no).
    SELECT encode(hmac(convert_to(probe, 'UTF8'), k.key, 'sha256'::text), 'hex') = signature
    FROM mapserver_private.claim_key k
$$
"""

MAINTENANCE = f"""
CREATE OR REPLACE FUNCTION mapserver_maintenance() RETURNS boolean LANGUAGE sql STABLE AS $$
    -- A write without a claim is maintenance by the owner (migrations, loaders, the CLI):
    -- neither the current role nor the login (session_user, which SET ROLE and RESET ROLE
    -- leave alone) may belong to the app's write role. Superusers count as members of
    -- every role for pg_has_role, so the login's membership is read from pg_auth_members.
    SELECT (NOT pg_has_role(current_user, '{APP_ROLE}', 'MEMBER')
            OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user))
       AND NOT EXISTS (
           WITH RECURSIVE m(oid) AS (
               SELECT oid FROM pg_roles WHERE rolname = session_user
               UNION SELECT a.roleid FROM pg_auth_members a JOIN m ON a.member = m.oid)
           SELECT 1 FROM m JOIN pg_roles r ON r.oid = m.oid WHERE r.rolname = '{APP_ROLE}')
$$
"""

CONFIGURED_TODAY = """
CREATE FUNCTION mapserver_configured_today() RETURNS text LANGUAGE sql STABLE AS $$
    -- mapserver.today as the database or the login role sets it (ALTER DATABASE / ROLE
    -- ... SET), which SQL in a transaction cannot change, unlike the session's value.
    SELECT substr(c, length('mapserver.today=') + 1)
    FROM pg_db_role_setting s CROSS JOIN LATERAL unnest(s.setconfig) c
    WHERE c LIKE 'mapserver.today=%'
      AND s.setdatabase IN (0, (SELECT oid FROM pg_database WHERE datname = current_database()))
      AND s.setrole IN (0, (SELECT oid FROM pg_roles WHERE rolname = session_user))
    ORDER BY s.setrole <> 0 DESC, s.setdatabase <> 0 DESC LIMIT 1
$$
"""

ACTING = """
CREATE FUNCTION mapserver_acting(OUT user_id bigint, OUT actor text, OUT role text,
                                 OUT county text, OUT tolerance_m float8)
LANGUAGE plpgsql STABLE AS $$
-- The claimed actor of a write; all NULL for maintenance; anyone else is refused.
BEGIN
    SELECT c.user_id, c.actor, c.role, c.county, c.tolerance_m
    INTO user_id, actor, role, county, tolerance_m FROM mapserver_claim() c;
    IF actor IS NULL AND NOT mapserver_maintenance() THEN
        RAISE EXCEPTION 'no acting user for this write' USING ERRCODE = '42501';
    END IF;
    -- "Today" closes months for county editors: a write may not move it in its session.
    IF actor IS NOT NULL AND nullif(current_setting('mapserver.today', true), '')
                             IS DISTINCT FROM mapserver_configured_today() THEN
        RAISE EXCEPTION 'mapserver.today may be set for the database or role only'
            USING ERRCODE = '42501';
    END IF;
END $$
"""

REQUIRE = """
CREATE FUNCTION mapserver_require_claim(for_user bigint, admin_may boolean) RETURNS void
LANGUAGE plpgsql STABLE AS $$
-- For the account functions: maintenance, the claimed user themself, or (if admin_may)
-- an admin's claim; anything else is refused.
DECLARE
    c record;
BEGIN
    SELECT * INTO c FROM mapserver_acting();
    IF c.actor IS NULL OR (admin_may AND c.role = 'admin') OR c.user_id = for_user THEN
        RETURN;
    END IF;
    RAISE EXCEPTION 'user % may not change this account', c.actor USING ERRCODE = '42501';
END $$
"""

# The app's account writes, each as narrow as its one use (mapserver/accounts/users.py,
# credentials.py). A new kind of token or account write gets its own function like these:
# check with mapserver_require_claim, write, GRANT EXECUTE to the write role only.
ACCOUNT_FUNCTIONS = {
    "mapserver_create_user(text, text, text, text, text)": """
RETURNS SETOF users LANGUAGE sql AS $$
    SELECT mapserver_require_claim(NULL, true);  -- an admin's claim
    INSERT INTO users (username, display_name, role, county, password_hash)
    VALUES ($1, $2, $3, $4, $5) ON CONFLICT (username) DO NOTHING RETURNING *
$$""",
    # changes: any of active, role (with county), display_name, password_hash.
    "mapserver_update_user(bigint, jsonb)": """
RETURNS SETOF users LANGUAGE sql AS $$
    SELECT mapserver_require_claim(NULL, true);
    UPDATE user_sessions SET revoked_at = now()
    WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()
      AND ($2 ? 'password_hash' OR ($2 ->> 'active')::boolean IS FALSE);
    UPDATE users SET
        active = CASE WHEN $2 ? 'active' THEN ($2 ->> 'active')::boolean ELSE active END,
        role = CASE WHEN $2 ? 'role' THEN $2 ->> 'role' ELSE role END,
        county = CASE WHEN $2 ? 'role' THEN $2 ->> 'county' ELSE county END,
        display_name = CASE WHEN $2 ? 'display_name' THEN $2 ->> 'display_name'
                       ELSE display_name END,
        password_hash = CASE WHEN $2 ? 'password_hash' THEN $2 ->> 'password_hash'
                        ELSE password_hash END
    WHERE id = $1 RETURNING *
$$""",
    # A login: the right password was given; a stale hash is replaced (old one named).
    "mapserver_note_login(bigint, text, text)": """
RETURNS void LANGUAGE sql AS $$
    SELECT mapserver_require_claim($1, false);
    UPDATE users SET last_login_at = now(),
        password_hash = CASE WHEN password_hash = $2 THEN $3 ELSE password_hash END
    WHERE id = $1
$$""",
    "mapserver_open_session(text, bigint, interval)": """
RETURNS void LANGUAGE sql AS $$
    SELECT mapserver_require_claim($2, false);
    INSERT INTO user_sessions (id, user_id, expires_at) VALUES ($1, $2, now() + $3)
$$""",
    # Ending a session by its digest needs no claim: it never grants anything.
    "mapserver_close_session(text)": """
RETURNS void LANGUAGE sql AS $$
    UPDATE user_sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL
$$""",
    # Using a token is logging in with it: whoever holds the secret (given as its digest).
    "mapserver_use_token(text)": """
RETURNS TABLE (id bigint, username text, role text, county text) LANGUAGE sql AS $$
    UPDATE api_tokens t SET last_used_at = now() FROM users u
    WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.id = t.user_id AND u.active
    RETURNING u.id, u.username, u.role, u.county
$$""",
    "mapserver_issue_token(bigint, text, text)": """
RETURNS bigint LANGUAGE sql AS $$
    SELECT mapserver_require_claim($1, false);  -- one's own token
    INSERT INTO api_tokens (user_id, name, token_hash) VALUES ($1, $2, $3) RETURNING id
$$""",
    # $2: the owner the app asks for (NULL: any, for admins); the claim is checked anyway.
    "mapserver_revoke_token(bigint, bigint)": """
RETURNS SETOF bigint LANGUAGE sql AS $$
    SELECT mapserver_require_claim(user_id, true) FROM api_tokens
    WHERE id = $1 AND ($2 IS NULL OR user_id = $2);
    UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now())
    WHERE id = $1 AND ($2 IS NULL OR user_id = $2) RETURNING id
$$""",
}


def _accounts() -> None:
    """The account functions, and the account tables out of the write role's reach."""
    for signature, body in ACCOUNT_FUNCTIONS.items():
        definer = "LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS"
        op.execute(f"CREATE FUNCTION {signature} {body.replace('LANGUAGE sql AS', definer, 1)}")
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {APP_ROLE}")
    op.execute(f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {ACCOUNT_TABLES} FROM {APP_ROLE}")
    op.execute(f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {ACCOUNT_TABLES} FROM PUBLIC")


def _previous(name: str):
    path = Path(__file__).with_name(name)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _claimed(sql: str, old: str, new: str) -> str:
    """A trigger function of an earlier migration, the acting user now from the claim."""
    assert old in sql, old
    return sql.replace(old, new).replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


OLD_ACTOR = (
    "    actor_role text := nullif(current_setting('mapserver.actor_role', true), '');\n"
    "    actor_county text := nullif(current_setting('mapserver.actor_county', true), '');\n"
)
OLD_TOLERANCE = (
    "    tolerance float8 := coalesce(\n"
    "        nullif(current_setting('mapserver.county_tolerance_m', true), '')::float8, 200);\n"
)
NEW_ACTOR = (
    "    acting record := mapserver_acting();\n"
    "    actor_role text := acting.role;\n"
    "    actor_county text := acting.county;\n"
)
OLD_GUC_ACTOR = "coalesce(nullif(current_setting('mapserver.actor', true), ''), session_user)"
OLD_GUC_ROLE = "nullif(current_setting('mapserver.actor_role', true), '')"
NEW_HISTORY_ACTOR = "coalesce((SELECT c.actor FROM mapserver_claim() c), session_user)"
NEW_HISTORY_ROLE = "(SELECT c.role FROM mapserver_claim() c)"


def _check_actor(sql: str) -> str:
    """0004's project rule: the maintenance test is now mapserver_acting's."""
    sql = _claimed(sql, OLD_ACTOR + OLD_TOLERANCE, NEW_ACTOR
                   + "    tolerance float8 := coalesce(acting.tolerance_m, 200);\n")  # fmt: skip
    start = sql.index("    IF actor_role IS NULL THEN")
    end = sql.index("    ELSIF actor_role = 'county_editor' THEN")
    return (
        sql[:start] + "    IF actor_role IS NULL THEN\n        NULL;  -- maintenance\n" + sql[end:]
    )


def _check_record_actor(sql: str) -> str:
    """0005's record rule: the maintenance test is now mapserver_acting's."""
    sql = _claimed(sql, OLD_ACTOR, NEW_ACTOR)
    old = (
        "    IF actor_role IS NULL AND NOT mapserver_maintenance() THEN\n"
        "        RAISE EXCEPTION 'no acting user for this write' USING ERRCODE = '42501';\n"
        "    ELSIF actor_role IS NULL"
    )
    assert old in sql
    return sql.replace(old, "    IF actor_role IS NULL")


def _history(sql: str) -> str:
    sql = _claimed(sql, OLD_GUC_ACTOR, NEW_HISTORY_ACTOR)
    return sql.replace(OLD_GUC_ROLE, NEW_HISTORY_ROLE)


def _review(sql: str) -> str:
    return _claimed(
        sql,
        f"    actor text := {OLD_GUC_ACTOR};\n    actor_role text := {OLD_GUC_ROLE};\n",
        "    acting record := mapserver_acting();\n"
        "    actor text := coalesce(acting.actor, session_user);\n"
        "    actor_role text := acting.role;\n",
    )


def trigger_functions() -> list[str]:
    """The four trigger functions of 0004, 0005 and 0007, reading the claim."""
    editing = _previous("0004_editing.py")
    battle = _previous("0005_battle.py")
    review = _previous("0007_review.py")
    return [
        _check_actor(editing.CHECK_ACTOR),
        _check_record_actor(battle.CHECK_RECORD_ACTOR),
        _history(editing.RECORD_HISTORY),
        _history(battle.RECORD_HISTORY),
        _review(review.CHECK_REVIEW),
    ]


# Invoker functions the rules run (trigger functions and what they call): their search
# path pinned too, with pg_temp last, or a temporary table named like ``projects`` or
# ``pg_roles`` (pg_temp comes first when unnamed, even before pg_catalog) could answer
# their questions instead of the real one.
PINNED = (
    "mapserver_bump_version()", "mapserver_site_fits(geometry, text, float8)",
    "mapserver_check_actor()", "mapserver_append_only()", "mapserver_maintenance()",
    "mapserver_check_record_actor()", "mapserver_summary_trigger()",
    "mapserver_check_review()", "mapserver_photo_report()", "mapserver_configured_today()",
    "mapserver_acting()", "mapserver_require_claim(bigint, boolean)",
)  # fmt: skip


def _crypto_schema() -> str:
    op.execute("CREATE EXTENSION IF NOT EXISTS pgcrypto")
    bind = op.get_bind()
    return bind.exec_driver_sql(
        "SELECT quote_ident(n.nspname) FROM pg_extension e"
        " JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pgcrypto'"
    ).scalar_one()


def upgrade() -> None:
    crypto = _crypto_schema()
    op.execute(PRIVATE)
    op.execute(CLAIM.format(crypto=crypto))
    op.execute(CHECK_KEY.format(crypto=crypto))
    op.execute("REVOKE ALL ON FUNCTION mapserver_claim_key_matches(text, text) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION mapserver_claim_key_matches(text, text) TO {APP_ROLE}")
    for sql in (MAINTENANCE, CONFIGURED_TODAY, ACTING, REQUIRE, *trigger_functions()):
        op.execute(sql)
    _accounts()
    for signature in PINNED:
        op.execute(f"ALTER FUNCTION {signature} SET search_path = public, pg_temp")
    _reads()


def _reads() -> None:
    """The app's login reads as the write role: every table of public, now and later."""
    op.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    op.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {APP_ROLE}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO {APP_ROLE}")


def downgrade() -> None:
    editing = _previous("0004_editing.py")
    battle = _previous("0005_battle.py")
    review = _previous("0007_review.py")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT ON TABLES FROM {APP_ROLE}")
    op.execute(f"GRANT INSERT, UPDATE ON users, api_tokens TO {APP_ROLE}")
    op.execute(f"GRANT INSERT, UPDATE, DELETE ON user_sessions TO {APP_ROLE}")
    for sql in (
        editing.CHECK_ACTOR,
        battle.CHECK_RECORD_ACTOR,
        editing.RECORD_HISTORY,
        battle.RECORD_HISTORY,
        review.CHECK_REVIEW,
        battle.MAINTENANCE,
    ):
        op.execute(sql.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1))
    for signature in ACCOUNT_FUNCTIONS:
        op.execute(f"DROP FUNCTION {signature}")
    for signature in PINNED:
        op.execute(f"ALTER FUNCTION {signature} RESET search_path")
    for fn in ("mapserver_require_claim(bigint, boolean)", "mapserver_acting()",
               "mapserver_configured_today()",
               "mapserver_claim_key_matches(text, text)", "mapserver_claim()"):  # fmt: skip
        op.execute(f"DROP FUNCTION {fn}")
    op.execute("DROP SCHEMA mapserver_private CASCADE")
    # pgcrypto stays: something else may have come to use it.
