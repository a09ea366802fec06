"""What a draft bulletin says beyond the figures: 督查概况 from the period's inspection plans, 存在问题
by area of the standard, 上期问题整改情况, and the note on covert findings left out."""

import datetime as dt

import pytest
from django.urls import reverse

from bulletins import content, services
from inspections import services as inspection_services
from inspections.models import InspectionPlan
from inspections.tests.helpers import drawn_plan, record_finding, submit, with_checklist
from problems.models import Problem
from problems.tests.helpers import assigned_problem, closed_problem

START, END = dt.date(2026, 5, 1), dt.date(2026, 5, 31)


def draft(world, start=START, end=END):
    return services.bulletin_create(actor=world.office, campaign=world.campaign, period_start=start, period_end=end)


@pytest.fixture
def inspected(world, frozen_today):
    """An open plan with one inspection (one checkpoint failed, one passed), and a covert plan
    whose results are not published."""
    with_checklist(world)
    plan = drawn_plan(world, mode=InspectionPlan.Mode.OPEN, name="五月明查")
    submit(world, plan)
    drawn_plan(world, name="五月暗访")
    return plan


def test_the_overview_is_drafted_from_the_periods_inspection_plans(world, inspected):
    bulletin = draft(world)
    assert bulletin.overview == (
        "本期区爱卫办组织开展督查1轮（明查1轮、暗访0轮），时间为2026年5月12日至2026年5月18日，"
        "范围覆盖东城街道，共抽取点位2个（背街小巷2个）。督导组由2个单位2名同志组成，"
        "共完成现场检查1次，检查要点合格率50%。"
    )
    # It is the draft's text: the office may change it, and the document says what they wrote.
    services.bulletin_edit(
        actor=world.office,
        bulletin=bulletin,
        title=bulletin.title,
        lead=bulletin.lead,
        closing=bulletin.closing,
        criticise_overdue_at=3,
        overview="本期督查共1轮。\n重点检查背街小巷。",
    )
    bulletin.refresh_from_db()
    assert services.bulletin_content_now(bulletin)["overview"] == ["本期督查共1轮。", "重点检查背街小巷。"]


def test_a_covert_plan_counts_once_its_results_are_published(world, inspected):
    covert = InspectionPlan.objects.get(name="五月暗访")
    inspection_services.plan_publish(actor=world.office, plan=covert)
    assert "督查2轮（明查1轮、暗访1轮）" in draft(world).overview


def test_no_plan_in_the_period_leaves_the_overview_empty(world, inspected):
    assert draft(world, dt.date(2026, 4, 1), dt.date(2026, 4, 30)).overview == ""


def test_problems_are_grouped_by_area_of_the_standard_with_examples(world, frozen_today):
    for text in ("巷口垃圾堆积", "墙面乱贴乱画", "路面积水", "绿化带内有建筑垃圾"):
        assigned_problem(world, description=text)
    issues = services.bulletin_content_now(draft(world))["issues"]
    assert len(issues) == 1
    group = issues[0]
    assert (group["code"], group["name"], group["count"]) == ("3", "市容环境卫生", 4)
    assert len(group["examples"]) == 3
    assert all(example.startswith("幸福巷") for example in group["examples"])


def test_the_previous_periods_problems_are_followed_up(world, frozen_today):
    frozen_today.move_to(dt.datetime(2026, 4, 10, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    closed_problem(world)
    assigned_problem(world, deadline=dt.date(2026, 4, 20))
    assigned_problem(world, deadline=dt.date(2026, 6, 20))
    frozen_today.move_to(dt.datetime(2026, 5, 20, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    april = draft(world, dt.date(2026, 4, 1), dt.date(2026, 4, 30))
    assert Problem.objects.count() == 3
    may = services.bulletin_content_now(draft(world))
    assert may["previous"] == (
        "上期（2026年4月1日至2026年4月30日）发现的3个问题，截至2026年5月20日已整改销号1个，"
        "尚未销号2个，其中逾期未整改1个，请责任单位抓紧整改。"
    )
    assert content.previous_period(april) == (dt.date(2026, 3, 1), dt.date(2026, 3, 31))


def test_the_draft_screen_names_the_covert_findings_left_out(client, world, frozen_today):
    with_checklist(world)
    plan = drawn_plan(world)
    record_finding(world, submit(world, plan))
    bulletin = draft(world)
    client.force_login(world.office)
    page = client.get(reverse("bulletins:detail", args=[bulletin.uuid])).content.decode()
    assert "不含暗访尚未公布的问题1个" in page
    # Not in the document: its Word file says nothing of it.
    assert "暗访尚未公布" not in str(services.bulletin_content_now(bulletin))
