"""Starting in production, checked as the district's IT staff would: without SECRET_KEY the app
refuses to start and names it; with the production variables Django's deployment checklist has
nothing to say; gunicorn serves the app with its config file and shows no version."""

import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from django.conf import settings

from core.tests.test_healthz import run_django

PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "DEBUG": "false",
    "HTTPS": "true",
    "ALLOWED_HOSTS": "chuangwei.example.gov.cn",
    "TRUSTED_PROXIES": "127.0.0.1",
}


def manage(*args, **environ) -> subprocess.CompletedProcess:
    # Not the browser tests' licence to call the ORM from Playwright's event loop: the checklist
    # (rightly) warns about it, and production never sets it.
    inherited = {name: value for name, value in os.environ.items() if name != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {**inherited, **environ}
    command = [sys.executable, "manage.py", *args]
    return subprocess.run(command, cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120)


# ---- SECRET_KEY ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["", "   "])
def test_the_app_refuses_to_start_without_a_secret_key(value):
    result = run_django("import django; django.setup()", DJANGO_SETTINGS_MODULE="config.settings", SECRET_KEY=value)

    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "config.env.ImproperlyConfiguredEnv: SECRET_KEY must be set: a long random string, e.g. from"
        " python3 -c 'import secrets; print(secrets.token_urlsafe(50))' (`make run` sets a local one for trying"
        " the app out)"
    )


def test_manage_py_refuses_too():
    result = manage("check", DJANGO_SETTINGS_MODULE="config.settings", SECRET_KEY="")

    assert result.returncode == 1
    assert "SECRET_KEY must be set" in result.stderr.splitlines()[-1]


def test_the_key_given_is_the_key_used():
    key = secrets.token_urlsafe(50)

    result = run_django(
        "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)",
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY=key,
    )

    assert (result.returncode, result.stdout.strip()) == (0, key)


# ---- check --deploy ----------------------------------------------------------------------------


def test_the_deployment_checklist_is_clean_with_the_production_variables():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)

    assert result.returncode == 0, result.stderr
    # One check silenced on purpose: HSTS preloading (config/settings.py says why).
    assert result.stdout.strip() == "System check identified no issues (1 silenced)."


def test_without_https_the_checklist_names_what_is_missing():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **{**PRODUCTION, "HTTPS": "false"})

    assert result.returncode == 1
    assert sorted(set(re.findall(r"security\.W\d+", result.stderr))) == [
        "security.W004",  # no HSTS
        "security.W008",  # no redirect to https
        "security.W012",  # session cookie over http
        "security.W016",  # CSRF cookie over http
    ]


def test_a_short_key_is_named_by_the_checklist():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **{**PRODUCTION, "SECRET_KEY": "chuangwei"})

    assert result.returncode == 1
    assert re.findall(r"security\.W\d+", result.stderr) == ["security.W009"]


# ---- gunicorn ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.headers


@pytest.fixture
def gunicorn(tmp_path):
    """gunicorn with config/gunicorn.conf.py, as `make serve` and the systemd unit start it (with
    the test settings: static files from the finders, no collectstatic needed)."""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "WEB_CONCURRENCY": "1",
    }
    process = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "gunicorn"), "-c", "config/gunicorn.conf.py"]
        + ["--bind", f"127.0.0.1:{port}"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            fetch(f"{url}/accounts/login/")
            break
        except OSError:
            time.sleep(0.2)
    yield url, process
    process.terminate()
    process.wait(timeout=30)


def test_gunicorn_serves_the_app_without_a_version_in_any_header(gunicorn):
    url, process = gunicorn

    status, headers = fetch(f"{url}/accounts/login/")
    static_status, static_headers = fetch(f"{url}/static/css/app.css")
    process.terminate()
    log = process.communicate(timeout=30)[0]

    assert status == 200
    assert headers["Server"] == "gunicorn"  # no version (nginx replaces it anyway: "nginx", server_tokens off)
    assert "X-Powered-By" not in headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "no-store" in headers["Cache-Control"]
    assert static_status == 200
    assert "no-store" not in static_headers["Cache-Control"]
    # The access log: one line a request, with status and duration.
    assert re.search(r'"GET /accounts/login/ HTTP/1.1" 200 \d+ \d+ms', log), log
