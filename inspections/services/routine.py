"""Long-term management (长效管理): the recurring schedules, the plans they make each period,
and the notices of rebound hotspots. Run by the worker (settings.SCHEDULE "routine", hourly) and
by `manage.py run_schedules` for cron; the office edits the schedules on its screen.

One plan per schedule and period, however many workers run at once and however often: the
schedule's row is locked while its period's plan is looked for and made, and the unique pair
(schedule, period_start) on InspectionPlan stands behind the lock."""

import datetime as dt
import logging
import math

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

import access
from core import clock
from core.errors import DomainError, InvalidInput, NotAllowed
from core.once import once_per_key
from core.security import Kind, log_event
from inspections import coverage
from inspections.models import HotspotNotice, InspectionPlan, InspectionSchedule
from inspections.services.plans import plan_create, sample_draw
from notifications import people
from notifications.services import notify
from organisation.models import Area, Membership
from problems import hotspots
from problems.models import Problem
from sites.models import Site

logger = logging.getLogger(__name__)


# ---- periods --------------------------------------------------------------------------------


def period_of(period: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the week (Monday to Sunday) or month holding `day`, a local date
    in Asia/Shanghai (clock.today())."""
    if period == InspectionSchedule.Period.WEEKLY:
        start = day - dt.timedelta(days=day.weekday())
        return start, start + dt.timedelta(days=6)
    start = day.replace(day=1)
    following = (start + dt.timedelta(days=32)).replace(day=1)
    return start, following - dt.timedelta(days=1)


def coverage_count(sites: int, *, period_days: int, interval_weeks: int) -> int:
    """Sites to draw in a period so that all `sites` are visited once every `interval_weeks`:
    the period's share of them, rounded up (a stratum of 10 sites every 4 weeks: 3 a week)."""
    return min(sites, math.ceil(sites * period_days / (interval_weeks * 7)))


# ---- the office's screen ---------------------------------------------------------------------

FIELDS = ("name", "period", "rule", "count", "interval_weeks", "mode", "window_days", "is_active")


def _snapshot(schedule: InspectionSchedule) -> dict:
    data = {field: getattr(schedule, field) for field in FIELDS}
    data["site_types"] = sorted(schedule.site_types.values_list("code", flat=True))
    data["areas"] = sorted(schedule.areas.values_list("code", flat=True))
    data["members"] = sorted(schedule.members.values_list("username", flat=True))
    return data


def _check(fields: dict, *, site_types, areas, members) -> None:
    name, period, rule = fields.get("name"), fields.get("period"), fields.get("rule")
    count, interval_weeks, window_days = fields.get("count"), fields.get("interval_weeks"), fields.get("window_days")
    if not (name or "").strip():
        raise InvalidInput(_("请填写规则名称"))
    if (
        period not in InspectionSchedule.Period.values
        or rule not in InspectionSchedule.Rule.values
        or fields.get("mode") not in InspectionPlan.Mode.values
    ):
        raise InvalidInput(_("周期、规则或检查方式无效"))
    if rule == InspectionSchedule.Rule.SAMPLE and not (count or 0) > 0:
        raise InvalidInput(_("按数量抽取须填写每街道每类抽取数量"))
    if rule == InspectionSchedule.Rule.COVERAGE and not (interval_weeks or 0) > 0:
        raise InvalidInput(_("定期全覆盖须填写覆盖周期（周）"))
    if not 1 <= (window_days or 0) <= 31:
        raise InvalidInput(_("检查时限须为 1 至 31 天"))
    if not site_types:
        raise InvalidInput(_("请选择点位类型"))
    if not areas or any(area.kind != Area.Kind.SUBDISTRICT for area in areas):
        raise InvalidInput(_("检查范围须选择一个或多个街道"))
    if not members:
        raise InvalidInput(_("请选择检查组成员"))


def _apply(schedule, *, site_types, areas, members, **fields) -> None:
    for field, value in fields.items():
        setattr(schedule, field, value)
    if schedule.rule == InspectionSchedule.Rule.SAMPLE:
        schedule.interval_weeks = None
    else:
        schedule.count = 0
    schedule.name = schedule.name.strip()
    schedule.save()
    schedule.site_types.set(site_types)
    schedule.areas.set(areas)
    schedule.members.set(members)


@once_per_key(InspectionSchedule, by="created_by")
def schedule_create(*, actor, campaign, site_types, areas, members, submit_key=None, **fields) -> InspectionSchedule:
    """A new recurring rule, by the office; written to the security log."""
    if not access.can_manage_inspections(actor):
        raise NotAllowed(_("只有爱卫办可以设置常态检查规则"))
    site_types, areas, members = list(site_types), list(areas), list(members)
    _check(fields, site_types=site_types, areas=areas, members=members)
    now = clock.now()
    with transaction.atomic():
        schedule = InspectionSchedule(
            campaign=campaign, created_by=actor, created_at=now, updated_by=actor, updated_at=now, submit_key=submit_key
        )
        _apply(schedule, site_types=site_types, areas=areas, members=members, **fields)
        log_event(
            Kind.CHANGE,
            user=actor,
            target=schedule,
            summary=_("新建常态检查规则：%(name)s") % {"name": schedule.name},
            details={"before": {}, "after": _snapshot(schedule)},
        )
    return schedule


def schedule_update(*, actor, schedule: InspectionSchedule, site_types, areas, members, **fields) -> InspectionSchedule:
    """Change a rule, by the office: the plans already made keep theirs; the next period's plan
    follows the new rule. Before and after go to the security log (the rule's history)."""
    if not access.can_manage_inspections(actor):
        raise NotAllowed(_("只有爱卫办可以设置常态检查规则"))
    site_types, areas, members = list(site_types), list(areas), list(members)
    _check(fields, site_types=site_types, areas=areas, members=members)
    with transaction.atomic():
        schedule = InspectionSchedule.objects.select_for_update().get(pk=schedule.pk)
        before = _snapshot(schedule)
        _apply(
            schedule,
            site_types=site_types,
            areas=areas,
            members=members,
            updated_by=actor,
            updated_at=clock.now(),
            **fields,
        )
        after = _snapshot(schedule)
        if after != before:
            log_event(
                Kind.CHANGE,
                user=actor,
                target=schedule,
                summary=_("修改常态检查规则：%(name)s") % {"name": schedule.name},
                details={"before": before, "after": after},
            )
    return schedule


# ---- the worker's run ------------------------------------------------------------------------


def _strata_counts(schedule: InspectionSchedule, areas, site_types, start, end) -> dict:
    """(sub-district, site type) -> sites to draw this period."""
    if schedule.rule == InspectionSchedule.Rule.SAMPLE:
        return {(area, site_type): schedule.count for area in areas for site_type in site_types}
    sizes = {
        (row["subdistrict"], row["site_type"]): row["n"]
        for row in Site.objects.active()
        .filter(site_type__in=site_types)
        .annotate(subdistrict=coverage.SUBDISTRICT)
        .values("subdistrict", "site_type")
        .annotate(n=Count("id"))
        .order_by()
    }
    period_days = (end - start).days + 1
    return {
        (area, site_type): coverage_count(
            sizes.get((area.pk, site_type.pk), 0), period_days=period_days, interval_weeks=schedule.interval_weeks
        )
        for area in areas
        for site_type in site_types
    }


def _preferred(schedule: InspectionSchedule, site_types, now) -> dict[int, str]:
    """Site id -> why it goes first: a rebound hotspot, never inspected, or overdue for coverage."""
    prefer = coverage.uncovered_reasons(campaign=schedule.campaign, now=now, site_types=site_types)
    for site_id in hotspots.hotspot_site_ids(now=now):
        prefer[site_id] = "hotspot"
    return prefer


def schedule_plan(
    *, schedule: InspectionSchedule, now: dt.datetime | None = None, seed: str | None = None
) -> tuple[InspectionPlan, bool]:
    """The schedule's plan for the period holding `now`, made and drawn if it does not exist yet.
    Returns (plan, made now).

    1. Lock the schedule's row; a plan for (schedule, period start) already there is the answer.
    2. Otherwise make it through plan_create, acting as whoever last saved the rule (an office
       member; if they no longer may, the service refuses and nothing is made), with the rule's
       mode, team and a window of `window_days` from the period's first day (within the period).
    3. Draw its sites through sample_draw, overdue-for-coverage sites and hotspots first, with
       `seed` (the demo's fixed one) or a fresh one, recorded with the draw as always.
    The unique (schedule, period_start) pair catches a writer the lock did not stop."""
    now = now or clock.now()
    start, end = period_of(schedule.period, timezone.localdate(now))
    with transaction.atomic():
        schedule = (
            InspectionSchedule.objects.select_for_update().select_related("campaign", "updated_by").get(pk=schedule.pk)
        )
        existing = InspectionPlan.objects.filter(schedule=schedule, period_start=start).first()
        if existing is not None:
            return existing, False
        site_types = list(schedule.site_types.order_by("code"))
        areas = list(schedule.areas.order_by("code"))
        try:
            with transaction.atomic():
                plan = plan_create(
                    actor=schedule.updated_by,
                    campaign=schedule.campaign,
                    name=_("%(name)s（%(start)s—%(end)s）")
                    % {"name": schedule.name, "start": clock.zh_date(start), "end": clock.zh_date(end)},
                    kind=InspectionPlan.Kind.SCHEDULED,
                    mode=schedule.mode,
                    starts_on=start,
                    ends_on=min(end, start + dt.timedelta(days=schedule.window_days - 1)),
                    areas=areas,
                    counts={},
                    strata_counts=_strata_counts(schedule, areas, site_types, start, end),
                    members=schedule.members.order_by("pk"),
                    schedule=schedule,
                    period_start=start,
                )
                sample_draw(
                    actor=schedule.updated_by, plan=plan, seed=seed, prefer=_preferred(schedule, site_types, now)
                )
        except IntegrityError:
            return InspectionPlan.objects.get(schedule=schedule, period_start=start), False
    plan.refresh_from_db()
    return plan, True


def schedule_run(*, now: dt.datetime | None = None) -> list[InspectionPlan]:
    """Make the current period's plan of every active schedule that has none yet; returns the
    plans made now. A schedule the service refuses (its last editor left the office, no site to
    draw) is logged and skipped, so one bad rule does not stop the others."""
    made = []
    for schedule in InspectionSchedule.objects.filter(is_active=True).order_by("pk"):
        try:
            plan, created = schedule_plan(schedule=schedule, now=now)
        except DomainError as error:
            logger.warning("schedule %s: %s", schedule.pk, error.message)
            continue
        if created:
            made.append(plan)
    return made


# ---- hotspots --------------------------------------------------------------------------------


def hotspots_announce(*, now: dt.datetime | None = None) -> list[HotspotNotice]:
    """Tell each new hotspot's owner unit's head (一把手), once per site per window: a site
    announced within the last HOTSPOT_WINDOW_DAYS is not announced again. Counted without the
    findings of unpublished covert plans (the unit may not know of them yet). The notice row and the
    messages are written together, under the site's row lock (two workers: one notice)."""
    now = now or clock.now()
    since = now - dt.timedelta(days=settings.HOTSPOT_WINDOW_DAYS)
    announced = set(HotspotNotice.objects.filter(announced_at__gte=since).values_list("site_id", flat=True))
    # The unit is told counts: an unpublished covert plan's findings stay out of them (and so may
    # not make a hotspot yet), as from everything else the unit reads.
    told = Problem.objects.exclude(pk__in=access.secret_problem_ids())
    notices = []
    for row in hotspots.hotspot_counts(told, now=now):
        if row["site"] in announced:
            continue
        with transaction.atomic():
            site = Site.objects.select_for_update().select_related("owner_unit").get(pk=row["site"])
            if HotspotNotice.objects.filter(site=site, announced_at__gte=since).exists():
                continue
            notice = HotspotNotice.objects.create(
                site=site, announced_at=now, problems=row["problems"], rebounds=row["rebounds"]
            )
            notify(
                rule="hotspot",
                source=f"hotspot:{site.pk}:{notice.pk}",
                recipients=people.unit_people(site.owner_unit, Membership.Role.HEAD),
                subject=_("反弹热点：%(site)s") % {"site": site.name},
                body=_("%(site)s 近 %(days)s 天登记问题 %(problems)s 个，其中反弹 %(rebounds)s 个，")
                % {
                    "site": site,
                    "days": settings.HOTSPOT_WINDOW_DAYS,
                    "problems": row["problems"],
                    "rebounds": row["rebounds"],
                }
                + _("已列为反弹热点，请加强长效管理。"),
                link=reverse("oversight:unit", args=[site.owner_unit.code]),
                unit=site.owner_unit,
                urgent=False,
            )
            notices.append(notice)
    return notices
