"""Issue 15, as a new user found it: a second inspection of 铁匠前里 recorded 2026-000634 under
3.1.5 while 2026-000601, same site and checkpoint, was still open and 29 days overdue. Now the
second finding is linked to the open problem (再次发现 in its trail), unless the inspector chooses
to record a new one, which then keeps a link to the one it resembles."""

import datetime as dt
import uuid

import pytest
import time_machine

from audit.checks import audit
from conftest import TODAY
from inspections import services
from inspections.models import Finding, InspectionPlan
from inspections.tests.helpers import drawn_plan, submit, with_checklist
from inspections.tests.test_api import post_json, session_client
from problems import services as problem_services
from problems.models import Problem
from problems.states import Action, Status

OPEN = InspectionPlan.Mode.OPEN


@pytest.fixture
def overdue(world):
    """A May plan found 2026-000001 at 幸福巷 under 3.2.1; the office gave it to 东城街道 until 20
    May; it is 18 June now (29 days overdue) and a June plan visits 幸福巷 again."""
    with_checklist(world)
    may = drawn_plan(world, name="五月明查", mode=OPEN)
    first = submit(world, may)
    finding, _created = services.finding_record(
        actor=world.inspector,
        client_id=uuid.uuid4(),
        inspection_client_id=first.client_id,
        checkpoint_id=world.checkpoint.pk,
    )
    problem_services.problem_assign(
        actor=world.office, problem=finding.problem, unit=world.unit_a, deadline=dt.date(2026, 5, 20)
    )
    june = TODAY + dt.timedelta(days=37)
    traveller = time_machine.travel(june, tick=False)
    traveller.start()
    plan = drawn_plan(
        world, name="六月明查", mode=OPEN, starts_on=june.date(), ends_on=june.date() + dt.timedelta(days=6), seed="2"
    )
    second = submit(world, plan, at=june)
    yield world, Problem.objects.get(), second
    traveller.stop()


def _post(world, inspection, **extra):
    body = {"client_id": str(uuid.uuid4()), "inspection": str(inspection.client_id), "checkpoint": world.checkpoint.pk}
    return post_json(session_client(world.inspector), "/api/v1/problems", {**body, **extra})


def test_a_second_inspection_links_to_the_open_problem_instead_of_a_new_number(overdue):
    world, open_problem, second = overdue
    assert open_problem.is_overdue and (open_problem.deadline, open_problem.status) == (
        dt.date(2026, 5, 20),
        Status.ASSIGNED,
    )
    response = _post(world, second)
    assert response.status_code == 201
    answer = response.json()
    assert (answer["number"], answer["linked"], answer["resembles"]) == ("2026-000001", True, None)
    assert Problem.objects.count() == 1
    assert Finding.objects.filter(problem=open_problem).count() == 2
    again = open_problem.events.order_by("-seq").first()
    assert (again.action, again.actor, again.from_status, again.to_status, again.unit) == (
        Action.FOUND_AGAIN,
        world.inspector,
        Status.ASSIGNED,
        Status.ASSIGNED,
        world.unit_a,
    )
    assert again.note == "检查「六月明查」再次发现此问题（幸福巷，3.2.1）"
    assert [line for line in audit() if line.startswith("问题")] == []  # the trail replays


def test_the_inspector_may_record_a_new_problem_which_resembles_the_open_one(overdue):
    world, open_problem, second = overdue
    response = _post(world, second, new_problem=True)
    assert response.status_code == 201
    answer = response.json()
    assert (answer["number"], answer["linked"], answer["resembles"]) == ("2026-000002", False, "2026-000001")
    new = Problem.objects.get(sequence=2)
    assert (new.resembles, new.status) == (open_problem, Status.RECORDED)
    assert [e.action for e in open_problem.events.all()] == [Action.RECORD, Action.ASSIGN]


def test_the_checklist_without_javascript_links_too(overdue, client):
    world, open_problem, _second = overdue
    plan = drawn_plan(world, name="六月复查", mode=OPEN, seed="3")
    services.checklist_store(
        actor=world.inspector,
        client_id=uuid.uuid4(),
        plan=plan,
        site=world.site,
        started_at=TODAY + dt.timedelta(days=37, minutes=-10),
        results=[(world.checkpoint.pk, "fail", "仍有垃圾"), (world.checkpoint_2.pk, "pass", "")],
        photos={},
    )
    assert Problem.objects.count() == 1
    assert open_problem.events.filter(action=Action.FOUND_AGAIN).count() == 1


def test_once_the_problem_is_merged_or_closed_a_finding_opens_a_new_one(overdue):
    world, open_problem, second = overdue
    survivor = problem_services.problem_record(
        actor=world.office, campaign=world.campaign, site=world.site_b, criterion=world.checkpoint, description="另一处"
    )
    problem_services.problem_merge(actor=world.office, problem=open_problem, into=survivor, reason="同一问题")
    answer = _post(world, second).json()
    assert (answer["number"], answer["linked"]) == ("2026-000003", False)
