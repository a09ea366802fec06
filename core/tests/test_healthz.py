"""/healthz for load balancers and monitoring, and the typed settings it starts from
(config/env.py): a bad value stops the start with a message that names it."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from config.env import ImproperlyConfiguredEnv, env_bool, env_int, parse_database_url


def run_django(code: str, **environ) -> subprocess.CompletedProcess:
    """Run `code` in a fresh process of the project's python with test settings and `environ`."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test", **environ}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


# ---- /healthz --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_answers_ok_when_the_database_answers(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "vendor": connection.vendor}
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


@pytest.mark.django_db
def test_healthz_refuses_a_post(client):
    response = client.post("/healthz")

    assert (response.status_code, response["Allow"]) == (405, "GET")


GET_HEALTHZ = """
import json
import django

django.setup()
from django.test import Client

response = Client().get("/healthz")
print(json.dumps({"status_code": response.status_code, "body": response.json()}))
"""


def test_healthz_answers_503_when_the_database_is_unreachable():
    # A real process with a database that does not exist: nothing listens on port 1.
    result = run_django(GET_HEALTHZ, DATABASE_URL="postgres://postgres@127.0.0.1:1/nowhere")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "status_code": 503,
        "body": {"status": "error", "database": "unreachable", "detail": "OperationalError"},
    }


# ---- config/env.py ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("true", True), (" Yes ", True), ("ON", True), ("0", False), ("false", False), ("no", False)],
)
def test_env_bool_reads_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("CHUANGWEI_FLAG", raw)

    assert env_bool("CHUANGWEI_FLAG", not expected) is expected


@pytest.mark.parametrize("raw", [None, ""])
def test_env_bool_unset_or_empty_is_the_default(monkeypatch, raw):
    monkeypatch.delenv("CHUANGWEI_FLAG", raising=False)
    if raw is not None:
        monkeypatch.setenv("CHUANGWEI_FLAG", raw)

    assert (env_bool("CHUANGWEI_FLAG", True), env_bool("CHUANGWEI_FLAG", False)) == (True, False)


@pytest.mark.parametrize("raw", ["maybe", "2", "是", "truee"])
def test_env_bool_refuses_anything_else_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv("CHUANGWEI_FLAG", raw)

    with pytest.raises(ImproperlyConfiguredEnv) as refused:
        env_bool("CHUANGWEI_FLAG", False)

    assert str(refused.value) == f"CHUANGWEI_FLAG must be true or false, not {raw!r}"


def test_env_int_reads_an_integer_or_the_default(monkeypatch):
    monkeypatch.setenv("CHUANGWEI_NUMBER", "90")
    monkeypatch.setenv("CHUANGWEI_EMPTY", "")

    assert env_int("CHUANGWEI_NUMBER", 7, minimum=1) == 90
    assert env_int("CHUANGWEI_EMPTY", 7) == 7


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("ninety", "CHUANGWEI_NUMBER must be an integer, not 'ninety'"),
        ("1.5", "CHUANGWEI_NUMBER must be an integer, not '1.5'"),
        ("0", "CHUANGWEI_NUMBER must be at least 1, not 0"),
        ("-30", "CHUANGWEI_NUMBER must be at least 1, not -30"),
    ],
)
def test_env_int_refuses_a_bad_value_naming_the_variable(monkeypatch, raw, message):
    monkeypatch.setenv("CHUANGWEI_NUMBER", raw)

    with pytest.raises(ImproperlyConfiguredEnv) as refused:
        env_int("CHUANGWEI_NUMBER", 90, minimum=1)

    assert str(refused.value) == message


def test_a_bad_setting_stops_the_start_with_its_message():
    result = run_django("import django; django.setup()", DEBUG="perhaps")

    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "config.env.ImproperlyConfiguredEnv: DEBUG must be true or false, not 'perhaps'"
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgres://chuangwei:s%40cret@db.intranet:5433/chuangwei?sslmode=require",
            {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "chuangwei",
                "USER": "chuangwei",
                "PASSWORD": "s@cret",
                "HOST": "db.intranet",
                "PORT": "5433",
                "OPTIONS": {"sslmode": "require"},
            },
        ),
        (
            "postgresql://postgres@127.0.0.1/chuangwei_test",
            {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "chuangwei_test",
                "USER": "postgres",
                "PASSWORD": "",
                "HOST": "127.0.0.1",
                "PORT": "",
                "OPTIONS": {},
            },
        ),
        ("sqlite:///var/chuangwei.sqlite3", {"ENGINE": "django.db.backends.sqlite3", "NAME": "var/chuangwei.sqlite3"}),
        (
            "sqlite:////srv/chuangwei/var/chuangwei.sqlite3",
            {"ENGINE": "django.db.backends.sqlite3", "NAME": "/srv/chuangwei/var/chuangwei.sqlite3"},
        ),
    ],
)
def test_parse_database_url_reads_postgres_and_sqlite(url, expected):
    assert parse_database_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://root@127.0.0.1/chuangwei", "DATABASE_URL must start with postgres:// or sqlite://, not 'mysql'"),
        ("chuangwei.sqlite3", "DATABASE_URL must start with postgres:// or sqlite://, not 'chuangwei.sqlite3'"),
        (
            "postgres://postgres@127.0.0.1:5432",
            "DATABASE_URL has no database name: 'postgres://postgres@127.0.0.1:5432'",
        ),
        ("sqlite://", "DATABASE_URL has no SQLite file: 'sqlite://'"),
    ],
)
def test_parse_database_url_refuses_what_we_do_not_run_on(url, message):
    with pytest.raises(ImproperlyConfiguredEnv) as refused:
        parse_database_url(url)

    assert str(refused.value) == message
