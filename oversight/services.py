"""Oversight's one write: a new version of the score's weights (考核, oversight.scores)."""

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext

import access
from core import clock
from core.errors import InvalidInput, NotAllowed
from core.once import once_per_key
from core.security import Kind, log_event
from oversight.models import ScoreWeights
from oversight.scores import WEIGHT_FIELDS, month_start, weights_for


@once_per_key(ScoreWeights, by="created_by")
def score_weights_set(*, actor, effective_from, submit_key=None, **weights) -> ScoreWeights:
    """Weights in force from the month of `effective_from` (this month or a later one: a past
    month's score never changes), a new version beside the old ones, in the security log with
    the weights before and after. The PHC office's who run the campaign only."""
    if not access.can_manage_campaign(actor):
        raise NotAllowed(gettext("只有爱卫办可以调整考核权重"))
    first = month_start(effective_from)
    if first < month_start(clock.today()):
        raise InvalidInput(gettext("只能从本月或以后的月份起调整权重，已过去月份的得分不再改变"))
    values = {name: Decimal(str(weights[name])) for name in WEIGHT_FIELDS}
    if any(value < 0 for value in values.values()):
        raise InvalidInput(gettext("权重和扣分不能为负数"))
    if not sum(values[name] for name in ("closure", "on_time", "rework", "rebound")):
        raise InvalidInput(gettext("四项比率的权重不能都为 0"))
    with transaction.atomic():
        before = weights_for(first)
        version = ScoreWeights.objects.create(
            effective_from=first, created_by=actor, created_at=clock.now(), submit_key=submit_key, **values
        )
        log_event(
            Kind.CHANGE,
            user=actor,
            target=version,
            summary=f"考核权重自 {first:%Y-%m} 起调整",
            details={
                "before": {name: str(before[name]) for name in WEIGHT_FIELDS},
                "after": {name: str(values[name]) for name in WEIGHT_FIELDS},
            },
        )
    return version
