"""Writes for inspections: plans and their draw, and what the phone sends (inspections, problems,
photos). Web screens, the API and the demo loader all come through here.

The phone's records are idempotent on the id the phone made (`client_id`, unique in the
database): sending the same record twice, or five times at once, stores it once and answers
every caller with the stored row. Each writer first locks the row its record hangs on (the plan
for an inspection, the inspection for a problem or photo), so concurrent copies queue up and the
later ones find the first; the unique constraint is the backstop if anything slips through."""

import datetime as dt
import logging
import uuid
from decimal import Decimal
from pathlib import PurePath

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

import access
from core import clock
from core.errors import DomainError, IllegalTransition, InvalidInput, NotAllowed
from core.models import Attachment
from core.services import IMAGE_FORMATS, attachment_store
from core.states import transition
from inspections import photos as stamping
from inspections import sampling
from inspections.models import (
    CheckResult,
    CovertReadLog,
    Finding,
    Inspection,
    InspectionPhoto,
    InspectionPlan,
    PlanEvent,
    PlanMember,
    PlanSite,
    PlanStratum,
    SampleDraw,
)
from inspections.states import INSPECTABLE, PLAN_MACHINE, PlanAction, PlanStatus
from organisation.models import Area, Membership, Unit
from problems.models import Problem
from problems.services import problem_record
from sites.models import Site
from standard.models import Criterion

logger = logging.getLogger(__name__)

# A phone's clock may be a little ahead of the server's; a day ahead is a wrong clock.
CLOCK_SKEW = dt.timedelta(hours=1)


class ClientIdConflict(DomainError):
    """The phone's id is already taken by a different record (a bug or a forged request)."""


# ---- plans --------------------------------------------------------------------------------------


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
) -> InspectionPlan:
    """Set up a plan: its window, scope and team, and one stratum per sub-district and site type
    with the number of sites to draw there (`counts`: site type -> sites per sub-district)."""
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
        )
        plan.areas.set(areas)
        plan.site_types.set([site_type for site_type, n in counts.items() if n > 0])
        PlanMember.objects.bulk_create([PlanMember(plan=plan, user=user, unit=unit) for user, unit in team])
        PlanStratum.objects.bulk_create(
            [
                PlanStratum(plan=plan, area=area, site_type=site_type, count=n)
                for area in sorted(areas, key=lambda a: a.code)
                for site_type, n in sorted(counts.items(), key=lambda item: item[0].code)
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


def sample_draw(*, actor, plan: InspectionPlan, seed: str | None = None) -> SampleDraw:
    """Draw the plan's sites at random, once.

    1. Take the seed given (a number read out at a meeting, say) or make one.
    2. For each stratum: list the candidates sorted by code, take out those inspected in the last
       `exclude_recent_days` days (recorded with the date of their last inspection), and draw
       with sampling.draw_stratum.
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
                else:
                    candidates.append({"id": site_id, "code": code})
            drawn = sampling.draw_stratum(seed, stratum.key, [c["code"] for c in candidates], stratum.count)
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
    CovertReadLog.objects.bulk_create(
        [
            CovertReadLog(plan=plan, user=user, at=now, surface=surface, path=path[:300])
            for plan in plans
            if plan.mode == InspectionPlan.Mode.COVERT
        ]
    )


# ---- what the phone sends -----------------------------------------------------------------------


def _client_id(value) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError):
        raise InvalidInput(_("手机端编号无效")) from None


def _moment(value, label: str) -> dt.datetime:
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise InvalidInput(_("%(label)s无效") % {"label": label})
    if value > clock.now() + CLOCK_SKEW:
        raise InvalidInput(_("%(label)s晚于服务器时间，请检查手机时间设置") % {"label": label})
    return value


def _coordinates(latitude, longitude) -> tuple[Decimal | None, Decimal | None]:
    if latitude is None or longitude is None:
        return None, None
    try:
        lat, lng = Decimal(str(latitude)), Decimal(str(longitude))
    except ArithmeticError:
        raise InvalidInput(_("位置坐标无效")) from None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise InvalidInput(_("位置坐标超出范围"))
    return lat.quantize(Decimal("0.000001")), lng.quantize(Decimal("0.000001"))


def checklist(site: Site) -> list[Criterion]:
    """The checkpoints of a site's type, in the standard's order."""
    return list(site.site_type.checkpoints.order_by("position", "code"))


def score_of(results: list[tuple[Criterion, str]]) -> tuple[Decimal, Decimal, Decimal | None]:
    """Points for passed checkpoints, points at stake (passed + failed), and their ratio as a
    percentage; checkpoints that do not apply count for nothing. Without weights every applicable
    checkpoint counts one."""
    applicable = [(c, r) for c, r in results if r != CheckResult.Result.NA]
    weighted = any(c.weight for c, _r in applicable)
    weight = (lambda c: Decimal(c.weight)) if weighted else (lambda c: Decimal(1))
    points = sum((weight(c) for c, r in applicable if r == CheckResult.Result.PASS), Decimal(0))
    at_stake = sum((weight(c) for c, _r in applicable), Decimal(0))
    if not at_stake:
        return points, at_stake, None
    return points, at_stake, (100 * points / at_stake).quantize(Decimal("0.1"))


def _same_or_conflict(existing, same: bool, what: str):
    if not same:
        raise ClientIdConflict(_("编号 %(id)s 已用于另一条%(what)s") % {"id": existing.client_id, "what": what})
    return existing, False


def inspection_submit(
    *,
    actor,
    client_id,
    plan: InspectionPlan,
    site: Site,
    started_at: dt.datetime,
    submitted_at: dt.datetime,
    results: list[tuple[int, str, str]],
    latitude=None,
    longitude=None,
    accuracy_m: int | None = None,
    note: str = "",
) -> tuple[Inspection, bool]:
    """Store one inspection the phone made, once. Returns (inspection, created).

    1. Lock the plan; if the phone's id is stored already, answer with that inspection.
    2. Check: the actor is on the plan's team, the plan is inspectable, the site was drawn into
       it, and the results answer every checkpoint of the site's checklist exactly once.
    3. Store the inspection with its score and its results; the plan's first inspection moves it
       to "in progress"."""
    client_id = _client_id(client_id)
    started_at, submitted_at = _moment(started_at, _("开始时间")), _moment(submitted_at, _("提交时间"))
    if submitted_at < started_at:
        raise InvalidInput(_("提交时间不能早于开始时间"))
    lat, lng = _coordinates(latitude, longitude)
    try:
        with transaction.atomic():
            plan = InspectionPlan.objects.select_for_update().get(pk=plan.pk)
            existing = Inspection.objects.filter(client_id=client_id).first()
            if existing:
                same = (existing.plan_id, existing.site_id, existing.inspector_id) == (plan.pk, site.pk, actor.pk)
                return _same_or_conflict(existing, same, _("检查记录"))
            if not access.can_inspect(actor, plan):
                raise NotAllowed(_("您不是该检查计划的检查组成员"))
            if plan.status not in INSPECTABLE:
                raise IllegalTransition(_("检查计划尚未抽样，不能记录检查"))
            if not PlanSite.objects.filter(plan=plan, site=site).exists():
                raise InvalidInput(_("点位「%(site)s」不在该检查计划的抽中点位中") % {"site": site})
            points_by_id = {c.pk: c for c in checklist(site)}
            answered = {}
            for checkpoint_id, result, result_note in results:
                if checkpoint_id not in points_by_id:
                    raise InvalidInput(_("检查要点 %(id)s 不属于该点位类型的检查清单") % {"id": checkpoint_id})
                if result not in CheckResult.Result.values:
                    raise InvalidInput(_("检查结果只能是合格、不合格或不适用"))
                if checkpoint_id in answered:
                    raise InvalidInput(_("检查要点 %(id)s 重复") % {"id": checkpoint_id})
                answered[checkpoint_id] = (result, (result_note or "").strip())
            missing = [c for pk, c in points_by_id.items() if pk not in answered]
            if missing:
                raise InvalidInput(
                    _("还有 %(n)d 项检查要点未判定：%(first)s") % {"n": len(missing), "first": missing[0].name}
                )
            points, max_points, score = score_of([(points_by_id[pk], r) for pk, (r, _n) in answered.items()])
            inspection = Inspection.objects.create(
                client_id=client_id,
                plan=plan,
                site=site,
                inspector=actor,
                started_at=started_at,
                submitted_at=submitted_at,
                received_at=clock.now(),
                latitude=lat,
                longitude=lng,
                accuracy_m=accuracy_m if accuracy_m is None else max(0, int(accuracy_m)),
                note=(note or "").strip(),
                points=points,
                max_points=max_points,
                score=score,
            )
            CheckResult.objects.bulk_create(
                [
                    CheckResult(inspection=inspection, checkpoint_id=pk, result=result, note=result_note)
                    for pk, (result, result_note) in answered.items()
                ]
            )
            if plan.status == PlanStatus.SAMPLED:
                plan_transition(plan=plan, action=PlanAction.START, actor=actor)
            return inspection, True
    except IntegrityError:
        existing = Inspection.objects.filter(client_id=client_id).first()
        if existing is None:
            raise
        same = (existing.plan_id, existing.site_id, existing.inspector_id) == (plan.pk, site.pk, actor.pk)
        return _same_or_conflict(existing, same, _("检查记录"))


def _own_inspection(actor, inspection_client_id, *, lock: bool) -> Inspection:
    """The inspection a problem or photo hangs on: it must exist (the phone sends the inspection
    first) and be the actor's own."""
    scoped = access.inspections_visible_to(actor).select_related("plan", "site", "site__site_type")
    if lock:
        scoped = scoped.select_for_update(of=("self",))
    inspection = scoped.filter(client_id=_client_id(inspection_client_id)).first()
    if inspection is None:
        raise InvalidInput(_("找不到该检查记录，请先同步检查记录"))
    if inspection.inspector_id != actor.pk:
        raise NotAllowed(_("只能为自己的检查记录登记问题和照片"))
    return inspection


def finding_record(
    *,
    actor,
    client_id,
    inspection_client_id,
    checkpoint_id: int,
    description: str = "",
    severity: str = Problem.Severity.MINOR,
    latitude=None,
    longitude=None,
) -> tuple[Finding, bool]:
    """Turn a failed checkpoint into a problem, once. Returns (finding, created); the problem is
    finding.problem, recorded through problems.services.problem_record like any other."""
    client_id = _client_id(client_id)
    lat, lng = _coordinates(latitude, longitude)

    def existing_or_conflict(existing: Finding):
        same = existing.inspection.client_id == _client_id(inspection_client_id) and existing.checkpoint_id == int(
            checkpoint_id
        )
        return _same_or_conflict(existing, same, _("问题"))

    try:
        with transaction.atomic():
            inspection = _own_inspection(actor, inspection_client_id, lock=True)
            existing = Finding.objects.select_related("inspection", "problem").filter(client_id=client_id).first()
            if existing:
                return existing_or_conflict(existing)
            result = inspection.results.select_related("checkpoint").filter(checkpoint_id=checkpoint_id).first()
            if result is None or result.result != CheckResult.Result.FAIL:
                raise InvalidInput(_("只有判定为不合格的检查要点才能登记问题"))
            taken = Finding.objects.filter(inspection=inspection, checkpoint_id=checkpoint_id).first()
            if taken:
                raise ClientIdConflict(_("该检查要点已登记为问题 %(number)s") % {"number": taken.problem.number})
            checkpoint = result.checkpoint
            text = (
                (description or "").strip()
                or result.note
                or _("%(code)s %(name)s：不合格")
                % {
                    "code": checkpoint.code,
                    "name": checkpoint.name,
                }
            )
            problem = problem_record(
                actor=actor,
                campaign=inspection.plan.campaign,
                site=inspection.site,
                criterion=checkpoint,
                description=text,
                severity=severity,
                source=Problem.Source.INSPECTION,
            )
            finding = Finding.objects.create(
                client_id=client_id,
                inspection=inspection,
                checkpoint=checkpoint,
                problem=problem,
                latitude=lat,
                longitude=lng,
            )
            return finding, True
    except IntegrityError:
        existing = Finding.objects.select_related("inspection", "problem").filter(client_id=client_id).first()
        if existing is None:
            raise
        return existing_or_conflict(existing)


def _stamp(inspection: Inspection, actor, taken_at: dt.datetime, lat, lng) -> stamping.Stamp:
    local = timezone.localtime(taken_at)
    when = f"{clock.zh_date(local)} {local:%H:%M}"
    if lat is not None:
        place = _("位置 %(lat)s, %(lng)s") % {"lat": f"{lat:.6f}", "lng": f"{lng:.6f}"}
        place_ascii = f"{lat:.6f}, {lng:.6f}"
    elif inspection.site.latitude is not None:
        place = _("点位坐标 %(lat)s, %(lng)s") % {"lat": inspection.site.latitude, "lng": inspection.site.longitude}
        place_ascii = f"site {inspection.site.latitude}, {inspection.site.longitude}"
    else:
        place, place_ascii = _("位置未知"), "position unknown"
    site = inspection.site
    return stamping.Stamp(
        time=when,
        place=place,
        site=f"{site.name}（{site.code}）{site.address}",
        inspector=_("检查人：%(name)s") % {"name": actor.get_full_name()},
        ascii_fallback=(f"{local:%Y-%m-%d %H:%M}", place_ascii, site.code, f"inspector {actor.username}"),
    )


def photo_store(
    *,
    actor,
    client_id,
    inspection_client_id,
    sha256: str,
    name: str,
    data: bytes,
    problem_client_id=None,
    taken_at: dt.datetime | None = None,
    latitude=None,
    longitude=None,
) -> tuple[InspectionPhoto, bool]:
    """Store one photo the phone took, once, and only if it arrived whole. Returns (photo, created).

    1. The same id stored already: answer with it if the hash matches, else refuse.
    2. The bytes must hash to the SHA-256 the phone computed (else a transfer was cut: the phone
       keeps the photo and sends it again), and be a real, bounded image (attachment_store).
    3. Keep the original as evidence, make the stamped display copy without metadata, link the
       copy to the problem it documents. A refusal at any step leaves no row and no file."""
    client_id = _client_id(client_id)
    sha256 = (sha256 or "").strip().lower()
    if len(sha256) != 64:
        raise InvalidInput(_("缺少照片的 SHA-256 校验值"))
    lat, lng = _coordinates(latitude, longitude)
    taken_at = _moment(taken_at, _("拍摄时间")) if taken_at is not None else clock.now()
    name = PurePath(name or "").name or "photo.jpg"
    stored: list[Attachment] = []

    def existing_or_conflict(existing: InspectionPhoto):
        return _same_or_conflict(existing, existing.sha256 == sha256, _("照片"))

    try:
        with transaction.atomic():
            inspection = _own_inspection(actor, inspection_client_id, lock=True)
            existing = InspectionPhoto.objects.filter(client_id=client_id).first()
            if existing:
                return existing_or_conflict(existing)
            if Attachment.hash_of(data or b"") != sha256:
                raise InvalidInput(_("照片「%(name)s」校验值不符，传输不完整，请重新同步") % {"name": name})
            suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
            if suffix not in IMAGE_FORMATS:
                raise InvalidInput(
                    _("「%(name)s」不是照片，只接受 %(kinds)s")
                    % {"name": name, "kinds": "、".join(sorted(IMAGE_FORMATS))}
                )
            finding = None
            if problem_client_id:
                finding = (
                    Finding.objects.select_related("problem")
                    .filter(client_id=_client_id(problem_client_id), inspection=inspection)
                    .first()
                )
                if finding is None:
                    raise InvalidInput(_("找不到照片所属的问题，请先同步问题"))
            original = attachment_store(actor=actor, name=name, data=data)
            stored.append(original)
            stamp = _stamp(inspection, actor, taken_at, lat, lng)
            display = attachment_store(
                actor=actor, name=f"{client_id.hex}.jpg", data=stamping.display_copy(data, stamp)
            )
            stored.append(display)
            photo = InspectionPhoto.objects.create(
                client_id=client_id,
                inspection=inspection,
                finding=finding,
                original=original,
                display=display,
                sha256=sha256,
                taken_at=taken_at,
                latitude=lat,
                longitude=lng,
                uploaded_by=actor,
                received_at=clock.now(),
            )
            if finding is not None:
                finding.problem.photos.add(display)
            return photo, True
    except Exception as error:
        # The rows went with the transaction; the bytes on disk must go too.
        for attachment in stored:
            attachment.file.delete(save=False)
        if isinstance(error, IntegrityError):
            existing = InspectionPhoto.objects.filter(client_id=client_id).first()
            if existing is not None:
                return existing_or_conflict(existing)
        raise


def sync_status(*, actor, inspections=(), problems=(), photos=()) -> dict[str, list[str]]:
    """Which of the phone's ids the server holds (of the actor's own records)."""

    def known(model, ids, field):
        wanted = []
        for value in ids:
            try:
                wanted.append(_client_id(value))
            except InvalidInput:
                continue
        rows = model.objects.filter(client_id__in=wanted, **{field: actor})
        return sorted(str(v) for v in rows.values_list("client_id", flat=True))

    return {
        "inspections": known(Inspection, inspections, "inspector"),
        "problems": known(Finding, problems, "inspection__inspector"),
        "photos": known(InspectionPhoto, photos, "uploaded_by"),
    }
