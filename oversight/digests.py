"""The digests: each morning to every unit's head (their open, overdue, returned problems and
what falls due this week), each Monday to the district leaders (the units most overdue, the
total, the week's rebounds). Grouped queries over all open problems, whatever their number."""

import datetime as dt

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext

from core import clock
from notifications.people import district_leaders, unit_people
from notifications.services import notify
from organisation.models import Membership, Unit
from problems.models import Problem
from problems.states import WITH_UNIT, Status


def unit_counts(today: dt.date) -> dict[int, dict]:
    week_end = today + dt.timedelta(days=6 - today.weekday())
    rows = (
        Problem.objects.filter(status__in=WITH_UNIT, assigned_unit__isnull=False)
        .values("assigned_unit")
        .annotate(
            open=Count("id"),
            overdue=Count("id", filter=Q(deadline__lt=today)),
            returned=Count("id", filter=Q(status=Status.RETURNED)),
            due_this_week=Count("id", filter=Q(deadline__gte=today, deadline__lte=week_end)),
        )
        .order_by()
    )
    return {row["assigned_unit"]: row for row in rows}


def digest_daily(today: dt.date | None = None) -> int:
    """One message per unit head whose unit has open problems. Returns the units told."""
    today = today or clock.today()
    told = 0
    for unit in Unit.objects.filter(pk__in=list(counts := unit_counts(today)), is_active=True).order_by("code"):
        row = counts[unit.pk]
        notify(
            rule="digest_daily",
            source=f"digest:daily:{today.isoformat()}:{unit.pk}",
            recipients=unit_people(unit, Membership.Role.HEAD),
            subject=gettext("%(unit)s 每日问题摘要（%(date)s）") % {"unit": unit.name, "date": clock.cn_date(today)},
            body=gettext("在办 %(open)s 个，其中逾期 %(overdue)s 个、退回返工 %(returned)s 个；本周到期 %(due)s 个。")
            % {
                "open": row["open"],
                "overdue": row["overdue"],
                "returned": row["returned"],
                "due": row["due_this_week"],
            },
            link=reverse("problems:mine"),
            unit=unit,
        )
        told += 1
    return told


def digest_weekly(today: dt.date | None = None) -> int:
    """One message per district leader. Returns the leaders told."""
    today = today or clock.today()
    counts = unit_counts(today)
    names = dict(Unit.objects.filter(pk__in=list(counts)).values_list("pk", "name"))
    worst = sorted((row for row in counts.values() if row["overdue"]), key=lambda r: -r["overdue"])[:5]
    rebounds = Problem.objects.filter(
        rebound_of__isnull=False, recorded_at__gte=clock.start_of_day(today - dt.timedelta(days=7))
    ).count()
    lines = [
        gettext("逾期未整改 %(overdue)s 个，在办 %(open)s 个；近 7 天反弹 %(rebounds)s 个。")
        % {
            "overdue": sum(r["overdue"] for r in counts.values()),
            "open": sum(r["open"] for r in counts.values()),
            "rebounds": rebounds,
        }
    ]
    if worst:
        lines.append(gettext("逾期最多的单位："))
        lines += [
            gettext("%(rank)s. %(unit)s 逾期 %(overdue)s 个")
            % {"rank": i, "unit": names[r["assigned_unit"]], "overdue": r["overdue"]}
            for i, r in enumerate(worst, 1)
        ]
    leaders = district_leaders()
    notify(
        rule="digest_weekly",
        source=f"digest:weekly:{today.isoformat()}",
        recipients=leaders,
        subject=gettext("创卫督查每周摘要（%(date)s）") % {"date": clock.cn_date(today)},
        body="\n".join(lines),
        link=reverse("oversight:overview"),
    )
    return len(leaders)
