"""The overview's problem figures: counted in one pass, kept a short while per campaign, and never
older than the last transition. The cached figures are compared with a fresh count after each
kind of step, and with the figures counted the long way (a query per figure)."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from oversight import selectors
from problems import kpi, services
from problems.models import Problem
from problems.states import Action, Status
from problems.tests.helpers import (
    assigned_problem,
    cancelled_problem,
    closed_problem,
    recorded_problem,
    returned_problem,
    submitted_problem,
)


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def _long_way(world) -> dict:
    """The figures one query at a time, as the overview counted them before."""
    problems = Problem.objects.filter(campaign=world.campaign)
    units = {}
    for unit_id in problems.exclude(assigned_unit=None).values_list("assigned_unit", flat=True).distinct():
        mine = problems.filter(assigned_unit=unit_id)
        units[unit_id] = {
            # A cancelled or merged problem is no problem of its own (problems.states.VOID).
            "found": mine.exclude(status__in=[Status.CANCELLED, Status.MERGED]).count(),
            "in_hand": mine.filter(status__in=[Status.ASSIGNED, Status.SUBMITTED, Status.RETURNED]).count(),
            "overdue": mine.overdue().count(),
            "closed_on_time": mine.closed_on_time().count(),
            "closed_late": mine.closed_late().count(),
            "reworked": mine.filter(status=Status.CLOSED, events__action=Action.RETURN).distinct().count(),
            "rebounds": mine.filter(rebound_of__isnull=False).count(),
            "rebounded": mine.filter(status=Status.CLOSED, rebounds__isnull=False).distinct().count(),
        }
    return {
        "by_status": {status.value: problems.filter(status=status).count() for status in Status},
        "total": problems.count(),
        "overdue": problems.overdue().count(),
        "rebounds": problems.filter(rebound_of__isnull=False).count(),
        "by_type": {
            t: problems.filter(site__site_type=t).count() for t in problems.values_list("site__site_type", flat=True)
        },
        "units": units,
    }


def _short(figures: dict) -> dict:
    breakdowns = figures["breakdowns"]
    return {
        "by_status": {status.value: n for status, n in breakdowns["by_status"]},
        "total": breakdowns["total"],
        "overdue": breakdowns["overdue"],
        "rebounds": breakdowns["rebounds"],
        "by_type": {row["site__site_type"]: row["n"] for row in breakdowns["by_type"]},
        "units": {row["unit_id"]: {k: row[k] for k in kpi.COUNTS} for row in figures["units"]},
    }


def _cached(world) -> dict:
    return selectors.overview_figures(user=world.office, campaign=world.campaign)


def test_the_figures_counted_in_one_pass_equal_the_long_way(world):
    recorded_problem(world)
    assigned_problem(world)
    submitted_problem(world, site=world.site_b)
    assigned_problem(world, unit=world.unit_b, site=world.site_b)
    returned_problem(world)
    closed_problem(world)
    cancelled_problem(world)
    assert _short(_cached(world)) == _long_way(world)


def test_the_cached_figures_are_read_without_counting_again(world):
    assigned_problem(world)
    first = _cached(world)
    with CaptureQueriesContext(connection) as queries:
        again = _cached(world)
    assert again == first
    assert len(queries) == 1  # the trail's last event: the figures themselves came from the cache


def test_every_transition_makes_the_cached_figures_equal_the_live_ones_again(world):
    problem = assigned_problem(world)
    _cached(world)
    steps = [
        lambda p: services.problem_submit_evidence(actor=world.liaison_a, problem=p, note="已清运"),
        lambda p: services.problem_return(actor=world.inspector, problem=p, reason="仍有积水"),
        lambda p: services.problem_submit_evidence(actor=world.liaison_a, problem=p, note="再次清运"),
        lambda p: services.problem_close(actor=world.inspector, problem=p, note="合格"),
    ]
    for step in steps:
        problem = step(Problem.objects.get(pk=problem.pk))
        live = selectors.problem_figures(user=world.office, campaign=world.campaign)
        assert _cached(world) == live
        assert _short(live) == _long_way(world)
    assert Problem.objects.filter(pk=problem.pk, closed_on__lte=F("deadline")).exists()
