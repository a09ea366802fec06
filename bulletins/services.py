"""Writes to bulletins and accountability records. Publishing is the one step that numbers and
freezes a bulletin: the snapshot, the text and the Word and PDF files never change after it."""

import datetime as dt
import logging
import subprocess
import uuid

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

import access
from bulletins import content as bulletin_content
from bulletins.models import Accountability, AccountabilityEvent, Bulletin, BulletinCounter, BulletinEvent
from bulletins.render import render_docx, render_pdf
from bulletins.states import BULLETIN_MACHINE, BulletinAction, BulletinStatus, RenderState
from core import clock
from core.errors import DomainError, IllegalTransition, InvalidInput, NotAllowed
from core.files import atomic_with_files
from core.once import once_per_key
from core.services import DOCUMENT, attachment_store
from core.states import transition
from documents.pdf import PdfConversionError
from notifications.people import unit_people
from notifications.services import notify
from organisation.models import Membership, Unit
from problems.models import Problem
from problems.states import WITH_UNIT

logger = logging.getLogger(__name__)


def _require_office(actor) -> None:
    if not access.can_manage_campaign(actor):
        raise NotAllowed(gettext("只有爱卫办可以编辑和印发通报"))


def _transition(bulletin: Bulletin, *, action: str, actor, note: str = "", changes=None) -> Bulletin:
    """One step of a bulletin through core.states.transition: the office only."""

    def record(current: Bulletin, *, previous: str, at) -> BulletinEvent:
        return BulletinEvent.objects.create(
            bulletin=current,
            action=action,
            from_status=previous,
            to_status=current.status,
            actor=actor,
            at=at,
            note=note(current) if callable(note) else note,
        )

    return transition(
        bulletin,
        machine=BULLETIN_MACHINE,
        action=action,
        actor=actor,
        may=lambda current: access.can_manage_campaign(actor),
        record=record,
        changes=changes,
    )


def _build_content(bulletin: Bulletin) -> dict:
    """The document model, in Chinese whatever the reader's language: a bulletin is an official
    document, and its labels (an accountability measure, a problem's status) must not follow the
    screen of whoever previews or publishes it."""
    with translation.override(settings.LANGUAGE_CODE):
        return bulletin_content.build_content(bulletin)


@once_per_key(Bulletin, by="created_by")
def bulletin_create(
    *,
    actor,
    campaign,
    period_start: dt.date,
    period_end: dt.date,
    title: str = "",
    lead: str = "",
    closing: str = "",
    criticise_overdue_at: int = 3,
    submit_key=None,
) -> Bulletin:
    """A draft for a period (once per form: core.once)."""
    _require_office(actor)
    if not isinstance(period_start, dt.date) or not isinstance(period_end, dt.date):
        raise InvalidInput(gettext("请填写统计期间"))
    if period_end < period_start:
        raise InvalidInput(gettext("统计截止日期不能早于起始日期"))
    if criticise_overdue_at < 1:
        raise InvalidInput(gettext("通报批评的逾期问题数至少为 1"))
    with transaction.atomic():
        bulletin = Bulletin.objects.create(
            campaign=campaign,
            period_start=period_start,
            period_end=period_end,
            title=(title or "").strip() or bulletin_content.default_title(campaign, period_start, period_end),
            addressee=settings.BULLETIN_ADDRESSEE,
            lead=lead or bulletin_content.default_lead(campaign),
            overview=bulletin_content.default_overview(campaign, period_start, period_end),
            closing=closing or bulletin_content.DEFAULT_CLOSING,
            criticise_overdue_at=criticise_overdue_at,
            created_by=actor,
            created_at=clock.now(),
            submit_key=submit_key,
        )
        BulletinEvent.objects.create(
            bulletin=bulletin,
            action=BulletinAction.CREATE,
            from_status="",
            to_status=bulletin.status,
            actor=actor,
            at=bulletin.created_at,
        )
    return bulletin


def bulletin_edit(
    *,
    actor,
    bulletin: Bulletin,
    title: str,
    lead: str,
    closing: str,
    criticise_overdue_at: int,
    addressee: str | None = None,
    overview: str | None = None,
) -> Bulletin:
    """Edit a draft's text and criticism rule. A published bulletin is frozen."""
    _require_office(actor)
    title = (title or "").strip()
    if not title:
        raise InvalidInput(gettext("请填写通报标题"))
    changes = {"title": title, "lead": lead, "closing": closing, "criticise_overdue_at": criticise_overdue_at}
    if addressee is not None:  # 主送机关: blank is the office's setting (bulletins.content)
        changes["addressee"] = addressee.strip()
    if overview is not None:
        changes["overview"] = overview.strip()
    return _transition(bulletin, action=BulletinAction.EDIT, actor=actor, changes=changes)


def bulletin_publish(*, actor, bulletin: Bulletin, expected_number: int | None = None) -> Bulletin:
    """Number the bulletin in the year's series and freeze its content; the worker makes its Word
    and PDF files afterwards (bulletin_render).

    Through core.states.transition (the draft locked, the office only, on the version seen);
    once the step is allowed:
    1. take the next number of the year from its counter row, locked (the bulletin_number_unique
       constraint backs it);
    2. build the content as of now and store it as the snapshot;
    3. mark the files pending and enqueue their rendering, in the same transaction: the task
       exists exactly when the publication committed.
    LibreOffice is no longer inside this step: a rendering that fails cannot cost the number.
    `expected_number`, the number the confirming page named, refuses the step when another
    bulletin took that number meanwhile."""
    from bulletins.tasks import render_files

    _require_office(actor)

    def publication(current: Bulletin) -> dict:
        now = clock.now()
        year = clock.today().year
        current.year, current.number = year, BulletinCounter.take_next(year)
        if expected_number is not None and current.number != expected_number:
            # The page named one number and another bulletin took it meanwhile: the person
            # confirms the number the bulletin will really carry (the counter rolls back).
            raise InvalidInput(
                gettext(
                    "其间已有通报印发，本期将编为〔%(year)s〕第%(number)s期，而非〔%(year)s〕第%(expected)s期；请核对后重新确认"
                )
                % {"year": year, "number": current.number, "expected": expected_number}
            )
        current.published_at, current.published_by = now, actor
        current.status = BulletinStatus.PUBLISHED  # the content's issue label reads it
        return {
            "year": year,
            "number": current.number,
            "published_at": now,
            "published_by": actor,
            "snapshot": _build_content(current),
            "render_state": RenderState.PENDING,
            "render_error": "",
        }

    with transaction.atomic():
        published = _transition(
            bulletin,
            action=BulletinAction.PUBLISH,
            actor=actor,
            changes=publication,
            note=lambda current: current.issue_label,
        )
        render_files.enqueue(published.pk)
        _tell_named_units(published)
    return published


def _tell_named_units(bulletin: Bulletin) -> None:
    """The head of every unit the bulletin names hears its place, in the publication's
    transaction. The snapshot names units as printed (short name, else name)."""
    snapshot = bulletin.snapshot
    rows = {entry["unit"]: entry for entry in snapshot.get("units", [])}
    criticised = {entry["unit"] for entry in snapshot.get("criticised", [])}
    named = set(rows) | {entry["unit"] for entry in snapshot.get("accountability", [])}
    units = Unit.objects.filter(Q(short_name__in=named) | Q(name__in=named), is_active=True).order_by("code")
    for unit in units:
        printed = unit.short_name if unit.short_name in named else unit.name
        entry = rows.get(printed)
        if entry is not None:
            body = gettext("贵单位排名第 %(rank)s（共 %(total)s 个单位），逾期未整改 %(overdue)s 个。") % {
                "rank": entry["rank"],
                "total": len(rows),
                "overdue": entry["overdue"],
            }
        else:
            body = ""
        if printed in criticised:
            body += gettext("贵单位被通报批评。")
        notify(
            rule="bulletin",
            source=f"bulletin:{bulletin.pk}:unit{unit.pk}",
            recipients=unit_people(unit, Membership.Role.HEAD),
            subject=gettext("通报%(issue)s已印发") % {"issue": bulletin.issue_label},
            body=body or gettext("贵单位在本期通报中被点名。"),
            link=reverse("bulletins:detail", args=[bulletin.uuid]),
            unit=unit,
        )


def bulletin_render(*, bulletin_id: int) -> str:
    """The worker's side of publishing: the Word and PDF files from the frozen snapshot.

    1. Claim: pending (or rendering, cut short past its lease) -> rendering, the attempt number
       bumped, committed at once so that the page shows it;
    2. render Word and convert it to PDF (LibreOffice, seconds) outside any transaction;
    3. store both as evidence files and mark the bulletin ready, if this run still owns it (a
       retry after the lease may have taken it over); on any failure mark it failed with the
       reason in Chinese. The number and the snapshot are never touched.
    Returns what happened ("ready", "failed", or why nothing was done)."""
    with transaction.atomic():
        current = Bulletin.objects.select_for_update().filter(pk=bulletin_id).first()
        if current is None or current.status != BulletinStatus.PUBLISHED:
            return "not published"
        now = clock.now()
        if current.render_state != RenderState.PENDING and not current.render_interrupted(now):
            return f"already {current.render_state}"  # a second task for the same bulletin
        current.render_state, current.render_started_at = RenderState.RENDERING, now
        current.render_attempt += 1
        current.save(update_fields=["render_state", "render_started_at", "render_attempt"])
    attempt = current.render_attempt
    try:
        docx_bytes = render_docx(current.snapshot)
        pdf_bytes = render_pdf(current.snapshot)
    except Exception as error:
        logger.exception("bulletin %s: rendering failed", current.uuid)
        # Only if this run still owns the rendering: one conditional UPDATE.
        Bulletin.objects.filter(pk=bulletin_id, render_state=RenderState.RENDERING, render_attempt=attempt).update(
            render_state=RenderState.FAILED, render_error=_render_failure(error)
        )
        return "failed"
    name = f"通报{current.year}年第{current.number}期"
    with atomic_with_files():
        locked = Bulletin.objects.select_for_update().get(pk=bulletin_id)
        if locked.render_state != RenderState.RENDERING or locked.render_attempt != attempt:
            return "taken over"
        locked.docx = attachment_store(actor=locked.published_by, name=f"{name}.docx", data=docx_bytes, kind=DOCUMENT)
        locked.pdf = attachment_store(actor=locked.published_by, name=f"{name}.pdf", data=pdf_bytes, kind=DOCUMENT)
        locked.render_state, locked.render_error = RenderState.READY, ""
        locked.save(update_fields=["docx", "pdf", "render_state", "render_error"])
    return "ready"


def _render_failure(error: Exception) -> str:
    """Why the files could not be made, in Chinese (the document's language) for the office."""
    with translation.override(settings.LANGUAGE_CODE):
        if isinstance(error, PdfConversionError):
            return gettext("Word 和 PDF 文件生成失败：%(reason)s") % {"reason": str(error)[:500]}
        if isinstance(error, subprocess.TimeoutExpired):
            return gettext("PDF 转换超时（LibreOffice 在 %(seconds)s 秒内未完成）") % {"seconds": int(error.timeout)}
        if isinstance(error, DomainError):
            return gettext("Word 和 PDF 文件生成失败：%(reason)s") % {"reason": error.message}
        return gettext("Word 和 PDF 文件生成失败（内部错误，已记入服务器日志），请重试或联系系统管理员")


def bulletin_render_again(*, actor, bulletin: Bulletin) -> Bulletin:
    """Make a published bulletin's files again after a failed rendering, or after one cut short
    (its lease passed: a killed worker). The office only, on the version seen; a step of the
    bulletin's trail (its note is the failure being retried), and the task enqueued with it."""
    from bulletins.tasks import render_files

    _require_office(actor)
    reason = []

    def again(current: Bulletin) -> dict:
        if not current.render_may_start_again(clock.now()):
            raise IllegalTransition(
                gettext("通报%(issue)s的文件正在生成或已经生成，不能重新生成") % {"issue": current.issue_label}
            )
        reason.append(current.render_error or gettext("生成过程中断"))
        return {"render_state": RenderState.PENDING, "render_error": "", "render_started_at": None}

    with transaction.atomic():
        current = _transition(
            bulletin, action=BulletinAction.RENDER, actor=actor, changes=again, note=lambda current: reason[0]
        )
        render_files.enqueue(current.pk)
    return current


def bulletin_content_now(bulletin: Bulletin) -> dict:
    """What the bulletin says: its frozen snapshot once published, the live data while a draft."""
    return bulletin.snapshot if bulletin.status == Bulletin.Status.PUBLISHED else _build_content(bulletin)


@once_per_key(Accountability, by="recorded_by")
def accountability_record(
    *,
    actor,
    campaign,
    unit,
    measure: str,
    reason: str,
    decided_on: dt.date,
    person=None,
    problems=(),
    note: str = "",
    submit_key=None,
) -> Accountability:
    """Record a sanction on a unit (and optionally one of its people), linked to the problems
    (once per form: core.once)."""
    _require_office(actor)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(gettext("请填写问责事由"))
    if measure not in Accountability.Measure.values:
        raise InvalidInput(gettext("问责措施无效"))
    if person is not None and not person.memberships.filter(unit=unit).exists():
        raise InvalidInput(gettext("%(person)s 不属于「%(unit)s」") % {"person": person, "unit": unit})
    problems = list(problems)
    if any(p.campaign_id != campaign.pk for p in problems):
        raise InvalidInput(gettext("相关问题须属于本次创卫工作"))
    with transaction.atomic():
        record = Accountability.objects.create(
            campaign=campaign,
            unit=unit,
            person=person,
            measure=measure,
            reason=reason,
            decided_on=decided_on,
            recorded_by=actor,
            recorded_at=clock.now(),
            submit_key=submit_key,
        )
        record.problems.set(problems)
        AccountabilityEvent.objects.create(
            accountability=record,
            action=AccountabilityEvent.Action.RECORD,
            actor=actor,
            at=record.recorded_at,
            note=note,
        )
    return record


def accountability_from_bulletin(
    *, actor, bulletin: Bulletin, measure: str, decided_on: dt.date, submit_key=None
) -> list[Accountability]:
    """One accountability record for each unit a draft bulletin criticises, in one step and one
    transaction: the reason says why (its overdue and returned problems in the bulletin's period),
    the unit's overdue problems are linked, and each record's trail names the bulletin. Each goes
    through accountability_record (its checks, its audit row); one confirm form makes them all,
    and posting it again makes none twice (the form's key on the first record, a key derived from
    it per unit on the others)."""
    _require_office(actor)
    if bulletin.status != Bulletin.Status.DRAFT:
        raise IllegalTransition(gettext("通报已印发，请在问责记录页面逐条记录"))
    criticised = _build_content(bulletin)["criticised"]
    if not criticised:
        raise InvalidInput(gettext("本期没有被通报批评的单位"))
    units = Unit.objects.in_bulk([c["unit_id"] for c in criticised])
    overdue = (
        Problem.objects.filter(campaign=bulletin.campaign, status__in=WITH_UNIT, deadline__lt=clock.today())
        .exclude(pk__in=access.secret_problem_ids())
        .filter(assigned_unit__in=units)
    )
    by_unit: dict[int, list] = {}
    for problem in overdue:
        by_unit.setdefault(problem.assigned_unit_id, []).append(problem)
    records = []
    with transaction.atomic():
        for entry in criticised:
            unit = units[entry["unit_id"]]
            reason = gettext("%(title)s：逾期未整改问题%(overdue)s个，被退回返工%(returned)s次") % {
                "title": bulletin.title,
                "overdue": entry["overdue"],
                "returned": entry["returned"],
            }
            # The form's key on the first record, keys derived from it on the others.
            key = submit_key
            if submit_key is not None and records:
                key = uuid.uuid5(uuid.UUID(str(submit_key)), str(unit.pk))
            records.append(
                accountability_record(
                    actor=actor,
                    campaign=bulletin.campaign,
                    unit=unit,
                    measure=measure,
                    reason=reason,
                    decided_on=decided_on,
                    problems=by_unit.get(unit.pk, []),
                    note=gettext("由通报草稿「%(title)s」的通报批评名单生成") % {"title": bulletin.title},
                    submit_key=key,
                )
            )
    return records
