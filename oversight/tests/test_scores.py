"""The units' monthly score (考核): each indicator against problems placed by hand in known months,
the composite under the weights in force, versions that never change a past month, who may set
them, and the page."""

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.urls import reverse

from core.errors import InvalidInput, NotAllowed
from core.models import SecurityEvent
from oversight import scores, services
from oversight.models import ScoreWeights
from problems import services as problem_services
from problems.tests.helpers import photo

SH = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=SH)


def _problem(world, clock, *, found, deadline, closed=None, returned=False, reassign_on=None):
    """Found and assigned to unit A on `found`; optionally reassigned to unit B on `reassign_on`,
    returned once and closed on `closed`, each step at that moment of the frozen clock."""
    clock.move_to(at(found))
    problem = problem_services.problem_record(
        actor=world.office, campaign=world.campaign, site=world.site, criterion=world.checkpoint, description="积水"
    )
    problem = problem_services.problem_assign(
        actor=world.office, problem=problem, unit=world.unit_a, deadline=dt.date.fromisoformat(deadline)
    )
    if reassign_on:
        clock.move_to(at(reassign_on))
        problem = problem_services.problem_reassign(
            actor=world.office, problem=problem, unit=world.unit_b, reason="职责在城管", deadline=problem.deadline
        )
    if closed:
        clock.move_to(at(closed, 9))
        problem = problem_services.problem_submit_evidence(
            actor=world.liaison_a, problem=problem, note="已清理", files=[photo()]
        )
        if returned:
            problem = problem_services.problem_return(actor=world.inspector, problem=problem, reason="不彻底")
            problem = problem_services.problem_submit_evidence(
                actor=world.liaison_a, problem=problem, note="再次清理", files=[photo()]
            )
        clock.move_to(at(closed, 15))
        problem = problem_services.problem_close(actor=world.inspector, problem=problem, note="合格")
    return problem


@pytest.fixture
def april(world, frozen_today):
    """Unit A in April 2026: three problems due in April (one closed on time, one closed late in
    May after a return, one still open), one due in May, one reassigned away in April."""
    _problem(world, frozen_today, found="2026-04-01", deadline="2026-04-10", closed="2026-04-08")
    _problem(world, frozen_today, found="2026-04-02", deadline="2026-04-20", closed="2026-05-03", returned=True)
    _problem(world, frozen_today, found="2026-04-03", deadline="2026-04-25")
    _problem(world, frozen_today, found="2026-04-20", deadline="2026-05-15")
    _problem(world, frozen_today, found="2026-04-05", deadline="2026-04-28", reassign_on="2026-04-06")
    frozen_today.move_to(at("2026-05-12"))


def _row(world, first, *, user=None):
    ranking = scores.month_ranking(scores.scope(world.campaign, user=user or world.office), first=first)
    for kind in ("subdistrict", "department"):
        for row in ranking[kind]:
            if row["unit_id"] == world.unit_a.pk:
                return row, ranking
    raise AssertionError("unit A not ranked")


def test_the_month_counts_by_hand(world, april):
    row, _ = _row(world, dt.date(2026, 4, 1))
    assert row["due"] == 3  # due 04-10, 04-20, 04-25 (the reassigned one belongs to unit B now)
    assert row["closed_of_due"] == 1 and row["closure_rate"] == 33.3  # only the 04-08 one by April's end
    assert row["on_time_of_due"] == 1 and row["on_time_rate"] == 33.3
    assert row["closed"] == 1 and row["rework_rate"] == 0.0  # closed in April: the on-time one
    assert row["reassigned"] == 1
    assert row["overdue"] == 2  # at April's end: due 04-20 (closed 05-03) and 04-25 (open)
    assert row["average_days"] == 7.2  # 04-01 10:00 to 04-08 15:00
    # Found 04-20 at the site and checkpoint of the one closed 04-08: a rebound, over 1 closed.
    assert row["rebounds"] == 1 and row["rebound_rate"] == 100.0
    # (30 × 33.3 + 40 × 33.3 + 15 × (100 − 0) + 15 × (100 − 100)) / 100 − 1 × 1 − 0.5 × 2 = 38.31 − 2
    assert row["score"] == 36.3


def test_may_counts_the_late_closure_and_its_rework(world, april):
    row, _ = _row(world, dt.date(2026, 5, 1))
    assert row["due"] == 1 and row["closure_rate"] == 0.0  # due 05-15, open; May runs on (today 05-12)
    assert row["closed"] == 1 and row["rework_rate"] == 100.0  # 04-20's, closed 05-03 after a return
    assert row["overdue"] == 1  # now: the 04-25 one; 05-15 is not yet due


def test_new_weights_change_this_month_and_never_a_past_one(world, april):
    before, _ = _row(world, dt.date(2026, 4, 1))
    services.score_weights_set(
        actor=world.office, effective_from=dt.date(2026, 5, 20),
        closure=0, on_time=100, rework=0, rebound=0, per_reassign=0, per_overdue=0,
    )  # fmt: skip
    after_april, _ = _row(world, dt.date(2026, 4, 1))
    assert after_april["score"] == before["score"] == 36.3
    may, ranking = _row(world, dt.date(2026, 5, 1))
    assert ranking["weights"]["version"].effective_from == dt.date(2026, 5, 1)
    assert may["score"] == 0.0  # on time 0 % of what was due in May
    log = SecurityEvent.objects.get(kind=SecurityEvent.Kind.CHANGE, summary__startswith="考核权重")
    assert log.details["before"]["on_time"] == "40" and log.details["after"]["on_time"] == "100"


def test_weights_for_a_past_month_or_by_others_are_refused(world, april):
    weights = dict(closure=25, on_time=25, rework=25, rebound=25, per_reassign=1, per_overdue=1)
    with pytest.raises(InvalidInput, match="只能从本月或以后"):
        services.score_weights_set(actor=world.office, effective_from=dt.date(2026, 4, 1), **weights)
    with pytest.raises(NotAllowed):
        services.score_weights_set(actor=world.liaison_a, effective_from=dt.date(2026, 6, 1), **weights)
    with pytest.raises(InvalidInput, match="不能都为 0"):
        services.score_weights_set(
            actor=world.office, effective_from=dt.date(2026, 6, 1),
            closure=0, on_time=0, rework=0, rebound=0, per_reassign=1, per_overdue=1,
        )  # fmt: skip
    assert not ScoreWeights.objects.exists()


def test_units_are_ranked_by_kind_and_a_unit_without_problems_has_no_score(world, april):
    _, ranking = _row(world, dt.date(2026, 4, 1))
    b = next(r for r in ranking["department"] if r["unit_id"] == world.unit_b.pk)
    # unit B got the reassigned problem (due 04-28, open): due 1, overdue 1
    assert (b["due"], b["overdue"], b["closure_rate"]) == (1, 1, 0.0)
    quiet = [
        r
        for r in ranking["subdistrict"] + ranking["department"]
        if r["unit_id"] not in (world.unit_a.pk, world.unit_b.pk)
    ]
    assert all(r["score"] is None and r["rank"] is None for r in quiet)


def test_the_page_ranks_shows_a_units_months_and_lets_the_office_set_weights(client, world, april):
    client.force_login(world.office)
    page = client.get(reverse("oversight:scores"), {"month": "2026-04", "unit": world.unit_a.pk})
    html = page.content.decode()
    assert page.status_code == 200
    assert "36.3" in html and "本月按默认权重计分" in html
    assert "逐月得分" in html and "2026-05" in html
    answer = client.post(
        reverse("oversight:scores") + "?month=2026-05",
        {"effective_from": "2026-06", "closure": "25", "on_time": "25", "rework": "25", "rebound": "25",
         "per_reassign": "2", "per_overdue": "1"},
    )  # fmt: skip
    assert answer.status_code == 302
    assert ScoreWeights.objects.get().per_reassign == Decimal("2")
    client.force_login(world.liaison_a)
    assert client.get(reverse("oversight:scores")).status_code == 200
    assert "调整考核权重" not in client.get(reverse("oversight:scores")).content.decode()
    assert client.post(reverse("oversight:scores"), {"closure": "1"}).status_code == 403
