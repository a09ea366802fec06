"""Long-term management on the oversight pages: the office switches a campaign to 长效 after its
last milestone (refused before, audited), the overview then shows the routine's measures instead
of the milestone bars, and rebound hotspots are listed on the overview and on the unit's page."""

import pytest
import time_machine
from django.urls import reverse

from campaigns.models import Campaign, LedgerEvent
from campaigns.services import campaign_enter_routine
from conftest import TODAY
from core.errors import InvalidInput, NotAllowed
from inspections.services import routine
from inspections.tests.helpers import with_checklist
from problems.tests.helpers import closed_problem

AFTER_LAST = TODAY.replace(month=7, day=1)  # the last milestone (通过省级暗访) is due on 30 June


def test_the_switch_is_refused_before_the_last_milestone_and_writes_nothing(world):
    with time_machine.travel(TODAY.replace(month=6, day=30, hour=23), tick=False):
        with pytest.raises(InvalidInput, match="最后一个时间节点「通过省级暗访」（2026年6月30日）过后才能转入长效管理"):
            campaign_enter_routine(actor=world.office, campaign=world.campaign)
    world.campaign.refresh_from_db()
    assert world.campaign.phase == Campaign.Phase.CAMPAIGN
    assert not LedgerEvent.objects.filter(action=LedgerEvent.Action.PHASE_CHANGED).exists()


def test_only_the_office_switches_and_only_once(world):
    with time_machine.travel(AFTER_LAST, tick=False):
        for persona in ("leader", "head_a", "inspector", "office_viewer"):
            with pytest.raises(NotAllowed):
                campaign_enter_routine(actor=getattr(world, persona), campaign=world.campaign)
        campaign_enter_routine(actor=world.office, campaign=world.campaign, note="复审通过")
        with pytest.raises(InvalidInput, match="已处于长效管理阶段"):
            campaign_enter_routine(actor=world.office, campaign=world.campaign)
    world.campaign.refresh_from_db()
    assert world.campaign.phase == Campaign.Phase.ROUTINE
    (event,) = LedgerEvent.objects.filter(action=LedgerEvent.Action.PHASE_CHANGED)
    assert (event.actor, event.milestone, event.note) == (world.office, world.covert, "复审通过")
    assert (event.before, event.after) == ({"phase": "campaign"}, {"phase": "routine"})


def test_a_campaign_without_milestones_cannot_switch(world):
    world.campaign.milestones.all().delete()
    with pytest.raises(InvalidInput, match="尚无时间节点"):
        campaign_enter_routine(actor=world.office, campaign=world.campaign)


def test_the_overview_offers_the_switch_after_the_last_milestone_and_then_shows_the_routine(client, world):
    with_checklist(world)
    for _ in range(3):
        closed_problem(world)  # 幸福巷: two rebounds, a hotspot
    client.force_login(world.office)
    page = client.get(reverse("oversight:overview")).content.decode()
    assert "转入长效管理" not in page  # before the last milestone
    assert "时间节点" in page
    with time_machine.travel(AFTER_LAST, tick=False):
        routine.schedule_create(
            actor=world.office,
            campaign=world.campaign,
            name="每周背街小巷",
            period="weekly",
            rule="sample",
            count=1,
            interval_weeks=None,
            mode="open",
            window_days=5,
            is_active=True,
            site_types=[world.site.site_type],
            areas=[world.east],
            members=[world.inspector, world.office],
        )
        routine.schedule_run()
        client.force_login(world.office)  # a new session: the first one expired in seven weeks
        page = client.get(reverse("oversight:overview")).content.decode()
        assert "转入长效管理" in page
        response = client.post(reverse("oversight:enter_routine"), follow=True)
        assert "已转入长效管理阶段" in response.content.decode()
        response = client.get(reverse("oversight:overview"))
    page = response.content.decode()
    assert response.context["milestones"] == []
    assert 'id="h-milestones"' not in page
    measures = response.context["routine"]
    # 幸福巷 drawn (a hotspot, and never inspected): one site drawn, none done yet.
    assert (measures["schedules"], measures["drawn"], measures["done"]) == (1, 1, 0)
    assert measures["uncovered"] == 2  # neither site has ever been inspected
    assert [p.name for p in measures["plans"]] == ["每周背街小巷（2026年6月29日—2026年7月5日）"]
    hot = response.context["hotspots"]
    assert hot["total"] == 1
    assert [(h.site.code, h.rebounds, h.problems) for h in hot["rows"]] == [("BS-0001", 2, 3)]
    assert "反弹热点" in page and "幸福巷" in page


def test_the_unit_page_lists_its_own_hotspots_only(client, world):
    for _ in range(3):
        closed_problem(world)
    client.force_login(world.office)
    assert client.get(reverse("oversight:unit", args=[world.unit_a.code])).context["hotspots"]["total"] == 1
    assert client.get(reverse("oversight:unit", args=[world.unit_b.code])).context["hotspots"]["total"] == 0


def test_the_switch_is_a_post_for_the_office(client, world):
    client.force_login(world.office)
    assert client.get(reverse("oversight:enter_routine")).status_code == 405
    with time_machine.travel(AFTER_LAST, tick=False):
        client.force_login(world.leader)
        response = client.post(reverse("oversight:enter_routine"), follow=True)
    assert "只有爱卫办" in response.content.decode()
    world.campaign.refresh_from_db()
    assert world.campaign.phase == Campaign.Phase.CAMPAIGN


def test_the_map_draws_hotspots_as_their_own_layer(client, world):
    world.site.latitude, world.site.longitude = 34.75, 113.65
    world.site.save(update_fields=["latitude", "longitude"])
    for _ in range(3):
        closed_problem(world)
    client.force_login(world.office)
    data = client.get(reverse("problems:map_data") + "?status=assigned").json()
    assert data["features"] == []  # the filter leaves out the closed problems, not the hotspot
    assert data["hotspots"] == [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [113.65, 34.75]},
            "properties": {"site": "幸福巷", "problems": 3, "rebounds": 2},
        }
    ]
    client.force_login(world.liaison_b)  # 城管局 sees none of 东城街道's problems
    assert client.get(reverse("problems:map_data")).json()["hotspots"] == []
