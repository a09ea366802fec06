"""Writes to bulletins and accountability records. Publishing is the one step that numbers and
freezes a bulletin: the snapshot, the text and the Word and PDF files never change after it."""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

import access
from bulletins import content as bulletin_content
from bulletins.models import Accountability, AccountabilityEvent, Bulletin, BulletinCounter, BulletinEvent
from bulletins.render import render_docx
from bulletins.states import BULLETIN_MACHINE, BulletinAction, BulletinStatus
from core import clock
from core.errors import InvalidInput, NotAllowed
from core.once import once_per_key
from core.services import attachment_store
from core.states import transition
from documents.pdf import docx_to_pdf


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
            lead=lead,
            closing=closing,
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
    *, actor, bulletin: Bulletin, title: str, lead: str, closing: str, criticise_overdue_at: int
) -> Bulletin:
    """Edit a draft's text and criticism rule. A published bulletin is frozen."""
    _require_office(actor)
    title = (title or "").strip()
    if not title:
        raise InvalidInput(gettext("请填写通报标题"))
    changes = {"title": title, "lead": lead, "closing": closing, "criticise_overdue_at": criticise_overdue_at}
    return _transition(bulletin, action=BulletinAction.EDIT, actor=actor, changes=changes)


def bulletin_publish(*, actor, bulletin: Bulletin) -> Bulletin:
    """Number the bulletin in the year's series, freeze its content and store its Word and PDF.

    Through core.states.transition (the draft locked, the office only, on the version seen);
    once the step is allowed:
    1. take the next number of the year from its counter row, locked (the bulletin_number_unique
       constraint backs it);
    2. build the content as of now and store it as the snapshot;
    3. render Word and PDF from the snapshot and store them as evidence files.
    A failure at any step (LibreOffice missing, say) leaves the draft as it was."""
    _require_office(actor)

    def publication(current: Bulletin) -> dict:
        now = clock.now()
        year = clock.today().year
        current.year, current.number = year, BulletinCounter.take_next(year)
        current.published_at, current.published_by = now, actor
        current.status = BulletinStatus.PUBLISHED  # the content's issue label reads it
        snapshot = _build_content(current)
        docx_bytes = render_docx(snapshot)
        name = f"通报{year}年第{current.number}期"
        return {
            "year": year,
            "number": current.number,
            "published_at": now,
            "published_by": actor,
            "snapshot": snapshot,
            "docx": attachment_store(actor=actor, name=f"{name}.docx", data=docx_bytes),
            "pdf": attachment_store(actor=actor, name=f"{name}.pdf", data=docx_to_pdf(docx_bytes)),
        }

    return _transition(
        bulletin,
        action=BulletinAction.PUBLISH,
        actor=actor,
        changes=publication,
        note=lambda current: current.issue_label,
    )


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
            accountability=record, action=AccountabilityEvent.Action.RECORD, actor=actor, at=record.recorded_at
        )
    return record
