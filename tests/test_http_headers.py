"""What an examiner reads in the response headers: nothing the app renders is cached (signed-in
pages, evidence files, exports, API answers), static files are; the Content-Security-Policy is on
every page; HTTPS settings follow the environment; and the client's address in the security log
comes from X-Forwarded-For only when a trusted proxy sent it."""

import json

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from accounts.services import token_create
from core.models import SecurityEvent
from core.security import client_ip, log_event
from core.tests.test_healthz import run_django
from dossier import services as dossier_services
from dossier.models import Material
from problems import services as problem_services
from problems.tests.helpers import photo

NO_STORE = "max-age=0, no-cache, no-store, must-revalidate, private"
PDF = b"%PDF-1.4\n% headers\n%%EOF\n"


# ---- Cache-Control ---------------------------------------------------------------------------


@pytest.fixture
def evidence(world):
    """A problem with a photo, and an accepted dossier file: what the file URLs serve."""
    problem = problem_services.problem_record(
        actor=world.inspector,
        campaign=world.campaign,
        site=world.site,
        criterion=world.checkpoint,
        description="巷口垃圾堆积",
        photos=[photo("整改前.jpg")],
    )
    world.criterion.required_materials = ["保洁制度"]
    world.criterion.save(update_fields=["required_materials"])
    dossier_services.dossier_prepare(actor=world.office, campaign=world.campaign)
    material = Material.objects.get()
    submission = dossier_services.submission_upload(actor=world.office, material=material, name="制度.pdf", data=PDF)
    dossier_services.submission_transition(actor=world.office, submission=submission, action="accept")
    return problem, submission


def _dossier_package(submission):
    """The dossier ZIP as its requester (the office, who uploaded the file) gets it: asked for,
    then made by the worker in this process."""
    from core.downloads import generated_file_request
    from core.worker import run_pending

    job = generated_file_request(
        actor=submission.submitted_by,
        title="申报资料包",
        filename="资料申报.zip",
        builder="dossier.export.build_for_download",
        parameters={"campaign": submission.material.campaign_id},
    )
    run_pending()
    return job


SIGNED_IN = {
    "a page": lambda p, s: reverse("problems:list"),
    "a problem": lambda p, s: reverse("problems:detail", args=[p.uuid]),
    "an evidence photo": lambda p, s: reverse("attachment", args=[p.photos.get().uuid]),
    "its thumbnail": lambda p, s: reverse("attachment", args=[p.photos.get().uuid]) + "?thumb=1",
    "a dossier file": lambda p, s: reverse("dossier:file", args=[s.uuid]),
    "the problems export": lambda p, s: reverse("exchange:problems_xlsx"),
    "the ledger export": lambda p, s: reverse("exchange:ledger_xlsx"),
    "the dossier package's progress page": lambda p, s: reverse("download", args=[_dossier_package(s).uuid]),
    "the dossier package": lambda p, s: reverse("download_file", args=[_dossier_package(s).uuid]),
    "an import template": lambda p, s: reverse("exchange:template", args=["sites"]),
    "the API": lambda p, s: "/api/v1/me",
}


@pytest.mark.parametrize("what", SIGNED_IN)
def test_nothing_a_signed_in_person_gets_may_be_stored(client, world, evidence, what):
    client.force_login(world.office)

    response = client.get(SIGNED_IN[what](*evidence))

    assert response.status_code == 200
    assert response["Cache-Control"] == NO_STORE
    assert "Expires" in response


def test_an_api_token_answer_is_not_stored_either(world):
    _token, key = token_create(user=world.inspector, name="李强的手机")

    response = Client(HTTP_AUTHORIZATION=f"Bearer {key}").get("/api/v1/today")

    assert (response.status_code, response["Cache-Control"]) == (200, NO_STORE)


def test_the_sign_in_page_is_not_stored(client, db):
    assert client.get(reverse("login"))["Cache-Control"] == NO_STORE


def test_static_files_keep_their_cache(client, db):
    response = client.get("/static/css/app.css")

    assert response.status_code == 200
    assert "no-store" not in response["Cache-Control"]
    assert response["Cache-Control"].startswith("max-age=")


# ---- the policy and the other headers ----------------------------------------------------------


def test_every_answer_carries_the_content_security_policy(client, world):
    client.force_login(world.office)

    for url in (reverse("login"), reverse("problems:list"), "/api/v1/me", "/sw.js"):
        header = client.get(url)["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in header.split(";"))
        assert directives["default-src"] == "'self'", url
        assert directives["script-src"] == "'self'", url
        assert directives["style-src"] == "'self'", url
        assert directives["frame-ancestors"] == "'none'", url
        assert "unsafe" not in header, url


def test_a_tile_server_is_allowed_for_images_only():
    result = run_django(
        "import django; django.setup(); from django.conf import settings;"
        "print(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src'])",
        MAP_TILE_URL="https://{s}.tiles.district.gov.cn/{z}/{x}/{y}.png",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[\"'self'\", 'data:', 'blob:', 'https://*.tiles.district.gov.cn']"


def test_without_https_configured_nothing_insists_on_it(client, db):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response
    assert response.cookies["csrftoken"]["secure"] == ""


HTTPS_CHECK = """
import json
import django

django.setup()
from django.conf import settings
from django.test import Client

proxy = Client(REMOTE_ADDR="127.0.0.1")
stranger = Client(REMOTE_ADDR="203.0.113.7")
over_https = proxy.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
language = proxy.post("/i18n/setlang/", {"language": "en", "next": "/"}, HTTP_X_FORWARDED_PROTO="https")
print(json.dumps({
    "plain http": proxy.get("/accounts/login/").status_code,
    "redirected to": proxy.get("/accounts/login/")["Location"],
    "via the proxy": over_https.status_code,
    "hsts": over_https.get("Strict-Transport-Security"),
    "csrf cookie secure": over_https.cookies["csrftoken"]["secure"],
    "language cookie secure": language.cookies["django_language"]["secure"],
    "session cookie secure": settings.SESSION_COOKIE_SECURE,
    "a stranger's header": stranger.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https").status_code,
    "healthz over http": proxy.get("/healthz").status_code,
}))
"""


def test_https_settings_follow_the_environment(tmp_path):
    # A real start with the variables a deployment sets: the proxy at 127.0.0.1 says "https".
    result = run_django(
        HTTPS_CHECK,
        HTTPS="true",
        TRUSTED_PROXIES="127.0.0.1,::1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "plain http": 301,
        "redirected to": "https://testserver/accounts/login/",
        "via the proxy": 200,
        "hsts": "max-age=31536000; includeSubDomains",
        "csrf cookie secure": True,
        "language cookie secure": True,
        "session cookie secure": True,
        "a stranger's header": 301,  # not a trusted proxy: its X-Forwarded-Proto is dropped
        "healthz over http": 200,  # the load balancer's probe is not redirected
    }


def test_hsts_seconds_come_from_the_environment(tmp_path):
    result = run_django(
        HTTPS_CHECK,
        HTTPS="true",
        HSTS_SECONDS="3600",
        HSTS_INCLUDE_SUBDOMAINS="false",
        TRUSTED_PROXIES="127.0.0.1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["hsts"] == "max-age=3600"


def test_a_mistyped_proxy_address_stops_the_start():
    result = run_django("import django; django.setup()", TRUSTED_PROXIES="127.0.0.1,10.0.0.5/24")

    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "config.env.ImproperlyConfiguredEnv: TRUSTED_PROXIES must list IP addresses or networks, not '10.0.0.5/24'"
    )


# ---- the client's address ----------------------------------------------------------------------

PROXIES = ["127.0.0.1", "10.0.0.0/8"]


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        # No proxy trusted: the peer, whatever the header says.
        ("203.0.113.7", "198.51.100.1", "203.0.113.7"),
        # Through our proxy: the address it appended.
        ("127.0.0.1", "203.0.113.7", "203.0.113.7"),
        # Through two of ours (a load balancer, then nginx): the first one not ours, from the right.
        ("127.0.0.1", "203.0.113.7, 10.0.0.2", "203.0.113.7"),
        # The client wrote its own header: it stands to the left of what our proxy appended.
        ("127.0.0.1", "198.51.100.1, 203.0.113.7", "203.0.113.7"),
        ("127.0.0.1", "127.0.0.1, 203.0.113.7", "203.0.113.7"),
        # IPv6 clients.
        ("127.0.0.1", "2001:db8::7", "2001:db8::7"),
        # Garbage where our proxy's entry should be: believe nothing, log the proxy.
        ("127.0.0.1", "203.0.113.7, not-an-address", "127.0.0.1"),
        # From the proxy itself (no header, or only proxies): the leftmost.
        ("127.0.0.1", "", "127.0.0.1"),
        ("127.0.0.1", "10.0.0.9, 10.0.0.2", "10.0.0.9"),
    ],
)
def test_the_client_address_is_read_from_the_right_past_trusted_proxies(rf, settings, peer, forwarded, expected):
    settings.TRUSTED_PROXIES = PROXIES
    request = rf.get("/", REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded)

    assert client_ip(request) == expected


def test_no_proxy_is_trusted_unless_configured(rf, settings):
    settings.TRUSTED_PROXIES = []

    assert client_ip(rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")) == "127.0.0.1"


@override_settings(TRUSTED_PROXIES=PROXIES)
def test_the_security_log_records_the_client_behind_the_proxy(client, world):
    # A real request through the middleware: the proxy's header reaches the log...
    client.force_login(world.office)
    request = client.get(
        reverse("problems:list"), REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.7"
    ).wsgi_request
    log_event(SecurityEvent.Kind.EXPORT, user=world.office, request=request, summary="导出问题清单")

    # ...and a stranger's is dropped on arrival, before anything reads it.
    stranger = client.get(reverse("problems:list"), REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_FOR="10.0.0.1")
    log_event(SecurityEvent.Kind.EXPORT, user=world.office, request=stranger.wsgi_request, summary="导出问题清单")

    assert "HTTP_X_FORWARDED_FOR" not in stranger.wsgi_request.META
    assert list(SecurityEvent.objects.order_by("pk").values_list("ip", flat=True)) == ["203.0.113.7", "198.51.100.1"]


# ---- the API answers JSON for every error -------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "status", "detail"),
    [
        ("get", "/api/v1/no-such-thing", 404, "未找到"),
        ("get", "/api/no-such-version/plans", 404, "未找到"),
        ("get", "/api/v1/inspections", 405, "不支持该请求方法"),  # only POST there
        ("delete", "/api/v1/plans", 405, "不支持该请求方法"),
    ],
)
def test_the_api_answers_json_when_no_operation_matches(client, world, method, url, status, detail):
    client.force_login(world.inspector)

    response = getattr(client, method)(url)

    assert (response.status_code, response["Content-Type"]) == (status, "application/json; charset=utf-8")
    assert response.json() == {"detail": detail}
    assert response["Cache-Control"] == NO_STORE


def test_the_api_answers_json_to_a_request_for_another_host(client, db):
    # Refused by Django before any view (ALLOWED_HOSTS), as a 400 page: JSON under /api/.
    response = client.get("/api/v1/me", HTTP_HOST="chuangwei.attacker.example")

    assert (response.status_code, response.json()) == (400, {"detail": "请求无效"})


def test_the_api_keeps_its_own_json_refusals(client, db):
    response = client.get("/api/v1/plans")

    assert (response.status_code, response.json()) == (401, {"detail": "请先登录"})


def test_the_api_json_error_speaks_english_to_an_english_phone(client, world):
    client.force_login(world.inspector)

    response = client.get("/api/v1/no-such-thing", HTTP_ACCEPT_LANGUAGE="en")

    assert response.json() == {"detail": "Not found"}


def test_a_screen_keeps_its_html_404(client, world):
    client.force_login(world.office)

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


API_500 = """
import json
import django

django.setup()
from django.test import Client

client = Client(raise_request_exception=False)
client.cookies["sessionid"] = "a-session"  # reading it needs the database
for url in ("/api/v1/plans", "/problems/"):
    response = client.get(url, HTTP_AUTHORIZATION="Bearer some-key")
    print(json.dumps({"url": url, "status": response.status_code, "type": response["Content-Type"],
                      "body": response.content.decode()[:60]}))
"""


def test_the_api_answers_json_500_when_the_server_fails():
    # The database is down (nothing listens on port 1): reading the session fails, Django logs the
    # exception with its traceback, and its 500 page becomes JSON under /api/.
    # With the production settings, whose log goes to stderr (the journal).
    result = run_django(
        API_500, DJANGO_SETTINGS_MODULE="config.settings", DATABASE_URL="postgres://postgres@127.0.0.1:1/nowhere"
    )

    assert result.returncode == 0, result.stderr
    api, screen = (json.loads(line) for line in result.stdout.splitlines())
    assert api == {
        "url": "/api/v1/plans",
        "status": 500,
        "type": "application/json; charset=utf-8",
        "body": json.dumps({"detail": "服务器内部错误，请稍后再试"}, ensure_ascii=False),
    }
    assert "Internal Server Error: /api/v1/plans" in result.stderr
    assert "OperationalError" in result.stderr
    assert (screen["status"], screen["type"]) == (500, "text/html; charset=utf-8")  # a screen's stays a page
