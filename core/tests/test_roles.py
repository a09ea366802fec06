"""The two PostgreSQL roles (core.roles, `manage.py db_roles`). On PostgreSQL the test does what
the deployment notes say, on a database of its own: runs the printed SQL with psql as a superuser,
migrates as the owner role, then connects as the app role and finds that it can append to the
trail and run the audit, but cannot drop, disable or replace a trigger, turn triggers off for its
session, truncate or create a table, nor UPDATE or DELETE an event."""

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from core.roles import Roles

ROOT = Path(__file__).resolve().parent.parent.parent


def db_roles(*args) -> str:
    out = io.StringIO()
    call_command("db_roles", *args, stdout=out)
    return out.getvalue()


def test_the_command_prints_both_roles_their_database_and_what_the_app_may_do():
    script = db_roles("--owner", "cw_owner", "--app", "cw_app", "--database", "cw", "--host", "db.internal")
    statements = [line for line in script.splitlines() if line and not line.startswith("--")]

    assert statements == [
        "CREATE ROLE cw_owner LOGIN PASSWORD :'owner_password' NOSUPERUSER NOCREATEDB NOCREATEROLE;",
        "CREATE ROLE cw_app LOGIN PASSWORD :'app_password' NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;",
        "CREATE DATABASE cw OWNER cw_owner ENCODING 'UTF8' TEMPLATE template0;",
        "\\connect cw",
        "REVOKE ALL ON DATABASE cw FROM PUBLIC;",
        "GRANT CONNECT ON DATABASE cw TO cw_app;",
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC;",
        "GRANT USAGE ON SCHEMA public TO cw_app;",
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO cw_app;",
        "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO cw_app;",
        "ALTER DEFAULT PRIVILEGES FOR ROLE cw_owner IN SCHEMA public "
        "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO cw_app;",
        "ALTER DEFAULT PRIVILEGES FOR ROLE cw_owner IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO cw_app;",
    ]
    assert "--   migrations: DATABASE_URL=postgres://cw_owner:<owner_password>@db.internal:5432/cw" in script
    assert "--   the app:    DATABASE_URL=postgres://cw_app:<app_password>@db.internal:5432/cw" in script


def test_taking_over_an_existing_database_gives_the_owner_role_what_another_role_owned():
    script = db_roles("--take-over-from", "postgres")

    assert "CREATE DATABASE" not in script
    assert "ALTER DATABASE chuangwei OWNER TO chuangwei_owner;" in script
    assert "EXECUTE format('ALTER TABLE %s OWNER TO %I', item.name, 'chuangwei_owner');" in script
    assert "pg_get_userbyid(c.relowner) = 'postgres'" in script


@pytest.mark.parametrize(
    "args, message",
    [
        (["--app", "Robert'); DROP TABLE x;--"], "not a plain lower-case name"),
        (["--owner", "same", "--app", "same"], "the owner and the app must be two roles"),
        (["--take-over-from", "x y"], "not a plain lower-case name"),
    ],
)
def test_names_that_are_not_plain_identifiers_are_refused(args, message):
    with pytest.raises(CommandError, match=message):
        db_roles(*args)


# ---- on a real cluster ------------------------------------------------------------------------------


def _url(role: str, password: str, database: str) -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{role}:{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{database}"


def _manage(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def deployment():
    """Roles and a database of their own, set up from the printed SQL; dropped afterwards."""
    tag = f"cwt{os.getpid()}"
    roles = Roles(owner=f"{tag}_owner", app=f"{tag}_app", database=f"{tag}_db")
    db = settings.DATABASES["default"]
    superuser = ["-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432), "-U", db["USER"] or "postgres"]
    setup = subprocess.run(
        ["psql", *superuser, "-d", "postgres", "-q", "-v", "ON_ERROR_STOP=1"]
        + ["-v", "owner_password=owner-secret", "-v", "app_password=app-secret", "-f", "-"],
        input=roles.script(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    try:
        assert setup.returncode == 0, setup.stderr
        yield roles
    finally:
        # One -c each: DROP DATABASE runs outside a transaction block.
        cleanup = [
            f"DROP DATABASE IF EXISTS {roles.database} WITH (FORCE)",
            f"DROP ROLE IF EXISTS {roles.app}",
            f"DROP ROLE IF EXISTS {roles.owner}",
        ]
        dropped = subprocess.run(
            ["psql", *superuser, "-d", "postgres", "-q", "-v", "ON_ERROR_STOP=1"]
            + [arg for statement in cleanup for arg in ("-c", statement)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert dropped.returncode == 0, dropped.stderr


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: roles and privileges")
@pytest.mark.skipif(shutil.which("psql") is None, reason="needs psql to run the printed SQL")
def test_the_app_role_appends_to_the_trail_but_cannot_touch_its_triggers_or_rewrite_it(deployment):
    owner = _url(deployment.owner, "owner-secret", deployment.database)
    app = _url(deployment.app, "app-secret", deployment.database)

    migrated = _manage(owner, "migrate", "--noinput", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr
    logged = _manage(
        app,
        "shell",
        "-c",
        "from core.security import log_event; e = log_event('login', username='liaison', summary='登录'); "
        "print(e.chain_seq)",
    )
    assert (logged.returncode, logged.stdout.splitlines()[-1]) == (0, "1"), logged.stderr
    audited = _manage(app, "audit_check")
    assert (audited.returncode, audited.stdout.splitlines()[-1]) == (0, "未发现不一致"), audited.stderr

    refused = {}
    with psycopg.connect(app, autocommit=True) as conn:
        (event_id,) = conn.execute("SELECT id FROM core_securityevent").fetchone()
        for name, statement in {
            "drop trigger": "DROP TRIGGER append_only ON core_securityevent",
            "disable trigger": "ALTER TABLE core_securityevent DISABLE TRIGGER append_only",
            "replace function": "CREATE OR REPLACE FUNCTION append_only_refuse() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
            "triggers off": "SET session_replication_role = replica",
            "update event": f"UPDATE core_securityevent SET summary = '改写' WHERE id = {event_id}",
            "delete event": f"DELETE FROM core_securityevent WHERE id = {event_id}",
            "truncate": "TRUNCATE core_securityevent",
            "create table": "CREATE TABLE shadow (id int)",
        }.items():
            try:
                conn.execute(statement)
            except psycopg.Error as error:
                refused[name] = (error.sqlstate, error.diag.message_primary)
            else:
                refused[name] = None
        still = conn.execute("SELECT summary FROM core_securityevent WHERE id = %s", [event_id]).fetchone()
        # What the app does all day is allowed: rows of ordinary tables change.
        conn.execute("UPDATE core_chainhead SET seq = seq")

    assert refused == {
        "drop trigger": ("42501", "must be owner of relation core_securityevent"),
        "disable trigger": ("42501", "must be owner of table core_securityevent"),
        "replace function": ("42501", "permission denied for schema public"),
        "triggers off": ("42501", 'permission denied to set parameter "session_replication_role"'),
        "update event": ("23001", "表 core_securityevent 只能追加，拒绝 UPDATE"),
        "delete event": ("23001", "表 core_securityevent 只能追加，拒绝 DELETE"),
        "truncate": ("42501", "permission denied for table core_securityevent"),
        "create table": ("42501", "permission denied for schema public"),
    }
    assert still == ("登录",)
