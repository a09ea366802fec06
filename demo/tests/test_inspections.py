"""The demo's inspections (demo.inspections.load_inspection_demo), on top of the demo district."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from demo.district import DEMO_TODAY, demo_load
from demo.inspections import COVERT_PLAN, OPEN_PLAN, TODAY_PLAN, load_inspection_demo
from inspections import sampling
from inspections.models import (
    CovertReadLog,
    Finding,
    Inspection,
    InspectionPhoto,
    InspectionPlan,
    InspectionSchedule,
    SampleDraw,
)
from organisation.models import User

PLANS = {"open": OPEN_PLAN, "covert": COVERT_PLAN, "today": TODAY_PLAN}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo district with its inspections, loaded once for the module."""
    from campaigns.models import Campaign

    with override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("demo-media")), django_db_blocker.unblock():
        demo_load(inspection_day=DEMO_TODAY + dt.timedelta(days=1))  # the demo loads its inspections
        plans = {role: InspectionPlan.objects.get(name=name) for role, name in PLANS.items()}
        assert load_inspection_demo(Campaign.objects.get()) is None  # and does not load them twice
        yield plans
        call_command("flush", interactive=False, verbosity=0)


def test_three_plans_one_of_each_story(demo, db):
    assert {role: (p.name, p.mode, p.kind, p.status) for role, p in demo.items()} == {
        "open": ("十月明查复核", "open", "scheduled", "published"),
        "covert": ("十一月第四周暗访", "covert", "spot_check", "in_progress"),
        "today": ("今日定期督查", "open", "scheduled", "sampled"),
    }
    assert demo["covert"].published_at is None
    assert demo["today"].starts_on == DEMO_TODAY + dt.timedelta(days=1)


def test_the_weekly_routine_rule_has_the_demo_weeks_plan(demo, db):
    schedule = InspectionSchedule.objects.get()
    (plan,) = schedule.plans.all()
    assert (plan.period_start, plan.starts_on, plan.ends_on) == (
        dt.date(2026, 11, 23),
        dt.date(2026, 11, 23),
        dt.date(2026, 11, 27),
    )
    assert plan.status == "sampled"
    # One back street and one farmers' market per sub-district, where it has them.
    assert 0 < plan.targets.count() <= 2 * schedule.areas.count()


def test_the_draws_repeat_from_their_seeds(demo, db):
    for draw in SampleDraw.objects.all():
        assert {s["key"]: [d["code"] for d in s["drawn"]] for s in draw.strata} == sampling.draw_repeat(
            draw.seed, draw.strata
        )
    assert sorted(SampleDraw.objects.values_list("seed", flat=True)) == [
        "20261009",
        "20261120",
        "20261123",
        "20261128",
    ]


def test_the_open_plan_is_fully_inspected_and_its_problems_assigned(demo, db):
    plan = demo["open"]
    assert plan.inspections.count() == plan.targets.count() == 9
    findings = Finding.objects.filter(inspection__plan=plan).select_related("problem")
    assert findings.exists()
    assert all(f.problem.assigned_unit_id == f.problem.site.owner_unit_id for f in findings)
    assert InspectionPhoto.objects.filter(inspection__plan=plan).count() == findings.count()


def test_the_covert_plan_is_hidden_from_the_demo_liaison(demo, db):
    plan = demo["covert"]
    assert 0 < plan.inspections.count() < plan.targets.count()
    liaison = Client()
    liaison.force_login(User.objects.get(username="liaison"))
    assert liaison.get(f"/inspections/plans/{plan.uuid}/").status_code == 404
    office = Client()
    office.force_login(User.objects.get(username="office"))
    assert office.get(f"/inspections/plans/{plan.uuid}/").status_code == 200
    assert CovertReadLog.objects.filter(plan=plan, user__username="office").count() == 1


def test_the_demo_inspector_has_today_s_sites(demo, db):
    from inspections.selectors import today_sites

    rows = today_sites(user=User.objects.get(username="inspector"), day=DEMO_TODAY + dt.timedelta(days=1))
    assert [row.plan.name for row in rows] == ["今日定期督查"] * 4
    assert not any(row.done for row in rows)
    # sites the covert team visited in the last 30 days were left out of the draw
    covert_sites = set(Inspection.objects.filter(plan=demo["covert"]).values_list("site__code", flat=True))
    assert not covert_sites & {row.site.code for row in rows}


def test_loading_again_changes_nothing(demo, db):
    from campaigns.models import Campaign

    before = (InspectionPlan.objects.count(), Inspection.objects.count())
    assert load_inspection_demo(Campaign.objects.get()) is None
    assert (InspectionPlan.objects.count(), Inspection.objects.count()) == before
