"""An inspection plan's life as data: states, actions and the one table of allowed transitions.

inspections.services.plan_transition enforces the table; screens ask `allowed_from` which buttons
to show. Sampling is a transition (draw), so a plan is drawn exactly once."""

from django.db import models
from django.utils.translation import gettext_lazy as _


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


def allowed_from(status: str | None) -> list[str]:
    return [action for action, (sources, _target) in PLAN_TRANSITIONS.items() if status in sources]
