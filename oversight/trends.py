"""Trends (趋势): the closed loop's figures month by month (or week by week) over a campaign, for
the whole district or one unit, sub-district, site type or criterion; and the same months of an
earlier campaign beside them (issue 16).

Every figure of a period is defined here once (its 口径 in BASES) and counted in the database in
three grouped queries whatever the number of periods: what was recorded in each period, what was
closed in each period, and what was overdue at each period's end. At a million problems they are
kept like the overview's figures (problems.selectors.kept) and counted again by the worker."""

import datetime as dt
import zoneinfo

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Trunc
from django.utils.translation import gettext_lazy as _

import access
from core import clock
from core.clock import next_month
from problems.kpi import Figure
from problems.selectors import narrowed
from problems.states import VOID, Status

MONTH, WEEK = "month", "week"
# How far back a series reaches: two years of months, half a year of weeks.
MAX_PERIODS = {MONTH: 24, WEEK: 26}


MEASURES = (
    Figure("found", _("发现"), _("本期内登记的问题数（已撤销、已合并的不计）")),
    Figure("closed", _("销号"), _("本期内复核通过并销号的问题数")),
    Figure("closed_on_time", _("按期销号"), _("本期内销号、且销号日期不晚于整改期限的问题数")),
    Figure("on_time_share", _("按期销号占比"), _("按期销号 ÷ 销号；本期无销号的显示“—”")),
    Figure(
        "overdue_at_end",
        _("期末逾期"),
        _(
            "本期最后一天结束时（本期尚未结束的，截至此刻）已过整改期限、尚未销号的问题数（按现在的期限计；已撤销、已合并的不计）"
        ),
    ),
    Figure("reworked", _("返工"), _("本期内销号的问题中曾被退回返工的")),
    Figure("rebounds", _("反弹"), _("本期内登记的反弹问题数：同一点位、同一要点的问题销号后不久又被发现")),
    Figure(
        "average_days", _("平均处置天数"), _("本期内销号的问题从发现到销号平均经过的天数（按时长计，保留一位小数）")
    ),
)
BASES = [{"label": str(m.label), "basis": str(m.basis)} for m in MEASURES]
COUNTED = ("found", "closed", "closed_on_time", "overdue_at_end", "reworked", "rebounds")


def _zone():
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def periods(*, starts_on: dt.date, today: dt.date, kind: str) -> list[tuple[dt.date, dt.date]]:
    """[(first day, day after the last)] from the period holding starts_on to the one holding
    today, the latest MAX_PERIODS of them. Weeks begin on Monday."""
    if kind == WEEK:
        first = starts_on - dt.timedelta(days=starts_on.weekday())
        spans = []
        while first <= today:
            spans.append((first, first + dt.timedelta(days=7)))
            first += dt.timedelta(days=7)
    else:
        first = starts_on.replace(day=1)
        spans = []
        while first <= today:
            after = next_month(first)
            spans.append((first, after))
            first = after
    return spans[-MAX_PERIODS[kind] :]


def label(start: dt.date, kind: str) -> str:
    if kind == WEEK:
        return f"{start.month}/{start.day}"
    return f"{start.year}-{start.month:02d}"


def scope(*, user, campaign, filters: dict):
    """The problems of the campaign this person may see, narrowed by the trend's filters."""
    problems = access.problems_visible_to(user).filter(campaign=campaign).exclude(status__in=VOID)
    return narrowed(problems, filters)


def series(*, user, campaign, kind: str = MONTH, filters: dict | None = None) -> dict:
    """{"kind", "periods": [{"start", "end", "label", <measure>: value…}], "bases"} for the
    campaign from its start to today."""
    filters = filters or {}
    today = clock.today()
    spans = periods(starts_on=campaign.starts_on, today=today, kind=kind)
    problems = scope(user=user, campaign=campaign, filters=filters)
    rows = {
        start: {"start": start, "end": end - dt.timedelta(days=1), "label": label(start, kind)} for start, end in spans
    }
    if not spans:
        return {"kind": kind, "periods": [], "bases": BASES}
    ends = clock.start_of_day(spans[-1][1])
    zone = _zone()
    now = clock.now()

    def period_of(moment) -> dt.date | None:
        # Trunc answers a datetime on PostgreSQL and may answer a date on SQLite.
        if moment is None:
            return None
        return moment.astimezone(zone).date() if isinstance(moment, dt.datetime) else moment

    def overdue_at(end: dt.date) -> Q:
        # Overdue at a period's end (for the period running now: at this moment). A deadline is
        # due at the end of its day: at the first moment of `end` every deadline before `end`
        # has passed; now, those before today.
        moment, due_before = (clock.start_of_day(end), end) if end <= today else (now, today)
        return Q(recorded_at__lt=moment, deadline__lt=due_before) & (
            Q(closed_at__isnull=True) | Q(closed_at__gte=moment)
        )

    # One pass over the problems, grouped by the period they were found in and the period they
    # were closed in (a few hundred groups at most): the found, the closed and the overdue at
    # each period's end are all sums over these groups (a query per figure took four passes,
    # 3.7 s at a million problems).
    closed = Q(status=Status.CLOSED)
    grouped = (
        problems.filter(recorded_at__lt=ends)
        .annotate(
            found_in=Trunc("recorded_at", kind, tzinfo=zone),
            closed_in=Trunc("closed_at", kind, tzinfo=zone),
        )
        .order_by()
        .values("found_in", "closed_in")
        .annotate(
            n=Count("id"),
            closed=Count("id", filter=closed),
            rebounds=Count("id", filter=Q(rebound_of__isnull=False)),
            closed_on_time=Count("id", filter=closed & Q(closed_on__lte=F("deadline"))),
            reworked=Count("id", filter=closed & Q(return_count__gt=0)),
            spent=Sum(
                ExpressionWrapper(F("closed_at") - F("recorded_at"), output_field=DurationField()), filter=closed
            ),
            **{f"overdue{index}": Count("id", filter=overdue_at(end)) for index, (_start, end) in enumerate(spans)},
        )
    )
    spent = {}
    for group in grouped:
        found_in, closed_in = period_of(group["found_in"]), period_of(group["closed_in"])
        if found_in in rows:
            row = rows[found_in]
            row["found"] = row.get("found", 0) + group["n"]
            row["rebounds"] = row.get("rebounds", 0) + group["rebounds"]
        if closed_in in rows and group["closed"]:
            row = rows[closed_in]
            for key in ("closed", "closed_on_time", "reworked"):
                row[key] = row.get(key, 0) + group[key]
            spent[closed_in] = spent.get(closed_in, dt.timedelta(0)) + (group["spent"] or dt.timedelta(0))
        for index, (start, _end) in enumerate(spans):
            rows[start]["overdue_at_end"] = rows[start].get("overdue_at_end", 0) + group[f"overdue{index}"]
    days = {start: (spent[start].total_seconds() / 86400, rows[start]["closed"]) for start in spent}

    out = []
    for start, _end in spans:
        row = rows[start]
        for key in COUNTED:
            row.setdefault(key, 0)
        row["on_time_share"] = round(100 * row["closed_on_time"] / row["closed"], 1) if row["closed"] else None
        total, n = days.get(start, (0, 0))
        row["average_days"] = round(total / n, 1) if n else None
        out.append(row)
    return {"kind": kind, "periods": out, "bases": BASES}


def compared(current: dict, earlier: dict) -> list[dict]:
    """The earlier campaign's months beside the current one's, matched by calendar month (a year
    over year view); weeks are not compared."""
    by_month = {row["start"].month: row for row in earlier["periods"]}
    return [{"current": row, "earlier": by_month.get(row["start"].month)} for row in current["periods"]]


def trend_table(*, campaign, form, rows: list[dict], earlier, user):
    """The trend's data table as a workbook: a row per period, a column per measure, the earlier
    campaign's found and closed beside when compared; the filters and 口径 in 导出说明."""
    from documents.xlsx import DATE, NUMBER, TEXT, Col, Table
    from exchange.exports import export_about

    columns = [Col(str(_("周期")), TEXT), Col(str(_("开始日期")), DATE), Col(str(_("结束日期")), DATE)]
    columns += [Col(str(m.label), NUMBER) for m in MEASURES]
    if earlier is not None:
        columns += [
            Col(str(_("%(campaign)s 同月发现") % {"campaign": earlier}), NUMBER),
            Col(str(_("%(campaign)s 同月销号") % {"campaign": earlier}), NUMBER),
        ]

    def cells(entry):
        row = entry["current"]
        values = [row["label"], row["start"], row["end"]]
        values += [row[m.key] for m in MEASURES]  # an empty cell where a share has no base
        if earlier is not None:
            before = entry["earlier"]
            values += [before["found"], before["closed"]] if before else [None, None]
        return tuple(values)

    about = [*export_about(form, user=user), *((m.label, m.basis) for m in MEASURES)]
    return Table(
        title=_("%(campaign)s 趋势") % {"campaign": campaign.name},
        filename=_("趋势-%(day)s.xlsx") % {"day": clock.today().strftime("%Y%m%d")},
        columns=columns,
        rows=[cells(entry) for entry in rows],
        about=about,
    )
