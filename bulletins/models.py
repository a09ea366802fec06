import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from bulletins.states import BulletinAction, BulletinStatus, RenderState
from campaigns.models import Campaign
from core.models import AppendOnly, Attachment, YearCounter
from core.once import submit_key_field
from organisation.models import Unit
from problems.models import Problem


class Bulletin(models.Model):
    """A periodic notice of results (通报). A draft follows the data; publishing freezes it: the
    figures, the text, the Word and PDF files and the number in the year's series never change."""

    Status = BulletinStatus
    RenderState = RenderState

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="bulletins")
    period_start = models.DateField(_("统计起始日期"))
    period_end = models.DateField(_("统计截止日期"))
    title = models.CharField(_("标题"), max_length=200)
    addressee = models.CharField(_("主送机关"), max_length=300, blank=True)
    lead = models.TextField(_("导语"), blank=True)
    # 督查概况: filled from the period's inspection plans when the draft is made, then the
    # office's text (bulletins.content.default_overview).
    overview = models.TextField(_("督查概况"), blank=True)
    closing = models.TextField(_("结束语"), blank=True)
    # Units criticised when their overdue problems reach this number (configurable per bulletin).
    criticise_overdue_at = models.PositiveIntegerField(_("逾期问题达到几个即通报批评"), default=3)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(default=1)  # bumped by every step; a stale page is refused
    year = models.PositiveIntegerField(null=True, blank=True)
    number = models.PositiveIntegerField(_("期号"), null=True, blank=True)
    snapshot = models.JSONField(_("印发时的数据"), null=True, blank=True)
    docx = models.ForeignKey(Attachment, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    pdf = models.ForeignKey(Attachment, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # The files are made by the worker after publication (bulletins.services.bulletin_render):
    # blank for a draft, then pending -> rendering -> ready, or failed with the reason in Chinese.
    render_state = models.CharField(_("文件状态"), max_length=10, choices=RenderState.choices, blank=True)
    render_error = models.TextField(_("文件生成错误"), blank=True)
    render_started_at = models.DateTimeField(null=True, blank=True)
    render_attempt = models.PositiveIntegerField(default=0)  # which run owns the rendering
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    submit_key = submit_key_field()  # one submit, one row (core.once)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("通报")
        verbose_name_plural = pgettext_lazy("plural", "通报")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["year", "number"], name="bulletin_number_unique"),
            models.CheckConstraint(
                condition=models.Q(status="draft")
                | models.Q(number__isnull=False, snapshot__isnull=False, published_at__isnull=False),
                name="bulletin_published_is_frozen",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def render_interrupted(self, now) -> bool:
        """A rendering whose run has been silent longer than the lease (a killed worker)."""
        lease = dt.timedelta(minutes=settings.DOCUMENT_LEASE_MINUTES)
        return (
            self.render_state == RenderState.RENDERING
            and self.render_started_at is not None
            and self.render_started_at < now - lease
        )

    def render_may_start_again(self, now) -> bool:
        return self.render_state == RenderState.FAILED or self.render_interrupted(now)

    @property
    def issue_label(self) -> str:
        """〔2027〕第5期"""
        return f"〔{self.year}〕第{self.number}期" if self.number else "（草稿）"


class Accountability(models.Model):
    """A recorded sanction (问责) on a unit or a person, shown on the unit's page and in bulletins."""

    class Measure(models.TextChoices):
        CRITICISM = "criticism", _("通报批评")
        INTERVIEW = "interview", _("约谈")
        WARNING = "warning", _("诫勉谈话")
        ORDER = "order", _("责令书面检查")
        DISCIPLINE = "discipline", _("移交纪检监察机关")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="accountabilities")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="accountabilities", verbose_name=_("单位"))
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("责任人"),
    )
    reason = models.TextField(_("事由"))
    measure = models.CharField(_("处理措施"), max_length=16, choices=Measure.choices)
    problems = models.ManyToManyField(Problem, blank=True, related_name="accountabilities", verbose_name=_("相关问题"))
    decided_on = models.DateField(_("决定日期"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    submit_key = submit_key_field()  # one submit, one row (core.once)

    class Meta:
        verbose_name = _("问责记录")
        verbose_name_plural = pgettext_lazy("plural", "问责记录")
        ordering = ["-decided_on", "-id"]

    def __str__(self) -> str:
        return f"{self.unit} {self.get_measure_display()}"


class BulletinCounter(YearCounter):
    """The last bulletin issue of each year (〔2026〕第5期)."""


class BulletinEvent(AppendOnly):
    """Append-only trail of a bulletin: created, edited, published."""

    Action = BulletinAction

    bulletin = models.ForeignKey(Bulletin, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=16, choices=Action.choices)
    from_status = models.CharField(max_length=12, choices=BulletinStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=BulletinStatus.choices, default=BulletinStatus.DRAFT)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("通报操作记录")
        verbose_name_plural = pgettext_lazy("plural", "通报操作记录")
        ordering = ["at", "id"]


class AccountabilityEvent(AppendOnly):
    """Append-only trail of an accountability record: who recorded it, when."""

    class Action(models.TextChoices):
        RECORD = "record", pgettext_lazy("accountability event", "记录")

    accountability = models.ForeignKey(Accountability, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=16, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("问责记录日志")
        verbose_name_plural = pgettext_lazy("plural", "问责记录日志")
        ordering = ["at", "id"]
