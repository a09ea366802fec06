"""Reads of problems for screens and exports. Every one starts from access, so nothing
leaves the scope of the person asking."""

import datetime as dt
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery

import access
from core import clock
from problems.forms import SORTS
from problems.models import Problem, ProblemEvent
from problems.states import WITH_UNIT, Action, Status


def narrowed(qs: QuerySet, filters: dict) -> QuerySet:
    """Problems of one responsible unit, area (and the areas within it), site type or criterion
    (and its checkpoints): the meaning of these filters wherever problems are counted or listed
    (the list, the map, the exports, the trends), so a figure's link opens the same problems."""
    if unit := filters.get("unit"):
        qs = qs.filter(assigned_unit=unit)
    if area := filters.get("area"):
        qs = qs.filter(Q(site__area=area) | Q(site__area__parent=area) | Q(site__area__parent__parent=area))
    if site_type := filters.get("site_type"):
        qs = qs.filter(site__site_type=site_type)
    if criterion := filters.get("criterion"):
        qs = qs.filter(Q(criterion=criterion) | Q(criterion__parent=criterion))
    return qs


def problem_list(*, user, filters: dict) -> QuerySet:
    """The problems this person may see, filtered by the cleaned ProblemFilterForm data."""
    qs = access.problems_visible_to(user).select_related(
        "site", "site__site_type", "site__area", "assigned_unit", "criterion"
    )
    if q := (filters.get("q") or "").strip():
        number = q.split("-")
        if len(number) == 2 and all(part.isdigit() for part in number):
            qs = qs.filter(year=int(number[0]), sequence=int(number[1]))
        else:
            qs = qs.filter(Q(description__icontains=q) | Q(site__name__icontains=q))
    if statuses := filters.get("status"):
        qs = qs.filter(status__in=statuses)
    qs = narrowed(qs, filters)
    if source := filters.get("source"):
        qs = qs.filter(source=source)
    if filters.get("overdue"):
        qs = qs.overdue()
    if filters.get("rebound"):
        qs = qs.filter(rebound_of__isnull=False)
    if date_from := filters.get("date_from"):
        qs = qs.filter(recorded_at__gte=clock.start_of_day(date_from))
    if date_to := filters.get("date_to"):
        qs = qs.filter(recorded_at__lt=clock.end_of_day(date_to))
    order = SORTS.get(filters.get("sort") or "-recorded", SORTS["-recorded"])[0]
    # A problem not yet assigned has no deadline: last in either order, on every database
    # (SQLite puts NULL first when ascending, PostgreSQL when descending).
    # NULLS LAST only where NULL can occur: PostgreSQL reads a descending index NULLS FIRST, and
    # NULLS LAST on a column without NULLs would make it sort the whole table instead of reading
    # the first page from the index (Problem.Meta.indexes). Ties: the latest recorded first.
    name = order.lstrip("-")
    field = F(name)
    nullable = Problem._meta.get_field(name).null
    if order.startswith("-"):
        return qs.order_by(field.desc(nulls_last=True) if nullable else field.desc(), "-id")
    return qs.order_by(field.asc(nulls_last=True) if nullable else field.asc(), "-id")


def unit_open_problems(*, user) -> QuerySet:
    """A unit person's work list: their units' problems still to fix, nearest deadline first."""
    actor = access.actor_for(user)
    return (
        access.problems_visible_to(user)
        .filter(assigned_unit_id__in=actor.unit_ids, status__in=sorted(WITH_UNIT))
        .select_related("site", "assigned_unit", "criterion")
        .order_by("deadline", "id")
    )


def with_return_reason(problems: QuerySet) -> QuerySet:
    """Each problem with the note of its last return (None if never returned): what the unit
    must redo, shown on its work list without opening the problem."""
    last_return = ProblemEvent.objects.filter(problem=OuterRef("pk"), action=Action.RETURN).order_by("-seq")
    return problems.annotate(return_reason=Subquery(last_return.values("note")[:1]))


def work_counts(problems: QuerySet) -> dict:
    """The work list's figures over all of it, in one aggregate: to fix, overdue, returned."""
    today = clock.today()
    return problems.aggregate(
        open=Count("*"),
        overdue=Count("id", filter=Q(deadline__lt=today)),
        returned=Count("id", filter=Q(status=Status.RETURNED)),
    )


def awaiting_verification(*, user) -> QuerySet:
    """Problems whose evidence waits for the supervision team, that this person may verify,
    nearest deadline first (the order of the (status, deadline) index)."""
    actor = access.actor_for(user)
    return (
        access.problems_visible_to(user)
        .filter(status=Status.SUBMITTED)
        .exclude(assigned_unit_id__in=actor.unit_ids)
        .order_by("deadline", "id")
    )


def with_evidence(problems: QuerySet) -> QuerySet:
    """The verification cards' reads: the site and its areas, the photos, the latest evidence."""
    return problems.select_related(
        "site", "site__area", "site__area__parent", "assigned_unit", "criterion"
    ).prefetch_related(
        "photos",
        Prefetch(
            "events",
            queryset=ProblemEvent.objects.filter(action=Action.SUBMIT)
            .select_related("actor")
            .prefetch_related("attachments")
            .order_by("-seq"),
            to_attr="submissions",
        ),
    )


def by_subdistrict(problems: QuerySet) -> list[dict]:
    """How many of these problems lie in each sub-district, most first: one grouped query."""
    return list(
        problems.order_by()
        .values(area_id=F("site__area__parent"), area_name=F("site__area__parent__name"))
        .annotate(n=Count("*"))
        .order_by("-n", "area_name")
    )


# Figures kept by until_next_step are this old at most; a transition makes them stale at once.
FIGURES_SECONDS = 60
# A count that took at least this long is not made again inside a request when a recount can be
# left to the worker: the page shows the figures it has, with their time, while the worker counts
# (the overview over a million problems takes seconds, and every step of anyone makes it stale).
SLOW_COUNT_SECONDS = 0.3
# A recount asked of the worker and not done after this long is made in the request after all:
# a worker that is not running never leaves a page with old figures for longer.
RECOUNT_LATE_SECONDS = 120


@dataclass(frozen=True)
class Kept:
    """Figures with the moment they were counted from; `stale` when a step has committed since
    and the worker is counting them again."""

    value: object
    counted_at: dt.datetime
    stale: bool = False


def _stamp() -> str:
    # The id of the problems' trail's last event: every transition writes one, so the stamp
    # changes when a transition commits, in every server process; no invalidation is sent that a
    # process could miss. The day is part of it: overdue counts move at midnight.
    last_event = ProblemEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    return f"{last_event}:{clock.today().isoformat()}"


def count_and_keep(key: str, compute, *, stamp: str | None = None) -> Kept:
    """compute() now, kept under `key` with the stamp read before counting (a step committed
    while counting leaves the result already stale, as it is)."""
    stamp = stamp or _stamp()
    started, began = clock.now(), time.monotonic()
    value = compute()
    entry = {"stamp": stamp, "value": value, "counted_at": started, "seconds": time.monotonic() - began}
    cache.set(f"kept:{key}", entry, 24 * 3600)
    cache.delete(f"recounting:{key}")
    return Kept(value, started)


def kept(key: str, compute, *, recount=None) -> Kept:
    """compute(), kept in the cache until the next transition of any problem commits (or
    FIGURES_SECONDS pass, or the day changes): grouped counts over a million problems take
    seconds, and a page opened again shows the same figures until something moves.

    When the kept figures are stale and counting them took SLOW_COUNT_SECONDS or more, and
    `recount` is given (it asks the worker to call count_and_keep with the same key), the stale
    figures are returned marked so, and the worker is asked once; the request does not wait.
    `key` must name everything the figures depend on besides the problems (the campaign, the
    person whose scope they count...)."""
    stamp = _stamp()
    entry = cache.get(f"kept:{key}")
    if entry is None:
        return count_and_keep(key, compute, stamp=stamp)
    age = (clock.now() - entry["counted_at"]).total_seconds()
    if entry["stamp"] == stamp and age < FIGURES_SECONDS:
        return Kept(entry["value"], entry["counted_at"])
    same_day = entry["stamp"].split(":")[-1] == stamp.split(":")[-1]
    if recount is not None and same_day and entry["seconds"] >= SLOW_COUNT_SECONDS:
        now = clock.now().timestamp()
        if cache.add(f"recounting:{key}", now, 24 * 3600):
            recount()
            return Kept(entry["value"], entry["counted_at"], stale=True)
        asked = cache.get(f"recounting:{key}")
        if asked is not None and now - asked < RECOUNT_LATE_SECONDS:
            return Kept(entry["value"], entry["counted_at"], stale=True)
    return count_and_keep(key, compute, stamp=stamp)


def until_next_step(key: str, compute):
    """The figures of kept(), always counted in the request when stale (the scopes of one
    person or one unit, fast enough to wait for)."""
    return kept(key, compute).value


# 交办's proposed deadline when neither the checkpoint nor its criterion says (Criterion.fix_days).
DEFAULT_FIX_DAYS = 7


def assign_proposal(problem: Problem) -> dict:
    """What the 交办 form proposes (issue 12: the office picked the unit and counted days by hand
    for every problem): the unit that owns the site, else the sub-district unit of its area; the
    deadline today + the checkpoint's fix_days, else its criterion's, else DEFAULT_FIX_DAYS. Two
    small queries at most, on the already loaded site and criterion."""
    from organisation.models import Unit

    site, criterion = problem.site, problem.criterion
    assignable = (Unit.Kind.SUBDISTRICT, Unit.Kind.DEPARTMENT)
    unit = site.owner_unit if site.owner_unit.is_active and site.owner_unit.kind in assignable else None
    if unit is None:
        areas = [site.area_id, site.area.parent_id]
        unit = (
            Unit.objects.filter(kind=Unit.Kind.SUBDISTRICT, is_active=True, area_id__in=[a for a in areas if a])
            .order_by("code")
            .first()
        )
    days = criterion.fix_days
    if days is None and criterion.parent_id:
        days = criterion.parent.fix_days
    days = DEFAULT_FIX_DAYS if days is None else days
    return {"unit": unit.pk if unit else None, "deadline": clock.today() + dt.timedelta(days=days), "days": days}
