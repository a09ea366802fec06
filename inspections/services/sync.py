"""Writes of what the phone sends: inspections, the problems they found, their photos; and the
page without JavaScript, which stores the same three through the same functions.

Each record is idempotent on the id the phone made (`client_id`, unique in the database): sending
the same record twice, or five times at once, stores it once and answers every caller with the
stored row. Each writer first locks the row its record hangs on (the plan for an inspection, the
inspection for a problem or photo), so concurrent copies queue up and the later ones find the
first; the unique constraint is the backstop if anything slips through (`_stored_once`, over
core.once.stored_once, which the creating forms' one-time keys use too)."""

import datetime as dt
import math
import uuid
from decimal import Decimal
from pathlib import PurePath

from django.utils import timezone
from django.utils.translation import gettext as _

import access
from core import clock, geo, text
from core.errors import IllegalTransition, InvalidInput, NotAllowed
from core.files import atomic_with_files
from core.models import Attachment
from core.once import KeyTaken, stored_once
from core.services import IMAGE_FORMATS, PHOTO, attachment_store
from inspections import photos as stamping
from inspections.models import CheckResult, Finding, Inspection, InspectionPhoto, InspectionPlan, PlanSite
from inspections.services.plans import plan_transition
from inspections.states import INSPECTABLE, PlanAction, PlanStatus
from problems.models import Problem
from problems.services import problem_found_again, problem_record
from problems.states import OPEN as OPEN_PROBLEM
from sites.models import Site
from standard.models import Criterion

# A phone's clock may be a little ahead of the server's; a day ahead is a wrong clock.
CLOCK_SKEW = dt.timedelta(hours=1)
# A phone that says what its clock read when it sent a record (`phone_time`) has its times
# corrected by the difference when it exceeds this (network delay and drift stay below it).
CLOCK_TOLERANCE = dt.timedelta(minutes=2)
# A photo taken this long before the inspection began, or this far from the site, is not stamped
# as "now, here": the stamp says when and where it was really taken.
PHOTO_EARLY = dt.timedelta(minutes=30)
PHOTO_FAR_M = 500


class ClientIdConflict(KeyTaken):
    """The phone's id is already taken by a different record (a bug or a forged request)."""


def _stored_once(*, lock, find, same, what: str, create):
    """Store one phone record once, on its id: core.once.stored_once, the same rule as the
    one-time keys of the forms. Returns (row, created)."""
    return stored_once(
        lock=lock,
        find=find,
        same=same,
        create=create,
        taken=lambda existing: ClientIdConflict(
            _("编号 %(id)s 已用于另一条%(what)s") % {"id": existing.client_id, "what": what}
        ),
    )


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
    try:
        text.date(value)  # year 1 is stored by PostgreSQL but cannot be read back into local time
    except text.Refused as refused:
        raise InvalidInput(f"{label}：{refused.message}") from None
    return value


def clock_skew(phone_time) -> dt.timedelta:
    """How far the phone's clock is ahead of the server's (negative: behind), from what it read
    when the phone sent the request; zero when the phone did not say or within CLOCK_TOLERANCE.
    The phone's clock at sending is the best guess of its clock when it recorded: both are hours
    or minutes apart, and a wrong clock (a wrong time zone, a dead battery) stays wrong."""
    if phone_time is None:
        return dt.timedelta(0)
    if not isinstance(phone_time, dt.datetime) or phone_time.tzinfo is None:
        raise InvalidInput(_("手机时间无效"))
    skew = phone_time - clock.now()
    return skew if abs(skew) > CLOCK_TOLERANCE else dt.timedelta(0)


def check_maker(actor, maker: str) -> None:
    """A record made on the phone by one person is stored under that person only: a shared phone
    signed in by someone else keeps it until its maker signs in (code "maker", which the phone
    recognises). No maker (a personal token, an older phone) means the signed-in account."""
    maker = (maker or "").strip()
    if maker and maker != actor.username:
        raise NotAllowed(
            _("这条记录是 %(maker)s 在手机上记录的，当前登录的是 %(me)s：请 %(maker)s 本人登录后同步")
            % {"maker": maker, "me": actor.username},
            code="maker",
        )


def _accuracy(value) -> int | None:
    if value is None:
        return None
    if not (isinstance(value, int | float) and math.isfinite(value) and value <= text.MAX_ACCURACY_M):
        raise InvalidInput(_("定位精度无效（应为 0 至 %(limit)d 米）") % {"limit": text.MAX_ACCURACY_M})
    return max(0, int(value))


def _coordinates(latitude, longitude) -> tuple[Decimal | None, Decimal | None]:
    if latitude is None or longitude is None:
        return None, None
    try:
        lat, lng = Decimal(str(latitude)), Decimal(str(longitude))
    except ArithmeticError:
        raise InvalidInput(_("位置坐标无效")) from None
    # NaN cannot even be compared (InvalidOperation), and infinity is no place.
    if not (lat.is_finite() and lng.is_finite()):
        raise InvalidInput(_("位置坐标无效"))
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


def _answers(site: Site, results) -> tuple[dict[int, Criterion], dict[int, tuple[str, str]]]:
    """The site's checklist and the phone's answers to it: every checkpoint exactly once."""
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
        raise InvalidInput(_("还有 %(n)d 项检查要点未判定：%(first)s") % {"n": len(missing), "first": missing[0].name})
    return points_by_id, answered


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
    maker: str = "",
    phone_time: dt.datetime | None = None,
) -> tuple[Inspection, bool]:
    """Store one inspection the phone made, once (`_stored_once`, on the plan's lock). Returns
    (inspection, created). Checks: the record's maker is the actor (`check_maker`), the actor is
    on the plan's team, the plan is inspectable, the site was drawn into it, and the results
    answer every checkpoint of the site's checklist exactly once. The phone's times are corrected
    by its clock's skew (`clock_skew`), which is kept. The plan's first inspection moves it to
    "in progress"."""
    client_id = _client_id(client_id)
    check_maker(actor, maker)
    skew = clock_skew(phone_time)
    if isinstance(started_at, dt.datetime) and isinstance(submitted_at, dt.datetime):
        started_at, submitted_at = started_at - skew, submitted_at - skew
    started_at, submitted_at = _moment(started_at, _("开始时间")), _moment(submitted_at, _("提交时间"))
    if submitted_at < started_at:
        raise InvalidInput(_("提交时间不能早于开始时间"))
    lat, lng = _coordinates(latitude, longitude)

    def create(locked: InspectionPlan) -> Inspection:
        if not access.can_inspect(actor, locked):
            raise NotAllowed(_("您不是该检查计划的检查组成员"))
        if locked.status not in INSPECTABLE:
            raise IllegalTransition(_("检查计划尚未抽样，不能记录检查"))
        if not PlanSite.objects.filter(plan=locked, site=site).exists():
            raise InvalidInput(_("点位「%(site)s」不在该检查计划的抽中点位中") % {"site": site})
        points_by_id, answered = _answers(site, results)
        points, max_points, score = score_of([(points_by_id[pk], r) for pk, (r, _n) in answered.items()])
        inspection = Inspection.objects.create(
            client_id=client_id,
            plan=locked,
            site=site,
            inspector=actor,
            started_at=started_at,
            submitted_at=submitted_at,
            received_at=clock.now(),
            latitude=lat,
            longitude=lng,
            accuracy_m=_accuracy(accuracy_m),
            note=(note or "").strip(),
            points=points,
            max_points=max_points,
            score=score,
            clock_skew_s=round(skew.total_seconds()) if skew else None,
        )
        CheckResult.objects.bulk_create(
            [
                CheckResult(inspection=inspection, checkpoint_id=pk, result=result, note=result_note)
                for pk, (result, result_note) in answered.items()
            ]
        )
        if locked.status == PlanStatus.SAMPLED:
            plan_transition(plan=locked, action=PlanAction.START, actor=actor)
        return inspection

    return _stored_once(
        lock=lambda: InspectionPlan.objects.select_for_update().get(pk=plan.pk),
        find=lambda: Inspection.objects.filter(client_id=client_id).first(),
        same=lambda existing: (
            (existing.plan_id, existing.site_id, existing.inspector_id) == (plan.pk, site.pk, actor.pk)
        ),
        what=_("检查记录"),
        create=create,
    )


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
    found_at: dt.datetime | None = None,
    maker: str = "",
    phone_time: dt.datetime | None = None,
    new_problem: bool = False,
) -> tuple[Finding, bool]:
    """Turn a failed checkpoint into a problem, once (`_stored_once`, on the inspection's lock).
    Returns (finding, created); the problem is finding.problem, recorded through
    problems.services.problem_record like any other.

    `found_at` is the phone's time of recording (corrected by its clock's skew), kept within the
    inspection's own times: the problem's 发现时间, year and number follow it. When the site
    already has an open problem for this checkpoint (another phone's, synced first), the finding
    is linked to it instead of opening a second one (再次发现 in its trail); the site's row is
    locked meanwhile, so two phones syncing at once still make one problem. `new_problem`: the
    inspector chose to record a new problem all the same; it is recorded as resembling the open
    one (Problem.resembles), for the office to merge or keep."""
    client_id = _client_id(client_id)
    inspection_client_id = _client_id(inspection_client_id)
    check_maker(actor, maker)
    lat, lng = _coordinates(latitude, longitude)
    if isinstance(found_at, dt.datetime):
        found_at -= clock_skew(phone_time)
    if found_at is not None:
        found_at = _moment(found_at, _("发现时间"))

    def create(inspection: Inspection) -> Finding:
        result = inspection.results.select_related("checkpoint").filter(checkpoint_id=checkpoint_id).first()
        if result is None or result.result != CheckResult.Result.FAIL:
            raise InvalidInput(_("只有判定为不合格的检查要点才能登记问题"))
        taken = Finding.objects.filter(inspection=inspection, checkpoint_id=checkpoint_id).first()
        if taken:
            raise ClientIdConflict(_("该检查要点已登记为问题 %(number)s") % {"number": taken.problem.number})
        checkpoint = result.checkpoint
        # Two phones' findings at one site lock different inspections; the site's row makes the
        # second wait and find the first's open problem (test_concurrency, on PostgreSQL).
        Site.objects.select_for_update().filter(pk=inspection.site_id).first()
        problem = (
            None
            if new_problem
            else Problem.objects.filter(
                campaign=inspection.plan.campaign,
                site=inspection.site,
                criterion=checkpoint,
                status__in=sorted(OPEN_PROBLEM),
            )
            .order_by("recorded_at", "id")
            .first()
        )
        if problem is not None:
            problem_found_again(
                actor=actor,
                problem=problem,
                note=_("检查「%(plan)s」再次发现此问题（%(site)s，%(checkpoint)s）")
                % {"plan": inspection.plan.name, "site": inspection.site.name, "checkpoint": checkpoint.code},
            )
        else:
            text = (
                (description or "").strip()
                or result.note
                or _("%(code)s %(name)s：不合格") % {"code": checkpoint.code, "name": checkpoint.name}
            )
            # Found during the inspection: a time outside it is the phone's mistake, not a fact.
            when = min(max(found_at or inspection.submitted_at, inspection.started_at), inspection.submitted_at)
            problem = problem_record(
                actor=actor,
                campaign=inspection.plan.campaign,
                site=inspection.site,
                criterion=checkpoint,
                description=text,
                severity=severity,
                source=Problem.Source.INSPECTION,
                found_at=when,
            )
        return Finding.objects.create(
            client_id=client_id,
            inspection=inspection,
            checkpoint=checkpoint,
            problem=problem,
            latitude=lat,
            longitude=lng,
        )

    return _stored_once(
        lock=lambda: _own_inspection(actor, inspection_client_id, lock=True),
        find=lambda: Finding.objects.select_related("inspection", "problem").filter(client_id=client_id).first(),
        same=lambda existing: (
            (existing.inspection.client_id, existing.checkpoint_id) == (inspection_client_id, int(checkpoint_id))
        ),
        what=_("问题"),
        create=create,
    )


def _elsewhere(inspection: Inspection, taken_at: dt.datetime, lat, lng) -> tuple[str, str]:
    """What the stamp says of a photo not taken then and there (a picture from the gallery): taken
    long before the inspection began, or far from the site. Empty when it was."""
    notes, ascii_notes = [], []
    if taken_at < inspection.started_at - PHOTO_EARLY:
        notes.append(_("非现场即时拍摄"))
        ascii_notes.append("taken before the inspection")
    site = inspection.site
    if lat is not None and site.latitude is not None:
        metres = geo.distance_m(float(lat), float(lng), float(site.latitude), float(site.longitude))
        if metres > PHOTO_FAR_M:
            notes.append(_("拍摄位置距点位 %(km)s 公里") % {"km": f"{metres / 1000:.1f}"})
            ascii_notes.append(f"{metres / 1000:.1f} km from the site")
    return "；".join(notes), "; ".join(ascii_notes)


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
    warning, ascii_warning = _elsewhere(inspection, taken_at, lat, lng)
    if warning:
        when = _("拍摄于 %(when)s（%(why)s）") % {"when": when, "why": warning}
    return stamping.Stamp(
        time=when,
        place=place,
        site=f"{site.name}（{site.code}）{site.address}",
        inspector=_("检查人：%(name)s") % {"name": actor.get_full_name()},
        ascii_fallback=(
            f"{local:%Y-%m-%d %H:%M} {ascii_warning}".strip(),
            place_ascii,
            site.code,
            f"inspector {actor.username}",
        ),
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
    maker: str = "",
    phone_time: dt.datetime | None = None,
) -> tuple[InspectionPhoto, bool]:
    """Store one photo the phone took, once (`_stored_once`, on the inspection's lock), and only
    if it arrived whole. Returns (photo, created).

    1. The same id stored already: answer with it if the hash matches, else refuse.
    2. The bytes must hash to the SHA-256 the phone computed (else a transfer was cut: the phone
       keeps the photo and sends it again), and be a real, bounded image (attachment_store).
    3. Keep the original as evidence, make the stamped display copy without metadata, link the
       copy to the problem it documents. A refusal at any step leaves no row and no file.

    The stamp's time and place are the photo's own (its EXIF capture time and GPS) when it has
    them, else the phone's (corrected by its clock's skew); a photo taken long before the
    inspection or far from the site is stamped as such (`_elsewhere`)."""
    client_id = _client_id(client_id)
    check_maker(actor, maker)
    sha256 = (sha256 or "").strip().lower()
    if len(sha256) != 64:
        raise InvalidInput(_("缺少照片的 SHA-256 校验值"))
    lat, lng = _coordinates(latitude, longitude)
    skew = clock_skew(phone_time)
    if isinstance(taken_at, dt.datetime):
        taken_at -= skew
    taken_at = _moment(taken_at, _("拍摄时间")) if taken_at is not None else clock.now()
    captured = stamping.capture(data or b"")
    if captured.at is not None and captured.at <= clock.now() + CLOCK_SKEW:
        taken_at = captured.at
    if captured.latitude is not None:
        lat, lng = _coordinates(captured.latitude, captured.longitude)
    name = PurePath(name or "").name or "photo.jpg"

    def create(inspection: Inspection) -> InspectionPhoto:
        if Attachment.hash_of(data or b"") != sha256:
            raise InvalidInput(_("照片「%(name)s」校验值不符，传输不完整，请重新同步") % {"name": name})
        suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if suffix not in IMAGE_FORMATS:
            raise InvalidInput(
                _("「%(name)s」不是照片，只接受 %(kinds)s") % {"name": name, "kinds": "、".join(sorted(IMAGE_FORMATS))}
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
        original = attachment_store(actor=actor, name=name, data=data, kind=PHOTO)
        stamp = _stamp(inspection, actor, taken_at, lat, lng)
        display = attachment_store(
            actor=actor, name=f"{client_id.hex}.jpg", data=stamping.display_copy(data, stamp), kind=PHOTO
        )
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
        return photo

    return _stored_once(
        lock=lambda: _own_inspection(actor, inspection_client_id, lock=True),
        find=lambda: InspectionPhoto.objects.filter(client_id=client_id).first(),
        same=lambda existing: existing.sha256 == sha256,
        what=_("照片"),
        create=create,
    )


def _derived_id(parent: uuid.UUID, name: str) -> uuid.UUID:
    """Ids for the page without JavaScript, derived from the inspection's, so that sending the
    same form twice stores nothing twice."""
    return uuid.uuid5(parent, name)


def checklist_store(
    *,
    actor,
    client_id,
    plan: InspectionPlan,
    site: Site,
    started_at: dt.datetime,
    results: list[tuple[int, str, str]],
    photos: dict[int, list[tuple[str, bytes]]],
    latitude=None,
    longitude=None,
    note: str = "",
) -> Inspection:
    """The checklist page without JavaScript, all or nothing: the inspection, a problem per failed
    checkpoint, and that checkpoint's photos (`photos`: checkpoint id -> [(name, bytes)]), through
    the same three writers the phone's sync uses, with ids derived from the form's."""
    client_id = _client_id(client_id)
    with atomic_with_files():
        inspection, _created = inspection_submit(
            actor=actor,
            client_id=client_id,
            plan=plan,
            site=site,
            started_at=started_at,
            submitted_at=clock.now(),
            results=results,
            latitude=latitude,
            longitude=longitude,
            note=note,
        )
        for checkpoint_id, result, result_note in results:
            if result != CheckResult.Result.FAIL:
                continue
            problem_id = _derived_id(client_id, f"problem/{checkpoint_id}")
            finding_record(
                actor=actor,
                client_id=problem_id,
                inspection_client_id=client_id,
                checkpoint_id=checkpoint_id,
                description=result_note,
                latitude=latitude,
                longitude=longitude,
            )
            for name, data in photos.get(checkpoint_id, []):
                digest = Attachment.hash_of(data)
                photo_store(
                    actor=actor,
                    client_id=_derived_id(problem_id, digest),
                    inspection_client_id=client_id,
                    problem_client_id=problem_id,
                    sha256=digest,
                    name=name,
                    data=data,
                    latitude=latitude,
                    longitude=longitude,
                )
    return inspection


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
