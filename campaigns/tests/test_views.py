"""Ledger and five-in-place screens: what each role sees and may do, and refusals in Chinese."""

import datetime as dt

import pytest
from django.urls import reverse

from campaigns.models import FiveInPlace, LedgerEvent, Task
from campaigns.tests.helpers import ledger_task


@pytest.fixture
def task(world):
    return ledger_task(world)


def test_office_creates_a_task_and_a_later_deadline_than_the_milestone_is_refused(client, world):
    client.force_login(world.office)
    data = {
        "title": "清理背街小巷卫生死角",
        "criterion": world.criterion.pk,
        "milestone": world.covert.pk,
        "lead_unit": world.unit_a.pk,
        "responsible": world.liaison_a.pk,
        "target_quantity": "37",
        "target_measure": "条",
        "deadline": "2026-07-03",
    }
    response = client.post(reverse("campaigns:task_create"), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "只能提前，不能拖后" in page and "2026年6月30日" in page
    assert Task.objects.count() == 0
    # A deadline already past is refused too (issue 12), in the form's words.
    response = client.post(reverse("campaigns:task_create"), {**data, "deadline": "2026-05-01"})
    assert response.status_code == 400 and "完成期限 2026年5月1日 已过，不能早于今天" in response.content.decode()
    assert Task.objects.count() == 0
    response = client.post(reverse("campaigns:task_create"), {**data, "deadline": "2026-06-28"})
    task = Task.objects.get()
    assert response.url == reverse("campaigns:task", args=[task.uuid])
    assert (task.lead_unit, task.responsible, task.deadline) == (world.unit_a, world.liaison_a, dt.date(2026, 6, 28))


def test_a_person_outside_the_lead_unit_is_refused_as_responsible(client, world):
    client.force_login(world.office)
    response = client.post(
        reverse("campaigns:task_create"),
        {
            "title": "任务",
            "criterion": world.criterion.pk,
            "milestone": world.compliant.pk,
            "lead_unit": world.unit_a.pk,
            "responsible": world.liaison_b.pk,
            "target_quantity": "1",
            "target_measure": "次",
            "deadline": "2026-04-28",
        },
    )
    assert response.status_code == 400
    assert "责任人 吴婷 不属于责任单位「东城街道」" in response.content.decode()
    assert Task.objects.count() == 0


def test_a_unit_person_may_not_create_tasks(client, world):
    client.force_login(world.liaison_a)
    assert client.get(reverse("campaigns:task_create")).status_code == 403
    response = client.post(
        reverse("campaigns:task_create"),
        {
            "title": "任务",
            "criterion": world.criterion.pk,
            "milestone": world.compliant.pk,
            "lead_unit": world.unit_a.pk,
            "responsible": world.liaison_a.pk,
            "target_quantity": "1",
            "target_measure": "次",
            "deadline": "2026-04-28",
        },
    )
    assert response.status_code == 403
    assert (Task.objects.count(), LedgerEvent.objects.count()) == (0, 0)


def test_moving_a_deadline_later_on_the_screen_is_refused(client, world, task):
    client.force_login(world.office)
    response = client.post(reverse("campaigns:task_deadline", args=[task.uuid]), {"deadline": "2026-06-21"})
    assert response.status_code == 400
    assert "只能提前，不能拖后" in response.content.decode()
    assert Task.objects.get(pk=task.pk).deadline == dt.date(2026, 6, 20)
    response = client.post(reverse("campaigns:task_deadline", args=[task.uuid]), {"deadline": "2026-06-10"})
    assert response.status_code == 302
    assert Task.objects.get(pk=task.pk).deadline == dt.date(2026, 6, 10)


def test_liaison_reports_progress_and_the_ledger_shows_it(client, world, task):
    client.force_login(world.liaison_a)
    response = client.post(
        reverse("campaigns:task_progress", args=[task.uuid]), {"quantity_done": "12", "text": "已清理12条"}
    )
    assert response.status_code == 302
    ledger = client.get(reverse("campaigns:ledger"))
    row = ledger.context["page"][0]
    assert (row.title, row.quantity_done, row.state) == ("清理背街小巷卫生死角", 12, Task.State.IN_PROGRESS)
    assert LedgerEvent.objects.filter(task=task, action=LedgerEvent.Action.PROGRESS_REPORTED).count() == 1


def test_another_units_task_is_404_and_a_viewer_cannot_report(client, world, task):
    client.force_login(world.liaison_b)
    assert client.get(reverse("campaigns:task", args=[task.uuid])).status_code == 404
    client.force_login(world.viewer_a)
    assert client.get(reverse("campaigns:task", args=[task.uuid])).context["progress_form"] is None
    response = client.post(reverse("campaigns:task_progress", args=[task.uuid]), {"quantity_done": "1", "text": "x"})
    assert response.status_code == 403


def test_the_ledger_filters_late_tasks(client, world, task, frozen_today):
    frozen_today.move_to(dt.datetime(2026, 6, 21, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    client.force_login(world.office)
    late = client.get(reverse("campaigns:ledger"), {"state": "late"}).context["page"]
    assert [t.title for t in late] == ["清理背街小巷卫生死角"]
    done = client.get(reverse("campaigns:ledger"), {"state": "done"}).context["page"]
    assert list(done) == []


def test_five_in_place_is_updated_by_the_unit_and_shown_at_a_glance(client, world):
    client.force_login(world.liaison_a)
    response = client.post(
        reverse("campaigns:five_in_place_unit", args=[world.unit_a.code]),
        {"item": "funding", "status": "in_place", "note": "专项经费50万元已拨付"},
    )
    assert response.status_code == 302
    assert FiveInPlace.objects.get(unit=world.unit_a, item="funding").status == "in_place"
    client.force_login(world.office)
    rows = client.get(reverse("campaigns:five_in_place")).context["rows"]
    row_a = next(r for r in rows if r["unit"] == world.unit_a)
    assert row_a["in_place"] == 1
    client.force_login(world.liaison_b)
    assert client.get(reverse("campaigns:five_in_place_unit", args=[world.unit_a.code])).status_code == 404


# ---- forms that help (issue 12) --------------------------------------------------------------------


def test_the_owner_list_names_each_persons_unit_sorted_by_unit_then_name(client, world):
    client.force_login(world.office)
    form = client.get(reverse("campaigns:task_create")).context["form"]
    labels = [label for value, label in form.fields["responsible"].choices if value]
    assert "周晓（东城街道）" in labels and "吴婷（城管局）" in labels
    # By unit (in the units' code order), then by name: each unit's people together.
    from organisation.models import Unit

    codes = {str(u): u.code for u in Unit.objects.all()}
    keys = [(codes[label[label.index("（") + 1 : -1]], label[: label.index("（")]) for label in labels]
    assert keys == sorted(keys)
    # Viewers own no task: 孙阅 (只读) is not offered.
    assert not any(label.startswith("孙阅") for label in labels)


def test_choosing_a_unit_narrows_the_owner_list(client, world):
    client.force_login(world.office)
    response = client.get(reverse("campaigns:task_owners"), {"lead_unit": world.unit_a.pk})
    options = response.content.decode()
    assert "周晓（东城街道）" in options and "陈主任（东城街道）" in options
    assert "吴婷" not in options and "城管局" not in options
    # The new-task page's unit select asks for it, and a page drawn with a unit shows only its people.
    page = client.get(reverse("campaigns:task_create")).content.decode()
    assert f'hx-get="{reverse("campaigns:task_owners")}"' in page and 'hx-target="#id_responsible"' in page
    bound = client.post(reverse("campaigns:task_create"), {"lead_unit": world.unit_b.pk}).context["form"]
    assert [label for value, label in bound.fields["responsible"].choices if value] == [
        "吴婷（城管局）",
        "李强（城管局）",
    ]
    client.force_login(world.liaison_a)
    assert client.get(reverse("campaigns:task_owners"), {"lead_unit": world.unit_a.pk}).status_code == 403


def test_a_task_is_edited_with_an_event_per_change_and_an_owner_change_needs_a_reason(client, world):
    from campaigns.models import LedgerEvent
    from campaigns.tests.helpers import ledger_task

    task = ledger_task(world)
    client.force_login(world.office)
    url = reverse("campaigns:task_update", args=[task.uuid])
    assert client.get(url).context["form"].initial["title"] == "清理背街小巷卫生死角"
    data = {
        "title": "清理背街小巷和楼道卫生死角",
        "criterion": world.criterion.pk,
        "milestone": world.covert.pk,
        "lead_unit": world.unit_b.pk,
        "responsible": world.liaison_b.pk,
        "target_quantity": "40",
        "target_measure": "条",
        "description": "",
        "reason": "",
    }
    events = LedgerEvent.objects.count()
    response = client.post(url, data)
    assert response.status_code == 400 and "更换责任单位或责任人须填写理由" in response.content.decode()
    task.refresh_from_db()
    assert (task.title, task.lead_unit, LedgerEvent.objects.count()) == ("清理背街小巷卫生死角", world.unit_a, events)
    response = client.post(url, {**data, "reason": "移交城管局"})
    assert response.url == reverse("campaigns:task", args=[task.uuid])
    task.refresh_from_db()
    assert (task.title, task.target_quantity, task.lead_unit, task.responsible) == (
        "清理背街小巷和楼道卫生死角",
        40,
        world.unit_b,
        world.liaison_b,
    )
    actions = list(task.events.order_by("id").values_list("action", flat=True))
    assert actions[-2:] == [LedgerEvent.Action.TASK_EDITED, LedgerEvent.Action.OWNER_CHANGED]
    assert task.events.get(action=LedgerEvent.Action.OWNER_CHANGED).note == "移交城管局"
    # Others may not.
    client.force_login(world.liaison_a)
    assert client.get(url).status_code in (403, 404)


def test_bringing_a_deadline_forward_shows_the_old_and_the_new_date(client, world):
    from campaigns.tests.helpers import ledger_task

    task = ledger_task(world)  # due 20 June
    client.force_login(world.office)
    response = client.post(reverse("campaigns:task_deadline", args=[task.uuid]), {"deadline": "2026-06-10"})
    page = client.get(response.url).content.decode()
    assert "期限已由 2026年6月20日 提前至 2026年6月10日" in page
    history = page[page.index('id="cw-task-history"') :]
    assert "（原期限 2026年6月20日 → 新期限 2026年6月10日）" in history
    assert "现期限：2026年6月10日" in page
