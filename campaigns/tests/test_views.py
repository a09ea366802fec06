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
        "milestone": world.compliant.pk,
        "lead_unit": world.unit_a.pk,
        "responsible": world.liaison_a.pk,
        "target_quantity": "37",
        "target_measure": "条",
        "deadline": "2026-05-03",
    }
    response = client.post(reverse("campaigns:task_create"), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "只能提前，不能拖后" in page and "2026年4月30日" in page
    assert Task.objects.count() == 0
    response = client.post(reverse("campaigns:task_create"), {**data, "deadline": "2026-04-28"})
    task = Task.objects.get()
    assert response.url == reverse("campaigns:task", args=[task.uuid])
    assert (task.lead_unit, task.responsible, task.deadline) == (world.unit_a, world.liaison_a, dt.date(2026, 4, 28))


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
