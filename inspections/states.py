"""An inspection plan's life as data: states, actions and the one table of allowed transitions.

inspections.services.plan_transition enforces the table through core.states.transition; screens
ask `allowed_from` which buttons to show. Sampling is a transition (draw), so a plan is drawn exactly once."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.states import StateMachine


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SAMPLED = "sampled", _("已抽样")
    IN_PROGRESS = "in_progress", _("检查中")
    PUBLISHED = "published", _("已公布")


class PlanAction(models.TextChoices):
    CREATE = "create", _("制定计划")
    DRAW = "draw", _("随机抽样")
    START = "start", _("开始检查")
    PUBLISH = "publish", _("公布结果")


# Plans whose sites are being inspected: the phone may record inspections for them.
INSPECTABLE = frozenset({PlanStatus.SAMPLED, PlanStatus.IN_PROGRESS, PlanStatus.PUBLISHED})

# action -> (states it may start from, state it leads to). None is "not yet created".
PLAN_TRANSITIONS: dict[str, tuple[frozenset, str]] = {
    PlanAction.CREATE: (frozenset({None}), PlanStatus.DRAFT),
    PlanAction.DRAW: (frozenset({PlanStatus.DRAFT}), PlanStatus.SAMPLED),
    PlanAction.START: (frozenset({PlanStatus.SAMPLED}), PlanStatus.IN_PROGRESS),
    PlanAction.PUBLISH: (frozenset({PlanStatus.SAMPLED, PlanStatus.IN_PROGRESS}), PlanStatus.PUBLISHED),
}


PLAN_MACHINE = StateMachine(
    statuses=PlanStatus,
    actions=PlanAction,
    transitions=PLAN_TRANSITIONS,
    not_allowed=_("您无权对该检查计划执行「%(action)s」"),
    stale=_("检查计划「%(name)s」已被他人处理（现为「%(status)s」），请刷新后重试"),
    illegal=_("检查计划当前为「%(status)s」，不能「%(action)s」"),
    describe=lambda plan: {"name": plan.name},
)

allowed_from = PLAN_MACHINE.allowed_from
