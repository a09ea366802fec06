"""The inspection screens: the office plans and draws, the inspector's day and checklist (which
also work without JavaScript), the installable web app's service worker and manifest."""

import datetime as dt
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from conftest import TODAY
from core.geo import wgs84_to_gcj02
from inspections.models import Finding, Inspection, InspectionPhoto, InspectionPlan, PlanSite, SampleDraw
from inspections.tests.helpers import drawn_plan, make_plan, record_finding, submit, upload, with_checklist
from organisation.models import Membership
from problems.models import Problem
from tests.factories import MembershipFactory, UserFactory, jpeg_bytes


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def plan(world):
    with_checklist(world)
    return drawn_plan(world)


# ---- plans ---------------------------------------------------------------------------------------


def plan_form(world, **change):
    return {
        "name": "六月明查",
        "kind": "scheduled",
        "mode": "open",
        "starts_on": "2026-06-01",
        "ends_on": "2026-06-05",
        "areas": [world.east.pk],
        "exclude_recent_days": "30",
        "members": [world.inspector.pk, world.office.pk],
        f"count_{world.site.site_type.code}": "2",
        **change,
    }


def test_the_office_makes_a_plan_on_screen(world):
    with_checklist(world)
    client = signed_in(world.office)
    page = client.get("/inspections/new/")
    assert page.status_code == 200
    assert "李强（城管局）" in page.content.decode()
    response = client.post("/inspections/new/", plan_form(world))
    plan = InspectionPlan.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/inspections/plans/{plan.uuid}/"
    assert (plan.name, plan.mode, plan.exclude_recent_days, plan.starts_on) == (
        "六月明查",
        "open",
        30,
        dt.date(2026, 6, 1),
    )
    assert list(plan.strata.values_list("site_type__code", "count")) == [("back_street", 2)]


def test_a_team_from_one_unit_is_refused_on_screen_with_the_reason(world):
    with_checklist(world)
    colleague = UserFactory(username="colleague", full_name="城管同事")
    MembershipFactory(user=colleague, unit=world.unit_b, role=Membership.Role.INSPECTOR)
    response = signed_in(world.office).post(
        "/inspections/new/", plan_form(world, members=[world.inspector.pk, colleague.pk])
    )
    assert response.status_code == 400
    assert "检查组成员须来自至少两个单位" in response.content.decode()
    assert InspectionPlan.objects.count() == 0


def test_a_plan_that_draws_no_site_is_refused_on_screen_with_the_reason(world):
    with_checklist(world)
    client = signed_in(world.office)
    response = client.post("/inspections/new/", plan_form(world, members=[world.inspector.pk, 999]))
    assert response.status_code == 400  # and a member who does not exist is refused too
    no_site = plan_form(world, members=[world.inspector.pk], **{f"count_{world.site.site_type.code}": "0"})
    response = client.post("/inspections/new/", no_site)
    assert response.status_code == 400
    assert "请至少为一种点位类型填写抽取数量" in response.content.decode()
    assert InspectionPlan.objects.count() == 0


@pytest.mark.parametrize("persona", ["inspector", "leader", "office_viewer", "liaison_a", "outsider"])
def test_only_the_office_reaches_the_plan_form(world, persona):
    client = signed_in(getattr(world, persona))
    assert client.get("/inspections/new/").status_code == 403
    assert client.post("/inspections/new/", plan_form(world)).status_code == 403
    assert InspectionPlan.objects.count() == 0


def test_the_office_draws_with_a_seed_read_out_at_the_meeting_and_anyone_can_check_it(world):
    with_checklist(world)
    plan = make_plan(world)
    client = signed_in(world.office)
    page = client.get(f"/inspections/plans/{plan.uuid}/").content.decode()
    assert "随机抽样" in page and "公布结果" not in page
    response = client.post(f"/inspections/plans/{plan.uuid}/draw/", {"seed": "31415926", "version": plan.version})
    assert response.status_code == 302
    draw = SampleDraw.objects.get()
    assert draw.seed == "31415926"
    page = client.get(f"/inspections/plans/{plan.uuid}/").content.decode()
    assert "随机种子 <code>31415926</code>" in page
    assert 'random.Random("31415926/&lt;街道编码&gt;/&lt;点位类型编码&gt;")' in page
    assert "公布结果" in page
    assert PlanSite.objects.filter(plan=plan).count() == 2


def test_drawing_twice_shows_the_refusal(world, plan):
    response = signed_in(world.office).post(
        f"/inspections/plans/{plan.uuid}/draw/", {"seed": "1", "version": plan.version}
    )
    assert response.status_code == 400
    assert "不能「随机抽样」" in response.content.decode()
    assert SampleDraw.objects.count() == 1


def test_only_the_office_draws_and_publishes_on_screen(world, plan):
    client = signed_in(world.inspector)
    assert client.post(f"/inspections/plans/{plan.uuid}/publish/").status_code == 403
    assert client.post(f"/inspections/plans/{plan.uuid}/draw/", {"seed": "1"}).status_code == 403
    assert signed_in(world.liaison_a).post(f"/inspections/plans/{plan.uuid}/publish/").status_code == 404
    plan.refresh_from_db()
    assert plan.published_at is None


def test_the_office_publishes(world, plan):
    response = signed_in(world.office).post(f"/inspections/plans/{plan.uuid}/publish/", {"version": plan.version})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.status, plan.published_at) == ("published", TODAY)


def test_publishing_from_a_page_drawn_before_the_plan_moved_on_is_refused_and_writes_nothing(world, plan):
    seen = plan.version
    submit(world, plan)  # the team's first inspection starts the plan meanwhile
    client = signed_in(world.office)
    response = client.post(f"/inspections/plans/{plan.uuid}/publish/", {"version": seen}, follow=True)
    assert "检查计划「五月暗访」已被他人处理（现为「检查中」），请刷新后重试" in response.content.decode()
    plan.refresh_from_db()
    assert (plan.status, plan.published_at, plan.events.count()) == ("in_progress", None, 3)


def test_the_plan_page_shows_each_site_s_result(world, plan):
    submit(world, plan)
    page = signed_in(world.leader).get(f"/inspections/plans/{plan.uuid}/").content.decode()
    assert "得分率 66.7%" in page
    assert "已检查 1/2" in page


# ---- the inspector's day -------------------------------------------------------------------------


def test_the_day_lists_the_sites_with_navigation_links(world, plan):
    page = signed_in(world.inspector).get("/inspections/today/").content.decode()
    assert "幸福巷" in page and "建设路农贸市场" in page
    assert 'href="geo:34.757000,113.665000?q=34.757000,113.665000(%E5%B9%B8%E7%A6%8F%E5%B7%B7)"' in page
    lat, lng = wgs84_to_gcj02(34.757, 113.665)
    assert f"position={lng:.6f},{lat:.6f}" in page  # AutoNavi takes GCJ-02
    assert f'data-cw-checklist href="/inspections/plans/{plan.uuid}/sites/BS-0001/"' in page
    assert 'rel="manifest" href="/manifest.webmanifest"' in page
    assert "待检查 2 个，共 2 个点位" in page


def test_an_inspected_site_moves_down_the_day(world, plan):
    submit(world, plan)
    page = signed_in(world.inspector).get("/inspections/today/").content.decode()
    assert page.index("建设路农贸市场") < page.index("幸福巷")
    assert "待检查 1 个，共 2 个点位" in page


def test_the_checklist_page_has_large_choices_and_the_camera(world, plan):
    page = signed_in(world.inspector).get(f"/inspections/plans/{plan.uuid}/sites/BS-0001/").content.decode()
    assert page.count('class="btn-check"') == 6
    assert f'name="result_{world.checkpoint.pk}" value="fail"' in page
    assert 'accept="image/*" capture="environment"' in page
    assert f'data-plan="{plan.uuid}" data-site="BS-0001"' in page


@pytest.mark.parametrize("persona", ["leader", "office_viewer"])
def test_people_who_may_read_a_plan_but_are_not_on_its_team_get_no_checklist(world, plan, persona):
    assert signed_in(getattr(world, persona)).get(f"/inspections/plans/{plan.uuid}/sites/BS-0001/").status_code == 403


def test_a_site_not_drawn_into_the_plan_has_no_checklist(world, plan):
    assert signed_in(world.inspector).get(f"/inspections/plans/{plan.uuid}/sites/XX-9999/").status_code == 404


def checklist_post(world, client_id, photos=()):
    return {
        "client_id": str(client_id),
        "started_at": "2026-05-12 09:45:00",
        "latitude": "34.757100",
        "longitude": "113.665200",
        f"result_{world.checkpoint.pk}": "fail",
        f"note_{world.checkpoint.pk}": "巷口垃圾堆积",
        f"photos_{world.checkpoint.pk}": list(photos),
        f"result_{world.checkpoint_2.pk}": "pass",
        "note": "",
    }


def test_without_javascript_the_checklist_records_inspection_problem_and_photo_once(world, plan):
    client = signed_in(world.inspector)
    client_id = uuid.uuid4()
    url = f"/inspections/plans/{plan.uuid}/sites/BS-0001/"
    photo = jpeg_bytes(640, 480)

    for _attempt in range(2):  # the second is a resubmitted form (back button, double tap)
        response = client.post(url, checklist_post(world, client_id, [SimpleUploadedFile("现场.jpg", photo)]))
        assert response.status_code == 302
        assert response["Location"] == f"/inspections/records/{client_id}/"

    assert (Inspection.objects.count(), Finding.objects.count(), Problem.objects.count()) == (1, 1, 1)
    assert InspectionPhoto.objects.count() == 1
    assert Problem.objects.get().description == "巷口垃圾堆积"
    page = client.get(response["Location"]).content.decode()
    assert "得分率 66.7%" in page and "问题 2026-000001" in page and "原图" in page


def test_without_javascript_a_bad_photo_refuses_the_whole_checklist(world, plan, settings):
    client = signed_in(world.inspector)
    url = f"/inspections/plans/{plan.uuid}/sites/BS-0001/"
    good, bad = SimpleUploadedFile("a.jpg", jpeg_bytes()), SimpleUploadedFile("b.jpg", b"not an image at all")
    response = client.post(url, checklist_post(world, uuid.uuid4(), [good, bad]))
    assert response.status_code == 400
    assert "文件「b.jpg」不是有效的图片或已损坏" in response.content.decode()
    assert (Inspection.objects.count(), Problem.objects.count(), InspectionPhoto.objects.count()) == (0, 0, 0)
    assert [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()] == []


def checklist_refused(world, plan, data) -> str:
    """Post the no-JavaScript checklist: the form comes back (400) and nothing is stored."""
    response = signed_in(world.inspector).post(f"/inspections/plans/{plan.uuid}/sites/BS-0001/", data)
    assert response.status_code == 400
    assert (Inspection.objects.count(), Problem.objects.count(), InspectionPhoto.objects.count()) == (0, 0, 0)
    return response.content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("client_id", "not-a-uuid", "页面数据不完整（记录编号无效），请刷新页面后重新填写"),
        ("client_id", "", "页面数据不完整（记录编号无效），请刷新页面后重新填写"),
        ("started_at", "yesterday", "页面数据不完整（开始时间无效），请刷新页面后重新填写"),
        ("latitude", "north", "手机位置数据无效，请刷新页面后重新提交"),
        ("longitude", "1e999999", "手机位置数据无效，请刷新页面后重新提交"),
    ],
)
def test_without_javascript_a_bad_hidden_field_is_said_in_chinese(world, plan, field, value, message):
    data = checklist_post(world, uuid.uuid4()) | {field: value}
    page = checklist_refused(world, plan, data)
    assert f'<div class="alert alert-danger py-2" role="alert">{message}</div>' in page


def test_without_javascript_a_failed_checkpoint_needs_a_note_or_a_photo(world, plan):
    data = checklist_post(world, uuid.uuid4()) | {f"note_{world.checkpoint.pk}": "  "}
    page = checklist_refused(world, plan, data)
    assert '<div class="invalid-feedback d-block">不合格的检查要点须填写问题描述或拍照</div>' in page


def test_without_javascript_a_failed_checkpoint_with_a_photo_and_no_note_is_recorded(world, plan):
    data = checklist_post(world, uuid.uuid4(), [SimpleUploadedFile("现场.jpg", jpeg_bytes())])
    data[f"note_{world.checkpoint.pk}"] = ""
    response = signed_in(world.inspector).post(f"/inspections/plans/{plan.uuid}/sites/BS-0001/", data)
    assert response.status_code == 302
    assert (Inspection.objects.count(), InspectionPhoto.objects.count()) == (1, 1)


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("说明.txt", b"text"), "不支持的文件类型「说明.txt」，只接受 jpeg、jpg、png、webp"),
        (
            SimpleUploadedFile("整改.pdf", b"%PDF-1.4"),
            "「整改.pdf」不是照片：照片只接受 jpeg、jpg、png、webp 图片，文件请在“文件”一栏上传",
        ),
        (
            SimpleUploadedFile("现场.svg", b"<svg onload=alert(1)>"),
            "不支持的文件类型「现场.svg」，只接受 jpeg、jpg、png、webp",
        ),
        (SimpleUploadedFile("现场.png", b"<svg onload=alert(1)>"), "文件「现场.png」不是有效的图片或已损坏"),
    ],
    ids=["text", "pdf", "svg", "svg-named-png"],
)
def test_without_javascript_a_bad_photo_is_said_under_its_checkpoint_or_at_the_top(world, plan, upload, message):
    page = checklist_refused(world, plan, checklist_post(world, uuid.uuid4(), [upload]))
    assert message in page


def test_a_unit_sees_its_assigned_problem_s_stamped_photo_but_not_the_original(world, plan):
    from inspections import services
    from problems import services as loop
    from problems.tests.helpers import DEADLINE

    inspection = submit(world, plan)
    finding = record_finding(world, inspection)
    upload(world, inspection, finding)
    plan.refresh_from_db()
    services.plan_publish(actor=world.office, plan=plan)
    url = f"/inspections/records/{inspection.client_id}/"
    page = signed_in(world.liaison_a).get(url).content.decode()
    assert "不合格" in page and "问题 2026-000001" not in page  # not theirs until assigned
    loop.problem_assign(actor=world.office, problem=finding.problem, unit=world.unit_a, deadline=DEADLINE)
    page = signed_in(world.liaison_a).get(url).content.decode()
    assert "问题 2026-000001" in page and "问题照片 1" in page and "原图" not in page


# ---- the installable app -------------------------------------------------------------------------


def test_the_service_worker_is_served_from_the_root_with_its_assets(world):
    response = Client().get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript; charset=utf-8"
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    body = response.content.decode()
    assert body.startswith("self.CW_CONFIG = {")
    assert '"/static/js/inspect-offline.js"' in body and '"scope": "/inspections/"' in body
    assert 'addEventListener("fetch"' in body


def test_the_manifest_opens_the_day_full_screen(world):
    response = Client().get("/manifest.webmanifest")
    assert response["Content-Type"] == "application/manifest+json"
    data = response.json()
    assert (data["start_url"], data["scope"], data["display"], data["name"]) == (
        "/inspections/today/",
        "/inspections/",
        "standalone",
        "创卫督查 · 现场检查",
    )
    assert [icon["sizes"] for icon in data["icons"]] == ["192x192", "512x512"]
    for icon in data["icons"]:
        assert Client().get(icon["src"]).status_code == 200


def test_an_inspected_unit_sees_only_its_own_drawn_sites_of_an_announced_plan(world):
    from inspections import services
    from inspections.models import InspectionPlan
    from tests.factories import AreaFactory, SiteFactory

    with_checklist(world)
    west = AreaFactory(code="D01-02", name="西城街道", kind="subdistrict", parent=world.district)
    other = SiteFactory(code="BS-0903", name="西城后街", area=west, site_type=world.site.site_type)
    plan = make_plan(world, mode=InspectionPlan.Mode.OPEN, areas=[world.east, west])
    services.sample_draw(actor=world.office, plan=plan, seed="5")
    liaison_page = signed_in(world.liaison_a).get(f"/inspections/plans/{plan.uuid}/").content.decode()
    office_page = signed_in(world.office).get(f"/inspections/plans/{plan.uuid}/").content.decode()
    assert world.site.code in liaison_page and other.code not in liaison_page and "抽样记录" not in liaison_page
    assert world.site.code in office_page and other.code in office_page and "抽样记录" in office_page
