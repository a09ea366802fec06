"""URL_SETS: an internet-facing process serves the portal (and static files, /healthz) and no
staff page at all, whoever asks; the intranet process serves the staff side without the portal."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings

from config.settings import root_urlconf_for
from public.tests.helpers import report

ROOT = Path(__file__).resolve().parents[2]

STAFF_PAGES = [
    "/problems/",
    "/overview/",
    "/admin/",
    "/accounts/login/",
    "/reports/",
    "/bulletins/",
    "/api/v1/plans",
    "/files/00000000-0000-0000-0000-000000000000",
]


@override_settings(ROOT_URLCONF="config.urls_public")
def test_the_public_set_serves_the_portal_and_no_staff_page(world):
    the_report = report(world)
    visitor = Client()
    for url in ["/public/", "/public/report/", f"/public/r/{the_report.code}/", "/public/bulletins/", "/healthz"]:
        assert visitor.get(url).status_code == 200, url
    assert visitor.get("/")["Location"] == "/public/"
    assert visitor.get("/static/css/app.css").status_code == 200
    office = Client()
    office.force_login(world.office)  # a staff session cookie reaching the public host
    for url in STAFF_PAGES:
        for client in (visitor, office):
            answer = client.get(url)
            assert answer.status_code == 404, url
            # The API's middleware answers JSON under /api/; everything else the portal's page.
            assert ("未找到" if url.startswith("/api/") else "页面不存在") in answer.content.decode()


@override_settings(ROOT_URLCONF="config.urls_staff")
def test_the_staff_set_has_no_portal(world):
    assert Client().get("/public/").status_code == 404
    office = Client()
    office.force_login(world.office)
    assert office.get("/reports/").status_code == 200
    assert office.get("/healthz").status_code == 200


def test_both_sets_by_default(world):
    office = Client()
    office.force_login(world.office)
    assert (Client().get("/public/").status_code, office.get("/reports/").status_code) == (200, 200)


def test_the_setting_chooses_the_urlconf():
    assert root_urlconf_for(["public"]) == "config.urls_public"
    assert root_urlconf_for(["staff"]) == "config.urls_staff"
    assert root_urlconf_for(["public", "staff"]) == "config.urls"


@pytest.mark.parametrize(
    ("value", "expected"), [("public", "config.urls_public"), ("staff,public", "config.urls"), ("", "config.urls")]
)
def test_the_environment_sets_it(value, expected):
    env = {**os.environ, "URL_SETS": value, "SECRET_KEY": "x", "DJANGO_SETTINGS_MODULE": "config.settings"}
    out = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.ROOT_URLCONF)"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == expected


def test_a_wrong_value_fails_loudly():
    env = {**os.environ, "URL_SETS": "publik", "SECRET_KEY": "x", "DJANGO_SETTINGS_MODULE": "config.settings"}
    out = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; settings.ROOT_URLCONF"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode != 0 and "URL_SETS must be public, staff or public,staff" in out.stderr
