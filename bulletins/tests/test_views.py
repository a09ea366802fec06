"""The bulletin and accountability screens role by role: who sees drafts and published bulletins,
who drafts, edits and publishes, the refusals in Chinese (400 with the form, 403 for readers, 404
for outsiders), and accountability records with their problem numbers. Publishing for real runs
LibreOffice and is tested in test_bulletins.py; here published bulletins come from the factory."""

import datetime as dt

import pytest
from django.urls import reverse

from bulletins import services
from bulletins.content import DEFAULT_CLOSING, default_lead
from bulletins.models import Accountability, AccountabilityEvent, Bulletin, BulletinEvent
from campaigns.models import Campaign
from conftest import TODAY
from problems.tests.helpers import assigned_problem
from tests.factories import PublishedBulletinFactory


@pytest.fixture
def bulletins(world):
    world.draft = services.bulletin_create(
        actor=world.office,
        campaign=world.campaign,
        period_start=dt.date(2026, 5, 1),
        period_end=dt.date(2026, 5, 31),
        title="关于5月份督查情况的通报（草稿）",
    )
    a_week_ago = TODAY - dt.timedelta(days=7)
    world.published = PublishedBulletinFactory(
        campaign=world.campaign,
        created_by=world.office,
        published_by=world.office,
        title="关于4月份督查情况的通报",
        created_at=a_week_ago,
        published_at=a_week_ago,
    )
    return world


def written():
    return {
        "bulletins": list(Bulletin.objects.order_by("pk").values_list("pk", "title", "status", "version")),
        "bulletin_events": BulletinEvent.objects.count(),
        "accountabilities": Accountability.objects.count(),
        "accountability_events": AccountabilityEvent.objects.count(),
    }


# ---- the list ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "sees_drafts", "may_draft"),
    [
        ("office", True, True),
        ("office_viewer", True, False),
        ("leader", True, False),
        ("inspector", False, False),
        ("liaison_a", False, False),
        ("viewer_a", False, False),
    ],
)
def test_the_list_shows_drafts_to_the_office_and_leaders_and_the_form_to_the_office(
    client, bulletins, persona, sees_drafts, may_draft
):
    client.force_login(getattr(bulletins, persona))
    response = client.get(reverse("bulletins:list"))
    listed = [b.title for b in response.context["bulletins"]]
    assert listed == (["关于5月份督查情况的通报（草稿）"] if sees_drafts else []) + ["关于4月份督查情况的通报"]
    page = response.content.decode()
    assert f"〔2026〕第{bulletins.published.number}期" in page
    assert ("生成草稿</button>" in page, response.context["can_manage"]) == (may_draft, may_draft)


def test_someone_of_no_unit_sees_no_bulletin(client, bulletins):
    client.force_login(bulletins.outsider)
    response = client.get(reverse("bulletins:list"))
    assert list(response.context["bulletins"]) == []
    assert "暂无通报" in response.content.decode()
    assert client.get(reverse("bulletins:detail", args=[bulletins.published.uuid])).status_code == 404


# ---- drafting --------------------------------------------------------------------------------------


def test_the_office_drafts_a_bulletin_with_a_title_made_from_the_period(client, world):
    client.force_login(world.office)
    response = client.post(
        reverse("bulletins:create"),
        {"period_start": "2026-05-01", "period_end": "2026-05-31", "title": "", "criticise_overdue_at": "2"},
    )
    bulletin = Bulletin.objects.get()
    assert response.url == reverse("bulletins:detail", args=[bulletin.uuid])
    assert (bulletin.period_start, bulletin.period_end, bulletin.criticise_overdue_at, bulletin.created_by) == (
        dt.date(2026, 5, 1),
        dt.date(2026, 5, 31),
        2,
        world.office,
    )
    assert bulletin.title == "关于2026年5月省级卫生城市届满复审督查情况的通报"  # a calendar month, named so


CREATE_REFUSALS = {
    "no end date": ({"period_start": "2026-05-01", "criticise_overdue_at": "3"}, "period_end", "这个字段是必填项。"),
    "an impossible date": (
        {"period_start": "2026-02-30", "period_end": "2026-05-31", "criticise_overdue_at": "3"},
        "period_start",
        "输入一个有效的日期。",
    ),
    "criticism at zero overdue problems": (
        {"period_start": "2026-05-01", "period_end": "2026-05-31", "criticise_overdue_at": "0"},
        "criticise_overdue_at",
        "确保该值大于或等于1。",
    ),
}


@pytest.mark.parametrize("case", CREATE_REFUSALS)
def test_a_bad_draft_is_refused_under_its_field(client, world, case):
    data, field, message = CREATE_REFUSALS[case]
    client.force_login(world.office)
    response = client.post(reverse("bulletins:create"), data)
    assert response.status_code == 400
    assert response.context["form"].errors == {field: [message]}
    assert f'<div class="invalid-feedback d-block">{message}</div>' in response.content.decode()
    assert Bulletin.objects.count() == 0


def test_a_period_that_ends_before_it_starts_is_refused_with_the_reason(client, world):
    client.force_login(world.office)
    response = client.post(
        reverse("bulletins:create"),
        {"period_start": "2026-05-31", "period_end": "2026-05-01", "criticise_overdue_at": "3"},
    )
    assert response.status_code == 400
    assert '<div class="alert alert-danger py-2" role="alert">统计截止日期不能早于起始日期</div>' in (
        response.content.decode()
    )
    assert Bulletin.objects.count() == 0


@pytest.mark.parametrize("persona", ["office_viewer", "leader", "inspector", "liaison_a", "outsider"])
def test_only_the_office_drafts(client, world, persona):
    client.force_login(getattr(world, persona))
    response = client.post(
        reverse("bulletins:create"),
        {"period_start": "2026-05-01", "period_end": "2026-05-31", "criticise_overdue_at": "3"},
    )
    assert response.status_code == 403
    assert Bulletin.objects.count() == 0


def test_without_a_campaign_there_is_nothing_to_report_on(client, world):
    Campaign.objects.all().delete()
    client.force_login(world.office)
    response = client.post(
        reverse("bulletins:create"),
        {"period_start": "2026-05-01", "period_end": "2026-05-31", "criticise_overdue_at": "3"},
    )
    assert response.status_code == 404
    assert Bulletin.objects.count() == 0


# ---- a draft's page ----------------------------------------------------------------------------------


def test_a_draft_shows_the_live_figures_and_the_office_its_forms(client, bulletins):
    assigned_problem(bulletins, deadline=dt.date(2026, 5, 13))
    client.force_login(bulletins.office)
    response = client.get(reverse("bulletins:detail", args=[bulletins.draft.uuid]))
    assert response.context["content"]["summary"]["found"] == 1
    page = response.content.decode()
    assert "共发现问题 1 个" in page
    assert "（草稿按当前数据生成，印发后冻结）" in page
    assert ("保存草稿</button>" in page, "印发为〔2026〕第" in page) == (True, True)
    assert response.context["form"].initial == {
        "title": "关于5月份督查情况的通报（草稿）",
        "addressee": "各街道办事处，区直各有关单位：",
        "lead": default_lead(bulletins.campaign),
        "overview": "",  # no inspection plan in May
        "closing": DEFAULT_CLOSING,
        "criticise_overdue_at": 3,
    }


@pytest.mark.parametrize("persona", ["leader", "office_viewer"])
def test_readers_see_a_draft_without_its_forms_and_may_not_change_it(client, bulletins, persona):
    client.force_login(getattr(bulletins, persona))
    url = reverse("bulletins:detail", args=[bulletins.draft.uuid])
    response = client.get(url)
    assert (response.context["form"], response.context["can_edit"]) == (None, False)
    assert "印发为〔" not in response.content.decode()
    before = written()
    edit = {"title": "改", "lead": "", "closing": "", "criticise_overdue_at": "1", "version": "1"}
    assert client.post(url, edit).status_code == 403
    publish = client.post(reverse("bulletins:publish", args=[bulletins.draft.uuid]), {"version": "1"})
    assert publish.status_code == 403
    assert written() == before


@pytest.mark.parametrize("persona", ["inspector", "liaison_a", "outsider"])
def test_a_draft_is_not_found_outside_the_office_and_the_leaders(client, bulletins, persona):
    client.force_login(getattr(bulletins, persona))
    before = written()
    assert client.get(reverse("bulletins:detail", args=[bulletins.draft.uuid])).status_code == 404
    assert client.get(reverse("bulletins:file", args=[bulletins.draft.uuid, "docx"])).status_code == 404
    assert client.post(reverse("bulletins:publish", args=[bulletins.draft.uuid]), {"version": "1"}).status_code == 404
    assert written() == before


def test_an_edit_without_a_title_is_refused_under_the_field(client, bulletins):
    client.force_login(bulletins.office)
    before = written()
    response = client.post(
        reverse("bulletins:detail", args=[bulletins.draft.uuid]),
        {"title": "  ", "lead": "", "closing": "", "criticise_overdue_at": "3", "version": "1"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors == {"title": ["这个字段是必填项。"]}
    assert written() == before


def test_an_edit_from_a_page_drawn_before_another_edit_is_refused_with_the_reason(client, bulletins):
    services.bulletin_edit(
        actor=bulletins.office,
        bulletin=bulletins.draft,
        title="关于5月份督查情况的通报",
        lead="",
        closing="",
        criticise_overdue_at=3,
    )
    client.force_login(bulletins.office)
    before = written()
    response = client.post(
        reverse("bulletins:detail", args=[bulletins.draft.uuid]),
        {"title": "另一个标题", "lead": "", "closing": "", "criticise_overdue_at": "3", "version": "1"},
    )
    assert response.status_code == 400
    assert "通报「关于5月份督查情况的通报」已被他人修改（现为「草稿」），请刷新后重试" in response.content.decode()
    assert written() == before


def test_an_edit_is_saved_and_confirmed(client, bulletins):
    client.force_login(bulletins.office)
    response = client.post(
        reverse("bulletins:detail", args=[bulletins.draft.uuid]),
        {
            "title": "关于5月份督查情况的通报",
            "lead": "现将情况通报如下：",
            "closing": "",
            "criticise_overdue_at": "2",
            "version": "1",
        },
        follow=True,
    )
    assert "草稿已保存" in response.content.decode()
    bulletins.draft.refresh_from_db()
    assert (bulletins.draft.title, bulletins.draft.lead, bulletins.draft.criticise_overdue_at) == (
        "关于5月份督查情况的通报",
        "现将情况通报如下：",
        2,
    )


def test_a_published_bulletin_shows_its_frozen_snapshot_and_no_forms(client, bulletins):
    client.force_login(bulletins.office)
    url = reverse("bulletins:detail", args=[bulletins.published.uuid])
    response = client.get(url)
    assert response.context["content"] == {}  # the factory's empty snapshot, not today's figures
    assert (response.context["form"], response.context["can_edit"]) == (None, False)
    before = written()
    edit = {"title": "改", "lead": "", "closing": "", "criticise_overdue_at": "1", "version": "1"}
    assert client.post(url, edit).status_code == 403
    assert written() == before


# ---- files -----------------------------------------------------------------------------------------


def test_a_drafts_pdf_is_refused_until_it_is_published(client, bulletins):
    client.force_login(bulletins.office)
    assert client.get(reverse("bulletins:file", args=[bulletins.draft.uuid, "pdf"])).status_code == 403


@pytest.mark.parametrize("kind", ["exe", "txt", "doc"])
def test_a_file_kind_other_than_word_or_pdf_is_not_found(client, bulletins, kind):
    client.force_login(bulletins.office)
    for bulletin in (bulletins.draft, bulletins.published):
        assert client.get(reverse("bulletins:file", args=[bulletin.uuid, kind])).status_code == 404


# ---- accountability ---------------------------------------------------------------------------------


@pytest.fixture
def records(world):
    for unit, person, reason in [(world.unit_a, world.deputy_a, "整改拖拉"), (world.unit_b, None, "推诿扯皮")]:
        services.accountability_record(
            actor=world.office,
            campaign=world.campaign,
            unit=unit,
            person=person,
            measure=Accountability.Measure.INTERVIEW,
            reason=reason,
            decided_on=dt.date(2026, 5, 11),
        )
    return world


@pytest.mark.parametrize(
    ("persona", "reasons", "may_record"),
    [
        ("office", ["推诿扯皮", "整改拖拉"], True),
        ("leader", ["推诿扯皮", "整改拖拉"], False),
        ("office_viewer", ["推诿扯皮", "整改拖拉"], False),
        ("head_a", ["整改拖拉"], False),
        ("liaison_b", ["推诿扯皮"], False),
        ("inspector", ["推诿扯皮"], False),
        ("outsider", [], False),
    ],
)
def test_the_records_are_shown_to_the_office_and_leaders_all_and_to_a_unit_its_own(
    client, records, persona, reasons, may_record
):
    client.force_login(getattr(records, persona))
    response = client.get(reverse("bulletins:accountability"))
    assert sorted(r.reason for r in response.context["records"]) == sorted(reasons)
    assert (response.context["form"] is not None) == may_record


@pytest.mark.parametrize("persona", ["leader", "office_viewer", "head_a", "outsider"])
def test_only_the_office_records_accountability(client, world, persona):
    client.force_login(getattr(world, persona))
    before = written()
    response = client.post(
        reverse("bulletins:accountability"),
        {"unit": world.unit_a.pk, "measure": "interview", "reason": "整改拖拉", "decided_on": "2026-05-11"},
    )
    assert response.status_code == 403
    assert written() == before


def record(client, world, **data):
    client.force_login(world.office)
    fields = {
        "unit": world.unit_a.pk,
        "person": world.deputy_a.pk,
        "measure": "interview",
        "reason": "整改长期逾期",
        "decided_on": "2026-05-11",
        "problem_numbers": "",
    }
    return client.post(reverse("bulletins:accountability"), {**fields, **data})


def test_the_office_records_accountability_with_its_problems(client, world):
    first = assigned_problem(world)
    second = assigned_problem(world)
    response = record(client, world, problem_numbers=f" {first.number}，{second.number} ,")
    assert response.url == reverse("bulletins:accountability")
    (saved,) = Accountability.objects.all()
    assert (saved.unit, saved.person, saved.measure, saved.reason, saved.decided_on) == (
        world.unit_a,
        world.deputy_a,
        "interview",
        "整改长期逾期",
        dt.date(2026, 5, 11),
    )
    assert sorted(p.number for p in saved.problems.all()) == [first.number, second.number]
    page = client.get(reverse("bulletins:accountability")).content.decode()
    assert "问责记录已保存" in page
    assert "约谈" in page and "刘副主任" in page and first.number in page


def test_the_same_problem_number_twice_links_the_problem_once(client, world):
    problem = assigned_problem(world)
    response = record(client, world, problem_numbers=f"{problem.number}, {problem.number}")
    assert response.status_code == 302
    assert [p.number for p in Accountability.objects.get().problems.all()] == [problem.number]


@pytest.mark.parametrize(
    ("numbers", "message"),
    [
        ("2026-abc", "问题编号「2026-abc」格式不对，应如 2026-000123"),
        ("2026000001", "问题编号「2026000001」格式不对，应如 2026-000123"),
        ("2026-999999", "有问题编号不存在"),
    ],
)
def test_a_problem_number_that_is_malformed_or_unknown_is_refused_under_the_field(client, world, numbers, message):
    before = written()
    response = record(client, world, problem_numbers=numbers)
    assert response.status_code == 400
    assert response.context["form"].errors == {"problem_numbers": [message]}
    assert written() == before


def test_a_person_from_another_unit_is_refused_with_the_reason(client, world):
    before = written()
    response = record(client, world, person=world.liaison_b.pk)
    assert response.status_code == 400
    assert (
        '<div class="alert alert-danger py-2" role="alert">吴婷 不属于「东城街道」</div>' in response.content.decode()
    )
    assert written() == before


def test_accountability_without_a_reason_is_refused_under_the_field(client, world):
    before = written()
    response = record(client, world, reason="")
    assert response.status_code == 400
    assert response.context["form"].errors == {"reason": ["这个字段是必填项。"]}
    assert written() == before


def test_without_a_campaign_no_accountability_can_be_recorded(client, world):
    Campaign.objects.all().delete()
    before = written()
    response = record(client, world)
    assert response.status_code == 404
    assert written() == before
