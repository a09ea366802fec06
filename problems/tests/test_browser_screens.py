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
from problems.tests.helpers import (
    assigned_problem,
    cancelled_problem,
    closed_problem,
    recorded_problem,
    returned_problem,
)
from tests.factories import SiteFactory
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


def _square(lat, lng, size):
    return {
        "type": "Polygon",
        "coordinates": [[[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size], [lng, lat]]],
    }


def test_the_map_names_the_sub_districts_and_colours_clusters_by_their_worst_problem(chromium, live_world, screenshot):
    world = live_world
    world.east.boundary = _square(34.745, 113.655, 0.03)
    world.east.save()
    world.site_b.latitude, world.site_b.longitude = "34.770000", "113.680000"
    world.site_b.save()
    far = SiteFactory(
        code="BS-0003", name="人民路", area=world.community, owner_unit=world.unit_a, latitude="34.750000"
    )
    far.longitude = "113.682000"
    far.save()
    with time_machine.travel(dt.datetime(2026, 4, 20, 10, 0, tzinfo=SHANGHAI)):
        assigned_problem(world, deadline=dt.date(2026, 4, 30))  # 幸福巷: overdue
    assigned_problem(world)
    closed_problem(world, site=world.site_b)
    cancelled_problem(world, site=world.site_b)
    assigned_problem(world, site=far)
    recorded_problem(world, site=far)
    context, page = _open(chromium, world, world.office, **DESKTOP)
    page.goto(world.url + reverse("problems:map"))
    expect(page.locator("#map-note")).to_have_text("共显示 6 个问题")
    label = page.locator(".leaflet-tooltip.cw-area-label")
    expect(label).to_have_text("东城街道")
    # At the centre of its area (the sub-district's boundary, the only red outline).
    area = page.locator('path.leaflet-interactive[stroke="#b3261e"]').bounding_box()
    name = label.bounding_box()
    assert abs((name["x"] + name["width"] / 2) - (area["x"] + area["width"] / 2)) < 10
    assert abs((name["y"] + name["height"] / 2) - (area["y"] + area["height"] / 2)) < 10
    clusters = page.locator(".marker-cluster")
    expect(clusters).to_have_count(3)
    kinds = sorted(
        page.evaluate(
            "() => [...document.querySelectorAll('.marker-cluster')].map(c => "
            "[...c.classList].find(n => n.startsWith('cw-cluster-')) + ' ' + c.innerText.trim())"
        )
    )
    assert kinds == ["cw-cluster-done 2", "cw-cluster-open 2", "cw-cluster-overdue 2"]
    expect(page.locator(".cw-legend").first).to_contain_text("已撤销")
    attribution = page.locator(".leaflet-control-attribution")
    expect(attribution).to_have_text("Leaflet")
    expect(attribution.locator("svg, img")).to_have_count(0)  # no flag
    screenshot(page, "problem-map-clusters")
    context.close()
