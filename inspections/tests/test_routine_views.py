"""The office's screens of long-term management: the recurring rules (list, new, change) and the
coverage page."""

from django.urls import reverse

from core.models import SecurityEvent
from inspections.models import InspectionSchedule
from inspections.tests.helpers import drawn_plan, submit, with_checklist
from tests.factories import SiteFactory


def valid(world, **change):
    return {
        "name": "每周背街小巷暗访",
        "period": "weekly",
        "rule": "sample",
        "count": "2",
        "interval_weeks": "",
        "mode": "covert",
        "window_days": "5",
        "is_active": "on",
        "site_types": [world.site.site_type.pk],
        "areas": [world.east.pk],
        "members": [world.inspector.pk, world.office.pk],
    } | change


def test_the_office_sets_a_rule_and_changes_it(client, world):
    client.force_login(world.office)
    assert client.get(reverse("inspections:schedule_create")).status_code == 200
    response = client.post(reverse("inspections:schedule_create"), valid(world), follow=True)
    assert "常态检查规则「每周背街小巷暗访」已保存" in response.content.decode()
    schedule = InspectionSchedule.objects.get()
    assert (schedule.period, schedule.rule, schedule.count, schedule.mode) == ("weekly", "sample", 2, "covert")
    assert list(schedule.members.order_by("username")) == [world.inspector, world.office]
    edit = reverse("inspections:schedule_edit", args=[schedule.uuid])
    page = client.get(edit).content.decode()
    assert 'value="每周背街小巷暗访"' in page
    client.post(edit, valid(world, rule="coverage", count="", interval_weeks="4", period="monthly"))
    schedule.refresh_from_db()
    assert (schedule.period, schedule.rule, schedule.count, schedule.interval_weeks) == ("monthly", "coverage", 0, 4)
    assert SecurityEvent.objects.filter(kind="change", summary__contains="常态检查规则").count() == 2
    listing = client.get(reverse("inspections:schedules")).content.decode()
    assert "每个点位至少每 4 周检查一次" in listing


def test_an_incomplete_rule_is_refused_in_chinese_and_nothing_is_stored(client, world):
    client.force_login(world.office)
    response = client.post(reverse("inspections:schedule_create"), valid(world, rule="coverage", count=""))
    assert response.status_code == 400
    assert "定期全覆盖须填写覆盖周期（周）" in response.content.decode()
    assert not InspectionSchedule.objects.exists()


def test_only_the_office_edits_rules_and_units_see_no_rules_or_coverage(client, world):
    for persona in ("leader", "office_viewer"):
        client.force_login(getattr(world, persona))
        assert client.get(reverse("inspections:schedules")).status_code == 200
        assert client.get(reverse("inspections:coverage")).status_code == 200
        assert client.post(reverse("inspections:schedule_create"), valid(world)).status_code == 403
    for persona in ("head_a", "liaison_a", "inspector"):
        client.force_login(getattr(world, persona))
        assert client.get(reverse("inspections:schedules")).status_code == 403
        assert client.get(reverse("inspections:coverage")).status_code == 403
    assert not InspectionSchedule.objects.exists()


def test_the_coverage_page_lists_uncovered_sites_a_page_at_a_time_with_counts(client, world):
    with_checklist(world)
    plan = drawn_plan(world, count=2)
    submit(world, plan, site=world.site)
    for n in range(3, 58):
        SiteFactory(code=f"BS-{n:04d}", name=f"巷{n}", area=world.community, site_type=world.site.site_type)
    client.force_login(world.office)
    response = client.get(reverse("inspections:coverage"))
    assert response.context["total"] == 56  # BS-0002 and the 55 new ones, never inspected
    assert len(response.context["sites"]) == 50
    assert response.context["by_subdistrict"] == [{"area": world.east, "count": 56}]
    assert "BS-0001" not in response.content.decode()
    second = client.get(reverse("inspections:coverage") + "?page=2")
    assert [s.code for s in second.context["sites"]] == [f"BS-{n:04d}" for n in range(52, 58)]


def test_a_recurring_plans_page_explains_how_to_repeat_its_preferring_draw(client, world):
    from inspections.services import routine

    with_checklist(world)
    client.force_login(world.office)
    client.post(reverse("inspections:schedule_create"), valid(world))
    (plan,) = routine.schedule_run()
    page = client.get(reverse("inspections:plan", args=[plan.uuid])).content.decode()
    assert "本计划由常态检查规则生成" in page
    assert f'rng = random.Random("{plan.draws.get().seed}/' in page
