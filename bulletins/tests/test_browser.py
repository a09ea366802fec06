"""The problem list's bad filter and a draft bulletin's accountability step, in a real browser."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from bulletins import services
from bulletins.models import Accountability
from problems.models import Problem
from problems.tests.helpers import assigned_problem
from problems.tests.test_browser import sign_in

pytestmark = pytest.mark.browser


def test_a_bad_date_in_the_filters_is_named_and_the_others_still_apply(chromium, live_world, screenshot):
    world = live_world
    assigned_problem(world, description="东城的问题")
    assigned_problem(world, unit=world.unit_b, site=world.site_b, description="城管的问题")
    page = sign_in(chromium, world, world.office, viewport={"width": 1366, "height": 900})
    page.goto(f"{world.url}/problems/?unit={world.unit_b.pk}&date_from=notadate")
    expect(page.get_by_role("alert")).to_contain_text("有筛选条件无效，未使用；其他条件照常生效")
    expect(page.get_by_role("alert")).to_contain_text("发现日期从")
    expect(page.get_by_role("heading", name="问题清单 共 1 条")).to_be_visible()
    screenshot(page, "problem-list-bad-date")


def test_the_office_records_accountability_for_the_criticised_units_from_a_draft(chromium, live_world, screenshot):
    world = live_world
    problem = assigned_problem(world)
    Problem.objects.filter(pk=problem.pk).update(deadline=dt.date(2026, 5, 11))
    draft = services.bulletin_create(
        actor=world.office,
        campaign=world.campaign,
        period_start=dt.date(2026, 5, 1),
        period_end=dt.date(2026, 5, 31),
        criticise_overdue_at=1,
    )
    page = sign_in(chromium, world, world.office, viewport={"width": 1366, "height": 1400})
    page.goto(f"{world.url}/bulletins/{draft.uuid}/")
    card = page.locator("section", has=page.get_by_role("heading", name="对通报批评的单位记录问责"))
    expect(card).to_contain_text("东城街道")
    screenshot(page, "bulletin-draft-accountability")
    card.get_by_label("处理措施").select_option("interview")
    card.get_by_label("确认为以上每个单位各记录一条问责").check()
    card.get_by_role("button", name="记录问责").click()
    screenshot(page, "bulletin-accountability-recorded")
    expect(page.get_by_text("已记录问责 1 条")).to_be_visible()
    (record,) = Accountability.objects.all()
    assert (record.unit, record.measure) == (world.unit_a, "interview")
