"""The oversight pages: the overview for the office and leaders, and a unit's page."""

import datetime as dt
import json

import pytest
from django.urls import reverse

from bulletins.models import Accountability
from bulletins.services import accountability_record
from campaigns.tests.helpers import ledger_task
from organisation.models import User
from problems.tests.helpers import assigned_problem, returned_problem


@pytest.fixture
def task(world):
    return ledger_task(world)


def test_the_overview_is_for_the_office_and_leaders(client, world, task):
    for persona in ("office", "office_viewer", "leader"):
        client.force_login(getattr(world, persona))
        response = client.get(reverse("oversight:overview"))
        milestones = {m["milestone"].name: (m["total"], m["done"]) for m in response.context["milestones"]}
        assert milestones["通过省级暗访"] == (1, 0), persona
        assert milestones["全面达标"] == (0, 0), persona
    for persona in ("inspector", "liaison_a"):
        client.force_login(getattr(world, persona))
        assert client.get(reverse("oversight:overview")).status_code == 403, persona


def test_the_unit_page_shows_the_units_work_and_accountability(client, world, task):
    assigned_problem(world, deadline=dt.date(2026, 5, 13))
    returned_problem(world)
    accountability_record(
        actor=world.office,
        campaign=world.campaign,
        unit=world.unit_a,
        person=world.deputy_a,
        measure=Accountability.Measure.INTERVIEW,
        reason="整改拖拉",
        decided_on=dt.date(2026, 5, 11),
    )
    client.force_login(world.office)
    response = client.get(reverse("oversight:unit", args=[world.unit_a.code]))
    counts = response.context["problem_counts"]
    assert counts == {"in_hand": 2, "overdue": 0, "escalated": 0, "returned": 1, "closed": 0}
    assert dict((s.value, n) for s, n in response.context["task_counts"])["not_started"] == 1
    assert [a.reason for a in response.context["accountabilities"]] == ["整改拖拉"]
    assert "约谈" in response.content.decode()
    client.force_login(world.liaison_a)
    assert client.get(reverse("oversight:unit", args=[world.unit_a.code])).status_code == 200
    assert client.get(reverse("oversight:unit", args=[world.unit_b.code])).status_code == 404


def test_the_wall_screen_is_for_those_who_see_all_and_names_no_person(client, world):
    assigned_problem(world)
    client.force_login(world.liaison_a)
    assert client.get(reverse("oversight:wall")).status_code == 403
    assert client.get(reverse("oversight:wall_data")).status_code == 403
    client.force_login(world.leader)
    assert client.get(reverse("oversight:wall")).status_code == 200
    data = client.get(reverse("oversight:wall_data")).json()
    assert data["figures"]["total"] == 1 and data["figures"]["in_hand"] == 1
    assert [a["in_hand"] for a in data["areas"]] == [1]
    text = json.dumps(data, ensure_ascii=False)
    for person in User.objects.all():
        assert person.full_name not in text
        assert not person.phone or person.phone not in text
