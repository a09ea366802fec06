import uuid

from django.conf import settings
from django.db import models
from django.db.models import Case, Count, Q, Value, When
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campaigns.models import Campaign
from core import clock
from core.models import AppendOnly, Attachment, YearCounter
from core.once import submit_key_field
from organisation.models import Unit
from problems.states import FINAL, OPEN, WITH_UNIT, Action, Level, Status
from sites.models import Site
from standard.models import Criterion


class ProblemQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN)

    def overdue(self, today=None):
        """With a unit, deadline passed, not yet verified. Derived, never stored."""
        today = today or clock.today()
        return self.filter(status__in=WITH_UNIT, deadline__lt=today)

    def closed_late(self):
        return self.filter(status=Status.CLOSED).filter(closed_on__gt=models.F("deadline"))

    def closed_on_time(self):
        return self.filter(status=Status.CLOSED).filter(closed_on__lte=models.F("deadline"))

    def annotate_timeliness(self, today=None):
        """timeliness: overdue / closed_late / closed_on_time / due (with a unit, not late) /
        none (unassigned or cancelled)."""
        today = today or clock.today()
        return self.annotate(
            timeliness=Case(
                When(status__in=WITH_UNIT, deadline__lt=today, then=Value("overdue")),
                When(status__in=WITH_UNIT, then=Value("due")),
                When(status=Status.CLOSED, closed_on__gt=models.F("deadline"), then=Value("closed_late")),
                When(status=Status.CLOSED, then=Value("closed_on_time")),
                default=Value("none"),
            )
        )

    def with_counts(self):
        """rework_count: times returned; reassign_count: times passed to another unit."""
        return self.annotate(
            rework_count=Count("events", filter=Q(events__action=Action.RETURN)),
            reassign_count=Count("events", filter=Q(events__action=Action.REASSIGN)),
        )


class Problem(models.Model):
    """One finding at one site against one criterion, and where it stands in the closed loop.

    `status`, `assigned_unit`, `deadline` and `closed_at` are written only by
    problems.services.problem_transition, which also writes the ProblemEvent that explains them."""

    class Severity(models.TextChoices):
        MINOR = "minor", _("一般")
        MAJOR = "major", _("较重")
        SERIOUS = "serious", _("严重")

    class Source(models.TextChoices):
        INSPECTION = "inspection", _("督导检查")
        CITIZEN = "citizen", _("群众举报")
        LEADER = "leader", _("领导交办")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, verbose_name=_("标识"))
    year = models.PositiveIntegerField(verbose_name=_("年度"))
    sequence = models.PositiveIntegerField(verbose_name=_("序号"))
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="problems", verbose_name=_("创卫工作")
    )
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="problems", verbose_name=_("点位"))
    criterion = models.ForeignKey(
        Criterion, on_delete=models.PROTECT, related_name="problems", verbose_name=_("标准条目")
    )
    description = models.TextField(_("问题描述"))
    severity = models.CharField(_("严重程度"), max_length=10, choices=Severity.choices, default=Severity.MINOR)
    source = models.CharField(_("来源"), max_length=12, choices=Source.choices, default=Source.INSPECTION)
    photos = models.ManyToManyField(Attachment, blank=True, related_name="problems", verbose_name=_("问题照片"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("记录人")
    )
    recorded_at = models.DateTimeField(_("发现时间"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.RECORDED)
    assigned_unit = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="problems",
        verbose_name=_("责任单位"),
    )
    deadline = models.DateField(_("整改期限"), null=True, blank=True)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    # The local date of closed_at. Kept beside it because "closed late" compares dates in the
    # campaign's time zone, which a database cannot do portably from a timestamp.
    closed_on = models.DateField(null=True, blank=True, verbose_name=_("销号日期"))
    rebound_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rebounds",
        verbose_name=_("反弹自"),
    )
    # Recorded while an open problem of the same criterion stood at the same site or nearby
    # (problems.selectors.possible_duplicates): the nearest of them, for the office to look at
    # (the list's filter 疑似重复) and merge or leave. Set once, by problem_record.
    resembles = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="resembled_by",
        verbose_name=_("疑似重复于"),
    )
    # The survivor this problem was merged into (status 已合并); set only by the merge step.
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_ones",
        verbose_name=_("合并到"),
    )
    # Bumped by every transition: a second actor holding an older copy is told it changed.
    version = models.PositiveIntegerField(default=0, verbose_name=_("版本"))
    # The highest reminder or escalation level (states.Level) fired in the current cycle: since
    # the last assignment, reassignment or return, which reset it (problems/reminders.py). It
    # lets the sweep skip, by index, what it has already done; the events are the record.
    escalation = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name=_("已发提醒级别"))
    # How many times verification sent it back (返工): bumped by the return step under the lock the
    # transition holds, so the rework rate counts it from the row instead of scanning the events
    # (issue 14). audit_check compares it with the trail.
    return_count = models.PositiveIntegerField(_("退回返工次数"), default=0)

    # The office's record form's one-time key (core.once): a double submit records one problem.
    submit_key = submit_key_field()

    objects = ProblemQuerySet.as_manager()

    class Meta:
        verbose_name = _("问题")
        verbose_name_plural = pgettext_lazy("plural", "问题")
        ordering = ["-year", "-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="problem_number_unique"),
            models.CheckConstraint(
                condition=~Q(status__in=sorted(WITH_UNIT)) | Q(assigned_unit__isnull=False, deadline__isnull=False),
                name="problem_with_unit_has_unit_and_deadline",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.CLOSED) | Q(closed_at__isnull=False, closed_on__isnull=False),
                name="problem_closed_has_time",
            ),
            models.CheckConstraint(
                condition=Q(status=Status.MERGED, merged_into__isnull=False)
                | (~Q(status=Status.MERGED) & Q(merged_into__isnull=True)),
                name="problem_merged_has_survivor",
            ),
        ]
        # The orders and filters the screens use (issue 14): each list's first page is read from
        # an index in its order instead of sorting the whole table (problems.selectors.problem_list).
        indexes = [
            models.Index(fields=["status", "deadline"]),
            models.Index(fields=["assigned_unit", "status"]),
            models.Index(fields=["site", "criterion", "closed_at"]),
            # The list's default order (newest first), for those who see all.
            models.Index(fields=["recorded_at", "id"], name="problem_recorded_idx"),
            # A unit's list: its own problems, newest first.
            models.Index(fields=["assigned_unit", "recorded_at", "id"], name="problem_unit_recorded_idx"),
            # Open problems by deadline: the overdue list, the sweep; partial, so it stays small.
            models.Index(
                fields=["deadline", "id"],
                condition=Q(status__in=sorted(WITH_UNIT)),
                name="problem_open_deadline_idx",
            ),
            # Possible duplicates: the open problems of one criterion (problems.selectors
            # .possible_duplicates narrows them by site or by a box around a point).
            models.Index(
                fields=["criterion", "site"],
                condition=Q(status__in=sorted(OPEN)),
                name="problem_open_criterion_idx",
            ),
            # The work list: a unit's open problems, nearest deadline first.
            models.Index(
                fields=["assigned_unit", "deadline", "id"],
                condition=Q(status__in=sorted(WITH_UNIT)),
                name="problem_unit_open_deadline_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.description[:30]}"

    @property
    def number(self) -> str:
        """The number people say on the phone and print in bulletins: 2027-000123."""
        return f"{self.year}-{self.sequence:06d}"

    @property
    def is_overdue(self) -> bool:
        return self.status in WITH_UNIT and self.deadline is not None and self.deadline < clock.today()

    @property
    def closed_late(self) -> bool:
        return self.status == Status.CLOSED and self.closed_on > self.deadline

    @property
    def is_final(self) -> bool:
        return self.status in FINAL


class ProblemCounter(YearCounter):
    """The last problem number given out per year."""


class ProblemEvent(AppendOnly):
    """One step of a problem's closed loop, append-only: who, when, from, to, note, evidence.
    Replaying a problem's events through problems.states.TRANSITIONS gives its status."""

    problem = models.ForeignKey(Problem, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    action = models.CharField(max_length=12, choices=Action.choices)
    from_status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=Status.choices)
    # None for what the worker records (reminders and escalations): no person acted.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    actor_unit = models.ForeignKey(
        Unit,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="the unit the actor acted for, when it matters (verification, evidence)",
    )
    at = models.DateTimeField()
    note = models.TextField(blank=True)
    unit = models.ForeignKey(
        Unit,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="the responsible unit after this step",
    )
    deadline = models.DateField(null=True)
    attachments = models.ManyToManyField(Attachment, blank=True, related_name="problem_events")
    level = models.PositiveSmallIntegerField(null=True, blank=True, help_text="reminders and escalations: states.Level")

    @property
    def label(self) -> str:
        """What the timeline calls the step: a reminder or escalation by its level."""
        return Level(self.level).label if self.level is not None else self.get_action_display()

    # The evidence files belong to the step: given to objects.create(), hashed with the row.
    chained_links = ("attachments",)

    class Meta:
        verbose_name = _("问题记录")
        verbose_name_plural = pgettext_lazy("plural", "问题记录")
        ordering = ["problem", "seq"]
        constraints = [models.UniqueConstraint(fields=["problem", "seq"], name="problem_event_seq_unique")]
