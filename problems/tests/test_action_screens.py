"""The problem page's action forms for the steps test_views.py does not walk through: reassigning,
returning and cancelling on screen, a form the page refuses (400, the error under its own field),
and an action that does not exist (404). Each refusal leaves the problem as it was."""

import pytest
from django.urls import reverse

from problems.tests.helpers import assigned_problem, snapshot, submitted_problem, trail


def act(client, user, problem, action, **data):
    client.force_login(user)
    return client.post(
        reverse("problems:act", args=[problem.uuid, action]), {"version": problem.version, **data}, follow=True
    )


def test_the_office_reassigns_on_screen_with_a_reason(client, world):
    problem = assigned_problem(world)
    response = act(client, world.office, problem, "reassign", unit=world.unit_c.pk, note="属市场监管职责")
    assert f"问题 {problem.number}：已改派" in response.content.decode()
    assert trail(problem)[-1] == (
        "reassign",
        "assigned",
        "assigned",
        world.office,
        world.office_unit,
        world.unit_c,
        "属市场监管职责",
    )


def test_the_inspector_returns_on_screen_with_a_reason(client, world):
    problem = submitted_problem(world)
    response = act(client, world.inspector, problem, "return", note="仍有积水")
    assert f"问题 {problem.number}：已退回返工" in response.content.decode()
    assert trail(problem)[-1][:3] == ("return", "submitted", "returned")


def test_the_office_cancels_on_screen_with_a_reason(client, world):
    problem = assigned_problem(world)
    response = act(client, world.office, problem, "cancel", note="重复登记")
    assert f"问题 {problem.number}：已撤销" in response.content.decode()
    assert trail(problem)[-1][:3] == ("cancel", "assigned", "cancelled")


@pytest.mark.parametrize(
    ("action", "who", "data", "field"),
    [
        ("reassign", "office", {"unit": "", "note": "属市场监管职责"}, "unit"),
        ("reassign", "office", {"note": ""}, "note"),
        ("cancel", "office", {"note": ""}, "note"),
    ],
    ids=["reassign without a unit", "reassign without a reason", "cancel without a reason"],
)
def test_a_form_missing_what_the_step_needs_is_refused_under_its_own_field(client, world, action, who, data, field):
    problem = assigned_problem(world)
    before = snapshot(problem)
    client.force_login(getattr(world, who))
    response = client.post(reverse("problems:act", args=[problem.uuid, action]), {"version": problem.version, **data})
    assert response.status_code == 400
    bound = dict(response.context["action_forms"])[action]
    assert bound.errors[field] == ["这个字段是必填项。"]
    # Several forms share the page: the error sits under this action's own input.
    assert f'id="id_{action}_{field}"' in response.content.decode()
    assert snapshot(problem) == before


def test_a_return_without_a_reason_is_refused(client, world):
    problem = submitted_problem(world)
    before = snapshot(problem)
    client.force_login(world.inspector)
    response = client.post(reverse("problems:act", args=[problem.uuid, "return"]), {"version": problem.version})
    assert response.status_code == 400
    assert dict(response.context["action_forms"])["return"].errors == {"note": ["这个字段是必填项。"]}
    assert snapshot(problem) == before


@pytest.mark.parametrize("action", ["record", "approve", "delete"])
def test_an_action_the_page_does_not_offer_is_not_found(client, world, action):
    problem = assigned_problem(world)
    before = snapshot(problem)
    client.force_login(world.office)
    response = client.post(reverse("problems:act", args=[problem.uuid, action]), {"version": problem.version})
    assert response.status_code == 404
    assert snapshot(problem) == before
