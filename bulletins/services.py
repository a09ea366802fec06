"""Writes to bulletins and accountability records. Publishing is the one step that numbers and
freezes a bulletin: the snapshot, the text and the Word and PDF files never change after it."""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import translation
from django.utils.translation import gettext

import access
from bulletins import content as bulletin_content
from bulletins.models import Accountability, Bulletin, BulletinEvent
from bulletins.render import render_docx
from core import clock
from core.errors import IllegalTransition, InvalidInput, NotAllowed
from core.services import attachment_store
from documents.pdf import docx_to_pdf


def _require_office(actor) -> None:
    if not access.can_manage_campaign(actor):
        raise NotAllowed(gettext("只有爱卫办可以编辑和印发通报"))


def _log(bulletin, action, actor, note=""):
    BulletinEvent.objects.create(bulletin=bulletin, action=action, actor=actor, at=clock.now(), note=note)


def _build_content(bulletin: Bulletin) -> dict:
    """The document model, in Chinese whatever the reader's language: a bulletin is an official
    document, and its labels (an accountability measure, a problem's status) must not follow the
    screen of whoever previews or publishes it."""
    with translation.override(settings.LANGUAGE_CODE):
        return bulletin_content.build_content(bulletin)


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
) -> Bulletin:
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
        )
        _log(bulletin, "created", actor)
    return bulletin


def bulletin_edit(
    *, actor, bulletin: Bulletin, title: str, lead: str, closing: str, criticise_overdue_at: int
) -> Bulletin:
    """Edit a draft's text and criticism rule. A published bulletin is frozen."""
    _require_office(actor)
    title = (title or "").strip()
    if not title:
        raise InvalidInput(gettext("请填写通报标题"))
    with transaction.atomic():
        bulletin = Bulletin.objects.select_for_update().get(pk=bulletin.pk)
        if bulletin.status != Bulletin.Status.DRAFT:
            raise IllegalTransition(gettext("通报%(issue)s已印发，不能修改") % {"issue": bulletin.issue_label})
        bulletin.title, bulletin.lead, bulletin.closing = title, lead, closing
        bulletin.criticise_overdue_at = criticise_overdue_at
        bulletin.save(update_fields=["title", "lead", "closing", "criticise_overdue_at"])
        _log(bulletin, "edited", actor)
    return bulletin


def bulletin_publish(*, actor, bulletin: Bulletin) -> Bulletin:
    """Number the bulletin in the year's series, freeze its content and store its Word and PDF.

    1. Lock the bulletin and check it is still a draft.
    2. Take the next number of the year (the bulletin_number_unique constraint backs the lock).
    3. Build the content as of now and store it as the snapshot.
    4. Render Word and PDF from the snapshot and store them as evidence files.
    A failure at any step (LibreOffice missing, say) leaves the draft as it was."""
    _require_office(actor)
    with transaction.atomic():
        bulletin = Bulletin.objects.select_for_update().get(pk=bulletin.pk)
        if bulletin.status != Bulletin.Status.DRAFT:
            raise IllegalTransition(gettext("通报%(issue)s已印发") % {"issue": bulletin.issue_label})
        now = clock.now()
        year = clock.today().year
        last = Bulletin.objects.select_for_update().filter(year=year).aggregate(n=Max("number"))["n"] or 0
        bulletin.year, bulletin.number = year, last + 1
        bulletin.published_at, bulletin.published_by = now, actor
        bulletin.status = Bulletin.Status.PUBLISHED
        snapshot = _build_content(bulletin)
        bulletin.snapshot = snapshot
        docx_bytes = render_docx(snapshot)
        name = f"通报{year}年第{bulletin.number}期"
        bulletin.docx = attachment_store(actor=actor, name=f"{name}.docx", data=docx_bytes)
        bulletin.pdf = attachment_store(actor=actor, name=f"{name}.pdf", data=docx_to_pdf(docx_bytes))
        bulletin.save()
        _log(bulletin, "published", actor, note=bulletin.issue_label)
    return bulletin


def bulletin_content_now(bulletin: Bulletin) -> dict:
    """What the bulletin says: its frozen snapshot once published, the live data while a draft."""
    return bulletin.snapshot if bulletin.status == Bulletin.Status.PUBLISHED else _build_content(bulletin)


def accountability_record(
    *, actor, campaign, unit, measure: str, reason: str, decided_on: dt.date, person=None, problems=()
) -> Accountability:
    """Record a sanction on a unit (and optionally one of its people), linked to the problems."""
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
        )
        record.problems.set(problems)
    return record
