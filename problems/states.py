"""The closed loop as data: states, actions and the one table of allowed transitions.

The service (problems.services.problem_transition) enforces this table, the access module asks it
which buttons apply, and audit_check replays events through it."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.states import StateMachine


class Status(models.TextChoices):
    RECORDED = "recorded", _("待交办")
    ASSIGNED = "assigned", _("整改中")
    SUBMITTED = "submitted", _("待复核")
    # "退回返工" names both a state and an action; the context keeps their English apart.
    RETURNED = "returned", pgettext_lazy("problem status", "退回返工")
    CLOSED = "closed", _("已销号")
    CANCELLED = "cancelled", _("已撤销")
    # A duplicate folded into another open problem (the survivor, Problem.merged_into): it closes
    # here, its photos live on with the survivor.
    MERGED = "merged", _("已合并")


# Named groups of states.
OPEN = frozenset({Status.RECORDED, Status.ASSIGNED, Status.SUBMITTED, Status.RETURNED})
WITH_UNIT = frozenset({Status.ASSIGNED, Status.SUBMITTED, Status.RETURNED})  # a unit owns it now
FINAL = frozenset({Status.CLOSED, Status.CANCELLED, Status.MERGED})
# Never a problem of its own: recorded by mistake, or a duplicate of another. The figures count
# neither as found nor as closed (problems/kpi.py), bulletins leave them out.
VOID = frozenset({Status.CANCELLED, Status.MERGED})


class Action(models.TextChoices):
    RECORD = "record", _("登记")
    ASSIGN = "assign", _("交办")
    REASSIGN = "reassign", _("改派")
    SUBMIT = "submit", _("提交整改材料")
    CLOSE = "close", _("复核通过并销号")
    RETURN = "return", pgettext_lazy("problem action", "退回返工")
    CANCEL = "cancel", _("撤销")
    MERGE = "merge", _("合并")
    # Recorded by the worker, not done by a person; they move nothing (NOTES).
    REMIND = "remind", _("到期提醒")
    ESCALATE = "escalate", _("逾期催办")
    # Another inspection found the same open problem (a second phone at the same site and
    # checkpoint): its finding is linked to the problem, and the timeline says so.
    FOUND_AGAIN = "found_again", _("再次发现")
    # The survivor's side of a merge: another problem was folded into this one (its photos came).
    MERGED_IN = "merged_in", _("并入重复问题")


# action -> (states it may start from, state it leads to). None is "not yet recorded".
TRANSITIONS: dict[str, tuple[frozenset, str]] = {
    Action.RECORD: (frozenset({None}), Status.RECORDED),
    Action.ASSIGN: (frozenset({Status.RECORDED}), Status.ASSIGNED),
    Action.REASSIGN: (frozenset({Status.ASSIGNED, Status.RETURNED}), Status.ASSIGNED),
    Action.SUBMIT: (frozenset({Status.ASSIGNED, Status.RETURNED}), Status.SUBMITTED),
    Action.CLOSE: (frozenset({Status.SUBMITTED}), Status.CLOSED),
    Action.RETURN: (frozenset({Status.SUBMITTED}), Status.RETURNED),
    Action.CANCEL: (OPEN, Status.CANCELLED),
    Action.MERGE: (OPEN, Status.MERGED),
}

# Reminders and escalations: in the trail, outside the table (the status stays as it was).
NOTES = frozenset({Action.REMIND, Action.ESCALATE, Action.FOUND_AGAIN, Action.MERGED_IN})


# Escalation levels of a problem's current cycle (Problem.escalation; ProblemEvent.level), in
# the order they fire; the rule of notifications.rules behind each.
class Level(models.IntegerChoices):
    DUE_SOON = 0, _("到期提醒")
    OVERDUE = 1, _("逾期催办")
    HEAD = 2, _("逾期升级至一把手")
    SUPERVISED = 3, _("督办")


# Actions whose note is the required reason.
NEEDS_REASON = frozenset({Action.REASSIGN, Action.RETURN, Action.CANCEL, Action.MERGE})


# The one machine: the service enforces it, screens and audit_check read it.
MACHINE = StateMachine(
    statuses=Status,
    actions=Action,
    transitions=TRANSITIONS,
    not_allowed=_("您无权对该问题执行「%(action)s」"),
    stale=_("问题 %(number)s 已被他人处理（现为「%(status)s」），请刷新后重试"),
    illegal=_("问题 %(number)s 当前为「%(status)s」，不能「%(action)s」"),
    describe=lambda problem: {"number": problem.number},
    notes=NOTES,
)

allowed_from = MACHINE.allowed_from
replay = MACHINE.replay
