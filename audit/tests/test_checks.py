"""The cross-app integrity check (audit.checks.audit, `python manage.py audit_check`).

The data is built healthy through the real services, then broken the way a hand edit in the
database would break it: a bulk `.update()` of a status, an event deleted or renumbered, a close
put in the name of the unit's own people, a task whose person left the unit, a deadline past its
milestone, a standard node edited in the admin. Problem events are append-only, down to the
database's triggers, so they are tampered with as the database's owner would (tests.dba: triggers
lifted, a plain QuerySet); the hash chain then names the row too (audit/tests/test_chain.py
tests the chain on its own). Each test asserts the exact sentences the check returns, and nothing
more."""

import datetime as dt
import io
import re
import threading
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from audit.checks import _snapshot, audit
from campaigns import services as ledger
from campaigns.models import Milestone, Task
from organisation.models import Membership
from problems import services
from problems.models import Problem, ProblemEvent
from problems.states import Action, Status
from problems.tests.helpers import (
    DEADLINE,
    assigned_problem,
    cancelled_problem,
    closed_problem,
    recorded_problem,
    returned_problem,
)
from standard.models import Criterion
from tests import dba
from tests.factories import CriterionFactory, MembershipFactory, StandardFactory

Role = Membership.Role


@pytest.fixture
def data(world):
    """One problem in each place of the closed loop, numbered in this order, and one ledger task;
    all of it written by the services, so its trail is the real one."""
    recorded = recorded_problem(world)  # 2026-000001: record
    closed = closed_problem(world)  # 2026-000002: record, assign, submit, close
    returned = returned_problem(world)  # 2026-000003: record, assign, submit, return
    reassigned = services.problem_reassign(  # 2026-000004: record, assign, reassign
        actor=world.office, problem=assigned_problem(world), unit=world.unit_c, reason="属市场监管职责"
    )
    cancelled = cancelled_problem(world)  # 2026-000005: record, assign, cancel
    task = ledger.task_create(
        actor=world.office,
        campaign=world.campaign,
        criterion=world.criterion,
        milestone=world.covert,
        title="清理背街小巷",
        lead_unit=world.unit_a,
        responsible=world.liaison_a,
        target_quantity=37,
        target_measure="条",
        deadline=dt.date(2026, 6, 20),
    )
    return SimpleNamespace(
        world=world,
        recorded=recorded,
        closed=closed,
        returned=returned,
        reassigned=reassigned,
        cancelled=cancelled,
        task=task,
    )


def events(problem, **where):
    return ProblemEvent.objects.filter(problem=problem, **where)


def run_command() -> str:
    out = io.StringIO()
    call_command("audit_check", stdout=out)
    return out.getvalue()


def edited(seq: int) -> str:
    """The chain's sentence for the problem event at position `seq`, changed after it was written."""
    pk = ProblemEvent.objects.get(chain_seq=seq).pk
    return f"问题记录（problems_problemevent）第 {seq} 条（id {pk}）：内容与本条哈希不符，写入后被修改"


def deleted(seq: int) -> str:
    """The chain's sentence for the problem event at position `seq`, deleted."""
    return f"问题记录（problems_problemevent）：缺少第 {seq} 条（在第 {seq + 1} 条之前），记录被删除"


def timeless(output: str) -> str:
    return re.sub(r"（用时 \d+\.\d 秒）", "（用时 … 秒）", output)


CHECKS_LINE = (
    "核查项目：问题状态与处理记录回放一致；处理记录序号连续、前后衔接；责任单位与整改期限同最后一条记录一致；"
    "销号须经非责任单位人员复核；台账任务一个责任单位、一名本单位责任人、期限不晚于时间节点；标准分值等于下级之和；"
    "证据文件存在且 SHA-256 与登记一致；只追加表的哈希链完整、触发器在位"
)


# ---- healthy data ------------------------------------------------------------------------------


def test_data_written_by_the_services_has_no_violation_and_the_check_counts_what_it_read(data):
    checked = {}

    assert audit(checked=checked) == []
    assert checked == {"问题": 5, "问题记录": 15, "台账任务": 1, "标准条目": 3, "附件文件": 2, "哈希链记录": 16}
    assert [p.number for p in (data.recorded, data.closed, data.returned, data.reassigned, data.cancelled)] == [
        "2026-000001",
        "2026-000002",
        "2026-000003",
        "2026-000004",
        "2026-000005",
    ]


def test_an_empty_database_has_no_violation(db):
    checked = {}

    assert audit(checked=checked) == []
    assert checked == {"问题": 0, "问题记录": 0, "台账任务": 0, "标准条目": 0, "附件文件": 0, "哈希链记录": 0}


def test_a_close_by_the_office_which_is_outside_the_unit_is_independent(data):
    world = data.world
    problem = services.problem_submit_evidence(actor=world.liaison_a, problem=data.returned, note="已重新清理")
    services.problem_close(actor=world.office, problem=problem, note="爱卫办复核合格")

    assert audit() == []


# ---- a problem's status against its trail ------------------------------------------------------


@pytest.mark.parametrize(
    "problem, status, sentence",
    [
        ("closed", Status.ASSIGNED, "问题 2026-000002：状态为「整改中」，但按处理记录应为「已销号」"),
        ("recorded", Status.CANCELLED, "问题 2026-000001：状态为「已撤销」，但按处理记录应为「待交办」"),
        ("cancelled", Status.RECORDED, "问题 2026-000005：状态为「待交办」，但按处理记录应为「已撤销」"),
        ("recorded", "archived", "问题 2026-000001：状态为「'archived'」，但按处理记录应为「待交办」"),
    ],
    ids=[
        "closed set back to assigned",
        "recorded set to cancelled",
        "cancelled set back",
        "a status that does not exist",
    ],
)
def test_a_status_changed_behind_the_services_back_is_named_with_the_status_its_trail_gives(
    data, problem, status, sentence
):
    Problem.objects.filter(pk=getattr(data, problem).pk).update(status=status)

    assert audit() == [sentence]


def test_a_problem_without_any_event_is_named(data):
    # What a bulk load that wrote the row but not its trail would leave.
    dba.delete(events(data.recorded))

    assert audit() == ["问题 2026-000001：没有任何处理记录", deleted(1)]


def test_a_closed_problem_whose_close_event_was_deleted_is_named_twice(data):
    dba.delete(events(data.closed, action=Action.CLOSE))

    assert audit() == [
        "问题 2026-000002：状态为「已销号」，但按处理记录应为「待复核」",
        "问题 2026-000002：已销号，但没有复核销号记录",
        deleted(5),
    ]


def test_a_problem_set_to_closed_without_verification_is_named_twice(data):
    closed_at = dt.datetime(2026, 5, 12, 10, 0, tzinfo=dt.UTC)
    Problem.objects.filter(pk=data.returned.pk).update(
        status=Status.CLOSED, closed_at=closed_at, closed_on=dt.date(2026, 5, 12)
    )

    assert audit() == [
        "问题 2026-000003：状态为「已销号」，但按处理记录应为「退回返工」",
        "问题 2026-000003：已销号，但没有复核销号记录",
    ]


def test_a_return_counter_that_disagrees_with_the_trail_is_named(data):
    # The rework rate counts problems from this counter (problems.kpi); the trail is the record.
    assert Problem.objects.get(pk=data.returned.pk).return_count == 1
    Problem.objects.filter(pk=data.closed.pk).update(return_count=2)

    assert audit() == ["问题 2026-000002：退回返工次数记为 2，但处理记录中有 0 次"]


# ---- the trail itself ----------------------------------------------------------------------------


def test_an_event_deleted_from_the_middle_of_a_trail_breaks_the_numbering_the_chain_and_the_replay(data):
    dba.delete(events(data.closed, action=Action.SUBMIT))

    assert audit() == [
        "问题 2026-000002：记录序号不是 1 至 3 连续编号",
        "问题 2026-000002：第 4 条记录的原状态「待复核」与上一条记录的结果「整改中」不衔接",
        "问题 2026-000002：处理记录不符合状态流转规则（step 3: close is not allowed from assigned）",
        deleted(4),
    ]


def test_a_renumbered_event_is_named_for_its_numbering_only(data):
    dba.update(events(data.closed, seq=4), seq=5)

    assert audit() == ["问题 2026-000002：记录序号不是 1 至 4 连续编号", edited(5)]


def test_an_event_with_an_action_that_does_not_exist_is_named_and_cannot_be_replayed(data):
    dba.update(events(data.closed, action=Action.SUBMIT), action="approve")

    assert audit() == [
        "问题 2026-000002：第 3 条记录的动作「approve」不存在",
        "问题 2026-000002：处理记录不符合状态流转规则（'approve'）",
        edited(4),
    ]


def test_an_event_whose_result_is_not_its_actions_result_is_named_and_so_is_the_next_events_start(data):
    dba.update(events(data.reassigned, action=Action.ASSIGN), to_status=Status.SUBMITTED)

    assert audit() == [
        "问题 2026-000004：第 2 条记录「交办」的结果应为「整改中」",
        "问题 2026-000004：第 3 条记录的原状态「整改中」与上一条记录的结果「待复核」不衔接",
        edited(11),
    ]


def test_a_first_event_that_claims_a_previous_state_is_named(data):
    dba.update(events(data.recorded, seq=1), from_status=Status.RECORDED)

    assert audit() == ["问题 2026-000001：第 1 条记录的原状态「待交办」与上一条记录的结果「无」不衔接", edited(1)]


def test_an_event_that_starts_from_another_state_than_the_last_one_left_is_named(data):
    dba.update(events(data.cancelled, action=Action.CANCEL), from_status=Status.RETURNED)

    assert audit() == [
        "问题 2026-000005：第 3 条记录的原状态「退回返工」与上一条记录的结果「整改中」不衔接",
        edited(15),
    ]


def test_a_trail_of_well_formed_events_in_an_order_the_state_machine_forbids_is_named(data):
    # Every event keeps its own from and to (recorded -> assigned), but a reassignment cannot
    # come before the first assignment.
    dba.update(events(data.reassigned, action=Action.ASSIGN), action=Action.REASSIGN)

    assert audit() == [
        "问题 2026-000004：处理记录不符合状态流转规则（step 2: reassign is not allowed from recorded）",
        edited(11),
    ]


# ---- the responsible unit and deadline -----------------------------------------------------------


@pytest.mark.parametrize(
    "problem, unit",
    [("reassigned", "unit_a"), ("returned", "unit_b")],
    ids=["assigned, handed back to its first unit", "returned, moved to another unit"],
)
def test_a_problem_with_a_unit_whose_unit_differs_from_its_last_event_is_named(data, problem, unit):
    target = getattr(data, problem)
    Problem.objects.filter(pk=target.pk).update(assigned_unit=getattr(data.world, unit))

    assert audit() == [f"问题 {target.number}：责任单位或整改期限与最后一条处理记录不一致"]


@pytest.mark.parametrize(
    "problem, days",
    [("reassigned", 7), ("returned", -1)],
    ids=["assigned, deadline put later", "returned, deadline brought forward"],
)
def test_a_problem_with_a_unit_whose_deadline_differs_from_its_last_event_is_named(data, problem, days):
    target = getattr(data, problem)
    Problem.objects.filter(pk=target.pk).update(deadline=DEADLINE + dt.timedelta(days=days))

    assert audit() == [f"问题 {target.number}：责任单位或整改期限与最后一条处理记录不一致"]


# ---- independent verification --------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["liaison_a", "head_a", "viewer_a"])
def test_a_close_in_the_name_of_a_member_of_the_responsible_unit_is_named(data, persona):
    dba.update(events(data.closed, action=Action.CLOSE), actor=getattr(data.world, persona))

    assert audit() == ["问题 2026-000002：由责任单位自己的人员销号（第 4 条记录），未经独立复核", edited(5)]


def test_a_close_event_without_its_unit_is_checked_against_the_problems_unit(data):
    dba.update(events(data.closed, action=Action.CLOSE), actor=data.world.deputy_a, unit=None)

    assert audit() == ["问题 2026-000002：由责任单位自己的人员销号（第 4 条记录），未经独立复核", edited(5)]


def test_a_closing_time_that_differs_from_the_close_events_time_is_named(data):
    Problem.objects.filter(pk=data.closed.pk).update(closed_at=data.closed.closed_at + dt.timedelta(minutes=1))

    assert audit() == ["问题 2026-000002：销号时间与复核销号记录的时间不一致"]


# ---- the ledger -------------------------------------------------------------------------------------


def test_a_task_whose_responsible_person_left_the_unit_is_named(data):
    Membership.objects.filter(user=data.world.liaison_a, unit=data.world.unit_a).delete()

    assert audit() == [f"任务 #{data.task.pk}「清理背街小巷」：责任人 周晓 不是责任单位「东城街道」的成员"]


def test_a_task_handed_by_hand_to_a_person_of_another_unit_is_named(data):
    Task.objects.filter(pk=data.task.pk).update(responsible=data.world.liaison_b)

    assert audit() == [f"任务 #{data.task.pk}「清理背街小巷」：责任人 吴婷 不是责任单位「东城街道」的成员"]


def test_a_task_handed_by_hand_to_another_unit_is_named(data):
    Task.objects.filter(pk=data.task.pk).update(lead_unit=data.world.unit_b)

    assert audit() == [f"任务 #{data.task.pk}「清理背街小巷」：责任人 周晓 不是责任单位「城管局」的成员"]


def test_a_responsible_person_who_stays_in_the_unit_with_another_role_is_still_its_member(data):
    MembershipFactory(user=data.world.liaison_a, unit=data.world.unit_a, role=Role.VIEWER)
    Membership.objects.filter(user=data.world.liaison_a, unit=data.world.unit_a, role=Role.LIAISON).delete()

    assert audit() == []


def test_a_task_deadline_put_after_its_milestone_is_named(data):
    Task.objects.filter(pk=data.task.pk).update(deadline=dt.date(2026, 7, 1))

    assert audit() == [
        f"任务 #{data.task.pk}「清理背街小巷」：完成期限 2026-07-01 晚于时间节点「通过省级暗访」的截止日期 2026-06-30"
    ]


def test_a_milestone_brought_forward_by_hand_past_its_tasks_deadline_is_named_at_the_task(data):
    Milestone.objects.filter(pk=data.world.covert.pk).update(due_on=dt.date(2026, 6, 1))

    assert audit() == [
        f"任务 #{data.task.pk}「清理背街小巷」：完成期限 2026-06-20 晚于时间节点「通过省级暗访」的截止日期 2026-06-01"
    ]


def test_a_task_due_on_its_milestones_day_is_in_time(data):
    Task.objects.filter(pk=data.task.pk).update(deadline=dt.date(2026, 6, 30))

    assert audit() == []


# ---- the standard --------------------------------------------------------------------------------


def test_a_standard_node_whose_weight_differs_from_its_childrens_is_named_with_its_standard(data):
    Criterion.objects.filter(pk=data.world.checkpoint.pk).update(weight=2)

    assert audit() == ["标准「测试标准」：3.2 背街小巷保洁：分值 1.00，下级合计 2.00"]


def test_mismatches_of_several_standards_come_in_the_order_of_their_codes(data):
    Criterion.objects.filter(pk=data.world.category.pk).update(weight=3)
    other = StandardFactory(code="a-first", name="另一标准")
    category = CriterionFactory(standard=other, level=Criterion.Level.CATEGORY, code="1", name="类别", weight=2)
    CriterionFactory(standard=other, level=Criterion.Level.CRITERION, code="1.1", parent=category, weight=1)

    assert audit() == [
        "标准「另一标准」：1 类别：分值 2.00，下级合计 1.00",
        "标准「测试标准」：3 市容环境卫生：分值 3.00，下级合计 1.00",
    ]


# ---- several at once, in chunks -----------------------------------------------------------------


def broken_everywhere(data):
    dba.update(events(data.closed, action=Action.CLOSE), actor=data.world.liaison_a)
    dba.delete(events(data.returned))
    Problem.objects.filter(pk=data.cancelled.pk).update(status=Status.ASSIGNED)
    Task.objects.filter(pk=data.task.pk).update(deadline=dt.date(2026, 7, 1))
    Criterion.objects.filter(pk=data.world.checkpoint.pk).update(weight=2)
    return [
        "问题 2026-000002：由责任单位自己的人员销号（第 4 条记录），未经独立复核",
        "问题 2026-000003：没有任何处理记录",
        "问题 2026-000005：状态为「整改中」，但按处理记录应为「已撤销」",
        f"任务 #{data.task.pk}「清理背街小巷」：完成期限 2026-07-01 晚于时间节点「通过省级暗访」的截止日期 2026-06-30",
        "标准「测试标准」：3.2 背街小巷保洁：分值 1.00，下级合计 2.00",
        edited(5),
        "问题记录（problems_problemevent）：缺少第 6 至 9 条（在第 10 条之前），记录被删除",
    ]


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 10_000])
def test_every_violation_is_found_once_in_order_whatever_the_chunk_size(data, chunk_size):
    # Problems and events are read as two streams side by side: a problem without events between
    # two with events must neither take their events nor lose its own place.
    expected = broken_everywhere(data)
    checked = {}

    assert audit(checked=checked, chunk_size=chunk_size) == expected
    assert checked == {"问题": 5, "问题记录": 11, "台账任务": 1, "标准条目": 3, "附件文件": 2, "哈希链记录": 12}


# ---- the command ----------------------------------------------------------------------------------


def test_the_command_on_healthy_data_says_what_it_checked_and_that_it_found_nothing(data):
    assert timeless(run_command()) == (
        f"{CHECKS_LINE}\n"
        "已核查：问题 5，问题记录 15，台账任务 1，标准条目 3，附件文件 2，哈希链记录 16（用时 … 秒）\n"
        "未发现不一致\n"
    )


def test_the_command_prints_every_violation_and_fails_with_their_number(data):
    expected = broken_everywhere(data)
    out = io.StringIO()

    with pytest.raises(CommandError) as failed:
        call_command("audit_check", stdout=out)

    assert str(failed.value) == "发现 7 处不一致"
    assert failed.value.returncode == 1
    assert timeless(out.getvalue()) == "\n".join(
        [
            CHECKS_LINE,
            "已核查：问题 5，问题记录 11，台账任务 1，标准条目 3，附件文件 2，哈希链记录 12（用时 … 秒）",
            *expected,
            "",
        ]
    )


# ---- one snapshot on PostgreSQL ----------------------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: concurrent connections")
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_check_reads_one_snapshot_that_later_commits_do_not_change(world):
    recorded_problem(world)

    def record_elsewhere():
        try:
            recorded_problem(world, description="另一连接登记的问题")
        finally:
            connection.close()

    with _snapshot():
        with connection.cursor() as cursor:
            cursor.execute("SHOW transaction_isolation")
            isolation = cursor.fetchone()[0]
            cursor.execute("SHOW transaction_read_only")
            read_only = cursor.fetchone()[0]
        before = Problem.objects.count()
        thread = threading.Thread(target=record_elsewhere)
        thread.start()
        thread.join(30)
        during = Problem.objects.count()

    assert (isolation, read_only) == ("repeatable read", "on")
    assert (before, during, Problem.objects.count()) == (1, 1, 2)
    assert audit() == []
