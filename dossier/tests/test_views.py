"""The dossier screens role by role: the index with its figures, deadline and filters, a material's
page with its forms, giving a material to a unit, reviewing, files and the export. Outsiders get
404, people who may read but not act 403, and each refusal writes nothing."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from campaigns.models import Campaign
from dossier import services
from dossier.models import Material, MaterialEvent, Submission, SubmissionEvent
from organisation.models import Membership
from tests.factories import MembershipFactory, MilestoneFactory, UnitFactory

PDF = b"%PDF-1.4\n% dossier test\n%%EOF\n"


@pytest.fixture
def dossier(world):
    """Two materials of 3.2: 保洁制度 for 东城街道 (accepted), 保洁台账 for 城管局 (nothing yet)."""
    world.criterion.required_materials = ["保洁制度", "保洁台账"]
    world.criterion.save()
    services.dossier_prepare(actor=world.office, campaign=world.campaign)
    world.rules, world.ledger = Material.objects.order_by("position")
    services.material_assign(actor=world.office, material=world.rules, unit=world.unit_a)
    services.material_assign(actor=world.office, material=world.ledger, unit=world.unit_b)
    return world


def accepted_rules(world):
    submission = services.submission_upload(actor=world.liaison_a, material=world.rules, name="制度.pdf", data=PDF)
    return services.submission_transition(actor=world.office, submission=submission, action="accept")


def written():
    return {
        "materials": list(Material.objects.order_by("pk").values_list("pk", "responsible_unit_id")),
        "material_events": MaterialEvent.objects.count(),
        "submissions": list(Submission.objects.order_by("pk").values_list("pk", "status", "version")),
        "submission_events": SubmissionEvent.objects.count(),
    }


def names(response) -> list[str]:
    return [m.name for cat in response.context["tree"] for crit in cat["criteria"] for m in crit["materials"]]


# ---- the index -------------------------------------------------------------------------------------


def test_the_office_sees_every_material_with_the_figures_and_its_own_buttons(client, dossier):
    accepted_rules(dossier)
    client.force_login(dossier.office)
    response = client.get(reverse("dossier:index"))
    assert names(response) == ["保洁制度", "保洁台账"]
    (category,) = response.context["tree"]
    assert (category["category"], category["figure"].complete, category["figure"].total) == (dossier.category, 1, 2)
    page = response.content.decode()
    assert "1 / 2（50%）" in page
    assert "按标准生成资料清单" in page
    assert f'href="{reverse("dossier:export")}"' in page


@pytest.mark.parametrize("persona", ["leader", "office_viewer"])
def test_readers_who_see_all_get_the_figures_without_the_office_buttons(client, dossier, persona):
    client.force_login(getattr(dossier, persona))
    response = client.get(reverse("dossier:index"))
    assert names(response) == ["保洁制度", "保洁台账"]
    assert response.context["can_manage"] is False
    page = response.content.decode()
    assert "按标准生成资料清单" not in page
    assert reverse("dossier:export") not in page


def test_a_units_people_see_their_own_materials_and_figures(client, dossier):
    accepted_rules(dossier)
    client.force_login(dossier.liaison_b)
    response = client.get(reverse("dossier:index"))
    assert names(response) == ["保洁台账"]
    assert (response.context["figures"]["overall"].complete, response.context["figures"]["overall"].total) == (0, 1)


def test_without_a_campaign_the_dossier_is_not_found(client, world):
    Campaign.objects.all().delete()
    client.force_login(world.office)
    assert client.get(reverse("dossier:index")).status_code == 404
    assert client.get(reverse("dossier:export")).status_code == 404


def badge(response) -> str | None:
    page = response.content.decode()
    if 'id="cw-dossier-deadline"' not in page:
        return None
    start = page.index('id="cw-dossier-deadline"')
    return " ".join(page[start : page.index("</span>", start)].split()[1:])


def test_the_deadline_is_counted_down_to_the_dossier_milestone(client, dossier):
    client.force_login(dossier.office)
    # Without a milestone of its own, the first one (动员部署, 15 March) is the deadline: long past.
    response = client.get(reverse("dossier:index"))
    assert "「动员部署」已逾期 58 天，2 项资料未通过" in badge(response)
    MilestoneFactory(campaign=dossier.campaign, name="资料申报截止", due_on=dt.date(2026, 5, 20))
    response = client.get(reverse("dossier:index"))
    assert "距「资料申报截止」还有 8 天，2 项资料未通过" in badge(response)


def test_the_badge_is_the_units_own_and_only_where_something_is_missing(client, dossier):
    # Issue 12: the red 已逾期 badge showed on every dossier page, even for a unit with nothing.
    accepted_rules(dossier)
    client.force_login(dossier.liaison_a)  # 东城街道: its one material accepted
    assert badge(client.get(reverse("dossier:index"))) is None
    client.force_login(dossier.liaison_b)  # 城管局: its one material missing
    assert "「动员部署」已逾期 58 天，1 项资料未通过" in badge(client.get(reverse("dossier:index")))
    liaison_c = MembershipFactory(unit=dossier.unit_c, role=Membership.Role.LIAISON).user
    client.force_login(liaison_c)  # a unit with no material at all
    response = client.get(reverse("dossier:index"))
    assert badge(response) is None and "暂无申报资料" in response.content.decode()
    # The office filtering on a unit sees that unit's badge.
    client.force_login(dossier.office)
    assert badge(client.get(reverse("dossier:index"), {"unit": dossier.unit_a.pk})) is None
    assert "1 项资料未通过" in badge(client.get(reverse("dossier:index"), {"unit": dossier.unit_b.pk}))


def test_the_milestones_tasks_and_the_materials_are_shown_together_and_the_difference_explained(client, dossier):
    from campaigns import services as ledger
    from campaigns.tests.helpers import ledger_task

    milestone = MilestoneFactory(campaign=dossier.campaign, name="资料申报", due_on=dt.date(2026, 5, 20))
    task = ledger_task(dossier, milestone=milestone, deadline=dt.date(2026, 5, 20), target_quantity=2)
    ledger.task_report_progress(actor=dossier.liaison_a, task=task, quantity_done=2, text="两项资料已报")
    accepted_rules(dossier)
    client.force_login(dossier.office)
    page = client.get(reverse("dossier:index")).content.decode()
    # The ledger calls the milestone done (1/1 task), the dossier has 1 of 2 materials accepted.
    assert "1 / 2（50%）" in page
    assert "工作台账中「资料申报」节点的任务：1/1 项完成。" in page
    assert "两者口径不同" in page
    overview = client.get(reverse("oversight:overview")).content.decode()
    card = overview[overview.index("资料申报</div>") :]
    card = card[: card.index("</li>")]
    assert "1/1 项完成" in card and "申报资料 1/2 项通过" in card and "台账按任务进度计，资料按审核通过计" in card
    # Once every material is accepted the two agree and no explanation is needed.
    submission = services.submission_upload(actor=dossier.liaison_b, material=dossier.ledger, name="台账.pdf", data=PDF)
    services.submission_transition(actor=dossier.office, submission=submission, action="accept")
    page = client.get(reverse("dossier:index")).content.decode()
    assert "工作台账中「资料申报」节点的任务：1/1 项完成。" in page and "两者口径不同" not in page
    assert badge(client.get(reverse("dossier:index"))) is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (lambda w: {"unit": w.unit_a.pk}, ["保洁制度"]),
        (lambda w: {"unit": w.unit_b.pk}, ["保洁台账"]),
        (lambda w: {"unit": w.unit_c.pk}, []),
        (lambda w: {"state": "accepted"}, ["保洁制度"]),
        (lambda w: {"state": "missing"}, ["保洁台账"]),
        (lambda w: {"state": "submitted"}, []),
        (lambda w: {"unit": w.unit_a.pk, "state": "missing"}, []),
    ],
    ids=["unit a", "unit b", "unit c", "accepted", "missing", "submitted", "unit and a state it has none in"],
)
def test_the_filters_keep_the_materials_of_the_unit_and_state(client, dossier, query, expected):
    accepted_rules(dossier)
    client.force_login(dossier.office)
    response = client.get(reverse("dossier:index"), query(dossier))
    assert response.context["form"].errors == {}
    assert names(response) == expected
    if not expected:
        assert "没有符合条件的资料" in response.content.decode()


def test_unit_and_state_together_keep_only_what_both_allow(client, dossier):
    accepted_rules(dossier)
    dossier.criterion.required_materials = ["保洁制度", "保洁台账", "保洁考核"]
    dossier.criterion.save()
    services.dossier_prepare(actor=dossier.office, campaign=dossier.campaign)
    services.material_assign(actor=dossier.office, material=Material.objects.get(name="保洁考核"), unit=dossier.unit_a)
    client.force_login(dossier.office)
    # 东城街道 has an accepted and a missing material, 城管局 a missing one: only one is both.
    response = client.get(reverse("dossier:index"), {"unit": dossier.unit_a.pk, "state": "missing"})
    assert names(response) == ["保洁考核"]


def test_a_returned_and_a_pending_material_are_told_apart(client, dossier):
    returned = services.submission_upload(actor=dossier.liaison_a, material=dossier.rules, name="a.pdf", data=PDF)
    services.submission_transition(actor=dossier.office, submission=returned, action="return", reason="缺少盖章")
    services.submission_upload(actor=dossier.liaison_b, material=dossier.ledger, name="b.pdf", data=PDF)
    client.force_login(dossier.office)
    assert names(client.get(reverse("dossier:index"), {"state": "returned"})) == ["保洁制度"]
    assert names(client.get(reverse("dossier:index"), {"state": "submitted"})) == ["保洁台账"]


def test_a_bad_filter_is_reported_and_the_others_still_apply(client, dossier):
    client.force_login(dossier.office)
    unit_alone = names(client.get(reverse("dossier:index"), {"unit": dossier.unit_a.pk}))
    response = client.get(reverse("dossier:index"), {"state": "lost", "unit": dossier.unit_a.pk})
    assert response.context["form"].errors == {"state": ["选择一个有效的选项。 lost 不在可用的选项中。"]}
    assert names(response) == unit_alone
    assert unit_alone != names(client.get(reverse("dossier:index")))


def test_before_the_office_prepares_the_dossier_the_index_says_there_is_nothing_yet(client, world):
    client.force_login(world.office)
    page = client.get(reverse("dossier:index")).content.decode()
    assert "暂无申报资料" in page
    assert "0 / 0（0%）" in page


def test_outsiders_find_no_dossier(client, dossier):
    client.force_login(dossier.outsider)
    assert client.get(reverse("dossier:index")).status_code == 404
    assert client.post(reverse("dossier:prepare")).status_code == 404
    assert client.get(reverse("dossier:export")).status_code == 404


# ---- preparing -------------------------------------------------------------------------------------


def test_the_office_prepares_the_dossier_from_the_standard(client, world):
    world.criterion.required_materials = ["保洁制度", "保洁台账"]
    world.criterion.save()
    client.force_login(world.office)
    response = client.post(reverse("dossier:prepare"), follow=True)
    assert response.redirect_chain == [(reverse("dossier:index"), 302)]
    assert "已生成 2 项申报资料" in response.content.decode()
    response = client.post(reverse("dossier:prepare"), follow=True)
    assert "已生成 0 项申报资料" in response.content.decode()
    assert Material.objects.count() == 2


@pytest.mark.parametrize("persona", ["leader", "office_viewer", "liaison_a"])
def test_only_the_office_prepares_the_dossier(client, world, persona):
    world.criterion.required_materials = ["保洁制度"]
    world.criterion.save()
    client.force_login(getattr(world, persona))
    assert client.post(reverse("dossier:prepare")).status_code == 403
    assert Material.objects.count() == 0


# ---- a material's page -----------------------------------------------------------------------------

# Who gets which form on a material of 东城街道: upload (its acting people and the office), giving
# it to a unit and reviewing (the office).
MATERIAL_FORMS = {
    "office": (True, True),
    "liaison_a": (True, False),
    "head_a": (True, False),
    "viewer_a": (False, False),
    "leader": (False, False),
    "office_viewer": (False, False),
}


@pytest.mark.parametrize("persona", MATERIAL_FORMS)
def test_a_materials_page_offers_each_person_only_the_forms_they_may_use(client, dossier, persona):
    services.submission_upload(
        actor=dossier.liaison_a, material=dossier.rules, name="制度.pdf", data=PDF, note="第一版"
    )
    client.force_login(getattr(dossier, persona))
    response = client.get(reverse("dossier:material", args=[dossier.rules.uuid]))
    page = response.content.decode()
    assert "保洁制度" in page and "责任单位：东城街道" in page
    assert "制度.pdf" in page and "第一版" in page
    upload, manage = MATERIAL_FORMS[persona]
    assert (response.context["form"] is not None, response.context["assign_form"] is not None) == (upload, manage)
    assert ('value="accept"' in page) == manage  # the review buttons


@pytest.mark.parametrize("persona", ["viewer_a", "leader", "office_viewer"])
def test_readers_may_not_upload(client, dossier, persona):
    client.force_login(getattr(dossier, persona))
    response = client.post(
        reverse("dossier:material", args=[dossier.rules.uuid]), {"file": SimpleUploadedFile("制度.pdf", PDF)}
    )
    assert response.status_code == 403
    assert Submission.objects.count() == 0


def test_an_upload_without_a_file_is_refused_under_the_field(client, dossier):
    client.force_login(dossier.liaison_a)
    response = client.post(reverse("dossier:material", args=[dossier.rules.uuid]), {"note": "忘了附件"})
    assert response.status_code == 400
    assert '<div class="invalid-feedback d-block">这个字段是必填项。</div>' in response.content.decode()
    assert Submission.objects.count() == 0


def test_a_file_of_a_type_the_dossier_does_not_take_is_refused_with_the_reason(client, dossier):
    client.force_login(dossier.liaison_a)
    response = client.post(
        reverse("dossier:material", args=[dossier.rules.uuid]), {"file": SimpleUploadedFile("制度.exe", b"MZ\x90")}
    )
    assert response.status_code == 400
    assert "不支持的文件类型「制度.exe」，只接受 docx、jpeg、jpg、pdf、png、webp、xlsx" in response.content.decode()
    assert Submission.objects.count() == 0


def test_an_upload_is_confirmed_and_waits_for_review(client, dossier):
    client.force_login(dossier.head_a)
    response = client.post(
        reverse("dossier:material", args=[dossier.rules.uuid]),
        {"file": SimpleUploadedFile("制度.pdf", PDF), "note": "已盖章"},
        follow=True,
    )
    assert "材料已报送，等待爱卫办审核" in response.content.decode()
    submission = Submission.objects.get()
    assert (submission.unit, submission.submitted_by, submission.note, submission.status) == (
        dossier.unit_a,
        dossier.head_a,
        "已盖章",
        "submitted",
    )


# ---- giving a material to a unit --------------------------------------------------------------------


def test_the_office_gives_a_material_to_another_unit_or_takes_it_back(client, dossier):
    client.force_login(dossier.office)
    url = reverse("dossier:assign", args=[dossier.rules.uuid])
    response = client.post(url, {"unit": dossier.unit_c.pk}, follow=True)
    assert "责任单位已更新" in response.content.decode()
    assert Material.objects.get(pk=dossier.rules.pk).responsible_unit == dossier.unit_c
    client.post(url, {"unit": ""})
    assert Material.objects.get(pk=dossier.rules.pk).responsible_unit is None
    assert "责任单位：未指定" in client.get(reverse("dossier:material", args=[dossier.rules.uuid])).content.decode()


@pytest.mark.parametrize(
    "unit", [lambda w: 999999, lambda w: UnitFactory(code="DP99", name="已撤并的局", is_active=False).pk]
)
def test_a_unit_that_does_not_exist_or_is_no_longer_in_use_is_refused(client, dossier, unit):
    client.force_login(dossier.office)
    before = written()
    response = client.post(reverse("dossier:assign", args=[dossier.rules.uuid]), {"unit": unit(dossier)}, follow=True)
    assert "请选择有效的单位" in response.content.decode()
    assert written() == before


@pytest.mark.parametrize("persona", ["liaison_a", "leader"])
def test_only_the_office_gives_a_material_to_a_unit(client, dossier, persona):
    client.force_login(getattr(dossier, persona))
    before = written()
    response = client.post(reverse("dossier:assign", args=[dossier.rules.uuid]), {"unit": dossier.unit_c.pk})
    assert response.status_code == 403
    assert written() == before


def test_another_units_material_is_not_found_for_giving_away(client, dossier):
    client.force_login(dossier.liaison_b)
    before = written()
    response = client.post(reverse("dossier:assign", args=[dossier.rules.uuid]), {"unit": dossier.unit_b.pk})
    assert response.status_code == 404
    assert written() == before


# ---- reviewing ----------------------------------------------------------------------------------------


@pytest.fixture
def pending(dossier):
    return services.submission_upload(actor=dossier.liaison_a, material=dossier.rules, name="制度.pdf", data=PDF)


def review(client, pending, **data):
    return client.post(reverse("dossier:review", args=[pending.uuid]), data, follow=True)


def test_the_office_accepts_and_the_page_says_so(client, dossier, pending):
    client.force_login(dossier.office)
    response = review(client, pending, action="accept", version=pending.version)
    assert response.redirect_chain == [(reverse("dossier:material", args=[dossier.rules.uuid]), 302)]
    assert "审核结果已保存" in response.content.decode()
    pending.refresh_from_db()
    assert (pending.status, pending.reviewer) == ("accepted", dossier.office)


def test_a_return_without_a_reason_is_refused_with_the_reason(client, dossier, pending):
    client.force_login(dossier.office)
    before = written()
    response = review(client, pending, action="return", reason=" ", version=pending.version)
    assert "退回须填写理由" in response.content.decode()
    assert written() == before


def test_an_action_that_does_not_exist_is_refused(client, dossier, pending):
    client.force_login(dossier.office)
    before = written()
    response = review(client, pending, action="approve", version=pending.version)
    assert "无效的操作" in response.content.decode()
    assert written() == before


def test_a_review_from_a_page_drawn_before_another_decision_is_refused(client, dossier, pending):
    seen = pending.version
    services.submission_transition(actor=dossier.office, submission=pending, action="accept")
    client.force_login(dossier.office)
    before = written()
    response = review(client, pending, action="return", reason="缺少盖章", version=seen)
    assert "该材料已被他人审核（现为「已通过」），请刷新后重试" in response.content.decode()
    assert written() == before


@pytest.mark.parametrize("persona", ["leader", "office_viewer", "head_a"])
def test_readers_and_the_unit_may_not_review(client, dossier, pending, persona):
    client.force_login(getattr(dossier, persona))
    before = written()
    response = client.post(reverse("dossier:review", args=[pending.uuid]), {"action": "accept", "version": 1})
    assert response.status_code == 403
    assert written() == before


# ---- files and the export ---------------------------------------------------------------------------


def test_a_submitted_file_is_served_inline_to_those_who_see_the_material(client, dossier, pending):
    for persona in ("leader", "liaison_a"):
        client.force_login(getattr(dossier, persona))
        response = client.get(reverse("dossier:file", args=[pending.uuid]))
        assert b"".join(response.streaming_content) == PDF
        assert (response["Content-Type"], response["X-Content-Type-Options"]) == ("application/pdf", "nosniff")
        assert response["Content-Disposition"] == f"inline; filename*=UTF-8''{pending.attachment.uuid.hex}"
    for persona in ("liaison_b", "outsider"):
        client.force_login(getattr(dossier, persona))
        assert client.get(reverse("dossier:file", args=[pending.uuid])).status_code == 404


@pytest.mark.parametrize("persona", ["leader", "office_viewer", "liaison_a"])
def test_only_the_office_exports_the_dossier(client, dossier, persona):
    client.force_login(getattr(dossier, persona))
    assert client.get(reverse("dossier:export")).status_code == 403
