"""Rebound hotspots (反弹热点): sites where problems keep coming back.

A site is a hotspot when, among the problems recorded there in the last HOTSPOT_WINDOW_DAYS
(cancelled and merged ones left out: they were not real, or are counted in the survivor), at
least HOTSPOT_REBOUNDS are rebounds (linked to an earlier closed problem of the same site and
criterion, problems.services.problem_record) or at least HOTSPOT_PROBLEMS problems were recorded
at all. One grouped query over the problems of the window (the range runs on the index on
recorded_at), whatever the number of sites."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q

from core import clock
from problems.models import Problem
from problems.states import VOID
from sites.models import Site


@dataclass(frozen=True)
class Hotspot:
    site: Site
    problems: int
    rebounds: int


def window_start(now: dt.datetime | None = None) -> dt.datetime:
    return (now or clock.now()) - dt.timedelta(days=settings.HOTSPOT_WINDOW_DAYS)


def hotspot_counts(problems=None, *, now: dt.datetime | None = None):
    """The hotspots' site ids with their counts, most rebounds first: a values() queryset of
    {"site", "problems", "rebounds"}. `problems` scopes what is counted (a person's visible
    problems: a unit must not learn of a covert plan's findings through a count)."""
    problems = Problem.objects.all() if problems is None else problems
    return (
        problems.filter(recorded_at__gte=window_start(now))
        .exclude(status__in=VOID)
        .order_by()
        .values("site")
        .annotate(problems=Count("id"), rebounds=Count("id", filter=Q(rebound_of__isnull=False)))
        .filter(Q(rebounds__gte=settings.HOTSPOT_REBOUNDS) | Q(problems__gte=settings.HOTSPOT_PROBLEMS))
        .order_by("-rebounds", "-problems", "site")
    )


def hotspots(problems=None, *, now: dt.datetime | None = None, limit: int | None = 20) -> list[Hotspot]:
    """The hotspots with their sites (area and owner unit loaded), at most `limit` of them."""
    rows = list(hotspot_counts(problems, now=now)[:limit] if limit else hotspot_counts(problems, now=now))
    return with_sites(rows)


def with_sites(rows) -> list[Hotspot]:
    """Hotspots from rows of hotspot_counts, their sites read in one query."""
    sites = Site.objects.select_related("area", "owner_unit", "site_type").in_bulk([row["site"] for row in rows])
    return [Hotspot(site=sites[row["site"]], problems=row["problems"], rebounds=row["rebounds"]) for row in rows]


def hotspot_site_ids(problems=None, *, now: dt.datetime | None = None) -> set[int]:
    return set(hotspot_counts(problems, now=now).values_list("site", flat=True))
