"""Oversight's one configuration: the weights of the units' monthly score (考核, issue 16)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.once import submit_key_field


class ScoreWeights(models.Model):
    """A version of the score's weights, in force from the first day of `effective_from`'s month
    until a later version begins. Versions are only added, never changed (oversight.services): a
    past month's score is computed with the version that was in force then, so it never moves
    when the office changes the weights later."""

    effective_from = models.DateField(_("生效月份"))  # the first day of a month
    closure = models.DecimalField(_("结案率权重"), max_digits=5, decimal_places=1)
    on_time = models.DecimalField(_("按期结案率权重"), max_digits=5, decimal_places=1)
    rework = models.DecimalField(_("返工率权重"), max_digits=5, decimal_places=1)
    rebound = models.DecimalField(_("反弹率权重"), max_digits=5, decimal_places=1)
    per_reassign = models.DecimalField(_("每次推诿扣分"), max_digits=4, decimal_places=1)
    per_overdue = models.DecimalField(_("每件超期未结扣分"), max_digits=4, decimal_places=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("设定人")
    )
    created_at = models.DateTimeField(_("设定时间"))
    submit_key = submit_key_field()  # one submit, one row (core.once)

    class Meta:
        verbose_name = _("考核权重")
        verbose_name_plural = _("考核权重")
        ordering = ["-effective_from", "-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.effective_from:%Y-%m} 起"
