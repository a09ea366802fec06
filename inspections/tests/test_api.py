"""/api/v1/: what the phone calls. Token or session authentication, access on every
endpoint, idempotent writes (201 the first time, 200 for every repeat), Chinese refusals as JSON,
and an OpenAPI 3 schema at /api/schema/."""

import datetime as dt
import uuid

import pytest
from django.test import Client

from accounts.services import token_create
from conftest import TODAY
from core.geo import wgs84_to_gcj02
from core.models import Attachment
from inspections.models import Finding, Inspection, InspectionPhoto
from inspections.tests.helpers import drawn_plan, inspection_body, make_plan, record_finding, submit, with_checklist
from problems.models import Problem
from tests.factories import jpeg_bytes


@pytest.fixture
def plan(world):
    with_checklist(world)
    return drawn_plan(world)


def token_client(user) -> Client:
    _token, key = token_create(user=user, name="测试手机")
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


def session_client(user, **options) -> Client:
    client = Client(**options)
    client.force_login(user)
    return client


def post_json(client, path, body):
    return client.post(path, body, content_type="application/json")


# ---- authentication ----------------------------------------------------------------------------


def test_without_credentials_the_api_answers_401(world):
    assert Client().get("/api/v1/plans").status_code == 401
    assert Client(HTTP_AUTHORIZATION="Bearer not-a-key").get("/api/v1/plans").status_code == 401


def test_a_token_authenticates_as_its_person(world):
    response = token_client(world.inspector).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json() == {
        "username": "liqiang",
        "full_name": "李强",
        "office": False,
        "inspector": True,
        "sees_all": False,
    }


def test_a_session_write_needs_the_csrf_token(world, plan):
    client = session_client(world.inspector, enforce_csrf_checks=True)
    body = inspection_body(world, plan)
    refused = post_json(client, "/api/v1/inspections", body)
    assert (refused.status_code, refused.json()) == (403, {"detail": "CSRF 校验失败：页面已过期，请刷新后重试"})
    client.get("/inspections/today/")  # a page sets the CSRF cookie, as the phone's pages do
    accepted = client.post(
        "/api/v1/inspections",
        body,
        content_type="application/json",
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
    )
    assert accepted.status_code == 201
    assert Inspection.objects.count() == 1


def test_a_token_write_needs_no_csrf_token(world, plan):
    client = token_client(world.inspector)
    client.handler.enforce_csrf_checks = True
    assert post_json(client, "/api/v1/inspections", inspection_body(world, plan)).status_code == 201


def test_the_openapi_schema_describes_every_endpoint(world):
    response = Client().get("/api/schema/")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert sorted(schema["paths"]) == [
        "/api/v1/inspections",
        "/api/v1/inspections/{client_id}",
        "/api/v1/me",
        "/api/v1/photos",
        "/api/v1/plans",
        "/api/v1/plans/{uuid}",
        "/api/v1/problems",
        "/api/v1/sites/{code}/checklist",
        "/api/v1/sync/status",
        "/api/v1/today",
    ]
    assert sorted(schema["components"]["securitySchemes"]) == ["SessionAuth", "TokenAuth"]
    assert "multipart/form-data" in schema["paths"]["/api/v1/photos"]["post"]["requestBody"]["content"]


def test_there_is_no_docs_page_that_would_load_a_cdn(world):
    assert Client().get("/api/docs").status_code == 404


# ---- reads ---------------------------------------------------------------------------------------


def test_today_lists_the_sites_of_my_plans_with_navigation(world, plan, settings):
    settings.MAP_TILE_COORDINATES = "gcj02"
    rows = token_client(world.inspector).get("/api/v1/today").json()
    assert [(r["plan"], r["site"]["code"], r["done"]) for r in rows] == [
        (str(plan.uuid), "BS-0001", False),
        (str(plan.uuid), "BS-0002", False),
    ]
    site = rows[0]["site"]
    assert (site["latitude"], site["longitude"]) == (34.757, 113.665)
    assert (site["map_latitude"], site["map_longitude"]) == pytest.approx(wgs84_to_gcj02(34.757, 113.665))
    assert site["navigation"]["geo"] == "geo:34.757000,113.665000?q=34.757000,113.665000(%E5%B9%B8%E7%A6%8F%E5%B7%B7)"
    assert rows[0]["checklist_url"] == f"/inspections/plans/{plan.uuid}/sites/BS-0001/"


def test_with_wgs84_tiles_map_coordinates_are_the_stored_ones(world, plan, settings):
    settings.MAP_TILE_COORDINATES = "wgs84"
    site = token_client(world.inspector).get("/api/v1/today").json()[0]["site"]
    assert (site["map_latitude"], site["map_longitude"]) == (34.757, 113.665)


def test_today_is_empty_for_someone_not_on_a_team_and_outside_the_window(world, plan, frozen_today):
    assert token_client(world.leader).get("/api/v1/today").json() == []
    frozen_today.move_to(TODAY + dt.timedelta(days=7))
    assert token_client(world.inspector).get("/api/v1/today").json() == []


def test_a_site_s_checklist(world, plan):
    rows = token_client(world.inspector).get(f"/api/v1/sites/{world.site.code}/checklist").json()
    assert rows == [
        {"id": world.checkpoint.pk, "code": "3.2.1", "name": "路面无垃圾、无积水", "weight": 1.0},
        {"id": world.checkpoint_2.pk, "code": "3.2.2", "name": "垃圾桶无满溢", "weight": 2.0},
    ]
    assert token_client(world.liaison_b).get(f"/api/v1/sites/{world.site.code}/checklist").status_code == 404


def test_plans_say_whether_i_am_on_the_team(world, plan):
    mine = token_client(world.inspector).get("/api/v1/plans").json()
    assert [(p["name"], p["mode"], p["status"], p["member"]) for p in mine] == [("五月暗访", "covert", "sampled", True)]
    assert token_client(world.leader).get("/api/v1/plans").json()[0]["member"] is False
    detail = token_client(world.inspector).get(f"/api/v1/plans/{plan.uuid}").json()
    assert sorted(s["code"] for s in detail["sites"]) == ["BS-0001", "BS-0002"]


def test_plans_come_a_page_at_a_time_newest_first_with_the_total_and_the_next_page(world, plan):
    for day in range(1, 5):
        make_plan(world, name=f"第{day}轮", starts_on=plan.starts_on + dt.timedelta(days=day))
    client = token_client(world.inspector)

    first = client.get("/api/v1/plans?limit=2")
    assert [p["name"] for p in first.json()] == ["第4轮", "第3轮"]
    assert first["X-Total-Count"] == "5"
    assert first["Link"] == '<http://testserver/api/v1/plans?limit=2&offset=2>; rel="next"'
    last = client.get("/api/v1/plans?limit=2&offset=4")
    assert [p["name"] for p in last.json()] == ["五月暗访"]
    assert "Link" not in last
    # Without a limit the phone gets the first hundred, as it always got every plan so far.
    assert len(client.get("/api/v1/plans").json()) == 5


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "offset=-1", "limit=abc"])
def test_a_page_outside_the_bounds_is_a_422_in_chinese(world, plan, query):
    response = token_client(world.inspector).get(f"/api/v1/plans?{query}")
    assert response.status_code == 422
    assert response.json()["detail"].startswith("提交的内容无效：")


# ---- writes --------------------------------------------------------------------------------------


def test_an_inspection_is_stored_once_201_then_200(world, plan):
    client = token_client(world.inspector)
    body = inspection_body(world, plan)
    first = post_json(client, "/api/v1/inspections", body)
    second = post_json(client, "/api/v1/inspections", body)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json() == second.json()
    assert first.json()["score"] == 66.7
    assert first.json()["url"] == f"/inspections/records/{body['client_id']}/"
    assert Inspection.objects.count() == 1
    got = client.get(f"/api/v1/inspections/{body['client_id']}")
    assert got.json()["client_id"] == body["client_id"]


@pytest.mark.parametrize(
    ("change", "status", "detail"),
    [
        ({"results": []}, 400, "还有 2 项检查要点未判定：路面无垃圾、无积水"),
        (
            {"submitted_at": (TODAY + dt.timedelta(days=2)).isoformat()},
            400,
            "提交时间晚于服务器时间，请检查手机时间设置",
        ),
        ({"latitude": 95.0}, 422, "提交的内容无效：latitude：超出允许范围"),
        ({"site": "NOPE"}, 404, "未找到"),
        ({"plan": str(uuid.uuid4())}, 404, "未找到"),
    ],
)
def test_a_refused_inspection_is_a_json_error_in_chinese_and_nothing_is_stored(world, plan, change, status, detail):
    response = post_json(token_client(world.inspector), "/api/v1/inspections", inspection_body(world, plan, **change))
    assert (response.status_code, response.json()["detail"]) == (status, detail)
    assert Inspection.objects.count() == 0


def test_a_malformed_inspection_is_a_422_with_the_fields(world, plan):
    body = inspection_body(world, plan)
    body["results"][0]["result"] = "maybe"
    response = post_json(token_client(world.inspector), "/api/v1/inspections", body)
    assert response.status_code == 422
    assert response.json()["detail"] == "提交的内容无效：results.0.result：不是允许的取值"
    assert response.json()["errors"][0]["loc"][-3:] == ["results", 0, "result"]


def test_someone_not_on_the_team_is_refused_with_403(world, plan):
    response = post_json(token_client(world.office_viewer), "/api/v1/inspections", inspection_body(world, plan))
    assert (response.status_code, response.json()) == (403, {"detail": "您不是该检查计划的检查组成员"})


def test_a_unit_person_cannot_even_find_a_covert_plan(world, plan):
    response = post_json(token_client(world.liaison_a), "/api/v1/inspections", inspection_body(world, plan))
    assert response.status_code == 404


def test_an_id_reused_for_another_record_is_a_409(world, plan):
    client = token_client(world.inspector)
    client_id = uuid.uuid4()
    post_json(client, "/api/v1/inspections", inspection_body(world, plan, client_id))
    response = post_json(client, "/api/v1/inspections", inspection_body(world, plan, client_id, site=world.site_b.code))
    assert response.status_code == 409
    assert "已用于另一条检查记录" in response.json()["detail"]


def test_a_problem_then_its_photo_each_stored_once(world, plan):
    client = token_client(world.inspector)
    inspection = submit(world, plan)
    problem_body = {
        "client_id": str(uuid.uuid4()),
        "inspection": str(inspection.client_id),
        "checkpoint": world.checkpoint.pk,
        "description": "巷口垃圾堆积",
        "latitude": 34.7571,
        "longitude": 113.6652,
    }
    first = post_json(client, "/api/v1/problems", problem_body)
    again = post_json(client, "/api/v1/problems", problem_body)
    assert (first.status_code, again.status_code) == (201, 200)
    problem = Problem.objects.get()
    assert first.json() == {
        "client_id": problem_body["client_id"],
        "inspection": str(inspection.client_id),
        "checkpoint": world.checkpoint.pk,
        "number": "2026-000001",
        "url": f"/problems/{problem.uuid}/",
        "linked": False,
        "resembles": None,
    }

    data = jpeg_bytes(640, 480)
    form = {
        "client_id": str(uuid.uuid4()),
        "inspection": str(inspection.client_id),
        "problem": problem_body["client_id"],
        "sha256": Attachment.hash_of(data),
        "taken_at": TODAY.isoformat(),
        "latitude": "34.7571",
        "longitude": "113.6652",
    }

    def send(content=data):
        from django.core.files.uploadedfile import SimpleUploadedFile

        return client.post("/api/v1/photos", {**form, "file": SimpleUploadedFile("现场.jpg", content, "image/jpeg")})

    stored, repeat = send(), send()
    assert (stored.status_code, repeat.status_code) == (201, 200)
    photo = InspectionPhoto.objects.get()
    assert stored.json() == {
        "client_id": form["client_id"],
        "inspection": str(inspection.client_id),
        "problem": problem_body["client_id"],
        "sha256": form["sha256"],
        "url": f"/files/{photo.display.uuid}",
        "original_url": f"/files/{photo.original.uuid}",
    }
    assert list(problem.photos.all()) == [photo.display]
    # the same id with bytes cut short in transit: the hash no longer matches
    form["client_id"] = str(uuid.uuid4())
    cut = send(data[:1000])
    assert cut.status_code == 400
    assert cut.json() == {"detail": "照片「现场.jpg」校验值不符，传输不完整，请重新同步"}
    assert InspectionPhoto.objects.count() == 1
    # and the sync status tells the phone what is safely stored
    status = post_json(
        client,
        "/api/v1/sync/status",
        {
            "inspections": [str(inspection.client_id)],
            "problems": [problem_body["client_id"]],
            "photos": [form["client_id"]],
        },
    ).json()
    assert status == {"inspections": [str(inspection.client_id)], "problems": [problem_body["client_id"]], "photos": []}
    query = f"inspections={inspection.client_id}&photos={photo.client_id}&photos={form['client_id']}"
    assert client.get(f"/api/v1/sync/status?{query}").json() == {
        "inspections": [str(inspection.client_id)],
        "problems": [],
        "photos": [str(photo.client_id)],
    }


def test_a_photo_file_larger_than_the_limit_is_refused_and_nothing_is_stored(world, plan, monkeypatch):
    import io
    import os

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    import inspections.api

    monkeypatch.setattr(inspections.api, "MAX_FILE_BYTES", 1024 * 1024)
    inspection = submit(world, plan)
    finding = record_finding(world, inspection)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (700, 700), os.urandom(700 * 700 * 3)).save(buffer, format="PNG")  # ~1.5 MB of noise
    data = buffer.getvalue()
    response = token_client(world.inspector).post(
        "/api/v1/photos",
        {
            "client_id": str(uuid.uuid4()),
            "inspection": str(inspection.client_id),
            "problem": str(finding.client_id),
            "sha256": Attachment.hash_of(data),
            "file": SimpleUploadedFile("a.png", data, "image/png"),
        },
    )
    assert (response.status_code, response.json()) == (400, {"detail": "照片超过 1 MB"})
    assert (Finding.objects.get().problem.photos.count(), Attachment.objects.count()) == (0, 0)


@pytest.mark.parametrize(
    ("name", "content", "detail"),
    [
        ("notes.txt", "现场记录".encode(), "「notes.txt」不是照片，只接受 jpeg、jpg、png、webp"),
        ("photo.jpg", jpeg_bytes(640, 480)[:2000], "文件「photo.jpg」不是有效的图片或已损坏"),
        ("photo.png", jpeg_bytes(), "文件「photo.png」的扩展名与内容不符（实际为 JPEG 格式）"),
    ],
)
def test_a_refused_photo_is_a_json_error_and_leaves_nothing_behind(world, plan, settings, name, content, detail):
    from django.core.files.uploadedfile import SimpleUploadedFile

    inspection = submit(world, plan)
    finding = record_finding(world, inspection)
    response = token_client(world.inspector).post(
        "/api/v1/photos",
        {
            "client_id": str(uuid.uuid4()),
            "inspection": str(inspection.client_id),
            "problem": str(finding.client_id),
            "sha256": Attachment.hash_of(content),
            "file": SimpleUploadedFile(name, content),
        },
    )
    assert (response.status_code, response.json()) == (400, {"detail": detail})
    assert (InspectionPhoto.objects.count(), Attachment.objects.count()) == (0, 0)
    assert [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()] == []


def test_a_photo_the_server_cannot_store_is_a_503_so_the_phone_keeps_it_and_retries(world, plan, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    inspection = submit(world, plan)
    finding = record_finding(world, inspection)
    (tmp_path / "not-a-folder").write_bytes(b"")
    settings.MEDIA_ROOT = tmp_path / "not-a-folder" / "media"  # a disk gone: nothing can be written
    data = jpeg_bytes(640, 480)
    response = token_client(world.inspector).post(
        "/api/v1/photos",
        {
            "client_id": str(uuid.uuid4()),
            "inspection": str(inspection.client_id),
            "problem": str(finding.client_id),
            "sha256": Attachment.hash_of(data),
            "file": SimpleUploadedFile("现场.jpg", data, "image/jpeg"),
        },
    )
    assert (response.status_code, response.json()) == (
        503,
        {"detail": "文件保存失败：存储空间不足或不可写，请联系系统管理员"},
    )
    assert (InspectionPhoto.objects.count(), Attachment.objects.count()) == (0, 0)
