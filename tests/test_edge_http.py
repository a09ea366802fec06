"""The edge seen from outside: NUL in every URL with a path parameter, the Chinese error pages, a
form given control characters, and the JSON API's write endpoints given hostile and generated
input (Hypothesis): never a 500, a Chinese message for each refusal, nothing stored when refused,
and what is accepted stored normalised."""

import datetime as dt
import json
import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.services import token_create
from campaigns.models import Task
from conftest import TODAY
from core.models import Attachment
from core.views import server_error
from inspections.models import Finding, Inspection, InspectionPhoto
from inspections.tests.helpers import drawn_plan, inspection_body, submit, with_checklist
from problems.models import Problem
from tests.factories import jpeg_bytes

NUL_MESSAGE = "内容含有空字符（NUL），这不是正常输入的文字，请删除后重新填写"
RANGE_MESSAGE = "日期须在 2000-01-01 至 2031-12-31 之间"

# ---- NUL in a path parameter --------------------------------------------------------------------


def _routes(patterns, prefix=""):
    """Every route of the URLconf with a path parameter (admin's regex routes apart: tested below)."""
    for entry in patterns:
        if not isinstance(entry.pattern, RoutePattern):
            continue
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, route)
        elif isinstance(entry, URLPattern) and "<" in route:
            yield route


ROUTES = sorted(set(_routes(get_resolver().url_patterns)))


def test_the_walk_finds_the_routes_with_parameters():
    assert "units/<str:unit_code>/" in ROUTES
    assert "api/v1/sites/<code>/checklist" in ROUTES
    assert len(ROUTES) > 20


@pytest.mark.parametrize("route", ROUTES)
def test_nul_in_any_path_parameter_answers_404_never_500(world, route):
    path = "/" + re.sub(r"<[^>]+>", "SD01%00", route)
    client = Client(raise_request_exception=False)
    client.force_login(world.office)
    response = client.get(path)
    assert response.status_code == 404, path
    if path.startswith("/api/"):
        assert response.json() == {"detail": "未找到"}


@pytest.mark.parametrize(
    "path", ["/admin/organisation/unit/SD01%00/change/", "/admin/organisation/unit/?q=%00", "/units/SD01/?x=%00"]
)
def test_nul_in_an_admin_path_or_any_query_is_refused_before_any_query(world, path):
    client = Client(raise_request_exception=False)
    client.force_login(type(world.office).objects.create_superuser("root", password="x-Very-long-1"))
    response = client.get(path)
    assert response.status_code in (400, 404)
    assert response.status_code != 400 or "请求地址含有空字符（NUL），无法处理" in response.content.decode()


def test_a_page_that_does_not_exist_is_chinese_in_the_site_s_layout(world, client):
    client.force_login(world.office)
    response = client.get("/units/SD01%00/")
    body = response.content.decode()
    assert response.status_code == 404
    assert '<h1 class="h4">页面不存在</h1>' in body
    assert "王芳" in body  # the navigation of the person signed in


def test_a_forbidden_page_says_why_in_chinese(world, client):
    client.force_login(world.liaison_a)
    response = client.get("/ledger/new/")
    assert response.status_code == 403
    assert '<h1 class="h4">没有权限</h1>' in response.content.decode()


def test_the_server_error_page_is_chinese_and_drawn_even_without_the_request():
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "服务器内部错误" in response.content.decode()


def test_an_api_query_with_nul_answers_json_400(world):
    _token, key = token_create(user=world.inspector, name="测试手机")
    response = Client(HTTP_AUTHORIZATION=f"Bearer {key}").get("/api/v1/sync/status?inspections=%00")
    assert response.status_code == 400
    assert response.json() == {"detail": "请求无效"}


# ---- a form -------------------------------------------------------------------------------------


def task_form(world, **change):
    return {
        "title": "清理背街小巷卫生死角",
        "criterion": world.criterion.pk,
        "milestone": world.covert.pk,
        "lead_unit": world.unit_a.pk,
        "responsible": world.head_a.pk,
        "target_quantity": "37",
        "target_measure": "条",
        "deadline": "2026-06-01",
        "description": "",
        **change,
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "清理\x00死角", NUL_MESSAGE),
        ("description", "说明\x00", NUL_MESSAGE),
        ("deadline", "0001-01-01", RANGE_MESSAGE),
        ("deadline", "9999-12-31", RANGE_MESSAGE),
        ("target_quantity", "NaN", "输入一个数字。"),
    ],
)
def test_a_form_refuses_nul_and_absurd_values_with_the_message_under_the_field(client, world, field, value, message):
    client.force_login(world.office)
    response = client.post("/ledger/new/", task_form(world, **{field: value}))
    assert response.status_code == 400
    assert response.context["form"].errors == {field: [message]}
    assert Task.objects.count() == 0


def test_a_form_stores_text_normalised(client, world):
    client.force_login(world.office)
    response = client.post(
        "/ledger/new/",
        task_form(world, title="\u202e清理\u200b背街\x01小巷", description="第一行\x0b第二行\r\n第三行"),
    )
    assert response.status_code == 302
    task = Task.objects.get()
    assert (task.title, task.description) == ("清理背街小巷", "第一行\n第二行\n第三行")


# ---- the JSON API -------------------------------------------------------------------------------


@pytest.fixture
def plan(world):
    with_checklist(world)
    return drawn_plan(world)


@pytest.fixture
def phone(world):
    _token, key = token_create(user=world.inspector, name="测试手机")
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}", raise_request_exception=False)


def post_raw(client, path, body):
    # allow_nan: Python's JSON writes NaN and Infinity, as a crafted request would.
    return client.post(path, json.dumps(body, allow_nan=True), content_type="application/json")


def counts():
    return (
        Inspection.objects.count(),
        Finding.objects.count(),
        InspectionPhoto.objects.count(),
        Problem.objects.count(),
    )


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"latitude": float("nan")}, "提交的内容无效：latitude：须为有限的数字"),
        ({"longitude": float("inf")}, "提交的内容无效：longitude：须为有限的数字"),
        ({"accuracy_m": 1e30}, "提交的内容无效：accuracy_m：超出允许范围"),
        ({"accuracy_m": -1}, "提交的内容无效：accuracy_m：超出允许范围"),
        ({"started_at": "0001-01-01T00:00:00+08:00"}, f"提交的内容无效：started_at：{RANGE_MESSAGE}"),
        ({"submitted_at": "9999-12-31T23:59:59+08:00"}, f"提交的内容无效：submitted_at：{RANGE_MESSAGE}"),
        ({"note": "现场\x00"}, f"提交的内容无效：note：{NUL_MESSAGE}"),
        ({"site": "BS-0001\x00"}, f"提交的内容无效：site：{NUL_MESSAGE}"),
        ({"results": [{"checkpoint": 2**40, "result": "pass"}]}, "提交的内容无效：results.0.checkpoint：超出允许范围"),
    ],
)
def test_a_hostile_inspection_is_refused_in_chinese_and_nothing_is_stored(world, plan, phone, change, detail):
    response = post_raw(phone, "/api/v1/inspections", inspection_body(world, plan, **change))
    assert (response.status_code, response.json()["detail"]) == (422, detail)
    assert counts() == (0, 0, 0, 0)


def test_an_inspection_s_text_is_stored_normalised(world, plan, phone):
    body = inspection_body(world, plan, note="第一行\x0b第二\u200b行\u202e")
    body["results"][0]["note"] = "垃圾\x01堆积"
    response = post_raw(phone, "/api/v1/inspections", body)
    assert response.status_code == 201
    inspection = Inspection.objects.get()
    assert inspection.note == "第一行\n第二行"
    assert sorted(inspection.results.values_list("note", flat=True)) == ["", "垃圾堆积"]


def photo_form(inspection, data, **change):
    return {
        "client_id": str(uuid.uuid4()),
        "inspection": str(inspection.client_id),
        "sha256": Attachment.hash_of(data),
        "taken_at": TODAY.isoformat(),
        "latitude": "34.7571",
        "longitude": "113.6652",
        **change,
    }


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"latitude": "nan"}, "提交的内容无效：latitude：须为有限的数字"),
        ({"longitude": "-Infinity"}, "提交的内容无效：longitude：须为有限的数字"),
        ({"latitude": "1e308"}, "提交的内容无效：latitude：超出允许范围"),
        ({"taken_at": "0001-01-01T00:00:00"}, f"提交的内容无效：taken_at：{RANGE_MESSAGE}"),
        ({"sha256": "ab\x00"}, f"提交的内容无效：sha256：{NUL_MESSAGE}"),
    ],
)
def test_a_hostile_photo_form_is_refused_in_chinese_and_nothing_is_stored(world, plan, phone, change, detail):
    inspection = submit(world, plan)
    data = jpeg_bytes(64, 48)
    before = (counts(), Attachment.objects.count())
    form = {**photo_form(inspection, data, **change), "file": SimpleUploadedFile("现场.jpg", data, "image/jpeg")}
    response = phone.post("/api/v1/photos", form)
    assert (response.status_code, response.json()["detail"]) == (422, detail)
    assert (counts(), Attachment.objects.count()) == before


def test_too_many_ids_in_one_request_are_refused(world, phone):
    response = post_raw(phone, "/api/v1/sync/status", {"inspections": [str(uuid.uuid4())] * 1001})
    assert (response.status_code, response.json()["detail"]) == (422, "提交的内容无效：inspections：项目过多")


# Generated input: the hostile values of issue 11 and whatever Hypothesis makes of each type.
HOSTILE_TEXT = st.sampled_from(
    ["\x00", "a\x00b", "\x01\x0b\x1f", "\u202e\u2066", "\u200b\ufeff", "\ud800", '=HYPERLINK("http://x")', "x" * 5000]
)
TEXTS = st.one_of(HOSTILE_TEXT, st.text(max_size=50))
NUMBERS = st.one_of(
    st.sampled_from([float("nan"), float("inf"), float("-inf"), 1e308, -1, 0, 2**31, 2**63, 1e30]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**70), max_value=2**70),
)
MOMENTS = st.one_of(
    st.sampled_from(["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59+08:00", "2026-02-30T10:00:00+08:00"]),
    st.datetimes(timezones=st.just(dt.UTC)).map(lambda d: d.isoformat()),
    TEXTS,
)
ANYTHING = st.one_of(TEXTS, NUMBERS, MOMENTS, st.none(), st.booleans(), st.lists(TEXTS, max_size=3))
INSPECTION_FIELDS = {
    "client_id": st.one_of(TEXTS, st.uuids().map(str)),
    "plan": TEXTS,
    "site": TEXTS,
    "started_at": MOMENTS,
    "submitted_at": MOMENTS,
    "latitude": NUMBERS,
    "longitude": NUMBERS,
    "accuracy_m": NUMBERS,
    "note": TEXTS,
    "results": st.lists(
        st.fixed_dictionaries(
            {
                "checkpoint": st.one_of(NUMBERS, TEXTS),
                "result": st.sampled_from(["pass", "fail", "na", "x"]),
                "note": TEXTS,
            }
        ),
        max_size=3,
    ),
}
GENERATED = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _no_500_and_nothing_stored_when_refused(response, before):
    assert response.status_code < 500, response.content[:300]
    if response.status_code not in (200, 201):
        detail = response.json()["detail"]
        assert isinstance(detail, str) and re.search("[\u4e00-\u9fff]", detail), detail
        assert counts() == before


@GENERATED
@given(changes=st.dictionaries(st.sampled_from(sorted(INSPECTION_FIELDS)), ANYTHING, min_size=1, max_size=3))
def test_generated_inspections_never_500_and_a_refusal_stores_nothing(world, plan, phone, changes):
    before = counts()
    _no_500_and_nothing_stored_when_refused(
        post_raw(phone, "/api/v1/inspections", {**inspection_body(world, plan), **changes}), before
    )


@GENERATED
@given(body=st.fixed_dictionaries({name: strategy for name, strategy in INSPECTION_FIELDS.items()}))
def test_generated_inspection_fields_of_their_own_type_never_500(world, plan, phone, body):
    before = counts()
    _no_500_and_nothing_stored_when_refused(post_raw(phone, "/api/v1/inspections", body), before)


@GENERATED
@given(
    changes=st.dictionaries(
        st.sampled_from(["client_id", "inspection", "checkpoint", "description", "severity", "latitude", "longitude"]),
        ANYTHING,
        min_size=1,
        max_size=3,
    )
)
def test_generated_problems_never_500_and_a_refusal_stores_nothing(world, plan, phone, changes):
    inspection = Inspection.objects.first() or submit(world, plan)
    body = {
        "client_id": str(uuid.uuid4()),
        "inspection": str(inspection.client_id),
        "checkpoint": world.checkpoint.pk,
        "description": "巷口垃圾堆积",
        "latitude": 34.7571,
        "longitude": 113.6652,
        **changes,
    }
    before = counts()
    _no_500_and_nothing_stored_when_refused(post_raw(phone, "/api/v1/problems", body), before)


@GENERATED
@given(
    changes=st.dictionaries(
        st.sampled_from(["client_id", "inspection", "sha256", "problem", "taken_at", "latitude", "longitude"]),
        st.one_of(TEXTS, NUMBERS.map(str), MOMENTS),
        min_size=1,
        max_size=3,
    )
)
def test_generated_photo_forms_never_500_and_a_refusal_stores_nothing(world, plan, phone, changes):
    inspection = Inspection.objects.first() or submit(world, plan)
    data = jpeg_bytes(32, 24)
    form = {**photo_form(inspection, data), **changes}
    # A multipart form cannot carry a lone surrogate: the client would fail to encode it, not us.
    form = {k: v.encode("utf-8", "replace").decode() for k, v in form.items()}
    before, files = counts(), Attachment.objects.count()
    response = phone.post("/api/v1/photos", {**form, "file": SimpleUploadedFile("现场.jpg", data, "image/jpeg")})
    _no_500_and_nothing_stored_when_refused(response, before)
    if response.status_code not in (200, 201):
        assert Attachment.objects.count() == files


@GENERATED
@given(body=st.dictionaries(st.sampled_from(["inspections", "problems", "photos"]), st.lists(TEXTS, max_size=5)))
def test_generated_sync_status_never_500(world, phone, body):
    before = counts()
    _no_500_and_nothing_stored_when_refused(post_raw(phone, "/api/v1/sync/status", body), before)
