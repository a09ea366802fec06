"""The one clock every service reads.

Services take "now" from here instead of calling timezone.now() directly, so that the demo loader
can replay a campaign's history with realistic timestamps through the very same services, and tests
can freeze time. In production nothing overrides it."""

import contextlib
import contextvars
import datetime as dt

from django.utils import dateformat, timezone, translation

_frozen: contextvars.ContextVar[dt.datetime | None] = contextvars.ContextVar("frozen", default=None)


def now() -> dt.datetime:
    return _frozen.get() or timezone.now()


def today() -> dt.date:
    """Today's date in the campaign's time zone (Asia/Shanghai)."""
    return timezone.localdate(now())


@contextlib.contextmanager
def frozen_at(moment: dt.datetime):
    if timezone.is_naive(moment):
        raise ValueError("frozen_at needs an aware datetime")
    token = _frozen.set(moment)
    try:
        yield
    finally:
        _frozen.reset(token)


def end_of_day(day: dt.date) -> dt.datetime:
    """A deadline is a date and falls due at the end of that day, local time: the first instant
    of the next day is already late."""
    start_next = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min)
    return timezone.make_aware(start_next, timezone.get_default_timezone())


def _in_chinese() -> bool:
    """Chinese is the default: with no active language (a management command), dates are Chinese."""
    language = translation.get_language()
    return language is None or language.lower().startswith("zh")


def zh_date(day: dt.date | dt.datetime | None) -> str:
    """2026年3月15日, the way dates are written in official documents, whatever the language.
    For text that is stored (an audit note), which must not depend on who was looking."""
    if day is None:
        return ""
    if isinstance(day, dt.datetime):
        day = timezone.localdate(day)
    return f"{day.year}年{day.month}月{day.day}日"


def cn_date(day: dt.date | dt.datetime | None) -> str:
    """A date for the screen in the active language: 2026年3月15日 in Chinese, the way official
    documents write it; 15 March 2026 in English."""
    if day is None:
        return ""
    if isinstance(day, dt.datetime):
        day = timezone.localdate(day)
    if _in_chinese():
        return zh_date(day)
    return dateformat.format(day, "j F Y")


def cn_datetime(moment: dt.datetime | None, *, with_year: bool = True) -> str:
    """A moment in the campaign's time zone, in the active language: 2026年3月15日 14:05 or
    15 March 2026, 14:05 (without the year: 3月15日 14:05, 15 March, 14:05)."""
    if moment is None:
        return ""
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    if _in_chinese():
        day = f"{moment.year}年{moment.month}月{moment.day}日" if with_year else f"{moment.month}月{moment.day}日"
        return f"{day} {moment:%H:%M}"
    return dateformat.format(moment, "j F Y, H:i" if with_year else "j F, H:i")


def start_of_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_default_timezone())


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(first: dt.date) -> dt.date:
    """The first day of the month after the one beginning `first`."""
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
