"""Writes of the public side: a citizen's report, the reporter's answer to a question, and the
office's triage (accept into a problem, refuse, ask). Every status change goes through
report_transition (core.states.transition: lock, rights, version, table, save, ReportEvent)."""

import datetime as dt
import logging
import re
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext

import access
from campaigns.selectors import current_campaign
from core import clock
from core.errors import InvalidInput
from core.files import atomic_with_files
from core.once import KeyTaken, _key_or_none, stored_once
from core.services import PHOTO, attachment_store
from core.states import transition
from inspections.photos import capture
from problems.models import Problem
from problems.services import problem_record
from public.models import CitizenReport, ReportCategory, ReportEvent
from public.photos import clean_copy
from public.states import NEEDS_NOTE, REPORT_MACHINE, ReportAction, ReportStatus
from sites.models import Site

logger = logging.getLogger(__name__)

Action = ReportAction

# A mainland mobile number (11 digits from 1) or a landline with its area code (0 + 9 to 11 digits).
PHONE = re.compile(r"^(1\d{10}|0\d{9,11})$")


class RateLimited(InvalidInput):
    """Too many reports from one address or one phone: refused in Chinese, nothing stored."""


def normalise_phone(text: str) -> str:
    """Digits only (spaces, dashes and a +86 prefix dropped); refused unless it is a number a
    person could be called back on."""
    digits = re.sub(r"[\s\-()]", "", text or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    if not digits:
        return ""
    if not PHONE.match(digits):
        raise InvalidInput(gettext("电话号码格式不正确：请填写 11 位手机号，或带区号的固定电话"))
    return digits


def _ip_key(ip: str | None) -> str:
    # A fixed hour window: simple, shared by every process through the cache (settings.CACHES).
    hour = int(clock.now().timestamp() // 3600)
    return f"public:reports:ip:{ip or 'unknown'}:{hour}"


def _check_limits(*, ip: str | None, phone: str) -> None:
    if (cache.get(_ip_key(ip)) or 0) >= settings.PUBLIC_REPORTS_PER_IP_HOUR:
        raise RateLimited(
            gettext("提交过于频繁：同一网络每小时最多提交 %(count)s 条反映，请稍后再试")
            % {"count": settings.PUBLIC_REPORTS_PER_IP_HOUR}
        )
    if phone:
        since = clock.now() - dt.timedelta(days=1)
        if CitizenReport.objects.filter(phone=phone, submitted_at__gte=since).count() >= (
            settings.PUBLIC_REPORTS_PER_PHONE_DAY
        ):
            raise RateLimited(
                gettext("同一手机号每天最多提交 %(count)s 条反映，请明天再试")
                % {"count": settings.PUBLIC_REPORTS_PER_PHONE_DAY}
            )


def _count_ip(ip: str | None) -> None:
    key = _ip_key(ip)
    cache.add(key, 0, 3600)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr: this report starts the new window
        cache.set(key, 1, 3600)


def _coordinate(value, low: int, high: int) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except ArithmeticError:
        raise InvalidInput(gettext("位置坐标无效，请在地图上重新点选")) from None
    if not (low <= number <= high):
        raise InvalidInput(gettext("位置坐标无效，请在地图上重新点选"))
    return number


def _store_photos(photos) -> tuple[list, list, tuple[float, float] | None]:
    """Each photo stored twice: the original as sent (checked by attachment_store, kept for the
    office) and the clean copy shown everywhere. Returns (originals, copies, the first EXIF
    position found)."""
    if len(photos) > settings.PUBLIC_REPORT_MAX_PHOTOS:
        raise InvalidInput(gettext("最多上传 %(count)s 张照片") % {"count": settings.PUBLIC_REPORT_MAX_PHOTOS})
    limit = settings.PUBLIC_REPORT_PHOTO_MB * 1024 * 1024
    originals, copies, position = [], [], None
    for name, data in photos:
        if len(data) > limit:
            raise InvalidInput(
                gettext("照片「%(name)s」超过 %(size)s MB，请压缩后再上传")
                % {"name": name, "size": settings.PUBLIC_REPORT_PHOTO_MB}
            )
        original = attachment_store(actor=None, name=name, data=data, kind=PHOTO)
        stem = name.rsplit(".", 1)[0] or "照片"
        copies.append(attachment_store(actor=None, name=f"{stem}.jpg", data=clean_copy(data), kind=PHOTO))
        originals.append(original)
        if position is None:
            found = capture(data)
            if found.latitude is not None:
                position = (found.latitude, found.longitude)
    return originals, copies, position


def report_submit(
    *,
    category: ReportCategory,
    description: str,
    latitude=None,
    longitude=None,
    address: str = "",
    name: str = "",
    phone: str = "",
    photos=(),
    ip: str | None = None,
    submit_key=None,
) -> CitizenReport:
    """A citizen's report (no account): checks the bounds (address and phone rates, photo count
    and size, the same checks on each file as the staff side), stores the photos and their clean
    copies, takes the place from the map tap, else the first photo's EXIF position, else the
    typed address, and appends the first ReportEvent. The same form sent twice (its submit_key)
    answers with the first report."""
    description = (description or "").strip()
    address = (address or "").strip()
    name = (name or "").strip()
    if category is None or not category.is_active:
        raise InvalidInput(gettext("请选择问题类别"))
    if not description:
        raise InvalidInput(gettext("请描述您看到的问题"))
    phone = normalise_phone(phone)
    lat = _coordinate(latitude, -90, 90)
    lng = _coordinate(longitude, -180, 180)
    if (lat is None) != (lng is None):
        raise InvalidInput(gettext("位置坐标无效，请在地图上重新点选"))

    def create(_locked):
        _check_limits(ip=ip, phone=phone)
        with atomic_with_files():
            originals, copies, position = _store_photos(list(photos))
            source = CitizenReport.LocationSource.MAP if lat is not None else ""
            report_lat, report_lng = lat, lng
            if lat is None and position is not None:
                report_lat = _coordinate(position[0], -90, 90)
                report_lng = _coordinate(position[1], -180, 180)
                source = CitizenReport.LocationSource.PHOTO
            if report_lat is None:
                if not address:
                    raise InvalidInput(gettext("请在地图上点选问题位置，或填写详细地址"))
                source = CitizenReport.LocationSource.ADDRESS
            now = clock.now()
            report = CitizenReport.objects.create(
                category=category,
                description=description,
                latitude=report_lat,
                longitude=report_lng,
                location_source=source,
                address=address,
                name=name,
                phone=phone,
                status=ReportStatus.RECEIVED,
                submitted_at=now,
                submit_key=key,
            )
            report.originals.set(originals)
            report.photos.set(copies)
            ReportEvent.objects.create(
                report=report,
                seq=1,
                action=Action.SUBMIT,
                from_status="",
                to_status=ReportStatus.RECEIVED,
                actor=None,
                at=now,
                attachments=copies,
            )
            # Counted now, not on commit: a report that then fails still was an attempt.
            _count_ip(ip)
        return report

    key = _key_or_none(submit_key) if submit_key is not None else None
    if submit_key is not None and key is None:
        raise KeyTaken(gettext("页面已失效，请重新提交"))
    if key is None:
        return create(None)
    # Anyone holding the key drew the form: a repeat answers with the first report.
    report, _created = stored_once(
        find=lambda: CitizenReport.objects.filter(submit_key=key).first(),
        create=create,
    )
    return report


def report_transition(
    *, report: CitizenReport, action: str, actor, note: str = "", changes=None, may=None
) -> CitizenReport:
    """One step of a report through core.states.transition; the note (a reason, a question, an
    answer) is required where the reporter is told it."""
    note = (note or "").strip()
    if action in NEEDS_NOTE and not note:
        raise InvalidInput(
            {
                Action.REFUSE: gettext("不予受理须填写理由（将告知反映人）"),
                Action.ASK: gettext("请填写需要反映人补充的内容"),
                Action.SUPPLEMENT: gettext("请填写补充的信息"),
            }[action]
        )

    def record(current: CitizenReport, *, previous: str, at) -> ReportEvent:
        return ReportEvent.objects.create(
            report=current,
            seq=current.events.count() + 1,
            action=action,
            from_status=previous,
            to_status=current.status,
            actor=actor,
            at=at,
            note=note,
            problem=current.problem,
        )

    return transition(
        report,
        machine=REPORT_MACHINE,
        action=action,
        actor=actor,
        may=may or (lambda current: access.can_triage_reports(actor)),
        record=record,
        changes=changes,
    )


def report_accept(
    *, actor, report: CitizenReport, site: Site, severity: str = Problem.Severity.MINOR, note: str = ""
) -> CitizenReport:
    """受理: record a problem at the chosen site under the category's criterion, found when the
    report came in, from the citizen source; the report's (clean) photos become the problem's;
    the report links to it. One transaction: a refusal of the problem leaves the report as it was."""
    if site is None or not site.is_active:
        raise InvalidInput(gettext("请选择问题所在的点位"))
    campaign = current_campaign()
    if campaign is None:
        raise InvalidInput(gettext("尚未建立创卫工作，无法登记问题"))

    def changes(current: CitizenReport) -> dict:
        where = f"（{current.address}）" if current.address else ""
        problem = problem_record(
            actor=actor,
            campaign=campaign,
            site=site,
            criterion=current.category.criterion,
            # Stored in the trail, so written in Chinese; never the reporter's name or phone.
            description=f"群众反映 {current.code}：{current.description}{where}",
            severity=severity,
            source=Problem.Source.CITIZEN,
            found_at=current.submitted_at,
        )
        photos = list(current.photos.all())
        if photos:
            problem.photos.add(*photos)
        return {"problem": problem}

    return report_transition(report=report, action=Action.ACCEPT, actor=actor, note=note, changes=changes)


def report_refuse(*, actor, report: CitizenReport, reason: str) -> CitizenReport:
    """不予受理, with the reason the reporter reads on the status page."""
    return report_transition(
        report=report, action=Action.REFUSE, actor=actor, note=reason, changes={"reply": (reason or "").strip()}
    )


def report_ask(*, actor, report: CitizenReport, question: str) -> CitizenReport:
    """请补充信息: the question the reporter reads on the status page and answers there."""
    return report_transition(
        report=report, action=Action.ASK, actor=actor, note=question, changes={"reply": (question or "").strip()}
    )


def report_supplement(*, report: CitizenReport, answer: str) -> CitizenReport:
    """The reporter's answer to the office's question, by the tracking code (the code is the
    proof: it is shown to the reporter alone). Added to the description; back in the queue."""
    answer = (answer or "").strip()

    def changes(current: CitizenReport) -> dict:
        return {"description": f"{current.description}\n【补充】{answer}", "reply": ""}

    return report_transition(
        report=report, action=Action.SUPPLEMENT, actor=None, note=answer, changes=changes, may=lambda current: True
    )
