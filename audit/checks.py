"""Checks that the data keeps the rules the services keep: `python manage.py audit_check`.

The services are the only writers of statuses, so on a healthy database this finds nothing. It
exists to prove that (after a bulk load, a restore, a migration, a hand edit in the database):
- every problem's status is the replay of its audit events through problems.states.TRANSITIONS,
  events are numbered 1..n and each starts from the status the previous one left; a problem
  with a unit has the unit and deadline its last event gave it;
- no problem is closed without a CLOSE event by someone who is not a member of the unit that was
  responsible at that time, and closed_at is that event's time;
- every ledger task has one lead unit and a responsible person who belongs to it, and a
  deadline no later than its milestone;
- every node of a standard weighs the sum of its children;
- every evidence file exists with the SHA-256 recorded for it (audit/files.py).
- every append-only table's hash chain is whole and its triggers are in place (audit.chain).

Problems and events are streamed side by side, both ordered by problem, so a million problems
are checked in constant memory.
"""

import contextlib

from django.db import connection, transaction

from audit.chain import chain_violations
from audit.files import attachment_violations
from campaigns.models import Task
from organisation.models import Membership, Unit, User
from problems.models import Problem, ProblemEvent
from problems.states import NOTES, TRANSITIONS, WITH_UNIT, Action, Status, replay
from standard.models import Criterion, Standard
from standard.services import weight_mismatches

CHUNK_SIZE = 10_000


def audit(*, checked: dict[str, int] | None = None, chunk_size: int = CHUNK_SIZE) -> list[str]:
    """Every violation found, as a sentence in Chinese naming the object. `checked`, when given,
    receives what was checked and how many."""
    checked = {} if checked is None else checked
    with _snapshot():
        members = set(Membership.objects.values_list("user_id", "unit_id"))
        violations = problem_violations(members, checked, chunk_size)
        violations += task_violations(members, checked)
        violations += standard_violations(checked)
        violations += attachment_violations(checked)
        violations += chain_violations(checked, chunk_size)
    return violations


@contextlib.contextmanager
def _snapshot():
    """On PostgreSQL, read problems and events from one snapshot, so that a step taken while
    the check runs is not mistaken for a broken chain. (SQLite gives two statements that are
    open together the same snapshot already; a transaction there would take the write lock.)"""
    if connection.vendor != "postgresql":
        yield
        return
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def _label(status: str) -> str:
    return Status(status).label if status in Status.values else repr(status)


def problem_violations(members: set[tuple[int, int]], checked: dict[str, int], chunk_size: int) -> list[str]:
    problems = (
        Problem.objects.order_by("pk")
        .values_list("pk", "year", "sequence", "status", "assigned_unit_id", "deadline", "closed_at", "return_count")
        .iterator(chunk_size=chunk_size)
    )
    events = (
        ProblemEvent.objects.order_by("problem_id", "seq")
        .values_list("problem_id", "seq", "action", "from_status", "to_status", "actor_id", "unit_id", "deadline", "at")
        .iterator(chunk_size=chunk_size)
    )
    violations: list[str] = []
    pending = next(events, None)
    problem_count = event_count = 0
    for problem in problems:
        chain = []
        while pending is not None and pending[0] <= problem[0]:
            if pending[0] == problem[0]:
                chain.append(pending)
            pending = next(events, None)
        problem_count += 1
        event_count += len(chain)
        violations += _chain_violations(problem, chain, members)
    checked["问题"] = problem_count
    checked["问题记录"] = event_count
    return violations


def _chain_violations(problem: tuple, chain: list[tuple], members: set[tuple[int, int]]) -> list[str]:
    _, year, sequence, status, unit_id, deadline, closed_at, return_count = problem
    name = f"问题 {year}-{sequence:06d}"
    if not chain:
        return [f"{name}：没有任何处理记录"]
    found = []
    numbers = [event[1] for event in chain]
    if numbers != list(range(1, len(chain) + 1)):
        found.append(f"{name}：记录序号不是 1 至 {len(chain)} 连续编号")
    previous = ""
    for _, seq, action, from_status, to_status, *_rest in chain:
        if action in NOTES:
            # A reminder or escalation moves nothing: it meets the state and leaves it as it was.
            if from_status != previous or to_status != previous:
                found.append(f"{name}：第 {seq} 条记录「{Action(action).label}」改变了状态")
            continue
        if action not in TRANSITIONS:
            found.append(f"{name}：第 {seq} 条记录的动作「{action}」不存在")
        elif to_status != TRANSITIONS[action][1]:
            found.append(
                f"{name}：第 {seq} 条记录「{Action(action).label}」的结果应为「{_label(TRANSITIONS[action][1])}」"
            )
        if from_status != previous:
            found.append(
                f"{name}：第 {seq} 条记录的原状态「{_label(from_status) if from_status else '无'}」"
                f"与上一条记录的结果「{_label(previous) if previous else '无'}」不衔接"
            )
        previous = to_status
    try:
        replayed = replay([event[2] for event in chain])
    except (ValueError, KeyError) as error:
        found.append(f"{name}：处理记录不符合状态流转规则（{error}）")
    else:
        if replayed != status:
            found.append(f"{name}：状态为「{_label(status)}」，但按处理记录应为「{_label(replayed)}」")
    returns = sum(1 for event in chain if event[2] == Action.RETURN)
    if return_count != returns:
        # The rework rate reads the counter; the trail is the record.
        found.append(f"{name}：退回返工次数记为 {return_count}，但处理记录中有 {returns} 次")
    last = chain[-1]
    if status in WITH_UNIT and (last[6] != unit_id or last[7] != deadline):
        found.append(f"{name}：责任单位或整改期限与最后一条处理记录不一致")
    if status == Status.CLOSED:
        closes = [event for event in chain if event[2] == Action.CLOSE]
        if not closes:
            found.append(f"{name}：已销号，但没有复核销号记录")
        else:
            _, seq, _, _, _, actor_id, close_unit, _, at = closes[-1]
            responsible = close_unit if close_unit is not None else unit_id
            if (actor_id, responsible) in members:
                found.append(f"{name}：由责任单位自己的人员销号（第 {seq} 条记录），未经独立复核")
            if closed_at != at:
                found.append(f"{name}：销号时间与复核销号记录的时间不一致")
    return found


def task_violations(members: set[tuple[int, int]], checked: dict[str, int]) -> list[str]:
    violations = []
    count = 0
    for pk, title, unit_id, responsible_id, deadline, due_on, milestone in (
        Task.objects.order_by("pk")
        .values_list(
            "pk", "title", "lead_unit_id", "responsible_id", "deadline", "milestone__due_on", "milestone__name"
        )
        .iterator(chunk_size=CHUNK_SIZE)
    ):
        count += 1
        name = f"任务 #{pk}「{title}」"
        if unit_id is None or responsible_id is None:
            violations.append(f"{name}：须有一个责任单位和一名责任人")
        elif (responsible_id, unit_id) not in members:
            person = User.objects.filter(pk=responsible_id).first()
            unit = Unit.objects.filter(pk=unit_id).first()
            violations.append(f"{name}：责任人 {person} 不是责任单位「{unit}」的成员")
        if deadline > due_on:
            violations.append(f"{name}：完成期限 {deadline} 晚于时间节点「{milestone}」的截止日期 {due_on}")
    checked["台账任务"] = count
    return violations


def standard_violations(checked: dict[str, int]) -> list[str]:
    violations = []
    for standard in Standard.objects.order_by("code"):
        violations += [f"标准「{standard.name}」：{mismatch}" for mismatch in weight_mismatches(standard)]
    checked["标准条目"] = Criterion.objects.count()
    return violations
