"""No page carries inline code, so the Content-Security-Policy can refuse all of it: an injected
<script>, onclick= or style= would not run or apply, and none of ours needs to.

Every page of tests/test_query_counts.py's table (each screen, for the PHC office, a unit's
liaison and an inspector, on a district with rows of every kind), the sign-in page, the page of a
refused form (CSRF), and the admin's list, add and change page of every model are rendered and
read with an HTML parser. Refused: <script> without src (a JSON data block from json_script is
data, not code), <style>, style= and on*= attributes, javascript: links. Each page also carries
the policy itself."""

from html.parser import HTMLParser

from django.contrib import admin
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory
from tests.test_query_counts import ENDPOINTS, PERSONAS, District

DATA_TYPES = {"application/json", "application/ld+json"}


class InlineCode(HTMLParser):
    """Collects each piece of inline code as "<tag attribute>" with the line it is on."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        where = f"line {self.getpos()[0]}: <{tag}"
        if tag == "script" and not attributes.get("src") and attributes.get("type") not in DATA_TYPES:
            self.found.append(f"{where}> without src")
        if tag == "style":
            self.found.append(f"{where}>")
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f"{where} {name}={value!r}>")
            elif name in {"href", "src", "action", "formaction"} and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"{where} {name}={value!r}>")

    handle_startendtag = handle_starttag


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    parser.close()
    return parser.found


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def assert_clean(response, label):
    assert response.status_code == 200, label
    assert response["Content-Type"].startswith("text/html"), label
    assert inline_code(response.content.decode()) == [], label
    directives = policy(response)
    assert (directives["script-src"], directives["style-src"], directives["object-src"]) == (
        ["'self'"],
        ["'self'"],
        ["'none'"],
    ), label


def test_the_parser_finds_each_kind_of_inline_code():
    html = """<p style="color:red">x</p><button onclick="go()">go</button><script>alert(1)</script>
    <script src="/static/js/app.js"></script><script id="d" type="application/json">{"a": 1}</script>
    <style>p {}</style><a href="javascript:go()">go</a><img src="/x.png" onerror="go()"/>"""

    assert inline_code(html) == [
        "line 1: <p style='color:red'>",
        "line 1: <button onclick='go()'>",
        "line 1: <script> without src",
        "line 3: <style>",
        "line 3: <a href='javascript:go()'>",
        "line 3: <img onerror='go()'>",
    ]


def test_no_page_of_the_screens_carries_inline_code(world):
    district = District(world)
    district.grow(1)
    clients = {persona: Client() for persona in PERSONAS}
    for persona, name in PERSONAS.items():
        clients[persona].force_login(getattr(world, name))
    pages = 0
    for endpoint in ENDPOINTS:
        if endpoint.route.startswith("GET ") or endpoint.sheet or endpoint.route in {"bulletins:file"}:
            continue  # the API answers JSON; exports and files are not pages
        for persona in endpoint.who:
            response = clients[persona].get(endpoint.url(district), endpoint.query(district))
            if response["Content-Type"].startswith("text/html"):
                assert_clean(response, f"{persona} {endpoint.route} {endpoint.label}")
                pages += 1
    assert pages >= 60  # every screen was read, for each persona that may open it


def test_the_sign_in_page_and_a_refused_form_carry_no_inline_code(db):
    assert_clean(Client().get(reverse("login")), "login")

    refused = Client(enforce_csrf_checks=True).post(reverse("login"), {"username": "x", "password": "y"})

    assert refused.status_code == 403
    html = refused.content.decode()
    assert "页面已过期" in html  # ours, not Django's page with its inline <style>
    assert inline_code(html) == []


def test_the_admin_pages_carry_no_inline_code(world, rf):
    installer = UserFactory(username="installer", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(installer)
    District(world).grow(1)
    request = rf.get("/admin/")
    request.user = installer
    assert_clean(client.get(reverse("admin:index")), "admin index")
    for model, model_admin in admin.site._registry.items():
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        assert_clean(client.get(reverse(f"{name}_changelist")), f"{name} list")
        if model_admin.has_add_permission(request):
            assert_clean(client.get(reverse(f"{name}_add")), f"{name} add")
        first = model.objects.order_by("pk").first()
        if first is not None:
            assert_clean(client.get(reverse(f"{name}_change", args=[first.pk])), f"{name} change")
