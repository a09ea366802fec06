"""The problem screens as people use them: each sees only what access allows, acts through POST,
and is told in Chinese when a step is refused."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from problems import services
from problems.models import Problem
from problems.states import Status
from problems.tests.helpers import DEADLINE, assigned_problem, recorded_problem, snapshot, submitted_problem
from tests.factories import jpeg_bytes, pdf_bytes


def _client(client, user):
    client.force_login(user)
    return client


def test_the_list_shows_a_unit_only_its_own_problems(client, world):
    own = assigned_problem(world, description="幸福巷垃圾桶满溢")
    other = assigned_problem(world, unit=world.unit_b, site=world.site_b, description="农贸市场排水沟堵塞")
    page = _client(client, world.liaison_a).get(reverse("problems:list")).content.decode()
    assert own.number in page
    assert other.number not in page


def test_the_list_filters_stay_in_the_url_and_filter(client, world):
    overdue = assigned_problem(world, description="逾期问题", deadline=dt.date(2026, 5, 13))
    fresh = assigned_problem(world, description="未逾期问题")
    world_client = _client(client, world.office)
    response = world_client.get(reverse("problems:list"), {"overdue": "on", "status": "assigned"})
    assert response.context["page"].paginator.count == 0  # nothing is overdue on 2026-05-12
    Problem.objects.filter(pk=overdue.pk).update(deadline=dt.date(2026, 5, 1))  # as if time passed
    response = world_client.get(reverse("problems:list"), {"overdue": "on"})
    assert [p.number for p in response.context["page"]] == [overdue.number]
    assert "overdue=on" in response.context["querystring"]
    response = world_client.get(reverse("problems:list"), {"q": fresh.number})
    assert [p.number for p in response.context["page"]] == [fresh.number]


def test_another_units_problem_is_404_for_a_unit_person(client, world):
    other = assigned_problem(world, unit=world.unit_b, site=world.site_b)
    response = _client(client, world.liaison_a).get(reverse("problems:detail", args=[other.uuid]))
    assert response.status_code == 404


def test_a_read_only_leader_sees_the_problem_but_may_not_act(client, world):
    problem = recorded_problem(world)
    leader = _client(client, world.leader)
    page = leader.get(reverse("problems:detail", args=[problem.uuid])).content.decode()
    assert "当前没有您可以进行的操作" in page
    response = leader.post(
        reverse("problems:act", args=[problem.uuid, "assign"]),
        {"unit": world.unit_a.pk, "deadline": "2026-05-20", "version": problem.version},
    )
    assert response.status_code == 403
    assert Problem.objects.get(pk=problem.pk).status == Status.RECORDED


def test_the_detail_offers_exactly_the_actions_that_apply(client, world):
    problem = submitted_problem(world)
    office_page = _client(client, world.office).get(reverse("problems:detail", args=[problem.uuid]))
    assert [a.value for a, _ in office_page.context["action_forms"]] == ["close", "return", "cancel", "merge"]
    client.logout()
    liaison_page = _client(client, world.liaison_a).get(reverse("problems:detail", args=[problem.uuid]))
    assert liaison_page.context["action_forms"] == []


def test_office_assigns_liaison_submits_inspector_closes_through_the_screens(client, world):
    problem = recorded_problem(world)
    office = _client(client, world.office)
    response = office.post(
        reverse("problems:act", args=[problem.uuid, "assign"]),
        {"unit": world.unit_a.pk, "deadline": DEADLINE.isoformat(), "note": "请三日内清理", "version": problem.version},
    )
    assert response.status_code == 302
    problem.refresh_from_db()
    assert (problem.status, problem.assigned_unit, problem.deadline) == (Status.ASSIGNED, world.unit_a, DEADLINE)

    client.logout()
    liaison = _client(client, world.liaison_a)
    mine = liaison.get(reverse("problems:mine")).content.decode()
    assert problem.number in mine and "还剩 8 天" in mine
    photo = ("after.jpg", jpeg_bytes())
    response = liaison.post(
        reverse("problems:act", args=[problem.uuid, "submit"]),
        {
            "note": "已清运",
            "version": problem.version,
            "files": [SimpleUploadedFile(*photo, content_type="image/jpeg")],
        },
    )
    assert response.status_code == 302
    problem.refresh_from_db()
    assert problem.status == Status.SUBMITTED
    evidence = problem.events.get(action="submit").attachments.get()
    assert liaison.get(reverse("attachment", args=[evidence.uuid])).status_code == 200

    client.logout()
    inspector = _client(client, world.inspector)
    assert problem.number in inspector.get(reverse("problems:verify")).content.decode()
    response = inspector.post(
        reverse("problems:act", args=[problem.uuid, "close"]), {"note": "复核合格", "version": problem.version}
    )
    assert response.status_code == 302
    problem.refresh_from_db()
    assert problem.status == Status.CLOSED


def test_a_stale_page_is_told_the_problem_changed(client, world):
    problem = submitted_problem(world)
    seen_version = problem.version
    services.problem_return(actor=world.office, problem=problem, reason="照片不清晰")
    response = _client(client, world.inspector).post(
        reverse("problems:act", args=[problem.uuid, "close"]), {"note": "", "version": seen_version}
    )
    assert response.status_code == 409
    assert "已被他人处理" in response.content.decode()
    assert Problem.objects.get(pk=problem.pk).status == Status.RETURNED


def test_a_bad_photo_is_refused_in_chinese_and_nothing_changes(client, world):
    problem = assigned_problem(world)
    before = snapshot(problem)
    response = _client(client, world.liaison_a).post(
        reverse("problems:act", args=[problem.uuid, "submit"]),
        {"note": "已整改", "version": problem.version, "files": [SimpleUploadedFile("x.jpg", b"not an image")]},
    )
    # A bad file is a bad request (400), not a conflict with someone else's change (409).
    assert response.status_code == 400
    assert "文件「x.jpg」不是有效的图片或已损坏" in response.content.decode()
    assert snapshot(problem) == before


def test_a_document_given_as_a_rectification_photo_is_refused_and_pointed_to_the_documents_field(client, world):
    problem = assigned_problem(world)
    before = snapshot(problem)
    response = _client(client, world.liaison_a).post(
        reverse("problems:act", args=[problem.uuid, "submit"]),
        {"note": "已整改", "version": problem.version, "files": [SimpleUploadedFile("整改报告.pdf", pdf_bytes())]},
    )
    assert response.status_code == 400
    assert (
        "「整改报告.pdf」不是照片：照片只接受 jpeg、jpg、png、webp 图片，文件请在“文件”一栏上传"
        in response.content.decode()
    )
    assert snapshot(problem) == before


def test_a_rectification_document_goes_in_its_own_field_and_is_listed_not_shown_as_a_photo(client, world):
    problem = assigned_problem(world)
    response = _client(client, world.liaison_a).post(
        reverse("problems:act", args=[problem.uuid, "submit"]),
        {
            "note": "已整改",
            "version": problem.version,
            "files": [SimpleUploadedFile("整改后.jpg", jpeg_bytes())],
            "documents": [SimpleUploadedFile("整改报告.pdf", pdf_bytes())],
        },
    )
    assert response.status_code == 302
    event = problem.events.get(action="submit")
    assert sorted(a.content_type for a in event.attachments.all()) == ["application/pdf", "image/jpeg"]
    page = _client(client, world.liaison_a).get(reverse("problems:detail", args=[problem.uuid])).content.decode()
    document = event.attachments.get(content_type="application/pdf")
    assert f'<a href="/files/{document.uuid}">整改报告.pdf</a>' in page
    assert f"/files/{document.uuid}?thumb=1" not in page


def test_a_photo_given_as_a_rectification_document_is_refused(client, world):
    problem = assigned_problem(world)
    before = snapshot(problem)
    response = _client(client, world.liaison_a).post(
        reverse("problems:act", args=[problem.uuid, "submit"]),
        {"note": "已整改", "version": problem.version, "documents": [SimpleUploadedFile("现场.jpg", jpeg_bytes())]},
    )
    assert response.status_code == 400
    assert "「现场.jpg」是图片：这一栏只接受 docx、pdf、xlsx 文件，照片请在“照片”一栏上传" in response.content.decode()
    assert snapshot(problem) == before


def test_files_of_another_units_problem_are_404(client, world):
    problem = assigned_problem(world, unit=world.unit_b, site=world.site_b)
    problem = services.problem_submit_evidence(
        actor=world.liaison_b, problem=problem, note="已整改", files=[("a.jpg", jpeg_bytes())]
    )
    evidence = problem.events.get(action="submit").attachments.get()
    assert _client(client, world.liaison_a).get(reverse("attachment", args=[evidence.uuid])).status_code == 404


@pytest.mark.parametrize("persona", ["office", "leader", "inspector", "liaison_a"])
def test_home_sends_each_role_to_its_work(client, world, persona):
    expected = {
        "office": "oversight:overview",
        "leader": "oversight:overview",
        "inspector": "problems:verify",
        "liaison_a": "problems:mine",
    }[persona]
    response = _client(client, getattr(world, persona)).get(reverse("home"))
    assert response.url == reverse(expected)


def test_the_rebound_filter_lists_rebounds_marked_in_their_row_and_in_the_export(client, world):
    from exchange.tests.test_exports import export, rows_by_number
    from problems.tests.helpers import closed_problem

    first = closed_problem(world)
    again = recorded_problem(world)  # the same site and checkpoint after closure: a rebound
    assert again.rebound_of == first
    client.force_login(world.office)
    page = client.get(reverse("problems:list"), {"rebound": "on"}).content.decode()
    assert again.number in page and first.number not in page
    row = page.index(again.number)
    assert '<span class="badge text-bg-dark">反弹</span>' in page[row : page.index("</td>", row)]
    rows = rows_by_number(export(client, world.office, query="?rebound=on").active)
    assert [(number, row[-1]) for number, row in rows.items()] == [(again.number, "反弹")]


def test_an_inspector_is_told_why_they_cannot_verify_their_own_units_fix(client, world):
    # Issue 12: the inspector from 城管局 saw no buttons on 城管局's problem, and no word why.
    problem = assigned_problem(world, unit=world.unit_b, site=world.site_b)
    problem = services.problem_submit_evidence(
        actor=world.liaison_b, problem=problem, note="已整改", files=[("a.jpg", jpeg_bytes())]
    )
    page = _client(client, world.inspector).get(reverse("problems:detail", args=[problem.uuid])).content.decode()
    assert "本问题由您所在单位整改，须由其他单位的督导组成员或爱卫办复核，以免自己复核自己。" in page
    assert "当前没有您可以进行的操作。" not in page
    assert reverse("problems:act", args=[problem.uuid, "close"]) not in page
    # Another unit's problem waiting for verification: the buttons, and no such sentence.
    other = assigned_problem(world, unit=world.unit_a)
    other = services.problem_submit_evidence(
        actor=world.liaison_a, problem=other, note="已整改", files=[("b.jpg", jpeg_bytes())]
    )
    page = _client(client, world.inspector).get(reverse("problems:detail", args=[other.uuid])).content.decode()
    assert reverse("problems:act", args=[other.uuid, "close"]) in page and "以免自己复核自己" not in page


def test_assigning_proposes_the_sites_unit_and_the_criterions_days_to_fix(client, world):
    # Issue 12: the office picked the unit and counted the days by hand for every problem.
    problem = recorded_problem(world, site=world.site_b)  # 建设路农贸市场, owned by 城管局
    client.force_login(world.office)
    response = client.get(reverse("problems:detail", args=[problem.uuid]))
    form = dict((action.value, form) for action, form in response.context["action_forms"])["assign"]
    assert form.initial == {"unit": world.unit_b.pk, "deadline": dt.date(2026, 5, 19)}  # the default 7 days
    page = response.content.decode()
    assert 'value="2026-05-19"' in page and "默认 7 天" in page
    # The checkpoint's own days to fix, else its criterion's.
    world.criterion.fix_days = 3
    world.criterion.save(update_fields=["fix_days"])
    response = client.get(reverse("problems:detail", args=[problem.uuid]))
    form = dict((action.value, form) for action, form in response.context["action_forms"])["assign"]
    assert form.initial["deadline"] == dt.date(2026, 5, 15)
    world.checkpoint.fix_days = 1
    world.checkpoint.save(update_fields=["fix_days"])
    response = client.get(reverse("problems:detail", args=[problem.uuid]))
    form = dict((action.value, form) for action, form in response.context["action_forms"])["assign"]
    assert form.initial["deadline"] == dt.date(2026, 5, 13)


def test_a_site_owned_by_no_assignable_unit_proposes_its_subdistrict(client, world):
    from tests.factories import SiteFactory

    site = SiteFactory(code="BS-0099", name="花园路", area=world.community, owner_unit=world.office_unit)
    problem = recorded_problem(world, site=site)
    client.force_login(world.office)
    response = client.get(reverse("problems:detail", args=[problem.uuid]))
    form = dict((action.value, form) for action, form in response.context["action_forms"])["assign"]
    assert form.initial["unit"] == world.unit_a.pk  # 东城街道办事处, whose area holds 花园社区


def test_the_map_data_names_each_point_and_links_to_its_page(client, world, frozen_today):
    late = assigned_problem(world)
    new = recorded_problem(world, site=world.site_b)
    frozen_today.move_to(dt.datetime(2026, 5, 21, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    answer = _client(client, world.office).get(reverse("problems:map_data")).json()
    points = {f["properties"]["number"]: f for f in answer["features"]}
    assert set(points) == {late.number, new.number}
    assert answer["truncated"] is False
    assert points[late.number]["properties"]["overdue"] is True
    assert points[new.number]["properties"]["overdue"] is False
    assert points[new.number]["properties"]["status_label"] == Status.RECORDED.label
    assert points[new.number]["geometry"]["coordinates"] == [
        float(world.site_b.longitude),
        float(world.site_b.latitude),
    ]
    for number, problem in ((late.number, late), (new.number, new)):
        page = client.get(points[number]["properties"]["url"])
        assert page.status_code == 200 and problem.number in page.content.decode()
