"""The overview and a unit's page, role by role: who may open them (403 for those who see only their
own unit, 404 for a unit that is not theirs), and the figures they show, counted by hand.

Today is 12 May. 东城街道 has a problem overdue since 5 May and one returned for rework; 城管局 has
one closed on time; one problem waits to be assigned."""

import datetime as dt
import json

import pytest
from django.urls import reverse

from bulletins.models import Accountability
from bulletins.services import accountability_record
from campaigns import services as ledger
from campaigns.models import Campaign
from conftest import SHANGHAI, TODAY
from organisation.models import Membership, User
from problems import services
from problems.tests.helpers import assigned_problem, recorded_problem, returned_problem
from tests.factories import MembershipFactory, UserFactory


@pytest.fixture
def scene(world, frozen_today):
    frozen_today.move_to(dt.datetime(2026, 5, 1, 9, 0, tzinfo=SHANGHAI))
    overdue = recorded_problem(world, description="巷口垃圾堆积")
    services.problem_assign(actor=world.office, problem=overdue, unit=world.unit_a, deadline=dt.date(2026, 5, 5))
    frozen_today.move_to(TODAY)
    returned_problem(world)
    closed = recorded_problem(world, site=world.site_b, description="市场地面积水")
    closed = services.problem_assign(
        actor=world.office, problem=closed, unit=world.unit_b, deadline=dt.date(2026, 5, 20)
    )
    closed = services.problem_submit_evidence(actor=world.liaison_b, problem=closed, note="已清扫")
    services.problem_close(actor=world.office, problem=closed, note="复核合格")
    recorded_problem(world, description="待交办")
    frozen_today.move_to(dt.datetime(2026, 4, 1, 9, 0, tzinfo=SHANGHAI))  # set before its deadline
    ledger.task_create(
        actor=world.office,
        campaign=world.campaign,
        criterion=world.criterion,
        milestone=world.compliant,
        title="背街小巷全面保洁",
        lead_unit=world.unit_a,
        responsible=world.liaison_a,
        target_quantity=10,
        target_measure="条",
        deadline=dt.date(2026, 4, 30),
    )
    frozen_today.move_to(TODAY)
    return world


# ---- the overview ----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["office", "office_viewer", "leader"])
def test_the_overview_is_open_to_the_office_and_the_leaders(client, scene, persona):
    client.force_login(getattr(scene, persona))
    response = client.get(reverse("oversight:overview"))
    assert response.status_code == 200
    assert response.context["breakdowns"]["total"] == 4


@pytest.mark.parametrize("persona", ["inspector", "head_a", "liaison_a", "viewer_a", "liaison_b", "outsider"])
def test_the_overview_is_refused_to_everyone_who_sees_only_their_own_units(client, scene, persona):
    client.force_login(getattr(scene, persona))
    assert client.get(reverse("oversight:overview")).status_code == 403


def test_the_overview_ranks_sub_districts_and_departments_apart_with_the_kpi_rates(client, scene):
    client.force_login(scene.leader)
    response = client.get(reverse("oversight:overview"))
    ranking = {str(label): rows for label, rows in response.context["ranking"]}
    drop = {"unit_id", "kind"}
    assert {
        label: [{k: v for k, v in row.items() if k not in drop} for row in rows] for label, rows in ranking.items()
    } == {
        "街道": [
            {
                "unit_code": "SD01",
                "unit": "东城街道",
                "found": 2,
                "in_hand": 2,  # 整改中 + 待复核 + 退回返工, not the status 整改中 alone
                "overdue": 1,
                "closed_on_time": 0,
                "closed_late": 0,
                "reworked": 0,
                "rebounds": 0,
                "rebounded": 0,
                "closed": 0,
                "on_time_rate": None,  # nothing closed: "—", not 0.0 %
                "rework_rate": None,
                "rebound_rate": None,
                "severity": "late",
                "rank": 1,
            }
        ],
        "部门": [
            {
                "unit_code": "DP01",
                "unit": "城管局",
                "found": 1,
                "in_hand": 0,
                "overdue": 0,
                "closed_on_time": 1,
                "closed_late": 0,
                "reworked": 0,
                "rebounds": 0,
                "rebounded": 0,
                "closed": 1,
                "on_time_rate": 100.0,
                "rework_rate": 0.0,
                "rebound_rate": 0.0,
                "severity": "",
                "rank": 1,
            }
        ],
    }
    page = response.content.decode()
    row = page.index(">东城街道</a></td>")
    dongcheng = page[row : page.index("</tr>", row)]
    assert dongcheng.count(">—</td>") == 3 and "%" not in dongcheng
    assert "按期整改率" in page and "期限内销号数 ÷（已销号数 + 逾期未销号数）" in page


def test_the_overview_counts_problems_by_status_and_feeds_its_charts(client, scene):
    client.force_login(scene.office)
    response = client.get(reverse("oversight:overview"))
    breakdowns = response.context["breakdowns"]
    assert {status.value: n for status, n in breakdowns["by_status"]} == {
        "recorded": 1,
        "assigned": 1,
        "submitted": 0,
        "returned": 1,
        "closed": 1,
        "cancelled": 0,
        "merged": 0,
    }
    assert (breakdowns["total"], breakdowns["overdue"], breakdowns["rebounds"]) == (4, 1, 0)
    assert response.context["ledger"]["total"] == 1
    assert [(s.value, n) for s, n in response.context["ledger"]["states"]] == [
        ("not_started", 0),
        ("in_progress", 0),
        ("late", 1),
        ("done", 0),
    ]
    chart = response.context["chart"]
    assert chart["status"][0] == {"name": "待交办", "value": 1}
    assert chart["types"] == [{"name": "背街小巷", "value": 4}]
    assert chart["areas"] == [{"name": "东城街道", "value": 4}]
    page = response.content.decode()
    data = page.split('<script id="overview-data" type="application/json">')[1].split("</script>")[0]
    assert json.loads(data) == chart
    assert f'href="{reverse("oversight:unit", args=["SD01"])}"' in page
    assert f'href="{reverse("problems:list")}?unit={scene.unit_a.pk}&amp;overdue=on" class="cw-text-late">1</a>' in page


def test_without_a_campaign_the_overview_is_not_found(client, world):
    Campaign.objects.all().delete()
    client.force_login(world.office)
    assert client.get(reverse("oversight:overview")).status_code == 404


# ---- a unit's page -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "units"),
    [
        ("office", {"SD01", "DP01", "DP02", "PHC", "LEAD"}),
        ("leader", {"SD01", "DP01", "DP02", "PHC", "LEAD"}),
        ("office_viewer", {"SD01", "DP01", "DP02", "PHC", "LEAD"}),
        ("liaison_a", {"SD01"}),
        ("viewer_a", {"SD01"}),
        ("inspector", {"DP01"}),  # an inspector's own unit, like any member of it
        ("liaison_b", {"DP01"}),
        ("outsider", set()),
    ],
)
def test_a_units_page_opens_for_those_who_see_all_and_for_its_own_people(client, scene, persona, units):
    client.force_login(getattr(scene, persona))
    opened = {
        code
        for code in ("SD01", "DP01", "DP02", "PHC", "LEAD", "NOPE")
        if client.get(reverse("oversight:unit", args=[code])).status_code == 200
    }
    assert opened == units


def test_a_units_page_counts_its_problems_and_tasks_and_lists_its_acting_people(client, scene):
    MembershipFactory(user=UserFactory(username="gone", full_name="已离职", is_active=False), unit=scene.unit_a)
    accountability_record(
        actor=scene.office,
        campaign=scene.campaign,
        unit=scene.unit_a,
        person=scene.deputy_a,
        measure=Accountability.Measure.WARNING,
        reason="整改拖拉",
        decided_on=dt.date(2026, 5, 11),
    )
    ledger.five_in_place_update(
        actor=scene.office, campaign=scene.campaign, unit=scene.unit_a, item="funding", status="in_place"
    )
    # Another unit's records, which the office sees too, stay off 东城街道's page.
    accountability_record(
        actor=scene.office,
        campaign=scene.campaign,
        unit=scene.unit_b,
        measure=Accountability.Measure.CRITICISM,
        reason="推诿扯皮",
        decided_on=dt.date(2026, 5, 11),
    )
    ledger.five_in_place_update(
        actor=scene.office, campaign=scene.campaign, unit=scene.unit_b, item="leadership", status="partial"
    )
    client.force_login(scene.office)
    response = client.get(reverse("oversight:unit", args=["SD01"]))
    assert response.context["problem_counts"] == {
        "in_hand": 2,
        "overdue": 1,
        "escalated": 0,
        "returned": 1,
        "closed": 0,
    }
    assert {state.value: n for state, n in response.context["task_counts"]} == {
        "not_started": 0,
        "in_progress": 0,
        "late": 1,
        "done": 0,
    }
    assert [(item.value, r.status if r else None) for item, r in response.context["five_in_place"]] == [
        ("leadership", None),
        ("personnel", None),
        ("responsibility", None),
        ("funding", "in_place"),
        ("measures", None),
    ]
    # Heads, deputies and liaisons, by role; no viewer, no one who has left.
    assert [(m.role, m.user.get_full_name()) for m in response.context["people"]] == [
        (Membership.Role.DEPUTY, "刘副主任"),
        (Membership.Role.HEAD, "陈主任"),
        (Membership.Role.LIAISON, "周晓"),
    ]
    assert User.objects.filter(username="gone", is_active=False).exists()
    assert [r.reason for r in response.context["accountabilities"]] == ["整改拖拉"]
    page = response.content.decode()
    assert "诫勉谈话" in page and "（刘副主任）" in page and "整改拖拉" in page
    assert f'href="{reverse("problems:list")}?unit={scene.unit_a.pk}&amp;overdue=on"' in page


def test_a_units_page_shows_the_problems_the_viewer_may_see(client, scene):
    # The inspector sees every problem, but 城管局's page counts only 城管局's.
    client.force_login(scene.inspector)
    response = client.get(reverse("oversight:unit", args=["DP01"]))
    assert response.context["problem_counts"] == {
        "in_hand": 0,
        "overdue": 0,
        "escalated": 0,
        "returned": 0,
        "closed": 1,
    }
    assert list(response.context["accountabilities"]) == []


def test_a_units_page_counts_again_after_the_next_step(client, scene):
    # The counts are kept until a transition commits (problems.selectors.until_next_step).
    client.force_login(scene.office)
    before = client.get(reverse("oversight:unit", args=["SD01"])).context["problem_counts"]
    assigned_problem(scene, deadline=dt.date(2026, 6, 1))
    after = client.get(reverse("oversight:unit", args=["SD01"])).context["problem_counts"]
    assert after["in_hand"] == before["in_hand"] + 1


# ---- a unit head's own view (issue 12) ------------------------------------------------------------


@pytest.mark.parametrize("persona", ["head_a", "deputy_a"])
def test_a_unit_head_starts_on_the_units_page(client, scene, persona):
    client.force_login(getattr(scene, persona))
    response = client.get(reverse("home"))
    assert response.url == reverse("oversight:unit", args=[scene.unit_a.code])


def test_the_units_page_leads_into_its_lists_the_map_and_the_late_tasks(client, scene):
    from problems import reminders

    reminders.sweep(TODAY.date())  # the problem overdue since 5 May is escalated to the head
    client.force_login(scene.head_a)
    response = client.get(reverse("oversight:unit", args=[scene.unit_a.code]))
    assert response.context["problem_counts"]["overdue"] == 1
    assert response.context["problem_counts"]["escalated"] == 1
    assert response.context["tasks_late"] == 1
    page = response.content.decode()
    unit = scene.unit_a.pk
    assert "其中 1 个已升级督办" in page
    links = page[page.index('id="cw-unit-links"') : page.index("</nav>", page.index('id="cw-unit-links"'))]
    assert f'{reverse("problems:list")}?unit={unit}"' in links
    assert f'{reverse("problems:map")}?unit={unit}"' in links
    assert f'{reverse("campaigns:ledger")}?unit={unit}&amp;state=late"' in links and "1 项台账任务落后于进度" in links
    # The links lead to lists scoped to the unit that the head may open.
    assert client.get(reverse("problems:list"), {"unit": unit}).status_code == 200
    assert client.get(reverse("campaigns:ledger"), {"unit": unit, "state": "late"}).status_code == 200


def test_a_superuser_without_a_role_lands_on_the_administration(client, world):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(root)
    assert client.get(reverse("home")).url == reverse("admin:index")
