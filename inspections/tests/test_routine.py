"""Long-term management (长效管理): recurring schedules make exactly one plan per period (two
workers, a rerun), their periods follow the calendar in Asia/Shanghai, coverage lists the sites
supervision has not reached and the draw takes them first, hotspots are found and announced once."""

import datetime as dt
import threading

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from conftest import TODAY
from core.errors import InvalidInput, NotAllowed
from core.models import SecurityEvent
from inspections import coverage, sampling, services
from inspections.models import HotspotNotice, InspectionPlan, InspectionSchedule, SampleDraw
from inspections.services import routine
from inspections.tests.helpers import drawn_plan, submit, with_checklist
from notifications.models import Message
from problems import hotspots
from problems.tests.helpers import closed_problem, recorded_problem
from tests.factories import SiteFactory

DAY = TODAY.date()  # Tuesday 12 May 2026


def schedule(world, **fields) -> InspectionSchedule:
    values = {
        "name": "每周背街小巷暗访",
        "period": InspectionSchedule.Period.WEEKLY,
        "rule": InspectionSchedule.Rule.SAMPLE,
        "count": 1,
        "interval_weeks": None,
        "mode": InspectionPlan.Mode.COVERT,
        "window_days": 5,
        "is_active": True,
    } | fields
    return routine.schedule_create(
        actor=world.office,
        campaign=world.campaign,
        site_types=[world.site.site_type],
        areas=[world.east],
        members=[world.inspector, world.office],
        **values,
    )


# ---- periods in Asia/Shanghai ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment_utc", "period", "start", "end"),
    [
        # Sunday 23:59 in Shanghai is still the week that began on Monday 11 May.
        (dt.datetime(2026, 5, 17, 15, 59, tzinfo=dt.UTC), "weekly", dt.date(2026, 5, 11), dt.date(2026, 5, 17)),
        # 16:00 UTC on Sunday is Monday 00:00 in Shanghai: the new week.
        (dt.datetime(2026, 5, 17, 16, 0, tzinfo=dt.UTC), "weekly", dt.date(2026, 5, 18), dt.date(2026, 5, 24)),
        (dt.datetime(2026, 5, 31, 15, 59, tzinfo=dt.UTC), "monthly", dt.date(2026, 5, 1), dt.date(2026, 5, 31)),
        (dt.datetime(2026, 5, 31, 16, 0, tzinfo=dt.UTC), "monthly", dt.date(2026, 6, 1), dt.date(2026, 6, 30)),
        (dt.datetime(2028, 2, 10, 4, 0, tzinfo=dt.UTC), "monthly", dt.date(2028, 2, 1), dt.date(2028, 2, 29)),
    ],
)
def test_a_period_follows_the_calendar_in_shanghai(world, moment_utc, period, start, end):
    sched = schedule(world, period=period)
    with time_machine.travel(moment_utc, tick=False):
        (plan,) = routine.schedule_run()
    assert (plan.period_start, plan.starts_on) == (start, start)
    assert plan.ends_on == min(end, start + dt.timedelta(days=4))
    assert plan.schedule == sched


# ---- one plan per period --------------------------------------------------------------------


def test_a_schedule_makes_one_drawn_plan_per_period_and_a_rerun_makes_none(world):
    with_checklist(world)
    sched = schedule(world)
    (plan,) = routine.schedule_run()
    assert plan.status == InspectionPlan.Status.SAMPLED
    assert plan.mode == InspectionPlan.Mode.COVERT
    assert plan.kind == InspectionPlan.Kind.SCHEDULED
    assert sorted(m.user.username for m in plan.team.all()) == ["liqiang", "wangfang"]
    assert plan.targets.count() == 1
    assert routine.schedule_run() == []
    call_command("run_schedules", stdout=open("/dev/null", "w"))
    assert InspectionPlan.objects.filter(schedule=sched).count() == 1
    with time_machine.travel(TODAY + dt.timedelta(days=7), tick=False):
        (following,) = routine.schedule_run()
    assert following.period_start == dt.date(2026, 5, 18)
    assert InspectionPlan.objects.filter(schedule=sched).count() == 2


def test_an_inactive_schedule_makes_nothing(world):
    schedule(world, is_active=False)
    assert routine.schedule_run() == []


def test_a_schedule_whose_editor_left_the_office_is_skipped_and_the_others_run(world):
    first = schedule(world)
    second = schedule(world, name="每月农贸市场")
    InspectionSchedule.objects.filter(pk=first.pk).update(updated_by=world.liaison_a)
    (plan,) = routine.schedule_run()
    assert plan.schedule == second


def test_two_workers_at_the_same_moment_make_one_plan(transactional_db, world):
    sched = schedule(world)
    barrier = threading.Barrier(2)
    answers, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            with time_machine.travel(TODAY, tick=False):
                answers.append(routine.schedule_plan(schedule=sched))
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(created for _plan, created in answers) == [False, True]
    assert {plan.pk for plan, _created in answers} == set(
        InspectionPlan.objects.filter(schedule=sched).values_list("pk", flat=True)
    )
    assert SampleDraw.objects.filter(plan__schedule=sched).count() == 1


# ---- the office's screen --------------------------------------------------------------------


def test_only_the_office_sets_schedules_and_every_change_is_logged(world):
    with pytest.raises(NotAllowed):
        routine.schedule_create(
            actor=world.head_a,
            campaign=world.campaign,
            site_types=[world.site.site_type],
            areas=[world.east],
            members=[world.inspector],
            name="x",
            period="weekly",
            rule="sample",
            count=1,
            mode="open",
            window_days=5,
        )
    sched = schedule(world)
    routine.schedule_update(
        actor=world.office,
        schedule=sched,
        site_types=[world.site.site_type],
        areas=[world.east],
        members=[world.inspector, world.office],
        name=sched.name,
        period="monthly",
        rule="coverage",
        count=0,
        interval_weeks=4,
        mode="open",
        window_days=10,
        is_active=True,
    )
    events = list(SecurityEvent.objects.filter(kind=SecurityEvent.Kind.CHANGE).order_by("chain_seq"))
    assert [e.summary for e in events] == ["新建常态检查规则：每周背街小巷暗访", "修改常态检查规则：每周背街小巷暗访"]
    assert events[1].details["before"]["period"] == "weekly"
    assert events[1].details["after"]["period"] == "monthly"
    assert events[1].details["after"]["interval_weeks"] == 4


def test_a_rule_must_be_complete(world):
    with pytest.raises(InvalidInput, match="覆盖周期"):
        schedule(world, rule="coverage", interval_weeks=None)
    with pytest.raises(InvalidInput, match="抽取数量"):
        schedule(world, count=0)
    with pytest.raises(InvalidInput, match="检查时限"):
        schedule(world, window_days=0)


# ---- coverage -------------------------------------------------------------------------------


def test_coverage_lists_sites_never_inspected_or_past_their_interval(world):
    with_checklist(world)
    plan = drawn_plan(world, count=2)
    submit(world, plan, site=world.site, at=TODAY - dt.timedelta(weeks=5))
    submit(world, plan, site=world.site_b)
    third = SiteFactory(code="BS-0003", name="和平里", area=world.community, site_type=world.site.site_type)
    # No coverage rule for the type: only the never-inspected site is listed.
    assert [s.code for s in coverage.uncovered()] == ["BS-0003"]
    schedule(world, rule="coverage", interval_weeks=4, count=0)
    listed = list(coverage.uncovered())
    assert [(s.code, s.last_inspected is None) for s in listed] == [("BS-0003", True), ("BS-0001", False)]
    assert coverage.by_subdistrict(coverage.uncovered()) == [{"area": world.east, "count": 2}]
    assert coverage.uncovered_reasons() == {third.pk: "never", world.site.pk: "overdue"}


def test_a_coverage_rule_draws_the_share_that_keeps_the_pace(world):
    assert routine.coverage_count(10, period_days=7, interval_weeks=4) == 3
    assert routine.coverage_count(10, period_days=31, interval_weeks=4) == 10
    assert routine.coverage_count(0, period_days=7, interval_weeks=4) == 0
    assert routine.coverage_count(3, period_days=7, interval_weeks=1) == 3


# ---- the draw prefers uncovered sites and hotspots ------------------------------------------

CODES = [f"BS-{n:04d}" for n in range(1, 13)]


def test_preferred_sites_are_drawn_first_then_the_rest_at_random():
    preferred = ["BS-0003", "BS-0009"]
    drawn = sampling.draw_stratum("42", "k", CODES, 5, preferred)
    assert sorted(drawn[:2]) == preferred
    assert len(set(drawn)) == 5
    # Fewer places than preferred sites: only preferred ones, chosen at random among them.
    assert set(sampling.draw_stratum("42", "k", CODES, 1, preferred)) <= set(preferred)


def test_with_nothing_preferred_the_draw_is_the_documented_one_liner():
    import random

    assert sampling.draw_stratum("123", "k", CODES, 4, ()) == random.Random("123/k").sample(sorted(CODES), 4)


def test_a_preferring_draw_is_repeatable_from_its_record():
    record = [
        {
            "key": "k",
            "count": 4,
            "candidates": [
                {"code": c, **({"preferred": "overdue"} if c in ("BS-0002", "BS-0011") else {})} for c in CODES
            ],
        }
    ]
    first = sampling.draw_repeat("9", record)
    assert first == sampling.draw_repeat("9", record)
    assert sorted(first["k"][:2]) == ["BS-0002", "BS-0011"]


def test_every_other_site_stays_equally_likely_after_the_preferred_ones():
    from collections import Counter

    counts = Counter()
    for seed in range(3000):
        counts.update(sampling.draw_stratum(str(seed), "k", CODES, 3, ["BS-0001"])[1:])
    assert counts["BS-0001"] == 0
    others = [counts[c] for c in CODES[1:]]
    expected = 3000 * 2 / 11
    assert max(abs(n - expected) / expected for n in others) < 0.15


def test_the_recurring_draw_takes_the_uncovered_site_and_records_why(world):
    with_checklist(world)
    plan = drawn_plan(world, count=2)
    submit(world, plan, site=world.site)  # BS-0001 inspected today; BS-0002 never
    sched = schedule(world, rule="coverage", interval_weeks=4, count=0)
    # 2 sites every 4 weeks: 1 this week, and it must be the never-inspected one, whatever the seed.
    (made,) = routine.schedule_run()
    assert [t.site.code for t in made.targets.all()] == ["BS-0002"]
    (draw,) = made.draws.all()
    candidates = {c["code"]: c.get("preferred") for c in draw.strata[0]["candidates"]}
    assert candidates == {"BS-0001": None, "BS-0002": "never"}
    assert sampling.draw_repeat(draw.seed, draw.strata) == {draw.strata[0]["key"]: ["BS-0002"]}
    assert made.schedule == sched


def test_the_recurring_draw_takes_a_hotspot_first(world):
    with_checklist(world)
    plan = drawn_plan(world, count=2)
    submit(world, plan, site=world.site)
    submit(world, plan, site=world.site_b)  # both covered: only the hotspot is preferred
    for _ in range(3):
        closed_problem(world, site=world.site_b)
    schedule(world, count=1)
    (made,) = routine.schedule_run()
    assert [t.site.code for t in made.targets.all()] == ["BS-0002"]
    assert made.draws.get().strata[0]["candidates"][1]["preferred"] == "hotspot"


# ---- hotspots -------------------------------------------------------------------------------


def test_two_rebounds_in_the_window_make_a_hotspot_one_does_not(world):
    closed_problem(world)
    closed_problem(world)  # a rebound of the first
    assert hotspots.hotspot_site_ids() == set()
    closed_problem(world)  # the second rebound
    (spot,) = hotspots.hotspots()
    assert (spot.site, spot.problems, spot.rebounds) == (world.site, 3, 2)


@override_settings(HOTSPOT_PROBLEMS=3)
def test_enough_problems_make_a_hotspot_and_old_ones_fall_out_of_the_window(world):
    with time_machine.travel(TODAY - dt.timedelta(days=200), tick=False):
        recorded_problem(world, description="一")
    recorded_problem(world, description="二")
    recorded_problem(world, description="三")
    assert hotspots.hotspot_site_ids() == set()
    recorded_problem(world, description="四")
    assert hotspots.hotspot_site_ids() == {world.site.pk}


def test_a_hotspot_is_announced_to_the_owner_units_head_once_per_window(world):
    for _ in range(3):
        closed_problem(world)
    (notice,) = routine.hotspots_announce()
    assert (notice.site, notice.rebounds) == (world.site, 2)
    assert routine.hotspots_announce() == []
    call_command("run_schedules", stdout=open("/dev/null", "w"))
    messages = Message.objects.filter(rule="hotspot")
    assert {m.recipient for m in messages} == {world.head_a}
    assert messages.filter(channel="inbox").count() == 1
    assert "幸福巷" in messages.first().subject
    # After the window the same hotspot, still a hotspot, is announced again.
    with time_machine.travel(TODAY + dt.timedelta(days=181), tick=False):
        for _ in range(3):
            closed_problem(world, deadline=dt.date(2026, 11, 30))
        assert len(routine.hotspots_announce()) == 1
    assert HotspotNotice.objects.count() == 2


def test_an_unpublished_covert_plans_findings_are_not_announced_to_the_unit(world):
    from inspections.tests.helpers import record_finding

    with_checklist(world)
    covert = drawn_plan(world, count=2)  # covert, not published
    with override_settings(HOTSPOT_PROBLEMS=3, HOTSPOT_REBOUNDS=9):
        record_finding(world, submit(world, covert, site=world.site_b))
        for description in ("一", "二"):
            recorded_problem(world, site=world.site_b, description=description)
        assert hotspots.hotspot_site_ids() == {world.site_b.pk}  # 3, counting the covert finding
        assert routine.hotspots_announce() == []  # only 2 that 城管局 may know of
        assert not Message.objects.filter(rule="hotspot").exists()
        covert.refresh_from_db()
        services.plan_publish(actor=world.office, plan=covert)
        (notice,) = routine.hotspots_announce()
    assert (notice.site, notice.problems) == (world.site_b, 3)
