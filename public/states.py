"""A citizen report's life as data (随手拍): received, then accepted into a problem, refused with
a reason, or sent back to the reporter with a question, which their answer brings back to the
queue. public.services.report_transition enforces the table through core.states.transition; the
triage page asks `allowed_from` which buttons to show. What happens to the problem after it is
accepted is the problem's own machine: the status page derives it, nothing is copied here."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.states import StateMachine


class ReportStatus(models.TextChoices):
    RECEIVED = "received", _("已收到")
    ACCEPTED = "accepted", pgettext_lazy("citizen report", "已受理")
    REFUSED = "refused", _("不予受理")
    MORE_INFO = "more_info", _("待补充信息")


class ReportAction(models.TextChoices):
    SUBMIT = "submit", _("提交")
    ACCEPT = "accept", pgettext_lazy("citizen report action", "受理")
    REFUSE = "refuse", _("不予受理")
    ASK = "ask", _("请补充信息")
    SUPPLEMENT = "supplement", _("补充信息")


# action -> (states it may start from, state it leads to). None is "not yet submitted".
REPORT_TRANSITIONS: dict[str, tuple[frozenset, str]] = {
    ReportAction.SUBMIT: (frozenset({None}), ReportStatus.RECEIVED),
    ReportAction.ACCEPT: (frozenset({ReportStatus.RECEIVED}), ReportStatus.ACCEPTED),
    # A question left unanswered may end in a refusal too.
    ReportAction.REFUSE: (frozenset({ReportStatus.RECEIVED, ReportStatus.MORE_INFO}), ReportStatus.REFUSED),
    ReportAction.ASK: (frozenset({ReportStatus.RECEIVED}), ReportStatus.MORE_INFO),
    ReportAction.SUPPLEMENT: (frozenset({ReportStatus.MORE_INFO}), ReportStatus.RECEIVED),
}

# The office's decisions; SUPPLEMENT is the reporter's (by the tracking code).
TRIAGE_ACTIONS = (ReportAction.ACCEPT, ReportAction.ASK, ReportAction.REFUSE)
# Where the note is required: what the reporter is told (the reason, the question, the answer).
NEEDS_NOTE = frozenset({ReportAction.REFUSE, ReportAction.ASK, ReportAction.SUPPLEMENT})

REPORT_MACHINE = StateMachine(
    statuses=ReportStatus,
    actions=ReportAction,
    transitions=REPORT_TRANSITIONS,
    not_allowed=_("只有爱卫办可以处理群众反映"),
    stale=_("反映 %(code)s 已被处理（现为「%(status)s」），请刷新后重试"),
    illegal=_("反映 %(code)s 当前为「%(status)s」，不能「%(action)s」"),
    describe=lambda report: {"code": report.code},
)

allowed_from = REPORT_MACHINE.allowed_from
replay = REPORT_MACHINE.replay
