"""The access matrix: who sees what and who may do what, persona by persona.

The tables below are the specification. Read them against the rules in access/__init__.py's
docstring; every test in this file checks the code against one of them, and the service tests
check that the services refuse exactly where the predicates say no (and write nothing then).

Units: unit_a is 东城街道 (head_a, deputy_a, liaison_a, viewer_a); unit_b is 城管局 (liaison_b,
and the inspector 李强, who is drawn into the supervision team from it). "a" / "b" below name the
object that belongs to unit_a / unit_b; "unassigned" is a problem still waiting to be assigned.
"""

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

import access
from campaigns import services as ledger
from campaigns.models import FiveInPlace, LedgerEvent, Milestone, ProgressReport, Task
from core.errors import NotAllowed
from core.models import Attachment
from organisation.models import Membership, Unit, User
from problems import services
from problems.models import Problem, ProblemEvent
from problems.states import NOTES, TRANSITIONS, Action, Status
from sites.models import Site
from tests.factories import MembershipFactory, jpeg_bytes

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

ALL = {"a", "b", "unassigned"}
A, B, AB, NO = frozenset({"a"}), frozenset({"b"}), frozenset({"a", "b"}), frozenset()

# ---- the tables ------------------------------------------------------------------------------

# What each persona sees. Inspectors see every site and problem (they inspect the whole district),
# but tasks and five-in-place only of their own unit, like any other member of it.
VISIBLE = {
    #                problems   tasks  sites  five-in-place
    "office":        (ALL,      AB,    AB,    AB),
    "office_viewer": (ALL,      AB,    AB,    AB),
    "leader":        (ALL,      AB,    AB,    AB),
    "inspector":     (ALL,      B,     AB,    B),
    "head_a":        (A,        A,     A,     A),
    "deputy_a":      (A,        A,     A,     A),
    "liaison_a":     (A,        A,     A,     A),
    "viewer_a":      (A,        A,     A,     A),
    "liaison_b":     (B,        B,     B,     B),
    "outsider":      (NO,       NO,    NO,    NO),
    "anonymous":     (NO,       NO,    NO,    NO),
}  # fmt: skip
KINDS = ["problems", "tasks", "sites", "five_in_place"]

# What each persona may do to a problem of unit_a / unit_b, whatever its state (the state machine
# decides the rest). For `record` the unit is the owner of the site where the problem is found.
# Nobody verifies the rectification of their own unit: the inspector from 城管局 closes and
# returns unit_a's problems, never unit_b's.
PROBLEM_ACTIONS = [
    Action.RECORD,
    Action.ASSIGN,
    Action.REASSIGN,
    Action.SUBMIT,
    Action.CLOSE,
    Action.RETURN,
    Action.CANCEL,
    Action.MERGE,
]
PROBLEM_RIGHTS = {
    #                record  assign  reassign  submit  close  return  cancel  merge
    "office":        (AB,    AB,     AB,       NO,     AB,    AB,     AB,     AB),
    "office_viewer": (NO,    NO,     NO,       NO,     NO,    NO,     NO,     NO),
    "leader":        (NO,    NO,     NO,       NO,     NO,    NO,     NO,     NO),
    "inspector":     (AB,    NO,     NO,       NO,     A,     A,      NO,     NO),
    "head_a":        (NO,    NO,     NO,       A,      NO,    NO,     NO,     NO),
    "deputy_a":      (NO,    NO,     NO,       A,      NO,    NO,     NO,     NO),
    "liaison_a":     (NO,    NO,     NO,       A,      NO,    NO,     NO,     NO),
    "viewer_a":      (NO,    NO,     NO,       NO,     NO,    NO,     NO,     NO),
    "liaison_b":     (NO,    NO,     NO,       B,      NO,    NO,     NO,     NO),
    "outsider":      (NO,    NO,     NO,       NO,     NO,    NO,     NO,     NO),
    "anonymous":     (NO,    NO,     NO,       NO,     NO,    NO,     NO,     NO),
}  # fmt: skip

# The buttons each persona sees on a problem, by (state, unit it is assigned to): the state
# machine's allowed actions that the persona also has the right to take.
CASES = [
    ("recorded", None),
    ("assigned", "a"),
    ("assigned", "b"),
    ("submitted", "a"),
    ("submitted", "b"),
    ("returned", "a"),
    ("returned", "b"),
    ("closed", "a"),
    ("closed", "b"),
    ("cancelled", None),
]
NO_BUTTONS = {case: [] for case in CASES}
SUBMIT_A = {**NO_BUTTONS, ("assigned", "a"): ["submit"], ("returned", "a"): ["submit"]}
BUTTONS = {
    "office": {
        ("recorded", None): ["assign", "cancel", "merge"],
        ("assigned", "a"): ["reassign", "cancel", "merge"],
        ("assigned", "b"): ["reassign", "cancel", "merge"],
        ("submitted", "a"): ["close", "return", "cancel", "merge"],
        ("submitted", "b"): ["close", "return", "cancel", "merge"],
        ("returned", "a"): ["reassign", "cancel", "merge"],
        ("returned", "b"): ["reassign", "cancel", "merge"],
        ("closed", "a"): [],
        ("closed", "b"): [],
        ("cancelled", None): [],
    },
    "office_viewer": NO_BUTTONS,
    "leader": NO_BUTTONS,
    "inspector": {**NO_BUTTONS, ("submitted", "a"): ["close", "return"]},
    "head_a": SUBMIT_A,
    "deputy_a": SUBMIT_A,
    "liaison_a": SUBMIT_A,
    "viewer_a": NO_BUTTONS,
    "liaison_b": {**NO_BUTTONS, ("assigned", "b"): ["submit"], ("returned", "b"): ["submit"]},
    "outsider": NO_BUTTONS,
    "anonymous": NO_BUTTONS,
}

# The ledger: set up tasks and milestones (not tied to a unit), report progress on a task of
# unit_a / unit_b, update the five-in-place of unit_a / unit_b.
LEDGER_RIGHTS = {
    #                manage campaign  report progress  five-in-place
    "office":        (True,           AB,              AB),
    "office_viewer": (False,          NO,              NO),
    "leader":        (False,          NO,              NO),
    "inspector":     (False,          NO,              NO),
    "head_a":        (False,          A,               A),
    "deputy_a":      (False,          A,               A),
    "liaison_a":     (False,          A,               A),
    "viewer_a":      (False,          NO,              NO),
    "liaison_b":     (False,          B,               B),
    "outsider":      (False,          NO,              NO),
    "anonymous":     (False,          NO,              NO),
}  # fmt: skip


# ---- building the objects --------------------------------------------------------------------


def person(world, name):
    return AnonymousUser() if name == "anonymous" else getattr(world, name)


def unit_of(world, label):
    return {"a": world.unit_a, "b": world.unit_b}[label]


def liaison_of(world, label):
    return {"a": world.liaison_a, "b": world.liaison_b}[label]


def problem_in(world, status, label=None):
    """A problem brought to `status` through the services, assigned to unit `label`."""
    site = world.site_b if label == "b" else world.site
    problem = services.problem_record(
        actor=world.inspector,
        campaign=world.campaign,
        site=site,
        criterion=world.checkpoint,
        description="巷口垃圾堆积",
    )
    if status == Status.RECORDED:
        return problem
    if status == Status.CANCELLED:
        return services.problem_cancel(actor=world.office, problem=problem, reason="重复登记")
    problem = services.problem_assign(
        actor=world.office, problem=problem, unit=unit_of(world, label), deadline=dt.date(2026, 5, 20)
    )
    if status == Status.ASSIGNED:
        return problem
    problem = services.problem_submit_evidence(actor=liaison_of(world, label), problem=problem, note="已清理")
    if status == Status.SUBMITTED:
        return problem
    if status == Status.RETURNED:
        return services.problem_return(actor=world.office, problem=problem, reason="仍有积水")
    return services.problem_close(actor=world.office, problem=problem, note="现场复核已整改")


def task_for(world, label):
    return ledger.task_create(
        actor=world.office,
        campaign=world.campaign,
        criterion=world.criterion,
        milestone=world.covert,
        title=f"清理背街小巷（{label}）",
        lead_unit=unit_of(world, label),
        responsible=liaison_of(world, label),
        target_quantity=37,
        target_measure="条",
        deadline=dt.date(2026, 6, 20),
    )


@pytest.fixture
def things(world):
    """One of each kind of object for unit_a and unit_b, and a problem nobody owns yet."""
    return {
        "problems": {
            "a": problem_in(world, Status.ASSIGNED, "a"),
            "b": problem_in(world, Status.ASSIGNED, "b"),
            "unassigned": problem_in(world, Status.RECORDED),
        },
        "tasks": {"a": task_for(world, "a"), "b": task_for(world, "b")},
        "sites": {"a": world.site, "b": world.site_b},
        "five_in_place": {
            label: ledger.five_in_place_update(
                actor=world.office,
                campaign=world.campaign,
                unit=unit_of(world, label),
                item=FiveInPlace.Item.LEADERSHIP,
                status=FiveInPlace.Status.PARTIAL,
            )
            for label in ("a", "b")
        },
    }


VISIBLE_TO = {
    "problems": access.problems_visible_to,
    "tasks": access.tasks_visible_to,
    "sites": access.sites_visible_to,
    "five_in_place": access.five_in_place_visible_to,
}


def visible_labels(user, kind, objects):
    labels = {obj.pk: label for label, obj in objects.items()}
    return {labels[pk] for pk in VISIBLE_TO[kind](user).values_list("pk", flat=True)}


def database_state():
    """Everything the services under test could write, to show that a refusal wrote nothing."""
    return {
        "problems": list(
            Problem.objects.order_by("pk").values_list("pk", "status", "assigned_unit_id", "deadline", "version")
        ),
        "problem_events": list(ProblemEvent.objects.order_by("pk").values_list("pk", flat=True)),
        "attachments": Attachment.objects.count(),
        "tasks": list(Task.objects.order_by("pk").values_list("pk", "lead_unit_id", "responsible_id", "deadline")),
        "milestones": list(Milestone.objects.order_by("pk").values_list("pk", "due_on")),
        "progress_reports": ProgressReport.objects.count(),
        "five_in_place": list(FiveInPlace.objects.order_by("pk").values_list("pk", "status", "note")),
        "ledger_events": list(LedgerEvent.objects.order_by("pk").values_list("pk", flat=True)),
    }


# ---- the tables agree with the rules they claim to state --------------------------------------


def test_the_tables_cover_every_persona_and_every_problem_action():
    assert list(VISIBLE) == PERSONAS
    assert list(PROBLEM_RIGHTS) == PERSONAS
    assert list(BUTTONS) == PERSONAS
    assert list(LEDGER_RIGHTS) == PERSONAS
    # Reminders and escalations are written by the worker, never done by a person (states.NOTES).
    assert PROBLEM_ACTIONS == [action for action in Action if action not in NOTES]
    assert all(set(buttons) == set(CASES) for buttons in BUTTONS.values())


# ---- seeing ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_sees_exactly_the_table(world, things, persona, kind):
    user = person(world, persona)

    assert visible_labels(user, kind, things[kind]) == VISIBLE[persona][KINDS.index(kind)]


def test_scoping_keeps_the_callers_own_filter(world, things):
    assigned = Problem.objects.filter(status=Status.ASSIGNED)

    assert set(access.problems_visible_to(world.liaison_a, assigned)) == {things["problems"]["a"]}
    assert set(access.problems_visible_to(world.office, assigned)) == {things["problems"]["a"], things["problems"]["b"]}
    assert list(access.sites_visible_to(world.liaison_b, Site.objects.filter(code="BS-0001"))) == []


@pytest.mark.parametrize("persona", ["outsider", "anonymous"])
def test_an_outsider_gets_404_for_a_problem_that_exists(world, things, persona):
    problem = things["problems"]["a"]

    with pytest.raises(Http404):
        access.get_visible_or_404(access.problems_visible_to(person(world, persona)), uuid=problem.uuid)


def test_another_units_people_get_404_not_the_object(world, things):
    with pytest.raises(Http404):
        access.get_visible_or_404(access.problems_visible_to(world.liaison_b), uuid=things["problems"]["a"].uuid)
    with pytest.raises(Http404):
        access.get_visible_or_404(access.tasks_visible_to(world.liaison_b), uuid=things["tasks"]["a"].uuid)
    with pytest.raises(Http404):
        access.get_visible_or_404(access.sites_visible_to(world.liaison_b), pk=world.site.pk)


def test_the_units_own_people_get_the_object(world, things):
    problem, task = things["problems"]["a"], things["tasks"]["a"]

    assert access.get_visible_or_404(access.problems_visible_to(world.viewer_a), uuid=problem.uuid) == problem
    assert access.get_visible_or_404(access.tasks_visible_to(world.viewer_a), uuid=str(task.uuid)) == task


@pytest.mark.parametrize(
    "lookup", [{"uuid": "not-a-uuid"}, {"pk": "abc"}, {"uuid": "00000000-0000-0000-0000-000000000000"}]
)
def test_a_malformed_or_unknown_id_is_404_not_an_error(world, things, lookup):
    with pytest.raises(Http404):
        access.get_visible_or_404(access.problems_visible_to(world.office), **lookup)


# ---- doing: problems -------------------------------------------------------------------------


@pytest.mark.parametrize("label", ["a", "b"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_can_problem_action_follows_the_table(world, persona, label):
    user = person(world, persona)
    problem = problem_in(world, Status.ASSIGNED, label)

    answers = {
        action: access.can_problem_action(user, action, None if action == Action.RECORD else problem)
        for action in PROBLEM_ACTIONS
    }

    expected = {action: label in units for action, units in zip(PROBLEM_ACTIONS, PROBLEM_RIGHTS[persona], strict=True)}
    assert answers == expected


@pytest.mark.parametrize("persona", PERSONAS)
def test_problem_actions_for_lists_exactly_the_buttons_of_the_table(world, persona):
    user = person(world, persona)
    problems = {(status, label): problem_in(world, status, label) for status, label in CASES}

    buttons = {case: access.problem_actions_for(user, problem) for case, problem in problems.items()}

    assert buttons == BUTTONS[persona]


# Where each action starts from, and how a persona calls the service for it.
SOURCE = {
    Action.ASSIGN: Status.RECORDED,
    Action.REASSIGN: Status.ASSIGNED,
    Action.SUBMIT: Status.ASSIGNED,
    Action.CLOSE: Status.SUBMITTED,
    Action.RETURN: Status.SUBMITTED,
    Action.CANCEL: Status.ASSIGNED,
    Action.MERGE: Status.ASSIGNED,
}


def call_problem_service(world, user, action, label, problem, into=None):
    if action == Action.RECORD:
        site = {"a": world.site, "b": world.site_b}[label]
        return services.problem_record(
            actor=user, campaign=world.campaign, site=site, criterion=world.checkpoint, description="果皮箱满溢"
        )
    if action == Action.ASSIGN:
        return services.problem_assign(
            actor=user, problem=problem, unit=unit_of(world, label), deadline=dt.date(2026, 5, 20)
        )
    if action == Action.REASSIGN:
        return services.problem_reassign(actor=user, problem=problem, unit=world.unit_c, reason="属市场监管职责")
    if action == Action.SUBMIT:
        return services.problem_submit_evidence(
            actor=user, problem=problem, note="已清理", files=[("整改后.jpg", jpeg_bytes())]
        )
    if action == Action.CLOSE:
        return services.problem_close(actor=user, problem=problem, note="现场复核已整改")
    if action == Action.RETURN:
        return services.problem_return(actor=user, problem=problem, reason="仍有积水")
    if action == Action.MERGE:
        return services.problem_merge(actor=user, problem=problem, into=into, reason="同一问题")
    return services.problem_cancel(actor=user, problem=problem, reason="重复登记")


REFUSALS = {
    Action.RECORD: "只有爱卫办和督导组可以登记问题",
    Action.ASSIGN: "您无权对该问题执行「交办」",
    Action.REASSIGN: "您无权对该问题执行「改派」",
    Action.SUBMIT: "您无权对该问题执行「提交整改材料」",
    Action.CLOSE: "您无权对该问题执行「复核通过并销号」",
    Action.RETURN: "您无权对该问题执行「退回返工」",
    Action.CANCEL: "您无权对该问题执行「撤销」",
    Action.MERGE: "您无权对该问题执行「合并」",
}


@pytest.mark.parametrize("label", ["a", "b"])
@pytest.mark.parametrize("action", PROBLEM_ACTIONS)
@pytest.mark.parametrize("persona", PERSONAS)
def test_problem_services_agree_with_the_table(world, persona, action, label):
    user = person(world, persona)
    problem = None if action == Action.RECORD else problem_in(world, SOURCE[action], label)
    into = problem_in(world, Status.RECORDED) if action == Action.MERGE else None  # the survivor
    before = database_state()

    if label in PROBLEM_RIGHTS[persona][PROBLEM_ACTIONS.index(action)]:
        problem = call_problem_service(world, user, action, label, problem, into)
        assert problem.status == TRANSITIONS[action][1]
        last = problem.events.order_by("seq").last()
        assert (last.action, last.actor) == (action, user)
    else:
        with pytest.raises(NotAllowed) as refused:
            call_problem_service(world, user, action, label, problem, into)
        assert refused.value.message == REFUSALS[action]
        assert database_state() == before


# ---- doing: the ledger -----------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_ledger_predicates_follow_the_table(world, things, persona):
    user = person(world, persona)
    manage, report, five = LEDGER_RIGHTS[persona]

    assert access.can_manage_campaign(user) is manage
    assert {label for label, task in things["tasks"].items() if access.can_report_progress(user, task)} == report
    assert {label for label in ("a", "b") if access.can_update_five_in_place(user, unit_of(world, label).pk)} == five


MANAGE_REFUSAL = "只有爱卫办可以安排台账任务和时间节点"
MANAGE_EVENTS = {
    "task_create": LedgerEvent.Action.TASK_CREATED,
    "task_move_deadline": LedgerEvent.Action.DEADLINE_MOVED,
    "task_change_owner": LedgerEvent.Action.OWNER_CHANGED,
    "milestone_move": LedgerEvent.Action.MILESTONE_MOVED,
}


def manage_calls(world, user, task):
    return {
        "task_create": lambda: ledger.task_create(
            actor=user,
            campaign=world.campaign,
            criterion=world.criterion,
            milestone=world.covert,
            title="农贸市场“三防”设施到位",
            lead_unit=world.unit_b,
            responsible=world.liaison_b,
            target_quantity=5,
            target_measure="个",
            deadline=dt.date(2026, 6, 1),
        ),
        "task_move_deadline": lambda: ledger.task_move_deadline(
            actor=user, task=task, deadline=dt.date(2026, 6, 10), reason="暗访提前"
        ),
        "task_change_owner": lambda: ledger.task_change_owner(
            actor=user, task=task, lead_unit=world.unit_a, responsible=world.deputy_a, reason="分管领导牵头"
        ),
        "milestone_move": lambda: ledger.milestone_move(
            actor=user, milestone=world.covert, due_on=dt.date(2026, 6, 25), reason="省里通知提前"
        ),
    }


@pytest.mark.parametrize("service", ["task_create", "task_move_deadline", "task_change_owner", "milestone_move"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_ledger_management_services_agree_with_the_table(world, persona, service):
    user = person(world, persona)
    task = task_for(world, "a")
    before = database_state()
    call = manage_calls(world, user, task)[service]

    if LEDGER_RIGHTS[persona][0]:
        call()
        event = LedgerEvent.objects.order_by("pk").last()
        assert (event.action, event.actor) == (MANAGE_EVENTS[service], user)
    else:
        with pytest.raises(NotAllowed) as refused:
            call()
        assert refused.value.message == MANAGE_REFUSAL
        assert database_state() == before


@pytest.mark.parametrize("label", ["a", "b"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_progress_reports_agree_with_the_table(world, persona, label):
    user = person(world, persona)
    task = task_for(world, label)
    before = database_state()

    def report():
        return ledger.task_report_progress(
            actor=user, task=task, quantity_done=12, text="已清理12条", files=[("现场.jpg", jpeg_bytes())]
        )

    if label in LEDGER_RIGHTS[persona][1]:
        progress = report()
        assert (progress.task, progress.reported_by, progress.attachments.count()) == (task, user, 1)
    else:
        with pytest.raises(NotAllowed) as refused:
            report()
        assert refused.value.message == "只有责任单位的一把手、分管领导、联络员或爱卫办可以报告进展"
        assert database_state() == before


@pytest.mark.parametrize("label", ["a", "b"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_five_in_place_updates_agree_with_the_table(world, persona, label):
    user = person(world, persona)
    before = database_state()

    def update():
        return ledger.five_in_place_update(
            actor=user,
            campaign=world.campaign,
            unit=unit_of(world, label),
            item=FiveInPlace.Item.FUNDING,
            status=FiveInPlace.Status.IN_PLACE,
            note="专项经费已拨付",
        )

    if label in LEDGER_RIGHTS[persona][2]:
        record = update()
        assert (record.unit, record.status, record.updated_by) == (unit_of(world, label), "in_place", user)
    else:
        with pytest.raises(NotAllowed) as refused:
            update()
        assert refused.value.message == "只有本单位的一把手、分管领导、联络员或爱卫办可以更新五到位"
        assert database_state() == before


# ---- memberships count only in active units ---------------------------------------------------


def fresh(user):
    """The same person in a new request: the Actor is computed again from the database."""
    return User.objects.get(pk=user.pk)


@pytest.mark.parametrize("persona", ["head_a", "deputy_a", "liaison_a", "viewer_a"])
def test_a_deactivated_units_people_see_and_do_nothing_of_it(world, things, persona):
    Unit.objects.filter(pk=world.unit_a.pk).update(is_active=False)
    user = fresh(person(world, persona))

    assert {kind: visible_labels(user, kind, things[kind]) for kind in KINDS} == dict.fromkeys(KINDS, set())
    assert access.problem_actions_for(user, things["problems"]["a"]) == []
    assert access.can_report_progress(user, things["tasks"]["a"]) is False
    assert access.can_update_five_in_place(user, world.unit_a.pk) is False
    before = database_state()
    with pytest.raises(NotAllowed):
        ledger.task_report_progress(actor=user, task=things["tasks"]["a"], quantity_done=1, text="已清理1条")
    assert database_state() == before


def test_an_inspector_whose_unit_is_deactivated_is_no_longer_an_inspector(world, things):
    Unit.objects.filter(pk=world.unit_b.pk).update(is_active=False)
    inspector = fresh(world.inspector)

    assert {kind: visible_labels(inspector, kind, things[kind]) for kind in KINDS} == dict.fromkeys(KINDS, set())
    assert access.can_problem_action(inspector, Action.RECORD, None) is False
    with pytest.raises(NotAllowed):
        services.problem_record(
            actor=inspector, campaign=world.campaign, site=world.site, criterion=world.checkpoint, description="积水"
        )


def test_office_staff_of_a_deactivated_office_lose_the_office_rights(world, things):
    Unit.objects.filter(pk=world.office_unit.pk).update(is_active=False)
    office = fresh(world.office)

    assert {kind: visible_labels(office, kind, things[kind]) for kind in KINDS} == dict.fromkeys(KINDS, set())
    assert access.can_manage_campaign(office) is False
    assert access.problem_actions_for(office, things["problems"]["a"]) == []


def test_a_membership_in_an_active_unit_survives_the_deactivation_of_another(world, things):
    # 周晓 also reads 城管局's ledger; 城管局 is dissolved, 东城街道 stays.
    MembershipFactory(user=world.liaison_a, unit=world.unit_b, role=Membership.Role.VIEWER)
    Unit.objects.filter(pk=world.unit_b.pk).update(is_active=False)
    user = fresh(world.liaison_a)

    assert visible_labels(user, "tasks", things["tasks"]) == {"a"}
    assert access.can_report_progress(user, things["tasks"]["a"]) is True


def test_a_deactivated_account_sees_nothing(world, things):
    User.objects.filter(pk=world.liaison_a.pk).update(is_active=False)
    user = fresh(world.liaison_a)

    assert {kind: visible_labels(user, kind, things[kind]) for kind in KINDS} == dict.fromkeys(KINDS, set())
    assert access.can_report_progress(user, things["tasks"]["a"]) is False
