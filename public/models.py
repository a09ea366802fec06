"""Citizen reports (群众随手拍): the public's categories, the reports and their append-only trail.

A report is the public's, a problem is the office's: accepting a report records a Problem
(problems.services.problem_record) and links it here; from then on the report's status page reads
the problem's status rather than copying it."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import AppendOnly, Attachment
from core.once import submit_key_field
from problems.models import Problem
from public.states import ReportAction, ReportStatus
from standard.models import Criterion, SiteType

# No 0/O, 1/I/L: a code read out on the phone or copied from a screenshot is typed right.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10  # 31^10 ≈ 8·10^14: not guessable at any rate a rate limit lets through


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str:
    """What a person typed, as stored: upper case, without spaces or dashes (a code copied with
    them, or typed in lower case, still finds its report)."""
    return "".join(ch for ch in (text or "").upper() if ch not in " -\t")[:32]


class ReportCategory(models.Model):
    """A kind of problem the public may report, in their words, mapped by the office to the
    criterion a problem is recorded under and the site type whose sites are suggested."""

    name = models.CharField(_("名称"), max_length=40, unique=True)
    hint = models.CharField(_("说明"), max_length=200, blank=True, help_text=_("向群众说明哪些情况属于此类"))
    criterion = models.ForeignKey(
        Criterion,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("对应标准条目"),
        limit_choices_to=~Q(level=Criterion.Level.CATEGORY),
    )
    site_type = models.ForeignKey(
        SiteType, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("点位类型")
    )
    position = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("在用"), default=True)

    class Meta:
        verbose_name = _("反映类别")
        verbose_name_plural = pgettext_lazy("plural", "反映类别")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class CitizenReport(models.Model):
    """One report from the public. `status`, `problem`, `reply` are written only by
    public.services.report_transition, with the ReportEvent that explains them. The reporter's
    name and phone are for the office alone: no public page shows them."""

    class LocationSource(models.TextChoices):
        MAP = "map", _("地图选点")
        PHOTO = "photo", _("照片位置")
        ADDRESS = "address", _("文字地址")

    code = models.CharField(_("查询码"), max_length=16, unique=True, default=new_code, editable=False)
    category = models.ForeignKey(
        ReportCategory, on_delete=models.PROTECT, related_name="reports", verbose_name=_("类别")
    )
    description = models.TextField(_("问题描述"))
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    location_source = models.CharField(_("位置来源"), max_length=10, choices=LocationSource.choices, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    name = models.CharField(_("反映人姓名"), max_length=40, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True, db_index=True)
    # What is shown (to the office, the problem, the status page): re-encoded without metadata.
    photos = models.ManyToManyField(Attachment, blank=True, related_name="citizen_reports", verbose_name=_("照片"))
    # The files as sent, with their EXIF: evidence for the office only, never served publicly.
    originals = models.ManyToManyField(Attachment, blank=True, related_name="+", verbose_name=_("原始照片"))
    status = models.CharField(_("状态"), max_length=12, choices=ReportStatus.choices, default=ReportStatus.RECEIVED)
    problem = models.ForeignKey(
        Problem, null=True, blank=True, on_delete=models.PROTECT, related_name="citizen_reports", verbose_name=_("问题")
    )
    # What the reporter is told: the reason of a refusal, the office's question.
    reply = models.TextField(_("答复"), blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), db_index=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    submit_key = submit_key_field()

    class Meta:
        verbose_name = _("群众反映")
        verbose_name_plural = pgettext_lazy("plural", "群众反映")
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["status", "submitted_at"], name="report_status_submitted_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=ReportStatus.ACCEPTED) | Q(problem__isnull=False),
                name="report_accepted_has_problem",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.description[:30]}"


class ReportEvent(AppendOnly):
    """One step of a report, append-only: who (None for the reporter), when, from, to, note."""

    report = models.ForeignKey(CitizenReport, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    action = models.CharField(max_length=12, choices=ReportAction.choices)
    from_status = models.CharField(max_length=12, choices=ReportStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=ReportStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    note = models.TextField(blank=True)
    problem = models.ForeignKey(Problem, null=True, on_delete=models.PROTECT, related_name="+")
    attachments = models.ManyToManyField(Attachment, blank=True, related_name="report_events")

    chained_links = ("attachments",)

    class Meta:
        verbose_name = _("群众反映记录")
        verbose_name_plural = pgettext_lazy("plural", "群众反映记录")
        ordering = ["report", "seq"]
        constraints = [models.UniqueConstraint(fields=["report", "seq"], name="report_event_seq_unique")]
