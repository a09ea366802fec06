import datetime as dt
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Case, F, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core import clock
from core.models import AppendOnly, Attachment
from core.once import submit_key_field
from organisation.models import Unit
from standard.models import Criterion, Standard


class Campaign(models.Model):
    """One re-examination campaign: its standard, its milestones and its ledger."""

    name = models.CharField(_("名称"), max_length=100)
    year = models.PositiveIntegerField(_("年度"))
    standard = models.ForeignKey(Standard, on_delete=models.PROTECT, verbose_name=_("标准"))
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))

    class Phase(models.TextChoices):
        CAMPAIGN = "campaign", _("创建/复审")
        ROUTINE = "routine", _("长效")

    # 创建/复审 until the office switches to 长效 after the last milestone
    # (services.campaign_enter_routine); the overview then shows the routine's measures.
    phase = models.CharField(_("阶段"), max_length=10, choices=Phase.choices, default=Phase.CAMPAIGN)

    class Meta:
        verbose_name = _("创卫工作")
        verbose_name_plural = pgettext_lazy("plural", "创卫工作")
        ordering = ["-year", "id"]

    def __str__(self) -> str:
        return self.name


class Milestone(models.Model):
    """A dated stage. Its date may move earlier, never later (see services.milestone_move)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="milestones")
    name = models.CharField(_("名称"), max_length=100)
    description = models.TextField(_("要求"), blank=True)
    due_on = models.DateField(_("截止日期"))
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("时间节点")
        verbose_name_plural = pgettext_lazy("plural", "时间节点")
        ordering = ["campaign", "due_on", "position"]

    def __str__(self) -> str:
        return gettext("%(name)s（%(date)s前）") % {"name": self.name, "date": clock.cn_date(self.due_on)}


class TaskQuerySet(models.QuerySet):
    def with_progress(self):
        """Annotate quantity_done: the quantity of the latest progress report (reports are
        cumulative, so a resent report never counts twice)."""
        latest = (
            ProgressReport.objects.filter(task=OuterRef("pk"))
            .order_by("-reported_at", "-id")
            .values("quantity_done")[:1]
        )
        return self.annotate(
            quantity_done=Coalesce(Subquery(latest), Value(Decimal(0)), output_field=models.DecimalField())
        )

    def with_state(self, today=None):
        """Annotate quantity_done and state (Task.State), derived from the latest report and the
        deadline; nothing about progress is stored on the task itself."""
        today = today or clock.today()
        return self.with_progress().annotate(
            state=Case(
                When(quantity_done__gte=F("target_quantity"), then=Value(Task.State.DONE)),
                When(deadline__lt=today, then=Value(Task.State.LATE)),
                When(quantity_done__gt=0, then=Value(Task.State.IN_PROGRESS)),
                default=Value(Task.State.NOT_STARTED),
            )
        )


class Task(models.Model):
    """A ledger row: one quantified task with exactly one lead unit and one responsible person
    of that unit, due no later than its milestone. The rules live in campaigns.services."""

    class State(models.TextChoices):
        NOT_STARTED = "not_started", _("未开始")
        IN_PROGRESS = "in_progress", _("推进中")
        LATE = "late", _("已逾期")
        DONE = "done", _("已完成")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, verbose_name=_("标识"))
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="tasks", verbose_name=_("创卫工作"))
    # The office's own number for the task (T-001), the key an Excel re-import updates by.
    code = models.CharField(_("任务编码"), max_length=32, null=True, blank=True)
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, verbose_name=_("标准指标"))
    milestone = models.ForeignKey(Milestone, on_delete=models.PROTECT, verbose_name=_("时间节点"))
    title = models.CharField(_("任务"), max_length=200)
    description = models.TextField(_("说明"), blank=True)
    lead_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="tasks", verbose_name=_("责任单位"))
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="tasks",
        verbose_name=_("责任人"),
    )
    target_quantity = models.DecimalField(_("目标数量"), max_digits=12, decimal_places=2)
    target_measure = models.CharField(_("计量单位"), max_length=20, help_text=_("如：条、个、次、%"))
    deadline = models.DateField(_("完成期限"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("创建人")
    )
    created_at = models.DateTimeField(verbose_name=_("创建时间"))
    submit_key = submit_key_field()  # one submit, one row (core.once)

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("台账任务")
        verbose_name_plural = pgettext_lazy("plural", "台账任务")
        ordering = ["deadline", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(target_quantity__gt=0), name="task_target_positive"),
            models.UniqueConstraint(fields=["campaign", "code"], name="task_code_unique"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def state_label(self) -> str:
        """The label of the annotated state (TaskQuerySet.with_state)."""
        return Task.State(self.state).label


class ProgressReport(models.Model):
    """What a unit reports on a task: the quantity done so far (cumulative), text and evidence."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="progress_reports")
    quantity_done = models.DecimalField(_("累计完成"), max_digits=12, decimal_places=2)
    text = models.TextField(_("进展情况"))
    attachments = models.ManyToManyField(
        Attachment, blank=True, related_name="progress_reports", verbose_name=_("佐证材料")
    )
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField()
    submit_key = submit_key_field()  # one submit, one row (core.once)

    class Meta:
        verbose_name = _("进展报告")
        verbose_name_plural = pgettext_lazy("plural", "进展报告")
        ordering = ["task", "reported_at", "id"]


class FiveInPlace(models.Model):
    """One of the "five in place" for one unit in one campaign."""

    class Item(models.TextChoices):
        LEADERSHIP = "leadership", _("领导到位")
        PERSONNEL = "personnel", _("人员到位")
        RESPONSIBILITY = "responsibility", _("责任到位")
        FUNDING = "funding", _("经费到位")
        MEASURES = "measures", _("措施到位")

    class Status(models.TextChoices):
        MISSING = "missing", _("未落实")
        PARTIAL = "partial", _("部分落实")
        IN_PLACE = "in_place", _("已到位")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="five_in_place", verbose_name=_("创卫工作")
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="five_in_place", verbose_name=_("单位"))
    item = models.CharField(_("事项"), max_length=16, choices=Item.choices)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.MISSING)
    note = models.TextField(_("说明"), blank=True)
    attachments = models.ManyToManyField(
        Attachment, blank=True, related_name="five_in_place", verbose_name=_("佐证材料")
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("更新人")
    )
    updated_at = models.DateTimeField(null=True, verbose_name=_("更新时间"))

    class Meta:
        verbose_name = _("五到位")
        verbose_name_plural = pgettext_lazy("plural", "五到位")
        ordering = ["unit", "item"]
        constraints = [models.UniqueConstraint(fields=["campaign", "unit", "item"], name="five_in_place_unique")]


class LedgerEvent(AppendOnly):
    """Append-only trail of every change to milestones, tasks and five-in-place."""

    # Past events ("task created"), not the buttons that share some of these words.
    class Action(models.TextChoices):
        MILESTONE_MOVED = "milestone_moved", pgettext_lazy("ledger event", "时间节点提前")
        TASK_CREATED = "task_created", pgettext_lazy("ledger event", "新建任务")
        TASK_EDITED = "task_edited", pgettext_lazy("ledger event", "修改任务")
        DEADLINE_MOVED = "deadline_moved", pgettext_lazy("ledger event", "期限提前")
        OWNER_CHANGED = "owner_changed", pgettext_lazy("ledger event", "更换责任单位/责任人")
        PROGRESS_REPORTED = "progress_reported", pgettext_lazy("ledger event", "报告进展")
        FIVE_IN_PLACE_UPDATED = "five_in_place_updated", pgettext_lazy("ledger event", "更新五到位")
        PHASE_CHANGED = "phase_changed", pgettext_lazy("ledger event", "转入长效管理")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="ledger_events", verbose_name=_("创卫工作")
    )
    action = models.CharField(max_length=32, choices=Action.choices, verbose_name=_("操作"))
    task = models.ForeignKey(Task, null=True, on_delete=models.PROTECT, related_name="events", verbose_name=_("任务"))
    milestone = models.ForeignKey(
        Milestone, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("时间节点")
    )
    unit = models.ForeignKey(Unit, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("单位"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("操作人")
    )
    at = models.DateTimeField(verbose_name=_("时间"))
    note = models.TextField(blank=True, verbose_name=_("说明"))
    before = models.JSONField(default=dict, verbose_name=_("变更前"))
    after = models.JSONField(default=dict, verbose_name=_("变更后"))
    # The five-in-place form's key: its update creates no row of its own, but this event.
    submit_key = submit_key_field()

    def changed_dates(self, field: str = "deadline") -> tuple[dt.date, dt.date] | None:
        """The date a change moved, before and after (the deadline brought forward, say), for
        the task's history to show both; None when this event did not change it."""
        old, new = self.before.get(field), self.after.get(field)
        if not old or not new or old == new:
            return None
        return dt.date.fromisoformat(old), dt.date.fromisoformat(new)

    @property
    def deadline_change(self):
        return self.changed_dates("deadline")

    class Meta:
        verbose_name = _("台账记录")
        verbose_name_plural = pgettext_lazy("plural", "台账记录")
        ordering = ["at", "id"]
