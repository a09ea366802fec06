"""Covert plans (暗访) and what they found are invisible to the inspected units and their people
until the office publishes the results: on every surface (lists, details, counts, search, the
map, exports, files, the API), for every persona. Reads of a covert plan are logged.

The scene: a covert plan visits both back streets of 东城街道 (幸福巷 of unit_a, and the market of
unit_b). The inspector finds a problem at 幸福巷 with a photo, and it is with unit_a before the
results are published. The services refuse that assignment now (see
test_a_covert_finding_is_assigned_only_once_the_results_are_published); the scene puts the problem
with the unit by hand, as data from before that rule would have it: the worst case, where only the
covert rule keeps it hidden."""

import io
import json

import pytest
from django.test import Client
from openpyxl import load_workbook

from conftest import TODAY
from inspections import services
from inspections.models import CovertReadLog, InspectionPlan
from inspections.tests.helpers import drawn_plan, record_finding, submit, upload, with_checklist
from problems import services as loop
from problems.models import Problem
from problems.states import Status
from problems.tests.helpers import DEADLINE

PERSONAS = [
    "office",
    "office_viewer",
    "leader",
    "inspector",
    "head_a",
    "deputy_a",
    "liaison_a",
    "viewer_a",
    "liaison_b",
    "outsider",
    "anonymous",
]
SURFACES = [
    "problem list",
    "search by number",
    "problem detail",
    "unit work page",
    "map data",
    "export",
    "stamped photo",
    "original photo",
    "plan list",
    "plan detail",
    "inspection detail",
    "api plans",
    "api plan",
    "api inspection",
]
EVERYTHING = frozenset(SURFACES)
NOTHING = frozenset()
# The office, leaders and the team see it all; the unit's own work page lists only problems the
# unit must fix, so it stays empty for them.
STAFF = EVERYTHING - {"unit work page"}
# After publication the inspected unit sees its problem, the inspection at its site and the
# stamped photo, never the original with the phone's GPS metadata.
INSPECTED = EVERYTHING - {"original photo"}
# unit_b's market was visited too (the plan is theirs to know of) but nothing was found there.
VISITED = frozenset({"plan list", "plan detail", "api plans", "api plan"})

BEFORE = {
    "office": STAFF,
    "office_viewer": STAFF,
    "leader": STAFF,
    "inspector": STAFF,
    **dict.fromkeys(["head_a", "deputy_a", "liaison_a", "viewer_a", "liaison_b", "outsider", "anonymous"], NOTHING),
}
AFTER = {
    **BEFORE,
    **dict.fromkeys(["head_a", "deputy_a", "liaison_a", "viewer_a"], INSPECTED),
    "liaison_b": VISITED,
}


@pytest.fixture
def scene(world):
    with_checklist(world)
    plan = drawn_plan(world, name="五月暗访")
    assert plan.mode == InspectionPlan.Mode.COVERT and plan.targets.count() == 2
    inspection = submit(world, plan)
    finding = record_finding(world, inspection)
    photo, _ = upload(world, inspection, finding)
    Problem.objects.filter(pk=finding.problem_id).update(
        assigned_unit=world.unit_a, deadline=DEADLINE, status=Status.ASSIGNED
    )
    problem = Problem.objects.get(pk=finding.problem_id)
    world.plan, world.inspection, world.photo, world.problem = plan, inspection, photo, problem
    return world


def client_for(world, persona) -> Client:
    client = Client()
    if persona != "anonymous":
        client.force_login(getattr(world, persona))
    return client


def xlsx_rows(response) -> list[tuple]:
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content))
    return [row for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]


def what_is_seen(world, persona) -> frozenset:
    client = client_for(world, persona)
    number, plan, inspection, photo = world.problem.number, world.plan, world.inspection, world.photo

    def page(url):
        response = client.get(url)
        return response.content.decode() if response.status_code == 200 else ""

    def ok(url):
        return client.get(url).status_code == 200

    def api(url):
        response = client.get(url)
        return response.json() if response.status_code == 200 else None

    features = (api("/problems/map.geojson") or {"features": []})["features"]
    export = client.get("/exchange/problems.xlsx")
    api_plans = api("/api/v1/plans") or []
    link = f"/problems/{world.problem.uuid}/"  # a result row links to the problem (the search box echoes the number)
    seen = {
        "problem list": link in page("/problems/"),
        "search by number": link in page(f"/problems/?q={number}"),
        "problem detail": ok(f"/problems/{world.problem.uuid}/"),
        "unit work page": link in page("/problems/mine/"),
        "map data": any(f["properties"]["number"] == number for f in features),
        "export": export.status_code == 200 and any(number in row for row in xlsx_rows(export)),
        "stamped photo": ok(f"/files/{photo.display.uuid}"),
        "original photo": ok(f"/files/{photo.original.uuid}"),
        "plan list": plan.name in page("/inspections/"),
        "plan detail": ok(f"/inspections/plans/{plan.uuid}/"),
        "inspection detail": ok(f"/inspections/records/{inspection.client_id}/"),
        "api plans": str(plan.uuid) in json.dumps([p["uuid"] for p in api_plans]),
        "api plan": ok(f"/api/v1/plans/{plan.uuid}"),
        "api inspection": ok(f"/api/v1/inspections/{inspection.client_id}"),
    }
    return frozenset(surface for surface, visible in seen.items() if visible)


@pytest.mark.parametrize("persona", PERSONAS)
def test_before_publication_only_the_office_leaders_and_the_team_see_a_covert_plan(scene, persona):
    assert what_is_seen(scene, persona) == BEFORE[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_after_publication_the_inspected_unit_sees_its_results(scene, persona):
    scene.plan.refresh_from_db()
    services.plan_publish(actor=scene.office, plan=scene.plan)
    assert what_is_seen(scene, persona) == AFTER[persona]


def test_an_open_plan_is_known_to_the_units_it_visits_once_drawn(scene):
    open_plan = drawn_plan(scene, mode=InspectionPlan.Mode.OPEN, name="五月明查", seed="7")
    submit(scene, open_plan)
    client = client_for(scene, "liaison_a")
    assert client.get(f"/inspections/plans/{open_plan.uuid}/").status_code == 200
    assert "五月明查" in client.get("/inspections/").content.decode()
    assert "五月暗访" not in client.get("/inspections/").content.decode()


def test_the_access_module_hides_secret_problems_from_unit_counts(scene):
    import access
    from problems import selectors

    assert access.problems_visible_to(scene.liaison_a).count() == 0
    assert selectors.unit_open_problems(user=scene.liaison_a).count() == 0
    assert access.problems_visible_to(scene.office).count() == 1
    scene.plan.refresh_from_db()
    services.plan_publish(actor=scene.office, plan=scene.plan)
    assert selectors.unit_open_problems(user=scene.liaison_a).count() == 1


# ---- the audit of reads --------------------------------------------------------------------------


def test_every_read_of_a_covert_plan_is_logged(scene):
    client = client_for(scene, "leader")
    client.get(f"/inspections/plans/{scene.plan.uuid}/")
    client.get(f"/inspections/records/{scene.inspection.client_id}/")
    client.get(f"/api/v1/plans/{scene.plan.uuid}")
    client.get("/inspections/")
    assert list(CovertReadLog.objects.order_by("id").values_list("user__username", "surface", "path", "at")) == [
        ("leader", "web:plan", f"/inspections/plans/{scene.plan.uuid}/", TODAY),
        ("leader", "web:inspection", f"/inspections/records/{scene.inspection.client_id}/", TODAY),
        ("leader", "api:plan", f"/api/v1/plans/{scene.plan.uuid}", TODAY),
        ("leader", "web:plans", "/inspections/", TODAY),
    ]


def test_a_refused_read_is_not_a_read_and_open_plans_are_not_logged(scene):
    client_for(scene, "liaison_a").get(f"/inspections/plans/{scene.plan.uuid}/")
    open_plan = drawn_plan(scene, mode=InspectionPlan.Mode.OPEN, name="五月明查", seed="7")
    client_for(scene, "office").get(f"/inspections/plans/{open_plan.uuid}/")
    assert CovertReadLog.objects.count() == 0


def test_the_read_log_is_append_only(scene):
    client_for(scene, "office").get(f"/inspections/plans/{scene.plan.uuid}/")
    row = CovertReadLog.objects.get()
    with pytest.raises(RuntimeError, match="append-only"):
        row.save()
    with pytest.raises(RuntimeError, match="append-only"):
        row.delete()


def test_a_covert_finding_is_assigned_only_once_the_results_are_published(world):
    from core.errors import IllegalTransition

    with_checklist(world)
    plan = drawn_plan(world, name="五月暗访")
    finding = record_finding(world, submit(world, plan))
    with pytest.raises(IllegalTransition) as refusal:
        loop.problem_assign(actor=world.office, problem=finding.problem, unit=world.unit_a, deadline=DEADLINE)
    assert refusal.value.message == "问题 2026-000001 是尚未公布结果的暗访发现的，结果公布后才能交办"
    problem = Problem.objects.get(pk=finding.problem_id)
    assert (problem.status, problem.assigned_unit, problem.events.count()) == ("recorded", None, 1)
    plan.refresh_from_db()
    services.plan_publish(actor=world.office, plan=plan)
    assigned = loop.problem_assign(actor=world.office, problem=problem, unit=world.unit_a, deadline=DEADLINE)
    assert (assigned.status, assigned.assigned_unit) == ("assigned", world.unit_a)


def test_an_accountability_record_does_not_show_the_unit_a_covert_finding_before_publication(scene):
    from bulletins.models import Accountability
    from bulletins.services import accountability_record

    accountability_record(
        actor=scene.office,
        campaign=scene.campaign,
        unit=scene.unit_a,
        measure=Accountability.Measure.CRITICISM,
        reason="暗访发现问题",
        decided_on=TODAY.date(),
        problems=[scene.problem],
    )
    pages = ["/bulletins/accountability/", f"/units/{scene.unit_a.code}/"]
    liaison, office = client_for(scene, "liaison_a"), client_for(scene, "office")
    for url in pages:
        assert "暗访发现问题" in liaison.get(url).content.decode()
        assert scene.problem.number not in liaison.get(url).content.decode()
        assert scene.problem.number in office.get(url).content.decode()
    scene.plan.refresh_from_db()
    services.plan_publish(actor=scene.office, plan=scene.plan)
    for url in pages:
        assert scene.problem.number in liaison.get(url).content.decode()
