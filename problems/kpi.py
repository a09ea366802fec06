"""The closed loop's figures, defined once: what each counts (its 口径), how a rate is formed, how
units are ranked. The overview, a unit's page, the ranking, the bulletin and the exports all read
these definitions, so a figure with one name has one meaning on every screen and in every document.

A figure is counted over a period: the campaign to date (begins=None) on the screens, the
bulletin's period in a bulletin. Over a period, "found" and "rebounds" count what was recorded in
it, "closed" what was closed in it, "overdue" what is past its deadline at the period's end.

This module sits with the problems' models (below access and the services), so every page and
document above may import it; it reads no other domain app."""

from dataclasses import dataclass

from django.db.models import Count, F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from organisation.models import Unit
from problems.models import Problem
from problems.states import VOID, WITH_UNIT, Status


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    basis: str


FOUND = Figure(
    "found",
    pgettext_lazy("number of problems assigned", "交办"),
    _("统计期内发现并交办给该单位的问题数（撤销的、作为重复合并的不计）"),
)
IN_HAND = Figure(
    "in_hand",
    _("在办"),
    _("已交办、尚未销号的问题：整改中、待复核、退回返工三种状态之和（“整改中”状态只是其中之一）"),
)
OVERDUE = Figure("overdue", _("逾期"), _("已交办、尚未销号且已过整改期限的问题，截至统计期末"))
CLOSED = Figure("closed", _("已销号"), _("统计期内复核通过并销号的问题"))
ON_TIME_RATE = Figure(
    "on_time_rate",
    _("按期整改率"),
    _("期限内销号数 ÷（已销号数 + 逾期未销号数）；尚无销号问题的单位显示“—”"),
)
REWORK_RATE = Figure("rework_rate", _("返工率"), _("已销号问题中曾被退回返工的 ÷ 已销号数；尚无销号的显示“—”"))
REBOUND_RATE = Figure("rebound_rate", _("反弹率"), _("已销号问题中又在原点位反弹的 ÷ 已销号数；尚无销号的显示“—”"))
REBOUNDS = Figure("rebounds", _("反弹"), _("统计期内发现的、与已销号问题同一点位同一要点的问题"))
RANKING = Figure(
    "rank",
    _("排名"),
    _("街道与部门分别排名：按期整改率高者在前；率相同时逾期少者在前，再看返工率；尚无销号的单位排在最后"),
)

FIGURES = (FOUND, IN_HAND, OVERDUE, CLOSED, REBOUNDS, ON_TIME_RATE, REWORK_RATE, REBOUND_RATE, RANKING)

# The counts every unit row carries; the rates are formed from them (with_rates).
COUNTS = ("found", "in_hand", "overdue", "closed_on_time", "closed_late", "reworked", "rebounds", "rebounded")

# Ranked separately: an area's sub-district and a functional department do different work.
RANKED_KINDS = (Unit.Kind.SUBDISTRICT, Unit.Kind.DEPARTMENT)

# A row is marked "severe" at this many overdue problems, "late" at one.
SEVERE_OVERDUE = 5


def conditions(*, as_of, begins=None, ends=None) -> dict[str, Q]:
    """The filter of each count, for a Count(..., filter=) over problems: the whole campaign to
    date when begins and ends are None, else the period [begins, ends) (aware datetimes) with
    as_of its last day."""
    recorded = Q()
    closed = Q(status=Status.CLOSED)
    if begins is not None:
        recorded = Q(recorded_at__gte=begins, recorded_at__lt=ends)
        closed &= Q(closed_at__gte=begins, closed_at__lt=ends)
    return {
        # A cancelled or merged problem was never one of its own (a mistake, a duplicate of the
        # survivor, which is counted): found nowhere; closed counts only 已销号, so neither there.
        "found": recorded & ~Q(status__in=sorted(VOID)),
        "in_hand": Q(status__in=WITH_UNIT),
        "overdue": Q(status__in=WITH_UNIT, deadline__lt=as_of),
        "closed_on_time": closed & Q(closed_on__lte=F("deadline")),
        "closed_late": closed & Q(closed_on__gt=F("deadline")),
        # Returned at least once: the counter the return step keeps on the row (no scan of events).
        "reworked": closed & Q(return_count__gt=0),
        "rebounds": recorded & Q(rebound_of__isnull=False),
        # IN over the (few) rebounds, not a correlated EXISTS: the database hashes the set once
        # instead of probing an index for each of a million problems (issue 14).
        "rebounded": closed & Q(pk__in=Problem.objects.filter(rebound_of__isnull=False).values("rebound_of")),
    }


def unit_rows(problems, *, as_of, begins=None, ends=None) -> list[dict]:
    """The counts and rates of each responsible unit over the problems given: two grouped queries.
    Rows carry unit_id, unit_code, unit (short name), kind and the COUNTS, then with_rates."""
    cond = conditions(as_of=as_of, begins=begins, ends=ends)
    grouped = (
        problems.filter(assigned_unit__isnull=False)
        .order_by()
        .values("assigned_unit")
        .annotate(**{key: Count("id", filter=q) for key, q in cond.items()})
    )
    counts = {row.pop("assigned_unit"): row for row in grouped}
    return unit_rows_from(counts)


def unit_rows_from(counts: dict[int, dict]) -> list[dict]:
    """Unit rows from counts already made (the overview counts in one pass of its own)."""
    units = {u.pk: u for u in Unit.objects.filter(pk__in=counts).only("code", "name", "short_name", "kind")}
    rows = []
    for unit_id, row in counts.items():
        unit = units[unit_id]
        entry = {
            "unit_id": unit_id,
            "unit_code": unit.code,
            "unit": unit.short_name or unit.name,
            "kind": unit.kind,
            **{key: row.get(key, 0) for key in COUNTS},
        }
        rows.append(with_rates(entry))
    return rows


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def with_rates(row: dict) -> dict:
    """Adds closed, on_time_rate, rework_rate, rebound_rate and severity to a row of COUNTS.
    Every rate is None ("—") while the unit has closed nothing: a unit that has closed nothing
    has no record yet, which 0.0 % would misstate."""
    closed = row["closed_on_time"] + row["closed_late"]
    row["closed"] = closed
    if closed:
        row["on_time_rate"] = _rate(row["closed_on_time"], closed + row["overdue"])
        row["rework_rate"] = _rate(row["reworked"], closed)
        row["rebound_rate"] = _rate(row["rebounded"], closed)
    else:
        row["on_time_rate"] = row["rework_rate"] = row["rebound_rate"] = None
    row["severity"] = "severe" if row["overdue"] >= SEVERE_OVERDUE else "late" if row["overdue"] else ""
    return row


def rank_key(row: dict):
    missing = row["on_time_rate"] is None
    return (
        missing,
        -(row["on_time_rate"] or 0),
        row["overdue"],
        row["rework_rate"] if row["rework_rate"] is not None else 0,
        row["unit"],
    )


def ranked(rows: list[dict]) -> dict[str, list[dict]]:
    """{kind: rows best first with "rank" set}, sub-districts and departments apart (RANKING);
    units of other kinds (the office itself) are left out of the ranking."""
    groups = {}
    for kind in RANKED_KINDS:
        group = sorted((r for r in rows if r["kind"] == kind), key=rank_key)
        for rank, row in enumerate(group, start=1):
            row["rank"] = rank
        groups[kind] = group
    return groups


def bases() -> list[dict]:
    """The 口径 of every figure, for a page's or a document's footnote."""
    return [{"label": str(f.label), "basis": str(f.basis)} for f in FIGURES]
