"""/healthz for load balancers and monitoring, and the typed settings it starts from
(config/env.py): a bad value stops the start with a message that names it."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

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
def test_healthz_answers_ok_when_the_database_answers_and_files_can_be_written(client, settings):
    response = client.get("/healthz")

    body = response.json()
    free = body.pop("media_free_bytes")
    assert response.status_code == 200
    assert body == {"status": "ok", "database": "ok", "vendor": connection.vendor, "media": "ok"}
    assert abs(free - shutil.disk_usage(settings.MEDIA_ROOT).free) < 256 * 1024 * 1024  # others write meanwhile
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
    assert [p.name for p in Path(settings.MEDIA_ROOT).iterdir()] == []  # the probe cleans up after itself


@pytest.mark.django_db
def test_healthz_answers_503_when_the_media_folder_cannot_be_written(client, settings, tmp_path):
    (tmp_path / "not-a-folder").write_bytes(b"")
    settings.MEDIA_ROOT = tmp_path / "not-a-folder" / "media"

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "database": "ok",
        "vendor": connection.vendor,
        "media": "unwritable",
        "media_free_bytes": None,
        "media_detail": "NotADirectoryError: Not a directory",
    }


FULL_DISK = """
import json, resource, signal
import django

django.setup()
from django.test import Client

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG) instead
resource.setrlimit(resource.RLIMIT_FSIZE, (1024, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
response = Client().get("/healthz")
print(json.dumps({"status_code": response.status_code, "body": response.json()}))
"""


@pytest.mark.django_db(transaction=True)
def test_healthz_answers_503_when_the_disk_is_full(tmp_path):
    # A real process whose writes stop after 1 KB, as on a full disk (for root too).
    db = connection.settings_dict
    url = (
        f"sqlite:///{db['NAME']}"
        if connection.vendor == "sqlite"
        else f"postgres://{db['USER']}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    result = run_django(FULL_DISK, DATABASE_URL=url, MEDIA_ROOT=str(tmp_path / "media"))

    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert (outcome["status_code"], outcome["body"]["status"]) == (503, "error")
    assert (outcome["body"]["database"], outcome["body"]["media"]) == ("ok", "unwritable")
    assert outcome["body"]["media_detail"] == "OSError: File too large"
    assert list((tmp_path / "media").iterdir()) == []  # no probe left behind


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


def test_healthz_answers_503_when_the_database_is_unreachable(tmp_path):
    # A real process with a database that does not exist: nothing listens on port 1.
    result = run_django(GET_HEALTHZ, DATABASE_URL="postgres://postgres@127.0.0.1:1/nowhere", MEDIA_ROOT=str(tmp_path))

    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert outcome["status_code"] == 503
    assert outcome["body"] == {
        "status": "error",
        "database": "unreachable",
        "detail": "OperationalError",
        "media": "ok",
        "media_free_bytes": outcome["body"]["media_free_bytes"],
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
