"""Inspections in the field: plans, the random draw of their sites, what an inspector found.

Writes go through inspections.services; who sees what is decided in access. Every record a
phone makes (inspection, problem, photo) carries the id the phone gave it (`client_id`) under a
unique constraint, so a retried or doubled sync never stores it twice."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign
from core.models import AppendOnly, Attachment
from core.once import submit_key_field
from inspections.states import PlanAction, PlanStatus
from organisation.models import Area, Unit
from problems.models import Problem
from sites.models import Site
from standard.models import Criterion, SiteType


class InspectionPlan(models.Model):
    """A round of inspections: scheduled or spot check, open or covert, by a team drawn from
    several units, in a date window, over sites drawn at random per stratum."""

    class Kind(models.TextChoices):
        SCHEDULED = "scheduled", _("定期督查")
        SPOT_CHECK = "spot_check", _("不定期抽查")

    class Mode(models.TextChoices):
        OPEN = "open", _("明查")
        COVERT = "covert", _("暗访")

    Status = PlanStatus

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, verbose_name=_("标识"))
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="inspection_plans", verbose_name=_("创卫工作")
    )
    name = models.CharField(_("计划名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices, default=Kind.SCHEDULED)
    mode = models.CharField(_("方式"), max_length=8, choices=Mode.choices, default=Mode.OPEN)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    areas = models.ManyToManyField(Area, related_name="+", verbose_name=_("检查范围（街道）"))
    site_types = models.ManyToManyField(SiteType, related_name="+", verbose_name=_("点位类型"))
    exclude_recent_days = models.PositiveIntegerField(
        _("排除近期已检查点位（天）"), default=0, help_text=_("0 表示不排除")
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="PlanMember", related_name="inspection_plans", verbose_name=_("检查组成员")
    )
    status = models.CharField(_("状态"), max_length=12, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    version = models.PositiveIntegerField(
        default=1, verbose_name=_("版本")
    )  # bumped by every step; a stale page is refused
    published_at = models.DateTimeField(_("公布时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("创建人")
    )
    created_at = models.DateTimeField(verbose_name=_("创建时间"))
    submit_key = submit_key_field()  # one submit, one row (core.once)
    # The recurring schedule that made the plan and the first day of its period: one plan per
    # schedule and period, held by the unique pair below (services.routine.schedule_run).
    schedule = models.ForeignKey(
        "InspectionSchedule",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="plans",
        verbose_name=_("常态检查规则"),
    )
    period_start = models.DateField(_("周期开始日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("检查计划")
        verbose_name_plural = _("检查计划")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "period_start"], name="plan_one_per_schedule_period"),
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="plan_window_ordered"),
            models.CheckConstraint(
                condition=~Q(status=PlanStatus.PUBLISHED) | Q(published_at__isnull=False),
                name="plan_published_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_covert(self) -> bool:
        return self.mode == self.Mode.COVERT

    @property
    def is_secret(self) -> bool:
        """Covert and not yet published: hidden from the inspected units."""
        return self.mode == self.Mode.COVERT and self.published_at is None


class PlanMember(models.Model):
    """A member of a plan's team and the unit they are drawn from (the team mixes units)."""

    plan = models.ForeignKey(InspectionPlan, on_delete=models.CASCADE, related_name="team")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("所在单位"))

    class Meta:
        verbose_name = _("检查组成员")
        verbose_name_plural = _("检查组成员")
        constraints = [models.UniqueConstraint(fields=["plan", "user"], name="plan_member_unique")]


class PlanStratum(models.Model):
    """How many sites of one type to draw in one sub-district."""

    plan = models.ForeignKey(InspectionPlan, on_delete=models.CASCADE, related_name="strata")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("街道"))
    site_type = models.ForeignKey(SiteType, on_delete=models.PROTECT, related_name="+", verbose_name=_("点位类型"))
    count = models.PositiveIntegerField(_("抽取数量"))

    class Meta:
        verbose_name = _("抽样分层")
        verbose_name_plural = _("抽样分层")
        ordering = ["plan", "area__code", "site_type__code"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "area", "site_type"], name="plan_stratum_unique"),
            models.CheckConstraint(condition=Q(count__gt=0), name="plan_stratum_count_positive"),
        ]

    @property
    def key(self) -> str:
        """The stratum's name in the draw's seed: stable, readable, independent of row ids."""
        return f"{self.area.code}/{self.site_type.code}"


class SampleDraw(AppendOnly):
    """The record of one random draw: enough to repeat it and get the same sites.

    `strata` holds, per stratum in key order: its key, the requested count, the candidate list
    the draw ran over (site ids and codes, sorted by code), the sites excluded before it and why,
    and the sites drawn in draw order. inspections.sampling.draw_repeat recomputes it."""

    plan = models.ForeignKey(InspectionPlan, on_delete=models.PROTECT, related_name="draws", verbose_name=_("检查计划"))
    seed = models.CharField(_("随机种子"), max_length=64)
    algorithm = models.CharField(_("算法"), max_length=64)
    exclude_recent_days = models.PositiveIntegerField(default=0, verbose_name=_("排除近期已查天数"))
    excluded_since = models.DateTimeField(null=True, blank=True, verbose_name=_("排除起始时间"))
    strata = models.JSONField(verbose_name=_("分层"))
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("抽取人")
    )
    drawn_at = models.DateTimeField(verbose_name=_("抽取时间"))

    class Meta:
        verbose_name = _("抽样记录")
        verbose_name_plural = _("抽样记录")
        ordering = ["plan", "drawn_at", "id"]


class PlanSite(models.Model):
    """A site drawn into a plan: where the team goes."""

    plan = models.ForeignKey(InspectionPlan, on_delete=models.CASCADE, related_name="targets")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="plan_targets")
    stratum = models.ForeignKey(PlanStratum, on_delete=models.PROTECT, related_name="targets")
    position = models.PositiveIntegerField(help_text="order in the draw, within the stratum")

    class Meta:
        verbose_name = _("抽中点位")
        verbose_name_plural = _("抽中点位")
        ordering = ["plan", "stratum", "position"]
        constraints = [models.UniqueConstraint(fields=["plan", "site"], name="plan_site_unique")]


class PlanEvent(AppendOnly):
    """Append-only trail of a plan's steps: who created, drew, started, published it, and when."""

    plan = models.ForeignKey(
        InspectionPlan, on_delete=models.PROTECT, related_name="events", verbose_name=_("检查计划")
    )
    action = models.CharField(max_length=12, choices=PlanAction.choices, verbose_name=_("操作"))
    from_status = models.CharField(max_length=12, choices=PlanStatus.choices, blank=True, verbose_name=_("原状态"))
    to_status = models.CharField(max_length=12, choices=PlanStatus.choices, verbose_name=_("新状态"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("操作人")
    )
    at = models.DateTimeField(verbose_name=_("时间"))
    note = models.TextField(blank=True, verbose_name=_("说明"))

    class Meta:
        verbose_name = _("计划记录")
        verbose_name_plural = _("计划记录")
        ordering = ["plan", "at", "id"]


class Inspection(models.Model):
    """One visit to one site of a plan, as the phone recorded it; scored from its checklist."""

    client_id = models.UUIDField(_("手机端编号"), unique=True)
    plan = models.ForeignKey(
        InspectionPlan, on_delete=models.PROTECT, related_name="inspections", verbose_name=_("检查计划")
    )
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="inspections", verbose_name=_("点位"))
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("检查人")
    )
    started_at = models.DateTimeField(_("开始时间"))
    submitted_at = models.DateTimeField(_("提交时间"))
    received_at = models.DateTimeField(_("同步时间"))
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    accuracy_m = models.PositiveIntegerField(_("定位精度（米）"), null=True, blank=True)
    note = models.TextField(_("备注"), blank=True)
    points = models.DecimalField(_("得分"), max_digits=8, decimal_places=2, default=0)
    max_points = models.DecimalField(_("应得分"), max_digits=8, decimal_places=2, default=0)
    score = models.DecimalField(_("得分率"), max_digits=5, decimal_places=1, null=True, blank=True)
    # How far the phone's clock was ahead of the server's (negative: behind) when it sent the
    # record, in seconds, when more than services.sync.CLOCK_TOLERANCE; its times were corrected.
    clock_skew_s = models.IntegerField(_("手机时钟偏差（秒）"), null=True, blank=True)

    class Meta:
        verbose_name = _("检查记录")
        verbose_name_plural = _("检查记录")
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["site", "submitted_at"]), models.Index(fields=["plan", "site"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="inspection_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="inspection_longitude_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.site} · {self.submitted_at:%Y-%m-%d}"


class CheckResult(models.Model):
    class Result(models.TextChoices):
        PASS = "pass", _("合格")
        FAIL = "fail", _("不合格")
        NA = "na", _("不适用")

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="results")
    checkpoint = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    result = models.CharField(_("结果"), max_length=4, choices=Result.choices)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("检查结果")
        verbose_name_plural = _("检查结果")
        ordering = ["inspection", "checkpoint__position"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "checkpoint"], name="check_result_unique"),
        ]


class Finding(models.Model):
    """The link from a failed checkpoint of an inspection to the problem it became, with the
    phone's id for that problem and where the phone was. One finding per failed checkpoint; two
    findings (two phones at the same site) share the open problem of that site and checkpoint."""

    client_id = models.UUIDField(_("手机端编号"), unique=True)
    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="findings")
    checkpoint = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    problem = models.ForeignKey(Problem, on_delete=models.PROTECT, related_name="inspection_findings")
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)

    class Meta:
        verbose_name = _("检查发现的问题")
        verbose_name_plural = _("检查发现的问题")
        constraints = [
            models.UniqueConstraint(fields=["inspection", "checkpoint"], name="finding_checkpoint_unique"),
        ]


class InspectionPhoto(models.Model):
    """A photo taken during an inspection: the original as evidence (kept byte for byte, with
    its SHA-256) and the stamped display copy (time, place, site, inspector; no GPS metadata)."""

    client_id = models.UUIDField(_("手机端编号"), unique=True)
    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="photos")
    finding = models.ForeignKey(Finding, null=True, blank=True, on_delete=models.PROTECT, related_name="photos")
    original = models.OneToOneField(Attachment, on_delete=models.PROTECT, related_name="inspection_original")
    display = models.OneToOneField(Attachment, on_delete=models.PROTECT, related_name="inspection_display")
    sha256 = models.CharField(max_length=64)
    taken_at = models.DateTimeField(_("拍摄时间"))
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField()

    class Meta:
        verbose_name = _("检查照片")
        verbose_name_plural = _("检查照片")
        ordering = ["inspection", "taken_at", "id"]


class CovertReadLog(AppendOnly):
    """Who read a covert plan, where and when: the audit of a secret."""

    plan = models.ForeignKey(
        InspectionPlan, on_delete=models.PROTECT, related_name="read_log", verbose_name=_("检查计划")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("人员")
    )
    at = models.DateTimeField(verbose_name=_("时间"))
    surface = models.CharField(max_length=40, verbose_name=_("查看途径"))
    path = models.CharField(max_length=300, blank=True, verbose_name=_("网址"))

    class Meta:
        verbose_name = _("暗访计划查阅记录")
        verbose_name_plural = _("暗访计划查阅记录")
        ordering = ["-at", "-id"]


class InspectionSchedule(models.Model):
    """A recurring inspection rule of long-term management (长效管理): each week or month the
    worker makes one plan from it and draws its sites (services.routine.schedule_run).

    Two kinds of rule:
    - sample: `count` sites of each of the site types in each sub-district per period;
    - coverage: every site of the site types at least once every `interval_weeks` weeks; each
      period draws, per sub-district and type, the share of its sites that keeps that pace
      (services.routine.coverage_count), overdue ones first.
    Changes are written to the security log with before and after (services.routine.schedule_save)."""

    class Period(models.TextChoices):
        WEEKLY = "weekly", _("每周")
        MONTHLY = "monthly", _("每月")

    class Rule(models.TextChoices):
        SAMPLE = "sample", _("按数量抽取")
        COVERAGE = "coverage", _("定期全覆盖")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, verbose_name=_("标识"))
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="inspection_schedules", verbose_name=_("创卫工作")
    )
    name = models.CharField(_("规则名称"), max_length=100)
    period = models.CharField(_("周期"), max_length=8, choices=Period.choices, default=Period.WEEKLY)
    rule = models.CharField(_("规则"), max_length=10, choices=Rule.choices, default=Rule.SAMPLE)
    count = models.PositiveIntegerField(_("每街道每类抽取数量"), default=0)
    interval_weeks = models.PositiveIntegerField(_("覆盖周期（周）"), null=True, blank=True)
    site_types = models.ManyToManyField(SiteType, related_name="+", verbose_name=_("点位类型"))
    areas = models.ManyToManyField(Area, related_name="+", verbose_name=_("检查范围（街道）"))
    mode = models.CharField(
        _("方式"), max_length=8, choices=InspectionPlan.Mode.choices, default=InspectionPlan.Mode.OPEN
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", verbose_name=_("检查组成员"))
    window_days = models.PositiveIntegerField(_("检查时限（天）"), default=5)
    is_active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("创建人")
    )
    created_at = models.DateTimeField(verbose_name=_("创建时间"))
    # Whoever last saved the rule is the acting user of the plans it makes (an office member).
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("修改人")
    )
    updated_at = models.DateTimeField(verbose_name=_("修改时间"))
    submit_key = submit_key_field()  # one submit, one row (core.once)

    class Meta:
        verbose_name = _("常态检查规则")
        verbose_name_plural = _("常态检查规则")
        ordering = ["campaign", "name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(window_days__gte=1), name="schedule_window_positive"),
            models.CheckConstraint(
                condition=(Q(rule="sample") & Q(count__gt=0)) | (Q(rule="coverage") & Q(interval_weeks__gt=0)),
                name="schedule_rule_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class HotspotNotice(models.Model):
    """A hotspot announced to its owner unit's head: one per site per window
    (settings.HOTSPOT_WINDOW_DAYS), so the same hotspot is not announced again every hour."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="hotspot_notices", verbose_name=_("点位"))
    announced_at = models.DateTimeField(_("提示时间"))
    problems = models.PositiveIntegerField(_("问题数"))
    rebounds = models.PositiveIntegerField(_("反弹数"))

    class Meta:
        verbose_name = _("反弹热点提示")
        verbose_name_plural = _("反弹热点提示")
        ordering = ["-announced_at", "-id"]
        indexes = [models.Index(fields=["site", "announced_at"], name="hotspot_notice_site_idx")]
