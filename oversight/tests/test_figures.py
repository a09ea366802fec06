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


@pytest.fixture
def slow_count(monkeypatch):
    """Every count taken as slow (as the overview's is at a million problems)."""
    from problems import selectors as problem_selectors

    monkeypatch.setattr(problem_selectors, "SLOW_COUNT_SECONDS", 0)


def _queued_recounts() -> int:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path="oversight.tasks.figures_recount").count()


def test_slow_figures_made_stale_by_a_step_are_shown_with_their_time_while_the_worker_counts(world, slow_count):
    from core.worker import run_pending

    problem = assigned_problem(world)
    before = selectors.overview_kept(user=world.office, campaign=world.campaign)
    assert not before.stale
    services.problem_submit_evidence(actor=world.liaison_a, problem=problem, note="已清运")

    stale = selectors.overview_kept(user=world.office, campaign=world.campaign)
    assert stale.stale and stale.value == before.value and stale.counted_at == before.counted_at
    # Asked of the worker once, however many pages are opened meanwhile.
    selectors.overview_kept(user=world.leader, campaign=world.campaign)
    assert _queued_recounts() == 1

    run_pending()
    fresh = selectors.overview_kept(user=world.office, campaign=world.campaign)
    assert not fresh.stale
    assert fresh.value == selectors.problem_figures(user=world.office, campaign=world.campaign)
    assert dict(fresh.value["breakdowns"]["by_status"])[Status.SUBMITTED] == 1


def test_the_overview_page_says_when_its_figures_are_being_counted_again(world, slow_count, client):
    problem = assigned_problem(world)
    client.force_login(world.office)
    assert "正在重新统计" not in client.get("/overview/").content.decode()
    services.problem_submit_evidence(actor=world.liaison_a, problem=problem, note="已清运")
    page = client.get("/overview/").content.decode()
    assert "问题数据截至" in page and "正在重新统计" in page


def test_a_recount_the_worker_has_not_done_in_time_is_made_in_the_request(world, slow_count, frozen_today):
    from problems import selectors as problem_selectors

    problem = assigned_problem(world)
    selectors.overview_kept(user=world.office, campaign=world.campaign)
    services.problem_submit_evidence(actor=world.liaison_a, problem=problem, note="已清运")
    assert selectors.overview_kept(user=world.office, campaign=world.campaign).stale
    frozen_today.shift(problem_selectors.RECOUNT_LATE_SECONDS - 10)
    assert selectors.overview_kept(user=world.office, campaign=world.campaign).stale
    # No worker ran: past RECOUNT_LATE_SECONDS the page counts for itself.
    frozen_today.shift(20)
    late = selectors.overview_kept(user=world.office, campaign=world.campaign)
    assert not late.stale
    assert late.value == selectors.problem_figures(user=world.office, campaign=world.campaign)


def test_fast_figures_are_always_counted_afresh_after_a_step(world):
    problem = assigned_problem(world)
    selectors.overview_kept(user=world.office, campaign=world.campaign)
    services.problem_submit_evidence(actor=world.liaison_a, problem=problem, note="已清运")
    again = selectors.overview_kept(user=world.office, campaign=world.campaign)
    assert not again.stale
    assert _queued_recounts() == 0


def test_a_unit_pages_slow_counts_are_counted_again_by_the_worker(world, slow_count):
    from core.worker import run_pending

    problem = assigned_problem(world)
    first = selectors.unit_summary(user=world.liaison_a, campaign=world.campaign, unit=world.unit_a)
    assert first["problem_counts"]["in_hand"] == 1
    services.problem_cancel(actor=world.office, problem=problem, reason="重复登记")
    # Stale, asked of the worker: still the old count until it has counted.
    assert (
        selectors.unit_summary(user=world.liaison_a, campaign=world.campaign, unit=world.unit_a)["problem_counts"]
        == first["problem_counts"]
    )
    assert _queued_recounts() == 2  # its counts, and the units' shared ranking it shows a row of
    run_pending()
    assert (
        selectors.unit_summary(user=world.liaison_a, campaign=world.campaign, unit=world.unit_a)["problem_counts"][
            "in_hand"
        ]
        == 0
    )


def test_slow_hotspots_are_counted_again_by_the_worker_after_a_step(world, slow_count):
    from django_tasks_db.models import DBTaskResult

    from core.worker import run_pending
    from problems.selectors import hotspots_kept

    for _ in range(3):
        closed_problem(world)  # the same site and checkpoint: each after the first a rebound
    first = hotspots_kept(user=world.office, limit=10)
    assert first.value["total"] == 1 and not first.stale
    services.problem_record(
        actor=world.office, campaign=world.campaign, site=world.site_b, criterion=world.checkpoint, description="积水"
    )
    assert hotspots_kept(user=world.office, limit=10).stale
    assert DBTaskResult.objects.filter(task_path="problems.tasks.hotspots_recount").count() == 1
    run_pending()
    fresh = hotspots_kept(user=world.office, limit=10)
    assert not fresh.stale and fresh.value["total"] == 1
