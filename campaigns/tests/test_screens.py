"""A task's page and the five-in-place page of a unit, role by role: what each person sees and may
do, the refusals in Chinese (400 with the form, 403 for read-only people, 404 for outsiders), and
that a refusal writes nothing."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from campaigns import services
from campaigns.models import FiveInPlace, LedgerEvent, ProgressReport, Task
from campaigns.tests.helpers import ledger_task
from core.models import Attachment


@pytest.fixture
def task(world):
    return ledger_task(world, description="重点是幸福巷和光明巷")


def written():
    return {
        "tasks": list(Task.objects.values_list("pk", "deadline")),
        "reports": ProgressReport.objects.count(),
        "attachments": Attachment.objects.count(),
        "five_in_place": list(FiveInPlace.objects.values_list("unit_id", "item", "status", "note")),
        "events": LedgerEvent.objects.count(),
    }


# ---- the task page -----------------------------------------------------------------------------

# Who gets which form on the task page: the lead unit's acting people report progress, the office
# also moves the deadline, readers get neither.
FORMS = {
    "office": (True, True),
    "liaison_a": (True, False),
    "head_a": (True, False),
    "deputy_a": (True, False),
    "viewer_a": (False, False),
    "office_viewer": (False, False),
    "leader": (False, False),
}


@pytest.mark.parametrize("persona", FORMS)
def test_the_task_page_shows_the_task_and_offers_each_person_only_the_forms_they_may_use(client, world, task, persona):
    client.force_login(getattr(world, persona))
    response = client.get(reverse("campaigns:task", args=[task.uuid]))
    page = response.content.decode()
    assert "清理背街小巷卫生死角" in page
    assert "37 条（已完成 0）" in page
    assert "2026年6月20日（时间节点「通过省级暗访」2026年6月30日前）" in page
    assert "重点是幸福巷和光明巷" in page
    assert "尚未报告进展" in page
    assert "王芳 · 新建任务" in page  # the ledger's trail
    can_report, can_move = FORMS[persona]
    assert (response.context["progress_form"] is not None, response.context["deadline_form"] is not None) == (
        can_report,
        can_move,
    )
    assert ("报告进展</button>" in page, "提前期限</button>" in page) == (can_report, can_move)


@pytest.mark.parametrize("persona", ["liaison_b", "inspector", "outsider"])
def test_the_task_page_is_not_found_for_those_outside_the_lead_unit(client, world, task, persona):
    client.force_login(getattr(world, persona))
    assert client.get(reverse("campaigns:task", args=[task.uuid])).status_code == 404
    response = client.post(reverse("campaigns:task_progress", args=[task.uuid]), {"quantity_done": "1", "text": "x"})
    assert response.status_code == 404
    assert written()["reports"] == 0


def test_a_report_of_progress_shows_on_the_page_with_its_evidence(client, world, task):
    from tests.factories import jpeg_bytes

    client.force_login(world.liaison_a)
    response = client.post(
        reverse("campaigns:task_progress", args=[task.uuid]),
        {"quantity_done": "12", "text": "已清理12条", "files": [SimpleUploadedFile("清理后.jpg", jpeg_bytes())]},
        follow=True,
    )
    page = response.content.decode()
    assert "进展已报告" in page
    assert "累计完成 12 条" in page and "已清理12条" in page
    assert "37 条（已完成 12）" in page
    (photo,) = ProgressReport.objects.get().attachments.all()
    assert f'src="{reverse("attachment", args=[photo.uuid])}?thumb=1"' in page


PROGRESS_REFUSALS = {
    "no text": ({"quantity_done": "12", "text": ""}, "这个字段是必填项。"),
    "a negative quantity": ({"quantity_done": "-1", "text": "进展"}, "确保该值大于或等于0。"),
    "a quantity in words": ({"quantity_done": "十二", "text": "进展"}, "输入一个数字。"),
}


@pytest.mark.parametrize("case", PROGRESS_REFUSALS)
def test_a_bad_progress_report_is_refused_with_the_reason_under_its_field(client, world, task, case):
    data, message = PROGRESS_REFUSALS[case]
    client.force_login(world.liaison_a)
    before = written()
    response = client.post(reverse("campaigns:task_progress", args=[task.uuid]), data)
    assert response.status_code == 400
    assert f'<div class="invalid-feedback d-block">{message}</div>' in response.content.decode()
    assert written() == before


def test_a_bad_evidence_file_is_refused_by_the_service_and_nothing_is_stored(client, world, task):
    client.force_login(world.liaison_a)
    before = written()
    response = client.post(
        reverse("campaigns:task_progress", args=[task.uuid]),
        {"quantity_done": "12", "text": "已清理", "files": [SimpleUploadedFile("现场.jpg", b"not a photo")]},
    )
    assert response.status_code == 400
    assert '<div class="alert alert-danger py-2" role="alert">文件「现场.jpg」不是有效的图片或已损坏</div>' in (
        response.content.decode()
    )
    assert written() == before


@pytest.mark.parametrize("persona", ["viewer_a", "leader", "office_viewer"])
def test_readers_may_not_move_a_deadline(client, world, task, persona):
    client.force_login(getattr(world, persona))
    before = written()
    response = client.post(reverse("campaigns:task_deadline", args=[task.uuid]), {"deadline": "2026-06-10"})
    assert response.status_code == 403
    assert written() == before


def test_the_units_liaison_may_report_but_not_move_the_deadline(client, world, task):
    client.force_login(world.liaison_a)
    response = client.post(reverse("campaigns:task_deadline", args=[task.uuid]), {"deadline": "2026-06-10"})
    assert response.status_code == 403
    assert Task.objects.get(pk=task.pk).deadline == dt.date(2026, 6, 20)


@pytest.mark.parametrize(
    ("deadline", "message"),
    [("", "这个字段是必填项。"), ("2026-06-31", "输入一个有效的日期。")],
    ids=["empty", "no such day"],
)
def test_a_missing_or_impossible_deadline_is_refused_under_its_field(client, world, task, deadline, message):
    client.force_login(world.office)
    before = written()
    response = client.post(reverse("campaigns:task_deadline", args=[task.uuid]), {"deadline": deadline})
    assert response.status_code == 400
    assert f'<div class="invalid-feedback d-block">{message}</div>' in response.content.decode()
    assert written() == before


def test_the_new_task_form_is_for_the_office(client, world):
    client.force_login(world.office)
    response = client.get(reverse("campaigns:task_create"))
    assert response.status_code == 200
    assert list(response.context["form"].fields["milestone"].queryset) == [
        world.mobilisation,
        world.compliant,
        world.covert,
    ]
    for persona in ("leader", "office_viewer", "inspector", "head_a"):
        client.force_login(getattr(world, persona))
        assert client.get(reverse("campaigns:task_create")).status_code == 403, persona


# ---- five-in-place -------------------------------------------------------------------------------


def test_the_grid_shows_each_unit_the_person_may_see_with_its_five_items(client, world):
    services.five_in_place_update(
        actor=world.office, campaign=world.campaign, unit=world.unit_b, item="funding", status="in_place"
    )
    services.five_in_place_update(
        actor=world.office, campaign=world.campaign, unit=world.unit_b, item="personnel", status="partial"
    )

    def grid(user):
        client.force_login(user)
        rows = client.get(reverse("campaigns:five_in_place")).context["rows"]
        return {
            row["unit"].code: ([r.status if r else None for _item, r in row["items"]], row["in_place"]) for row in rows
        }

    untouched = ([None] * 5, 0)
    assert grid(world.office) == {
        "DP01": ([None, "partial", None, "in_place", None], 1),
        "DP02": untouched,
        "SD01": untouched,
    }
    assert grid(world.liaison_b) == {"DP01": ([None, "partial", None, "in_place", None], 1)}
    assert grid(world.liaison_a) == {"SD01": untouched}
    assert grid(world.outsider) == {}


def test_the_unit_page_offers_a_form_per_item_to_those_who_may_update_it(client, world):
    services.five_in_place_update(
        actor=world.office, campaign=world.campaign, unit=world.unit_a, item="funding", status="partial", note="已申请"
    )
    url = reverse("campaigns:five_in_place_unit", args=[world.unit_a.code])
    client.force_login(world.liaison_a)
    items = client.get(url).context["items"]
    assert [entry["item"].value for entry in items] == [
        "leadership",
        "personnel",
        "responsibility",
        "funding",
        "measures",
    ]
    funding = items[3]
    assert (funding["record"].status, funding["form"].initial) == ("partial", {"status": "partial", "note": "已申请"})
    assert items[0]["form"].initial == {}
    assert items[0]["form"].auto_id == "id_leadership_%s"

    client.force_login(world.viewer_a)
    response = client.get(url)
    assert [entry["form"] for entry in response.context["items"]] == [None] * 5
    assert "已申请" in response.content.decode()


def test_a_reader_may_not_update_five_in_place(client, world):
    client.force_login(world.viewer_a)
    before = written()
    response = client.post(
        reverse("campaigns:five_in_place_unit", args=[world.unit_a.code]), {"item": "funding", "status": "in_place"}
    )
    assert response.status_code == 403
    assert written() == before


@pytest.mark.parametrize("persona", ["liaison_b", "outsider"])
def test_another_units_five_in_place_is_not_found(client, world, persona):
    client.force_login(getattr(world, persona))
    url = reverse("campaigns:five_in_place_unit", args=[world.unit_a.code])
    assert client.get(url).status_code == 404
    assert client.post(url, {"item": "funding", "status": "in_place"}).status_code == 404
    assert FiveInPlace.objects.count() == 0


def test_an_item_that_does_not_exist_is_not_found(client, world):
    client.force_login(world.liaison_a)
    response = client.post(
        reverse("campaigns:five_in_place_unit", args=[world.unit_a.code]), {"item": "budget", "status": "in_place"}
    )
    assert response.status_code == 404
    assert FiveInPlace.objects.count() == 0


def test_a_bad_status_is_refused_in_the_items_own_form(client, world):
    client.force_login(world.liaison_a)
    before = written()
    response = client.post(
        reverse("campaigns:five_in_place_unit", args=[world.unit_a.code]), {"item": "funding", "status": "done"}
    )
    assert response.status_code == 400
    funding = response.context["items"][3]
    assert funding["form"].errors == {"status": ["选择一个有效的选项。 done 不在可用的选项中。"]}
    assert funding["form"].auto_id == "id_funding_%s"
    assert [entry["form"].errors for entry in response.context["items"] if entry["item"] != "funding"] == [{}] * 4
    assert written() == before


def test_a_bad_evidence_file_for_five_in_place_is_refused_and_nothing_is_stored(client, world):
    client.force_login(world.liaison_a)
    before = written()
    response = client.post(
        reverse("campaigns:five_in_place_unit", args=[world.unit_a.code]),
        {"item": "funding", "status": "in_place", "files": [SimpleUploadedFile("拨款.pdf", b"not a pdf")]},
    )
    assert response.status_code == 400
    assert response.context["items"][3]["form"].non_field_errors() == ["文件「拨款.pdf」的扩展名与内容不符"]
    assert written() == before


def test_an_update_is_confirmed_and_shown(client, world):
    client.force_login(world.head_a)
    response = client.post(
        reverse("campaigns:five_in_place_unit", args=[world.unit_a.code]),
        {"item": "funding", "status": "in_place", "note": "专项经费50万元已拨付"},
        follow=True,
    )
    page = response.content.decode()
    assert "已更新：经费到位" in page
    assert "专项经费50万元已拨付" in page
    assert response.context["items"][3]["record"].status == "in_place"
