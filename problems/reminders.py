"""Telling people about problems: the messages of a step of the closed loop, and the sweep of
reminders and escalations up the chain of responsibility (the seed's 联络员 -> 分管领导 (direct
responsibility) -> 一把手 (first responsibility) -> the district leader's 督办).

Both write in the transaction of what causes them: `step_messages` inside the step's
transaction (problems.services), `sweep` one problem at a time under its row lock, with the
escalation recorded as a ProblemEvent (action remind / escalate, its level, whom it told) so the
timeline and audit_check show it. A level fires once per cycle: Problem.escalation holds the
highest level fired since the last assignment, reassignment or return, which reset it."""

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext

from core import clock
from notifications import rules
from notifications.people import district_leaders, office_staff, unit_people
from notifications.services import notify
from organisation.models import Membership
from problems.models import Problem, ProblemEvent
from problems.states import Action, Level, Status

logger = logging.getLogger(__name__)
Role = Membership.Role

# Not yet submitted: what reminders and escalations are about.
WAITING = (Status.ASSIGNED, Status.RETURNED)
LEVEL_RULES = {
    Level.DUE_SOON: "due_soon",
    Level.OVERDUE: "overdue",
    Level.HEAD: "overdue_head",
    Level.SUPERVISED: "supervised",
}


def _link(problem: Problem) -> str:
    return reverse("problems:detail", args=[problem.uuid])


def _about(problem: Problem) -> str:
    return gettext("%(site)s · %(criterion)s：%(description)s") % {
        "site": problem.site.name,
        "criterion": problem.criterion.code,
        "description": problem.description[:80],
    }


def step_messages(problem: Problem, *, action: str, note: str, event_key: str, recorder=None) -> None:
    """The messages of one step, written in its transaction."""
    source = f"problem:{problem.pk}:{event_key}"
    deadline = clock.cn_date(problem.deadline) if problem.deadline else ""
    if action in (Action.ASSIGN, Action.REASSIGN):
        notify(
            rule="assigned",
            source=source,
            recipients=unit_people(problem.assigned_unit, Role.LIAISON),
            subject=gettext("问题交办：%(number)s，请于 %(deadline)s 前整改")
            % {"number": problem.number, "deadline": deadline},
            body=_about(problem),
            link=_link(problem),
            unit=problem.assigned_unit,
            robots=True,
        )
    elif action == Action.RETURN:
        notify(
            rule="returned",
            source=source,
            recipients=unit_people(problem.assigned_unit, Role.LIAISON),
            subject=gettext("问题 %(number)s 复核未通过，退回返工") % {"number": problem.number},
            body=gettext("退回理由：%(note)s\n%(about)s") % {"note": note, "about": _about(problem)},
            link=_link(problem),
            unit=problem.assigned_unit,
            robots=True,
        )
    elif action == Action.SUBMIT and recorder is not None:
        notify(
            rule="submitted",
            source=source,
            recipients=[recorder],
            subject=gettext("问题 %(number)s 已提交整改材料，待复核") % {"number": problem.number},
            body=_about(problem),
            link=_link(problem),
        )


def _audience(problem: Problem, level: int) -> list:
    unit = problem.assigned_unit
    if level == Level.DUE_SOON:
        return unit_people(unit, Role.LIAISON)
    if level == Level.OVERDUE:
        return unit_people(unit, Role.LIAISON, Role.DEPUTY)
    if level == Level.HEAD:
        return unit_people(unit, Role.HEAD, Role.DEPUTY) + office_staff()
    return district_leaders() + office_staff()


def _message(problem: Problem, level: int, today: dt.date) -> tuple[str, str]:
    number, deadline = problem.number, clock.cn_date(problem.deadline)
    late = (today - problem.deadline).days
    unit = problem.assigned_unit.name
    if level == Level.DUE_SOON:
        subject = gettext("到期提醒：问题 %(number)s 将于 %(deadline)s 到期，尚未提交整改") % {
            "number": number,
            "deadline": deadline,
        }
    elif level == Level.SUPERVISED:
        subject = gettext("【督办】%(unit)s 问题 %(number)s 已逾期 %(days)s 天") % {
            "unit": unit,
            "number": number,
            "days": late,
        }
    else:
        subject = gettext("逾期催办：%(unit)s 问题 %(number)s 已逾期 %(days)s 天（期限 %(deadline)s）") % {
            "unit": unit,
            "number": number,
            "days": late,
            "deadline": deadline,
        }
    return subject, _about(problem)


def due_levels(problem: Problem, today: dt.date) -> list[int]:
    """The levels due for a waiting problem today, in order, that its cycle has not fired yet."""
    if problem.status not in WAITING or problem.deadline is None or problem.assigned_unit_id is None:
        return []
    fired = -1 if problem.escalation is None else problem.escalation
    due = []
    for level, key in LEVEL_RULES.items():
        rule = rules.effective(key)
        if not rule.enabled or level <= fired:
            continue
        days = rule.days or 0
        reached = (
            (problem.deadline - today).days <= days
            if level == Level.DUE_SOON
            else (today - problem.deadline).days >= days
        )
        if reached:
            due.append(level)
    # A problem already late needs no "due soon" reminder.
    if len(due) > 1 and due[0] == Level.DUE_SOON:
        due = due[1:]
    return due


def escalate(problem_id: int, today: dt.date) -> list[int]:
    """Fire the due levels of one problem under its row lock. Returns the levels fired."""
    with transaction.atomic():
        problem = (
            Problem.objects.select_for_update(of=("self",))
            .select_related("assigned_unit", "site", "criterion")
            .get(pk=problem_id)
        )
        levels = due_levels(problem, today)
        for level in levels:
            people = _audience(problem, level)
            subject, body = _message(problem, level, today)
            names = "、".join(person.get_full_name() for person in people) or gettext("（无人可通知）")
            action = Action.REMIND if level == Level.DUE_SOON else Action.ESCALATE
            notify(
                rule=LEVEL_RULES[level],
                source=f"problem:{problem.pk}:level{level}:{problem.deadline}:v{problem.version}",
                recipients=people,
                subject=subject,
                body=body,
                link=_link(problem),
                unit=problem.assigned_unit,
                robots=True,
                urgent=level >= Level.HEAD,
            )
            ProblemEvent.objects.create(
                problem=problem,
                seq=problem.events.count() + 1,
                action=action,
                from_status=problem.status,
                to_status=problem.status,
                actor=None,
                at=clock.now(),
                note=gettext("%(what)s，已通知：%(names)s") % {"what": Level(level).label, "names": names},
                unit=problem.assigned_unit,
                deadline=problem.deadline,
                level=level,
            )
        if levels:
            Problem.objects.filter(pk=problem.pk).update(escalation=max(levels))
    return levels


def sweep(today: dt.date | None = None) -> dict[str, int]:
    """Every waiting problem with a level due: the nearest level's timing bounds the query (an
    index on status and deadline), the problem's own escalation field skips what is done."""
    today = today or clock.today()
    soon = rules.effective("due_soon")
    horizon = today + dt.timedelta(days=(soon.days or 0) if soon.enabled else -1)
    candidates = (
        Problem.objects.filter(status__in=WAITING, deadline__lte=horizon, assigned_unit__isnull=False)
        .filter(Q(escalation__isnull=True) | Q(escalation__lt=Level.SUPERVISED))
        .order_by("deadline", "pk")
        .values_list("pk", flat=True)
    )
    fired = {key: 0 for key in LEVEL_RULES.values()}
    for problem_id in candidates.iterator(chunk_size=500):
        for level in escalate(problem_id, today):
            fired[LEVEL_RULES[level]] += 1
    return fired
