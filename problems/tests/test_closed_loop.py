"""The closed loop, step by step, through the services: problem -> assigned to one unit with a
deadline -> rectification evidence -> verified on site -> closed, or returned for rework.

Every path checks where the problem stands afterwards (status, unit, deadline, closing time) and
the exact audit trail it leaves; every refusal checks that nothing was written."""

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings

import access
from conftest import SHANGHAI, TODAY
from core.errors import IllegalTransition, InvalidInput, NotAllowed, StaleObject
from core.models import Attachment
from organisation.models import Membership
from problems import services
from problems.models import Problem, ProblemCounter
from problems.states import TRANSITIONS, Action, Status, allowed_from
from problems.tests.helpers import (
    DEADLINE,
    assigned_problem,
    cancelled_problem,
    closed_problem,
    photo,
    recorded_problem,
    returned_problem,
    snapshot,
    submitted_problem,
    trail,
)
from tests.factories import MembershipFactory, UserFactory, jpeg_bytes

RECORD, ASSIGN, REASSIGN, SUBMIT, CLOSE, RETURN, CANCEL = (
    "record",
    "assign",
    "reassign",
    "submit",
    "close",
    "return",
    "cancel",
)
RECORDED, ASSIGNED, SUBMITTED, RETURNED, CLOSED, CANCELLED = (
    "recorded",
    "assigned",
    "submitted",
    "returned",
    "closed",
    "cancelled",
)


def at(*args) -> dt.datetime:
    """A moment in the campaign's time zone."""
    return dt.datetime(*args, tzinfo=SHANGHAI)


def event_files(problem) -> list[tuple[str, list[str]]]:
    return [(e.action, [a.original_name for a in e.attachments.order_by("id")]) for e in problem.events.order_by("seq")]


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


# ---- the table itself ------------------------------------------------------------------------


def test_the_transition_table_offers_these_actions_from_each_state():
    assert {status: allowed_from(status) for status in [None, *Status.values]} == {
        None: [RECORD],
        RECORDED: [ASSIGN, CANCEL, "merge"],
        ASSIGNED: [REASSIGN, SUBMIT, CANCEL, "merge"],
        SUBMITTED: [CLOSE, RETURN, CANCEL, "merge"],
        RETURNED: [REASSIGN, SUBMIT, CANCEL, "merge"],
        CLOSED: [],
        CANCELLED: [],
        "merged": [],
    }


# ---- the happy path --------------------------------------------------------------------------


def test_a_problem_is_recorded_assigned_fixed_verified_and_closed(world, frozen_today):
    problem = services.problem_record(
        actor=world.inspector,
        campaign=world.campaign,
        site=world.site,
        criterion=world.checkpoint,
        description="巷口垃圾堆积，路面积水",
        severity=Problem.Severity.MAJOR,
        photos=[photo("现场.jpg")],
    )
    assert (problem.number, problem.status, problem.assigned_unit, problem.deadline) == (
        "2026-000001",
        RECORDED,
        None,
        None,
    )
    assert problem.recorded_at == TODAY
    assert problem.rebound_of is None
    assert [p.original_name for p in problem.photos.all()] == ["现场.jpg"]

    problem = services.problem_assign(
        actor=world.office, problem=problem, unit=world.unit_a, deadline=DEADLINE, note="请于5月20日前整改到位"
    )
    assert (problem.status, problem.assigned_unit, problem.deadline) == (ASSIGNED, world.unit_a, DEADLINE)

    frozen_today.move_to(at(2026, 5, 14, 16, 30))
    problem = services.problem_submit_evidence(
        actor=world.liaison_a, problem=problem, note="已清运垃圾，疏通排水沟", files=[photo("整改后.jpg")]
    )
    assert (problem.status, problem.assigned_unit, problem.deadline) == (SUBMITTED, world.unit_a, DEADLINE)

    frozen_today.move_to(at(2026, 5, 15, 9, 0))
    problem = services.problem_close(actor=world.inspector, problem=problem, note="现场复核合格")

    problem = Problem.objects.get(pk=problem.pk)
    assert (problem.status, problem.assigned_unit, problem.deadline) == (CLOSED, world.unit_a, DEADLINE)
    assert (problem.closed_at, problem.closed_on) == (at(2026, 5, 15, 9, 0), dt.date(2026, 5, 15))
    assert problem.closed_late is False
    assert problem.is_overdue is False
    assert list(Problem.objects.closed_on_time()) == [problem]
    assert trail(problem) == [
        (RECORD, "", RECORDED, world.inspector, world.unit_b, None, ""),
        (ASSIGN, RECORDED, ASSIGNED, world.office, world.office_unit, world.unit_a, "请于5月20日前整改到位"),
        (SUBMIT, ASSIGNED, SUBMITTED, world.liaison_a, world.unit_a, world.unit_a, "已清运垃圾，疏通排水沟"),
        (CLOSE, SUBMITTED, CLOSED, world.inspector, world.unit_b, world.unit_a, "现场复核合格"),
    ]
    assert [(e.seq, e.at, e.deadline) for e in problem.events.order_by("seq")] == [
        (1, TODAY, None),
        (2, TODAY, DEADLINE),
        (3, at(2026, 5, 14, 16, 30), DEADLINE),
        (4, at(2026, 5, 15, 9, 0), DEADLINE),
    ]
    assert event_files(problem) == [(RECORD, []), (ASSIGN, []), (SUBMIT, ["整改后.jpg"]), (CLOSE, [])]
    evidence = problem.events.get(action=SUBMIT).attachments.get()
    assert (evidence.uploaded_by, evidence.content_type, evidence.sha256) == (
        world.liaison_a,
        "image/jpeg",
        Attachment.hash_of(jpeg_bytes()),
    )
    assert problem.version == 4
    assert access.problem_actions_for(world.office, problem) == []


def test_the_inspector_may_verify_with_photos_of_the_site(world):
    problem = submitted_problem(world)

    problem = services.problem_close(actor=world.inspector, problem=problem, files=[photo("复核.jpg")])

    assert event_files(problem)[-1] == (CLOSE, ["复核.jpg"])
    assert trail(problem)[-1] == (CLOSE, SUBMITTED, CLOSED, world.inspector, world.unit_b, world.unit_a, "")


# ---- rework ----------------------------------------------------------------------------------


def test_a_fix_returned_twice_is_closed_on_the_third_submission(world):
    problem = assigned_problem(world)

    problem = services.problem_submit_evidence(actor=world.liaison_a, problem=problem, note="已清扫")
    problem = services.problem_return(actor=world.inspector, problem=problem, reason="仍有积水")
    assert (problem.status, problem.assigned_unit, problem.deadline) == (RETURNED, world.unit_a, DEADLINE)
    problem = services.problem_submit_evidence(actor=world.head_a, problem=problem, note="已疏通排水沟")
    problem = services.problem_return(actor=world.office, problem=problem, reason="墙面仍有小广告")
    problem = services.problem_submit_evidence(
        actor=world.liaison_a, problem=problem, note="已铲除小广告", files=[photo()]
    )
    problem = services.problem_close(actor=world.inspector, problem=problem, note="复核合格")

    problem = Problem.objects.with_counts().get(pk=problem.pk)
    assert (problem.status, problem.assigned_unit, problem.deadline) == (CLOSED, world.unit_a, DEADLINE)
    assert (problem.closed_at, problem.closed_on) == (TODAY, TODAY.date())
    assert (problem.rework_count, problem.reassign_count) == (2, 0)
    assert problem.return_count == 2  # the counter the rework rate reads (problems.kpi)
    assert trail(problem) == [
        (RECORD, "", RECORDED, world.inspector, world.unit_b, None, ""),
        (ASSIGN, RECORDED, ASSIGNED, world.office, world.office_unit, world.unit_a, ""),
        (SUBMIT, ASSIGNED, SUBMITTED, world.liaison_a, world.unit_a, world.unit_a, "已清扫"),
        (RETURN, SUBMITTED, RETURNED, world.inspector, world.unit_b, world.unit_a, "仍有积水"),
        (SUBMIT, RETURNED, SUBMITTED, world.head_a, world.unit_a, world.unit_a, "已疏通排水沟"),
        (RETURN, SUBMITTED, RETURNED, world.office, world.office_unit, world.unit_a, "墙面仍有小广告"),
        (SUBMIT, RETURNED, SUBMITTED, world.liaison_a, world.unit_a, world.unit_a, "已铲除小广告"),
        (CLOSE, SUBMITTED, CLOSED, world.inspector, world.unit_b, world.unit_a, "复核合格"),
    ]
    assert event_files(problem)[6] == (SUBMIT, ["整改后.jpg"])


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_return_needs_a_reason(world, reason):
    problem = submitted_problem(world)
    before = snapshot(problem)

    with pytest.raises(InvalidInput, match="「退回返工」必须填写理由"):
        services.problem_return(actor=world.inspector, problem=problem, reason=reason)

    assert snapshot(problem) == before


def test_evidence_needs_a_text_or_a_photo(world):
    problem = assigned_problem(world)
    before = snapshot(problem)

    with pytest.raises(InvalidInput, match="请填写整改情况或上传整改照片"):
        services.problem_submit_evidence(actor=world.liaison_a, problem=problem, note=" ")

    assert snapshot(problem) == before


def test_evidence_may_be_photos_alone(world):
    problem = assigned_problem(world)

    problem = services.problem_submit_evidence(actor=world.deputy_a, problem=problem, note="", files=[photo()])

    assert trail(problem)[-1] == (SUBMIT, ASSIGNED, SUBMITTED, world.deputy_a, world.unit_a, world.unit_a, "")
    assert event_files(problem)[-1] == (SUBMIT, ["整改后.jpg"])


# ---- reassignment ----------------------------------------------------------------------------


@pytest.fixture
def liaison_c(world):
    user = UserFactory(username="liaison_c", full_name="郑洁")
    MembershipFactory(user=user, unit=world.unit_c, role=Membership.Role.LIAISON)
    return user


def test_a_problem_reassigned_to_another_unit_is_fixed_by_that_unit(world, liaison_c):
    problem = assigned_problem(world)

    problem = services.problem_reassign(
        actor=world.office, problem=problem, unit=world.unit_c, reason="属农贸市场经营秩序，由市场监管局负责"
    )
    assert (problem.status, problem.assigned_unit, problem.deadline) == (ASSIGNED, world.unit_c, DEADLINE)
    assert access.problems_visible_to(world.liaison_a).filter(pk=problem.pk).exists() is False
    assert access.problems_visible_to(liaison_c).filter(pk=problem.pk).exists() is True
    with pytest.raises(NotAllowed, match="您无权对该问题执行「提交整改材料」"):
        services.problem_submit_evidence(actor=world.liaison_a, problem=problem, note="已整改")

    problem = services.problem_submit_evidence(actor=liaison_c, problem=problem, note="已规范摊位", files=[photo()])
    problem = services.problem_close(actor=world.inspector, problem=problem, note="复核合格")

    problem = Problem.objects.with_counts().get(pk=problem.pk)
    assert (problem.status, problem.assigned_unit, problem.deadline) == (CLOSED, world.unit_c, DEADLINE)
    assert (problem.reassign_count, problem.rework_count) == (1, 0)
    assert trail(problem) == [
        (RECORD, "", RECORDED, world.inspector, world.unit_b, None, ""),
        (ASSIGN, RECORDED, ASSIGNED, world.office, world.office_unit, world.unit_a, ""),
        (
            REASSIGN,
            ASSIGNED,
            ASSIGNED,
            world.office,
            world.office_unit,
            world.unit_c,
            "属农贸市场经营秩序，由市场监管局负责",
        ),
        (SUBMIT, ASSIGNED, SUBMITTED, liaison_c, world.unit_c, world.unit_c, "已规范摊位"),
        (CLOSE, SUBMITTED, CLOSED, world.inspector, world.unit_b, world.unit_c, "复核合格"),
    ]


def test_a_returned_problem_may_be_reassigned_with_a_new_deadline(world, liaison_c):
    problem = returned_problem(world)

    problem = services.problem_reassign(
        actor=world.office, problem=problem, unit=world.unit_c, reason="职责调整", deadline=dt.date(2026, 5, 31)
    )

    problem = Problem.objects.with_counts().get(pk=problem.pk)
    assert (problem.status, problem.assigned_unit, problem.deadline) == (ASSIGNED, world.unit_c, dt.date(2026, 5, 31))
    assert (problem.reassign_count, problem.rework_count) == (1, 1)
    assert trail(problem)[-1] == (
        REASSIGN,
        RETURNED,
        ASSIGNED,
        world.office,
        world.office_unit,
        world.unit_c,
        "职责调整",
    )
    assert problem.events.order_by("seq").last().deadline == dt.date(2026, 5, 31)


def test_a_problem_cannot_be_reassigned_to_the_unit_that_has_it(world):
    problem = assigned_problem(world)
    before = snapshot(problem)

    with pytest.raises(InvalidInput, match="改派的单位与当前责任单位相同"):
        services.problem_reassign(actor=world.office, problem=problem, unit=world.unit_a, reason="再交一次")

    assert snapshot(problem) == before


@pytest.mark.parametrize("reason", ["", "  \n"])
def test_a_reassignment_needs_a_reason(world, reason):
    problem = assigned_problem(world)
    before = snapshot(problem)

    with pytest.raises(InvalidInput, match="「改派」必须填写理由"):
        services.problem_reassign(actor=world.office, problem=problem, unit=world.unit_c, reason=reason)

    assert snapshot(problem) == before


@pytest.mark.parametrize("who", ["inspector", "leader", "office_viewer", "head_a", "liaison_a"])
def test_only_the_office_reassigns(world, who):
    problem = assigned_problem(world)
    before = snapshot(problem)

    with pytest.raises(NotAllowed, match="您无权对该问题执行「改派」"):
        services.problem_reassign(actor=getattr(world, who), problem=problem, unit=world.unit_c, reason="不归我们管")

    assert snapshot(problem) == before


@pytest.mark.parametrize("unit", ["office_unit", "leadership"])
def test_a_problem_goes_to_a_unit_that_can_fix_it(world, unit):
    problem = recorded_problem(world)
    before = snapshot(problem)

    with pytest.raises(InvalidInput, match="不能作为整改责任单位"):
        services.problem_assign(actor=world.office, problem=problem, unit=getattr(world, unit), deadline=DEADLINE)

    assert snapshot(problem) == before


def test_a_problem_is_not_assigned_to_a_unit_no_longer_in_use(world):
    problem = recorded_problem(world)
    world.unit_c.is_active = False
    world.unit_c.save()
    before = snapshot(problem)

    with pytest.raises(InvalidInput, match="请选择一个在用的责任单位"):
        services.problem_assign(actor=world.office, problem=problem, unit=world.unit_c, deadline=DEADLINE)

    assert snapshot(problem) == before


@pytest.mark.parametrize("who", ["inspector", "leader", "office_viewer", "liaison_a", "outsider"])
def test_only_the_office_assigns(world, who):
    problem = recorded_problem(world)
    before = snapshot(problem)

    with pytest.raises(NotAllowed, match="您无权对该问题执行「交办」"):
        services.problem_assign(actor=getattr(world, who), problem=problem, unit=world.unit_a, deadline=DEADLINE)

    assert snapshot(problem) == before


# ---- cancellation ----------------------------------------------------------------------------

BUILDERS = {
    RECORDED: recorded_problem,
    ASSIGNED: assigned_problem,
    SUBMITTED: submitted_problem,
    RETURNED: returned_problem,
}

# For each action, a call by someone whose role allows it, so that only the state can refuse.
ATTEMPTS = {
    ASSIGN: lambda w, p: services.problem_assign(actor=w.office, problem=p, unit=w.unit_c, deadline=DEADLINE),
    REASSIGN: lambda w, p: services.problem_reassign(actor=w.office, problem=p, unit=w.unit_c, reason="职责调整"),
    SUBMIT: lambda w, p: services.problem_submit_evidence(actor=w.liaison_a, problem=p, note="已整改"),
    CLOSE: lambda w, p: services.problem_close(actor=w.inspector, problem=p, note="复核合格"),
    RETURN: lambda w, p: services.problem_return(actor=w.inspector, problem=p, reason="仍未整改"),
    CANCEL: lambda w, p: services.problem_cancel(actor=w.office, problem=p, reason="重复登记"),
}


@pytest.mark.parametrize("state", [RECORDED, ASSIGNED, SUBMITTED, RETURNED])
def test_the_office_cancels_an_open_problem_with_a_reason(world, state):
    problem = BUILDERS[state](world)
    steps_before = trail(problem)

    problem = services.problem_cancel(actor=world.office, problem=problem, reason="与2026-000009重复")

    problem = Problem.objects.get(pk=problem.pk)
    expected_unit = None if state == RECORDED else world.unit_a
    expected_deadline = None if state == RECORDED else DEADLINE
    assert (problem.status, problem.assigned_unit, problem.deadline) == (CANCELLED, expected_unit, expected_deadline)
    assert (problem.closed_at, problem.closed_on) == (None, None)
    assert trail(problem) == [
        *steps_before,
        (CANCEL, state, CANCELLED, world.office, world.office_unit, expected_unit, "与2026-000009重复"),
    ]
    assert problem.is_final is True
    assert list(Problem.objects.open()) == []


@pytest.mark.parametrize("state", [RECORDED, ASSIGNED, SUBMITTED, RETURNED])
def test_nothing_can_be_done_to_a_cancelled_problem(world, state):
    problem = services.problem_cancel(actor=world.office, problem=BUILDERS[state](world), reason="误登记")
    before = snapshot(problem)

    for action, attempt in ATTEMPTS.items():
        with pytest.raises((IllegalTransition, NotAllowed)) as refused:
            attempt(world, problem)
        if action == SUBMIT and state == RECORDED:
            # Never assigned: nobody's unit has it, so the role check refuses first.
            assert refused.type is NotAllowed
        else:
            assert refused.type is IllegalTransition, action
            assert refused.value.message.endswith(f"当前为「已撤销」，不能「{Action(action).label}」")
        assert snapshot(problem) == before
    for who in ["office", "leader", "inspector", "head_a", "liaison_a"]:
        assert access.problem_actions_for(getattr(world, who), problem) == []


@pytest.mark.parametrize("who", ["inspector", "leader", "office_viewer", "head_a", "liaison_a", "outsider"])
def test_only_the_office_cancels(world, who):
    problem = submitted_problem(world)
    before = snapshot(problem)

    with pytest.raises(NotAllowed, match="您无权对该问题执行「撤销」"):
        services.problem_cancel(actor=getattr(world, who), problem=problem, reason="不是问题")

    assert snapshot(problem) == before


def test_a_cancellation_needs_a_reason(world):
    problem = assigned_problem(world)
    before = snapshot(problem)

    with pytest.raises(InvalidInput, match="「撤销」必须填写理由"):
        services.problem_cancel(actor=world.office, problem=problem, reason="")

    assert snapshot(problem) == before


# ---- deadlines -------------------------------------------------------------------------------


def test_a_problem_past_its_deadline_is_overdue_and_closing_it_then_is_late(world, frozen_today):
    problem = assigned_problem(world, deadline=dt.date(2026, 5, 20))
    assert (problem.is_overdue, list(Problem.objects.overdue())) == (False, [])

    frozen_today.move_to(at(2026, 5, 21, 0, 30))  # still 20 May in UTC: the local date decides
    problem = Problem.objects.get(pk=problem.pk)
    assert (problem.is_overdue, list(Problem.objects.overdue())) == (True, [problem])

    problem = services.problem_submit_evidence(actor=world.liaison_a, problem=problem, note="已整改")
    assert (problem.is_overdue, list(Problem.objects.overdue())) == (True, [problem])

    frozen_today.move_to(at(2026, 5, 22, 11, 0))
    problem = services.problem_close(actor=world.inspector, problem=problem, note="复核合格")

    problem = Problem.objects.get(pk=problem.pk)
    assert (problem.status, problem.closed_at, problem.closed_on) == (
        CLOSED,
        at(2026, 5, 22, 11, 0),
        dt.date(2026, 5, 22),
    )
    assert (problem.closed_late, problem.is_overdue) == (True, False)
    assert list(Problem.objects.closed_late()) == [problem]
    assert list(Problem.objects.closed_on_time()) == []
    assert list(Problem.objects.overdue()) == []
    assert Problem.objects.annotate_timeliness().get(pk=problem.pk).timeliness == "closed_late"


def test_a_deadline_falls_due_at_the_end_of_its_day(world, frozen_today):
    problem = submitted_problem(world, deadline=dt.date(2026, 5, 20))

    frozen_today.move_to(at(2026, 5, 20, 23, 59))
    problem = Problem.objects.get(pk=problem.pk)
    assert (problem.is_overdue, list(Problem.objects.overdue())) == (False, [])
    assert Problem.objects.annotate_timeliness().get(pk=problem.pk).timeliness == "due"

    problem = services.problem_close(actor=world.inspector, problem=problem, note="复核合格")

    problem = Problem.objects.get(pk=problem.pk)
    assert (problem.closed_at, problem.closed_on) == (at(2026, 5, 20, 23, 59), dt.date(2026, 5, 20))
    assert problem.closed_late is False
    assert list(Problem.objects.closed_on_time()) == [problem]
    assert list(Problem.objects.closed_late()) == []


def test_a_deadline_is_overdue_from_the_first_minute_of_the_next_day(world, frozen_today):
    problem = submitted_problem(world, deadline=dt.date(2026, 5, 20))

    frozen_today.move_to(at(2026, 5, 21, 0, 0, 1))
    problem = Problem.objects.get(pk=problem.pk)
    assert (problem.is_overdue, list(Problem.objects.overdue())) == (True, [problem])
    assert Problem.objects.annotate_timeliness().get(pk=problem.pk).timeliness == "overdue"

    problem = services.problem_close(actor=world.inspector, problem=problem, note="复核合格")

    problem = Problem.objects.get(pk=problem.pk)
    assert (problem.closed_on, problem.closed_late) == (dt.date(2026, 5, 21), True)
    assert list(Problem.objects.closed_late()) == [problem]


def test_a_deadline_already_past_is_refused(world):
    problem = recorded_problem(world)
    before = snapshot(problem)

    with pytest.raises(InvalidInput) as refused:
        services.problem_assign(actor=world.office, problem=problem, unit=world.unit_a, deadline=dt.date(2026, 5, 11))

    assert refused.value.message == "整改期限 2026年5月11日 已过，不能早于今天"
    assert snapshot(problem) == before


def test_a_deadline_of_today_is_accepted(world):
    problem = recorded_problem(world)

    problem = services.problem_assign(actor=world.office, problem=problem, unit=world.unit_a, deadline=TODAY.date())

    assert (problem.status, problem.deadline, problem.is_overdue) == (ASSIGNED, dt.date(2026, 5, 12), False)


def test_a_reassignment_with_a_past_deadline_is_refused(world):
    problem = assigned_problem(world)
    before = snapshot(problem)

    with pytest.raises(InvalidInput, match="整改期限 2026年5月1日 已过，不能早于今天"):
        services.problem_reassign(
            actor=world.office, problem=problem, unit=world.unit_c, reason="职责调整", deadline=dt.date(2026, 5, 1)
        )

    assert snapshot(problem) == before


# ---- rebound ---------------------------------------------------------------------------------


@pytest.mark.parametrize("days", [1, 89, 90])
def test_a_problem_back_at_the_same_site_within_90_days_is_a_rebound(world, frozen_today, days):
    first = closed_problem(world)
    assert settings.REBOUND_WINDOW_DAYS == 90

    frozen_today.move_to(TODAY + dt.timedelta(days=days))
    again = recorded_problem(world, description="巷口又见垃圾堆积")

    assert again.rebound_of == first
    assert [r.number for r in first.rebounds.all()] == ["2026-000002"]
    assert trail(again) == [
        (
            RECORD,
            "",
            RECORDED,
            world.inspector,
            world.unit_b,
            None,
            "反弹：同一点位同一指标的问题 2026-000001 于 2026年5月12日 销号",
        ),
    ]


@pytest.mark.parametrize("days", [91, 365])
def test_a_problem_back_after_the_window_is_a_new_problem(world, frozen_today, days):
    closed_problem(world)

    frozen_today.move_to(TODAY + dt.timedelta(days=days))
    again = recorded_problem(world)

    assert again.rebound_of is None
    assert trail(again)[0][-1] == ""


def test_a_rebound_is_the_same_criterion_at_the_same_site(world):
    closed_problem(world)

    other_criterion = recorded_problem(world, criterion=world.criterion)
    other_site = recorded_problem(world, site=world.site_b)
    same = recorded_problem(world)

    assert (other_criterion.rebound_of, other_site.rebound_of, same.rebound_of.number) == (None, None, "2026-000001")


def test_only_a_closed_problem_can_rebound(world):
    services.problem_cancel(actor=world.office, problem=assigned_problem(world), reason="误登记")
    submitted_problem(world)

    again = recorded_problem(world)

    assert again.rebound_of is None


def test_a_rebound_points_to_the_latest_closure(world, frozen_today):
    closed_problem(world)
    frozen_today.move_to(TODAY + dt.timedelta(days=10))
    second = closed_problem(world, deadline=dt.date(2026, 6, 30))

    frozen_today.move_to(TODAY + dt.timedelta(days=20))
    third = recorded_problem(world)

    assert third.rebound_of == second


# ---- illegal transitions write nothing ------------------------------------------------------

STATE_BUILDERS = {
    RECORDED: recorded_problem,
    ASSIGNED: assigned_problem,
    SUBMITTED: submitted_problem,
    RETURNED: returned_problem,
    CLOSED: closed_problem,
    "cancelled before assignment": lambda w: services.problem_cancel(
        actor=w.office, problem=recorded_problem(w), reason="误登记"
    ),
    "cancelled after assignment": cancelled_problem,
}
ILLEGAL = [
    (state, action) for state in STATE_BUILDERS for action in ATTEMPTS if state.split()[0] not in TRANSITIONS[action][0]
]


def test_every_state_has_illegal_actions_to_try():
    assert len(ILLEGAL) == 31


@pytest.mark.parametrize(("state", "action"), ILLEGAL)
def test_an_action_the_state_does_not_allow_is_refused_and_writes_nothing(world, state, action):
    problem = STATE_BUILDERS[state](world)
    before = snapshot(problem)

    with pytest.raises((IllegalTransition, NotAllowed)) as refused:
        ATTEMPTS[action](world, problem)

    if action == SUBMIT and problem.assigned_unit is None:
        # Never assigned: no unit's people may submit, and the role check comes before the state.
        assert refused.type is NotAllowed
        assert refused.value.message == "您无权对该问题执行「提交整改材料」"
    else:
        assert refused.type is IllegalTransition
        assert refused.value.message == (
            f"问题 2026-000001 当前为「{problem.get_status_display()}」，不能「{Action(action).label}」"
        )
    assert snapshot(problem) == before


def test_record_is_not_a_transition(world):
    problem = recorded_problem(world)
    before = snapshot(problem)

    with pytest.raises(IllegalTransition, match="登记问题请使用 problem_record"):
        services.problem_transition(problem=problem, action=Action.RECORD, actor=world.office)

    assert snapshot(problem) == before


# ---- nothing closes unverified ---------------------------------------------------------------


@pytest.mark.parametrize("who", ["liaison_a", "head_a", "deputy_a", "viewer_a", "leader", "office_viewer", "outsider"])
def test_the_unit_that_fixed_it_and_readers_cannot_close_or_return(world, who):
    problem = submitted_problem(world)
    before = snapshot(problem)

    with pytest.raises(NotAllowed, match="您无权对该问题执行「复核通过并销号」"):
        services.problem_close(actor=getattr(world, who), problem=problem, note="已整改")
    with pytest.raises(NotAllowed, match="您无权对该问题执行「退回返工」"):
        services.problem_return(actor=getattr(world, who), problem=problem, reason="自查不合格")

    assert snapshot(problem) == before


def test_an_inspector_does_not_verify_the_fix_of_their_own_unit(world):
    problem = assigned_problem(world, unit=world.unit_b, site=world.site_b)
    problem = services.problem_submit_evidence(actor=world.liaison_b, problem=problem, note="已清理市场内垃圾")
    before = snapshot(problem)

    with pytest.raises(NotAllowed, match="您无权对该问题执行「复核通过并销号」"):
        services.problem_close(actor=world.inspector, problem=problem, note="复核合格")
    assert snapshot(problem) == before
    assert access.problem_actions_for(world.inspector, problem) == []

    problem = services.problem_close(actor=world.office, problem=problem, note="爱卫办复核合格")

    assert trail(problem)[-1] == (
        CLOSE,
        SUBMITTED,
        CLOSED,
        world.office,
        world.office_unit,
        world.unit_b,
        "爱卫办复核合格",
    )


def test_a_unit_cannot_submit_evidence_for_another_units_problem(world):
    problem = assigned_problem(world)
    before = snapshot(problem)

    for who in ["liaison_b", "viewer_a", "inspector", "office", "outsider"]:
        with pytest.raises(NotAllowed, match="您无权对该问题执行「提交整改材料」"):
            services.problem_submit_evidence(actor=getattr(world, who), problem=problem, note="已整改")

    assert snapshot(problem) == before


@pytest.mark.parametrize("who", ["liaison_a", "viewer_a", "leader", "office_viewer", "outsider"])
def test_only_the_office_and_inspectors_record_problems(world, who):
    with pytest.raises(NotAllowed, match="只有爱卫办和督导组可以登记问题"):
        services.problem_record(
            actor=getattr(world, who),
            campaign=world.campaign,
            site=world.site,
            criterion=world.checkpoint,
            description="巷口垃圾堆积",
        )

    assert (Problem.objects.count(), ProblemCounter.objects.count()) == (0, 0)


# ---- stale copies ----------------------------------------------------------------------------


def test_acting_on_a_copy_someone_else_has_acted_on_is_refused(world):
    submitted = submitted_problem(world)
    first = Problem.objects.get(pk=submitted.pk)
    second = Problem.objects.get(pk=submitted.pk)
    services.problem_return(actor=world.inspector, problem=first, reason="仍有积水")
    before = snapshot(second)

    with pytest.raises(StaleObject) as refused:
        services.problem_close(actor=world.office, problem=second, note="复核合格")

    assert "已被他人处理" in refused.value.message
    assert refused.value.message == "问题 2026-000001 已被他人处理（现为「退回返工」），请刷新后重试"
    assert snapshot(second) == before
    assert Problem.objects.get(pk=submitted.pk).status == RETURNED

    second.refresh_from_db()
    second = services.problem_submit_evidence(actor=world.liaison_a, problem=second, note="已疏通排水沟")
    assert [step[0] for step in trail(second)] == [RECORD, ASSIGN, SUBMIT, RETURN, SUBMIT]


def test_the_copy_passed_to_a_service_is_stale_afterwards(world):
    recorded = recorded_problem(world)
    assigned = services.problem_assign(actor=world.office, problem=recorded, unit=world.unit_a, deadline=DEADLINE)
    before = snapshot(assigned)

    with pytest.raises(StaleObject, match="已被他人处理（现为「整改中」）"):
        services.problem_cancel(actor=world.office, problem=recorded, reason="重复登记")

    assert snapshot(assigned) == before


# ---- numbers ---------------------------------------------------------------------------------


def test_problems_are_numbered_in_sequence_and_the_sequence_restarts_each_year(world, frozen_today):
    numbers = [recorded_problem(world).number for _ in range(3)]
    frozen_today.move_to(at(2026, 12, 31, 23, 55))
    numbers.append(recorded_problem(world).number)
    frozen_today.move_to(at(2027, 1, 1, 0, 5))  # still 2026 in UTC: the local year decides
    numbers += [recorded_problem(world).number for _ in range(2)]

    assert numbers == ["2026-000001", "2026-000002", "2026-000003", "2026-000004", "2027-000001", "2027-000002"]
    assert list(Problem.objects.values_list("year", "sequence")) == [
        (2027, 2),
        (2027, 1),
        (2026, 4),
        (2026, 3),
        (2026, 2),
        (2026, 1),
    ]


# ---- evidence files --------------------------------------------------------------------------

BAD_FILES = {
    "truncated JPEG": ("整改后.jpg", jpeg_bytes()[:300], "文件「整改后.jpg」不是有效的图片或已损坏"),
    "text named .jpg": ("整改后.jpg", "已整改完毕".encode(), "文件「整改后.jpg」不是有效的图片或已损坏"),
    "program": ("整改说明.exe", b"MZ\x90\x00\x03\x00\x00\x00", "不支持的文件类型「整改说明.exe」"),
}


@pytest.mark.parametrize("bad", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_bad_evidence_file_refuses_the_submission_and_writes_nothing(world, bad):
    name, data, message = bad
    problem = assigned_problem(world)
    before = snapshot(problem)

    with pytest.raises(InvalidInput) as refused:
        services.problem_submit_evidence(
            actor=world.liaison_a, problem=problem, note="已整改", files=[photo("现场1.jpg"), (name, data)]
        )

    assert refused.value.message.startswith(message)
    assert snapshot(problem) == before
    assert (Problem.objects.get(pk=problem.pk).status, Attachment.objects.count()) == (ASSIGNED, 0)
    assert stored_files() == []


@pytest.mark.parametrize("bad", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_bad_photo_refuses_the_record_and_uses_no_number(world, bad):
    name, data, message = bad

    with pytest.raises(InvalidInput, match=message.replace(".", r"\.")):
        services.problem_record(
            actor=world.inspector,
            campaign=world.campaign,
            site=world.site,
            criterion=world.checkpoint,
            description="巷口垃圾堆积",
            photos=[photo("现场1.jpg"), (name, data)],
        )

    assert (Problem.objects.count(), Attachment.objects.count(), stored_files()) == (0, 0, [])
    assert recorded_problem(world).number == "2026-000001"


def test_a_bad_verification_photo_refuses_the_closure(world):
    problem = submitted_problem(world)
    before = snapshot(problem)

    with pytest.raises(InvalidInput, match="不是有效的图片或已损坏"):
        services.problem_close(actor=world.inspector, problem=problem, files=[("复核.png", jpeg_bytes()[:200])])

    assert snapshot(problem) == before
    assert Problem.objects.get(pk=problem.pk).status == SUBMITTED
