"""A submission's life as data: submitted, then accepted or returned by the PHC office.

dossier.services.submission_transition enforces the table through core.states.transition; the
material page asks `allowed_from` which review buttons to show."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.states import StateMachine


class SubmissionStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待审核")
    ACCEPTED = "accepted", _("已通过")
    RETURNED = "returned", pgettext_lazy("status", "已退回")


class SubmissionAction(models.TextChoices):
    SUBMIT = "submit", pgettext_lazy("event", "报送")
    ACCEPT = "accept", pgettext_lazy("event", "通过")
    RETURN = "return", pgettext_lazy("event", "退回")


# action -> (states it may start from, state it leads to). None is "not yet submitted": a new
# file is a new submission, so a returned one stays returned and the unit uploads another.
SUBMISSION_TRANSITIONS: dict[str, tuple[frozenset, str]] = {
    SubmissionAction.SUBMIT: (frozenset({None}), SubmissionStatus.SUBMITTED),
    SubmissionAction.ACCEPT: (frozenset({SubmissionStatus.SUBMITTED}), SubmissionStatus.ACCEPTED),
    SubmissionAction.RETURN: (frozenset({SubmissionStatus.SUBMITTED}), SubmissionStatus.RETURNED),
}

# Review actions: the office's decisions on a submitted file.
REVIEW_ACTIONS = frozenset({SubmissionAction.ACCEPT, SubmissionAction.RETURN})

SUBMISSION_MACHINE = StateMachine(
    statuses=SubmissionStatus,
    actions=SubmissionAction,
    transitions=SUBMISSION_TRANSITIONS,
    not_allowed=_("只有爱卫办可以审核申报资料"),
    stale=_("该材料已被他人审核（现为「%(status)s」），请刷新后重试"),
    illegal=_("该材料当前为「%(status)s」，不能「%(action)s」"),
)

allowed_from = SUBMISSION_MACHINE.allowed_from
