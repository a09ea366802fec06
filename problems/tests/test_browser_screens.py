"""The problem screens as their users found them (issue 12), in a real browser: the status filter
as toggles a thumb can use, several statuses at once in the URL; the filters folded away on a
phone unless one is in use; a unit's work list that says why a problem came back, whose figures
open the lists they count, and whose evidence may come from the gallery."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse
from playwright.sync_api import expect

from conftest import SHANGHAI
from problems.tests.helpers import assigned_problem, closed_problem, recorded_problem, returned_problem
from tests.signin import browser_sign_in

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def _open(chromium, world, user, **options):
    context = chromium.new_context(locale="zh-CN", **options)
    page = context.new_page()
    browser_sign_in(page, world.url, user)
    return context, page


def _heading(count):
    return re.compile(f"问题清单 共 {count} 条")


def test_several_statuses_at_once_kept_in_the_url(chromium, live_world, screenshot):
    world = live_world
    closed_problem(world)
    recorded_problem(world)
    returned_problem(world, site=world.site_b)
    assigned_problem(world, unit=world.unit_b, site=world.site_b)
    context, page = _open(chromium, world, world.office, **DESKTOP)
    page.goto(world.url + reverse("problems:list"))
    expect(page.get_by_role("heading", name=_heading(4))).to_be_visible()
    expect(page.get_by_role("button", name="筛选条件")).to_be_hidden()  # no toggle on a desktop
    statuses = page.get_by_role("group", name="状态")
    statuses.get_by_text("整改中", exact=True).click()
    statuses.get_by_text("退回返工", exact=True).click()
    page.get_by_role("button", name="筛选", exact=True).click()
    expect(page.get_by_role("heading", name=_heading(2))).to_be_visible()
    assert "status=assigned&status=returned" in page.url
    expect(statuses.get_by_label("整改中")).to_be_checked()
    expect(statuses.get_by_label("退回返工")).to_be_checked()
    expect(statuses.get_by_label("已销号")).not_to_be_checked()
    export = page.get_by_role("link", name="导出 Excel").get_attribute("href")
    assert "status=assigned&status=returned" in export
    screenshot(page, "problem-list-statuses-desktop")

    # A link from before the checkboxes (one status) still filters and shows its box ticked.
    page.goto(world.url + reverse("problems:list") + "?status=closed")
    expect(page.get_by_role("heading", name=_heading(1))).to_be_visible()
    expect(statuses.get_by_label("已销号")).to_be_checked()
    context.close()


def test_on_a_phone_the_filters_fold_away_unless_one_is_in_use(chromium, live_world, screenshot):
    world = live_world
    closed_problem(world)
    recorded_problem(world)
    context, page = _open(chromium, world, world.office, **PHONE)
    page.goto(world.url + reverse("problems:list"))
    expect(page.get_by_role("heading", name=_heading(2))).to_be_visible()
    filters = page.get_by_role("form", name="筛选")
    expect(filters).to_be_hidden()
    screenshot(page, "problem-list-phone-folded")
    page.get_by_role("button", name="筛选条件").click()
    expect(filters).to_be_visible()
    toggle = page.get_by_role("group", name="状态").get_by_text("已销号", exact=True)
    assert toggle.bounding_box()["height"] >= 40  # a thumb's size, not a 16 px box
    toggle.click()
    page.get_by_role("button", name="筛选", exact=True).click()
    expect(page.get_by_role("heading", name=_heading(1))).to_be_visible()
    expect(filters).to_be_visible()  # a filter is in use: shown, so the person sees why
    expect(page.get_by_role("button", name=re.compile("筛选条件"))).to_have_text(re.compile("1"))
    screenshot(page, "problem-list-phone-filtered")
    context.close()


def test_the_units_work_list_says_why_a_problem_came_back_and_its_figures_open_the_lists(
    chromium, live_world, screenshot
):
    world = live_world
    returned = returned_problem(world)  # returned by the inspector: "仍有积水"
    with time_machine.travel(dt.datetime(2026, 4, 20, 10, 0, tzinfo=SHANGHAI)):
        late = assigned_problem(world, deadline=dt.date(2026, 4, 30), description="幸福巷路面破损积水")
    assigned_problem(world)
    context, page = _open(chromium, world, world.liaison_a, **PHONE)
    page.goto(world.url + reverse("problems:mine"))
    card = page.get_by_role("link").filter(has_text=returned.number)
    expect(card).to_contain_text("退回理由：仍有积水")
    expect(page.get_by_role("link").filter(has_text=late.number)).not_to_contain_text("退回理由")
    screenshot(page, "mine-phone")

    for figure, count, number in (("已逾期", 1, late.number), ("被退回", 1, returned.number), ("待整改", 3, None)):
        page.goto(world.url + reverse("problems:mine"))
        page.get_by_role("link", name=re.compile(f"^{figure}")).click()
        expect(page.get_by_role("heading", name=_heading(count))).to_be_visible()
        if number:
            expect(page.get_by_role("link", name=number)).to_be_visible()

    # The evidence: the phone may offer its gallery as well as its camera (no capture=).
    page.goto(world.url + reverse("problems:detail", args=[late.uuid]))
    photos = page.get_by_label("整改照片")
    assert photos.get_attribute("accept") == "image/*"
    assert photos.get_attribute("capture") is None
    context.close()
