"""The declaration dossier (资料申报): the materials each criterion of the standard requires, and
the files units submit for them, accepted or returned by the PHC office."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campaigns.models import Campaign
from core.models import AppendOnly, Attachment
from core.once import submit_key_field
from dossier.states import SubmissionAction, SubmissionStatus
from organisation.models import Unit
from standard.models import Criterion


class Material(models.Model):
    """One material a criterion requires (Criterion.required_materials), in one campaign."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="materials")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+", verbose_name=_("标准指标"))
    name = models.CharField(_("资料名称"), max_length=300)
    responsible_unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("责任单位")
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("申报资料")
        verbose_name_plural = pgettext_lazy("plural", "申报资料")
        ordering = ["campaign", "criterion__position", "position"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "criterion", "name"], name="material_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Submission(models.Model):
    """A file a unit submitted for a material; the office accepts it or returns it with a reason."""

    Status = SubmissionStatus

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    material = models.ForeignKey(Material, on_delete=models.CASCADE, related_name="submissions")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("报送单位"))
    attachment = models.ForeignKey(Attachment, on_delete=models.PROTECT, related_name="+", verbose_name=_("文件"))
    note = models.TextField(_("说明"), blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    version = models.PositiveIntegerField(default=1)  # bumped by every review; a stale page is refused
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField()
    submit_key = submit_key_field()  # one submit, one row (core.once)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_reason = models.TextField(_("审核意见"), blank=True)

    class Meta:
        verbose_name = _("报送材料")
        verbose_name_plural = pgettext_lazy("plural", "报送材料")
        ordering = ["material", "-submitted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.material} · {self.attachment}"


class SubmissionEvent(AppendOnly):
    """The trail of a submission: submitted, accepted, returned."""

    Action = SubmissionAction

    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=16, choices=Action.choices)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("报送记录")
        verbose_name_plural = pgettext_lazy("plural", "报送记录")
        ordering = ["at", "id"]


class MaterialEvent(AppendOnly):
    """The trail of a material's responsible unit: who gave it to which unit, and when."""

    class Action(models.TextChoices):
        ASSIGN = "assign", pgettext_lazy("event", "指定责任单位")

    material = models.ForeignKey(Material, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=16, choices=Action.choices)
    from_unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("资料分工记录")
        verbose_name_plural = pgettext_lazy("plural", "资料分工记录")
        ordering = ["at", "id"]
