"""Writes of inspection plans: set-up, the random draw of their sites, the steps of their life,
and the log of who read a covert plan. Screens and the demo loader come through here."""

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

import access
from core import clock
from core.errors import InvalidInput, NotAllowed
from core.once import once_per_key
from core.security import Kind, log_event
from core.states import transition
from inspections import sampling
from inspections.models import (
    CovertReadLog,
    Inspection,
    InspectionPlan,
    PlanEvent,
    PlanMember,
    PlanSite,
    PlanStratum,
    SampleDraw,
)
from inspections.states import PLAN_MACHINE, PlanAction, PlanStatus
from organisation.models import Area, Membership, Unit
from sites.models import Site


def _team(members) -> list[tuple[object, Unit]]:
    """Each member with the unit they are drawn from: the unit of their inspector membership, else
    their PHC office membership. Members must be able to record problems."""
    team = []
    for user in members:
        actor = access.actor_for(user)
        if not (actor.inspector or actor.office):
            raise InvalidInput(_("「%(name)s」不是督导组成员或爱卫办工作人员，不能参加检查") % {"name": user})
        memberships = (
            Membership.objects.filter(user=user, unit__is_active=True)
            .filter(Q(role=Membership.Role.INSPECTOR) | Q(unit__kind=Unit.Kind.PHC_OFFICE))
            .select_related("unit")
            .order_by("unit__code")
        )
        # Drawn into the team from the unit where they are an inspector, else from the office.
        membership = min(memberships, key=lambda m: m.role != Membership.Role.INSPECTOR)
        team.append((user, membership.unit))
    if len(team) > 1 and len({unit.pk for _user, unit in team}) < 2:
        raise InvalidInput(_("检查组成员须来自至少两个单位"))
    return team


@once_per_key(InspectionPlan, by="created_by")
def plan_create(
    *,
    actor,
    campaign,
    name: str,
    kind: str,
    mode: str,
    starts_on: dt.date,
    ends_on: dt.date,
    areas,
    counts: dict,
    members,
    exclude_recent_days: int = 0,
    submit_key=None,
    strata_counts: dict | None = None,
    schedule=None,
    period_start: dt.date | None = None,
) -> InspectionPlan:
    """Set up a plan: its window, scope and team, and one stratum per sub-district and site type
    with the number of sites to draw there (`counts`: site type -> sites per sub-district); once
    per form (core.once). A recurring schedule's plan may give a count per stratum instead
    (`strata_counts`: (sub-district, site type) -> sites, overriding `counts`) and names its
    schedule and period (unique together: services.routine.schedule_run)."""
    if not access.can_manage_inspections(actor):
        raise NotAllowed(_("只有爱卫办可以制定检查计划"))
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("请填写计划名称"))
    if kind not in InspectionPlan.Kind.values or mode not in InspectionPlan.Mode.values:
        raise InvalidInput(_("检查类型或方式无效"))
    if not (isinstance(starts_on, dt.date) and isinstance(ends_on, dt.date)) or ends_on < starts_on:
        raise InvalidInput(_("结束日期不能早于开始日期"))
    if exclude_recent_days < 0:
        raise InvalidInput(_("排除天数不能为负数"))
    areas = list(areas)
    if not areas or any(area.kind != Area.Kind.SUBDISTRICT for area in areas):
        raise InvalidInput(_("检查范围须选择一个或多个街道"))
    counts = {site_type: int(n or 0) for site_type, n in counts.items()}
    per_stratum = {(area, site_type): n for area in areas for site_type, n in counts.items()}
    if strata_counts is not None:
        per_stratum = {pair: int(n or 0) for pair, n in strata_counts.items() if pair[0] in areas}
        counts = {}
        for (_area, site_type), n in per_stratum.items():
            counts[site_type] = max(n, counts.get(site_type, 0))
    if any(n < 0 for n in counts.values()) or not any(counts.values()):
        raise InvalidInput(_("请至少为一种点位类型填写抽取数量"))
    members = list(members)
    if not members:
        raise InvalidInput(_("请选择检查组成员"))
    team = _team(members)
    with transaction.atomic():
        plan = InspectionPlan.objects.create(
            campaign=campaign,
            name=name,
            kind=kind,
            mode=mode,
            starts_on=starts_on,
            ends_on=ends_on,
            exclude_recent_days=exclude_recent_days,
            status=PlanStatus.DRAFT,
            created_by=actor,
            created_at=clock.now(),
            submit_key=submit_key,
            schedule=schedule,
            period_start=period_start,
        )
        plan.areas.set(areas)
        plan.site_types.set([site_type for site_type, n in counts.items() if n > 0])
        PlanMember.objects.bulk_create([PlanMember(plan=plan, user=user, unit=unit) for user, unit in team])
        PlanStratum.objects.bulk_create(
            [
                PlanStratum(plan=plan, area=area, site_type=site_type, count=n)
                for (area, site_type), n in sorted(per_stratum.items(), key=lambda i: (i[0][0].code, i[0][1].code))
                if n > 0
            ]
        )
        PlanEvent.objects.create(
            plan=plan,
            action=PlanAction.CREATE,
            from_status="",
            to_status=PlanStatus.DRAFT,
            actor=actor,
            at=plan.created_at,
        )
    return plan


def plan_transition(*, plan: InspectionPlan, action: str, actor, note: str = "", changes=None) -> InspectionPlan:
    """Move a plan one step through core.states.transition. The team starts a plan (by sending
    its first inspection); every other step is the office's."""

    def may(current: InspectionPlan) -> bool:
        if action == PlanAction.START:
            return access.can_inspect(actor, current)
        return access.can_manage_inspections(actor)

    def record(current: InspectionPlan, *, previous: str, at) -> PlanEvent:
        return PlanEvent.objects.create(
            plan=current, action=action, from_status=previous, to_status=current.status, actor=actor, at=at, note=note
        )

    return transition(plan, machine=PLAN_MACHINE, action=action, actor=actor, may=may, record=record, changes=changes)


def _stratum_candidates(stratum: PlanStratum) -> list[tuple[int, str]]:
    """Active sites of the stratum's type anywhere inside its sub-district, sorted by code."""
    area = stratum.area
    inside = Q(area=area) | Q(area__parent=area) | Q(area__parent__parent=area)
    return list(
        Site.objects.active().filter(inside, site_type=stratum.site_type).order_by("code").values_list("id", "code")
    )


def sample_draw(*, actor, plan: InspectionPlan, seed: str | None = None, prefer: dict | None = None) -> SampleDraw:
    """Draw the plan's sites at random, once.

    1. Take the seed given (a number read out at a meeting, say) or make one.
    2. For each stratum: list the candidates sorted by code, take out those inspected in the last
       `exclude_recent_days` days (recorded with the date of their last inspection), and draw
       with sampling.draw_stratum, the sites in `prefer` (site id -> why: overdue for coverage,
       a hotspot) first; the reason is recorded with the candidate.
    3. Store the draw (seed, algorithm, every candidate list, exclusions, result) append-only,
       the drawn sites as the plan's targets, and move the plan to "sampled"."""
    seed = (seed or "").strip() or sampling.new_seed()
    if len(seed) > 64 or not seed.isprintable():
        raise InvalidInput(_("随机种子须为不超过 64 个字符的文字或数字"))
    with transaction.atomic():
        plan = plan_transition(
            plan=plan, action=PlanAction.DRAW, actor=actor, note=_("随机种子：%(seed)s") % {"seed": seed}
        )
        now = clock.now()
        since = now - dt.timedelta(days=plan.exclude_recent_days) if plan.exclude_recent_days else None
        recent: dict[int, dt.datetime] = {}
        if since is not None:
            for site_id, at in Inspection.objects.filter(submitted_at__gte=since).values_list(
                "site_id", "submitted_at"
            ):
                recent[site_id] = max(at, recent.get(site_id, at))
        records, targets = [], []
        strata = sorted(plan.strata.select_related("area", "site_type"), key=lambda s: s.key)
        for stratum in strata:
            candidates, excluded = [], []
            for site_id, code in _stratum_candidates(stratum):
                if site_id in recent:
                    excluded.append({"id": site_id, "code": code, "last_inspected": clock.zh_date(recent[site_id])})
                elif prefer and site_id in prefer:
                    candidates.append({"id": site_id, "code": code, "preferred": prefer[site_id]})
                else:
                    candidates.append({"id": site_id, "code": code})
            drawn = sampling.draw_stratum(
                seed,
                stratum.key,
                [c["code"] for c in candidates],
                stratum.count,
                [c["code"] for c in candidates if c.get("preferred")],
            )
            ids = {c["code"]: c["id"] for c in candidates}
            records.append(
                {
                    "key": stratum.key,
                    "stratum": stratum.pk,
                    "area": stratum.area.name,
                    "site_type": stratum.site_type.name,
                    "count": stratum.count,
                    "candidates": candidates,
                    "excluded": excluded,
                    "drawn": [{"id": ids[code], "code": code} for code in drawn],
                    "shortfall": max(0, stratum.count - len(drawn)),
                }
            )
            targets += [
                PlanSite(plan=plan, site_id=ids[code], stratum=stratum, position=position)
                for position, code in enumerate(drawn, start=1)
            ]
        draw = SampleDraw.objects.create(
            plan=plan,
            seed=seed,
            algorithm=sampling.ALGORITHM,
            exclude_recent_days=plan.exclude_recent_days,
            excluded_since=since,
            strata=records,
            drawn_by=actor,
            drawn_at=now,
        )
        PlanSite.objects.bulk_create(targets)
    return draw


def plan_publish(*, actor, plan: InspectionPlan) -> InspectionPlan:
    """Publish the plan's results: from now on a covert plan is visible to the units it visited."""
    return plan_transition(plan=plan, action=PlanAction.PUBLISH, actor=actor, changes={"published_at": clock.now()})


def covert_reads_record(*, user, plans, surface: str, path: str = "") -> None:
    """Note that someone read covert plans (or their results): one row per covert plan shown.
    Open plans are not logged."""
    if not getattr(user, "is_authenticated", False):
        return
    now = clock.now()
    covert = [plan for plan in plans if plan.mode == InspectionPlan.Mode.COVERT]
    CovertReadLog.objects.bulk_create(
        [CovertReadLog(plan=plan, user=user, at=now, surface=surface, path=path[:300]) for plan in covert]
    )
    if covert:
        log_event(
            Kind.COVERT_READ,
            user=user,
            target=f"inspections.inspectionplan:{covert[0].pk}" if len(covert) == 1 else "",
            summary="查阅暗访计划："
            + "、".join(plan.name for plan in covert[:10])
            + ("等" if len(covert) > 10 else ""),
            details={"surface": surface, "path": path[:300], "plans": [plan.pk for plan in covert]},
        )
