"""The units' monthly score (考核, issue 16): indicators on the pattern of digital urban management
evaluation (CJ/T 292 and the provincial 数字城管 rules), each with its denominator stated, and a
weighted composite whose weights are versioned (oversight.models.ScoreWeights), so that a past
month's score is always computed with the weights that were in force in that month.

For a unit and a month M (local dates, [first day, first day of the next month)):
- 应结案 (due): its problems whose deadline falls in M;
- 结案率 = of those, closed by the end of M ÷ due;
- 按期结案率 = of those, closed on or before their deadline ÷ due;
- 返工率 = problems closed in M that had been returned at least once ÷ closed in M;
- 反弹率 = rebounds recorded in M among its problems ÷ closed in M;
- 推诿次数 = reassignments in M that took a problem away from it;
- 平均处置天数 = average time from finding to closing of the problems closed in M;
- 超期未结 = its problems past their deadline and not closed at the end of M (now, for M running).
Cancelled and merged problems are left out everywhere (problems.states.VOID).

Score = (Σ weight × part) ÷ Σ weights − per_reassign × 推诿次数 − per_overdue × 超期未结, at least
0, where the parts are 结案率, 按期结案率, 100 − 返工率 and 100 − 反弹率; a part without a
denominator (nothing due, nothing closed) counts in full (nothing was missed). A unit with nothing
due, nothing closed and nothing overdue has no score that month ("—")."""

import datetime as dt
from decimal import Decimal

from django.db.models import Count, DurationField, ExpressionWrapper, F, OuterRef, Q, Subquery, Sum
from django.utils.translation import gettext_lazy as _

import access
from core import clock
from core.clock import month_start, next_month
from organisation.models import Unit
from oversight.models import ScoreWeights
from problems.kpi import RANKED_KINDS, Figure
from problems.models import Problem, ProblemEvent
from problems.states import VOID, Action, Status

# The weights in force before the office sets any (they add up to 100).
DEFAULT_WEIGHTS = {
    "closure": Decimal("30"),
    "on_time": Decimal("40"),
    "rework": Decimal("15"),
    "rebound": Decimal("15"),
    "per_reassign": Decimal("1"),
    "per_overdue": Decimal("0.5"),
}
WEIGHT_FIELDS = tuple(DEFAULT_WEIGHTS)


INDICATORS = (
    Figure("due", _("应结案"), _("本月整改期限到期的问题数")),
    Figure("closure_rate", _("结案率"), _("应结案问题中月底前已销号的 ÷ 应结案数")),
    Figure("on_time_rate", _("按期结案率"), _("应结案问题中在期限内销号的 ÷ 应结案数")),
    Figure("rework_rate", _("返工率"), _("本月销号问题中曾被退回返工的 ÷ 本月销号数")),
    Figure("rebound_rate", _("反弹率"), _("本月登记的本单位反弹问题数 ÷ 本月销号数")),
    Figure("reassigned", _("推诿次数"), _("本月从本单位改派走的次数")),
    Figure("average_days", _("平均处置天数"), _("本月销号问题从发现到销号平均经过的天数")),
    Figure("overdue", _("超期未结"), _("月底（本月未过完的，截至此刻）已过期限、尚未销号的问题数")),
    Figure(
        "score",
        _("综合得分"),
        _("按当月生效的权重：各率加权平均（返工率、反弹率取 100 减该率），减去推诿与超期未结的扣分，最低 0 分"),
    ),
)


def weights_for(first: dt.date) -> dict:
    """The weights in force in the month beginning `first`: the latest version that began on or
    before it (versions are never edited), else DEFAULT_WEIGHTS. `version` is None for the default."""
    version = (
        ScoreWeights.objects.filter(effective_from__lte=first).order_by("-effective_from", "-created_at", "-id").first()
    )
    if version is None:
        return {**DEFAULT_WEIGHTS, "version": None}
    return {**{name: getattr(version, name) for name in WEIGHT_FIELDS}, "version": version}


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def counts(problems, *, first: dt.date) -> dict[int, dict]:
    """{unit id: the month's counts} over `problems` (already scoped to a campaign and to what may
    be counted), five grouped queries whatever the number of units."""
    after = next_month(first)
    begins, ends = clock.start_of_day(first), clock.start_of_day(after)
    today = clock.today()
    # For the month running now, "at its end" is this moment.
    cut, due_before = (ends, after) if after <= today else (clock.now(), today)
    problems = problems.exclude(status__in=VOID).filter(assigned_unit__isnull=False)
    closed = Q(status=Status.CLOSED)
    rows: dict[int, dict] = {}

    def add(queryset):
        for row in queryset:
            rows.setdefault(row.pop("assigned_unit"), {}).update(row)

    add(
        problems.filter(deadline__gte=first, deadline__lt=after)
        .order_by()
        .values("assigned_unit")
        .annotate(
            due=Count("id"),
            closed_of_due=Count("id", filter=closed & Q(closed_at__lt=ends)),
            on_time_of_due=Count("id", filter=closed & Q(closed_on__lte=F("deadline"))),
        )
    )
    add(
        problems.filter(closed, closed_at__gte=begins, closed_at__lt=ends)
        .order_by()
        .values("assigned_unit")
        .annotate(
            closed=Count("id"),
            reworked=Count("id", filter=Q(return_count__gt=0)),
            spent=Sum(ExpressionWrapper(F("closed_at") - F("recorded_at"), output_field=DurationField())),
        )
    )
    add(
        problems.filter(recorded_at__gte=begins, recorded_at__lt=ends, rebound_of__isnull=False)
        .order_by()
        .values("assigned_unit")
        .annotate(rebounds=Count("id"))
    )
    add(
        problems.filter(recorded_at__lt=cut, deadline__lt=due_before)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=cut))
        .order_by()
        .values("assigned_unit")
        .annotate(overdue=Count("id"))
    )
    # A reassignment takes the problem from the unit of the step before it (the trail's `unit`).
    before = ProblemEvent.objects.filter(problem=OuterRef("problem"), seq=OuterRef("seq") - 1).values("unit")[:1]
    reassigned = (
        ProblemEvent.objects.filter(
            action=Action.REASSIGN, at__gte=begins, at__lt=ends, problem__in=problems.values("pk")
        )
        .annotate(from_unit=Subquery(before))
        .order_by()
        .values("from_unit")
        .annotate(n=Count("id"))
    )
    for row in reassigned:
        if row["from_unit"] is not None:
            rows.setdefault(row["from_unit"], {})["reassigned"] = row["n"]
    return rows


def scored(row: dict, weights: dict) -> dict:
    """The rates and the score of one unit's counts under `weights`."""
    for key in ("due", "closed_of_due", "on_time_of_due", "closed", "reworked", "rebounds", "overdue", "reassigned"):
        row.setdefault(key, 0)
    spent = row.pop("spent", None)
    row["closure_rate"] = _rate(row["closed_of_due"], row["due"])
    row["on_time_rate"] = _rate(row["on_time_of_due"], row["due"])
    row["rework_rate"] = _rate(row["reworked"], row["closed"])
    row["rebound_rate"] = _rate(row["rebounds"], row["closed"])
    row["average_days"] = round(spent.total_seconds() / 86400 / row["closed"], 1) if spent and row["closed"] else None
    if not (row["due"] or row["closed"] or row["overdue"] or row["reassigned"]):
        row["score"] = None
        return row
    parts = {
        "closure": row["closure_rate"],
        "on_time": row["on_time_rate"],
        "rework": None if row["rework_rate"] is None else 100 - row["rework_rate"],
        "rebound": None if row["rebound_rate"] is None else 100 - row["rebound_rate"],
    }
    total_weight = sum(weights[name] for name in parts)
    weighted = sum(weights[name] * Decimal(str(100 if part is None else part)) for name, part in parts.items())
    score = weighted / total_weight if total_weight else Decimal(100)
    score -= weights["per_reassign"] * row["reassigned"] + weights["per_overdue"] * row["overdue"]
    row["score"] = float(max(Decimal(0), score).quantize(Decimal("0.1")))
    return row


def month_ranking(problems, *, first: dt.date) -> dict:
    """{"first", "weights", kind: [rows best first with "rank"]} for the month beginning `first`:
    sub-districts and departments ranked apart by score (higher first; ties by fewer overdue,
    then name); units without a score last."""
    weights = weights_for(first)
    by_unit = counts(problems, first=first)
    units = {u.pk: u for u in Unit.objects.filter(kind__in=RANKED_KINDS, is_active=True).order_by("code")}
    result = {"first": first, "weights": weights}
    for kind in RANKED_KINDS:
        rows = []
        for unit in (u for u in units.values() if u.kind == kind):
            row = scored(dict(by_unit.get(unit.pk, {})), weights)
            rows.append({"unit_id": unit.pk, "unit_code": unit.code, "unit": unit.short_name or unit.name, **row})
        rows.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0), r["overdue"], r["unit"]))
        for rank, row in enumerate(rows, start=1):
            row["rank"] = rank if row["score"] is not None else None
        result[kind] = rows
    return result


def unit_history(problems, *, unit, months: list[dt.date]) -> list[dict]:
    """The unit's scored row for each month (first days), each under that month's weights."""
    history = []
    for first in months:
        row = scored(
            dict(counts(problems.filter(assigned_unit=unit), first=first).get(unit.pk, {})), weights_for(first)
        )
        history.append({"first": first, **row})
    return history


def campaign_months(campaign, *, limit: int = 12) -> list[dt.date]:
    """The first days of the campaign's months up to this one, the latest `limit`, newest first."""
    months, first = [], month_start(campaign.starts_on)
    this = month_start(clock.today())
    while first <= this:
        months.append(first)
        first = next_month(first)
    return list(reversed(months))[:limit]


def scope(campaign, *, user):
    """What the scores count: the campaign's problems; for those who do not see all, without the
    findings of covert plans not yet published (as the shared ranking and a bulletin)."""
    problems = Problem.objects.filter(campaign=campaign)
    if not access.actor_for(user).sees_all:
        problems = problems.exclude(pk__in=access.secret_problem_ids())
    return problems
