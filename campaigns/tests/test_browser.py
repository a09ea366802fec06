"""Office screens in a real browser: the overview, filters kept in the URL, the map without a tile
server, and the refusal of a later deadline."""

import pytest
from playwright.sync_api import expect

from campaigns.tests.helpers import ledger_task
from problems import services
from problems.tests.helpers import DEADLINE, recorded_problem
from problems.tests.test_browser import sign_in

pytestmark = pytest.mark.browser


def _square(lat, lng, size=0.01):
    return {
        "type": "Polygon",
        "coordinates": [[[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size], [lng, lat]]],
    }


def _data(world):
    world.east.boundary = _square(34.75, 113.66, 0.02)
    world.east.save()
    for i, (site, unit) in enumerate([(world.site, world.unit_a)] * 3 + [(world.site_b, world.unit_b)] * 3):
        problem = recorded_problem(world, site=site, description=f"问题描述{i}")
        if i == 5:
            continue  # one stays unassigned
        problem = services.problem_assign(actor=world.office, problem=problem, unit=unit, deadline=DEADLINE)
        if i == 4:
            services.problem_submit_evidence(actor=world.liaison_b, problem=problem, note="已整改")
    ledger_task(world)


def test_overview_list_filters_and_map(chromium, live_world, screenshot):
    world = live_world
    _data(world)
    page = sign_in(chromium, world, world.office, viewport={"width": 1366, "height": 900})
    expect(page.get_by_role("heading", name="时间节点")).to_be_visible()
    screenshot(page, "overview")

    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="城管局", exact=True))
    row.get_by_role("link").nth(1).click()  # the unit's name opens its page; its numbers open the lists
    expect(page.get_by_role("heading", name="问题清单 共 2 条")).to_be_visible()
    page.get_by_role("group", name="状态").get_by_text("整改中", exact=True).click()
    page.get_by_role("button", name="筛选", exact=True).click()
    expect(page.get_by_role("heading", name="问题清单 共 1 条")).to_be_visible()
    assert "status=assigned" in page.url and f"unit={world.unit_b.pk}" in page.url
    shared = page.url
    screenshot(page, "problem-list-filtered")

    leader = sign_in(chromium, world, world.leader)
    leader.goto(shared)  # a filtered list can be shared by its URL
    expect(leader.get_by_role("heading", name="问题清单 共 1 条")).to_be_visible()

    page.goto(f"{world.url}/problems/map/")
    expect(page.locator("#map-note")).to_have_text("共显示 6 个问题")
    expect(page.locator("path.leaflet-interactive").first).to_be_attached()  # the boundary, no tiles
    screenshot(page, "problem-map")


def test_a_later_deadline_is_refused_on_the_ledger(chromium, live_world, screenshot):
    world = live_world
    _data(world)
    page = sign_in(chromium, world, world.office)
    page.goto(f"{world.url}/ledger/")
    page.get_by_role("link", name="清理背街小巷卫生死角").click()
    form = page.locator("form", has=page.get_by_role("button", name="提前期限"))
    form.get_by_label("新的完成期限").fill("2026-06-25")
    form.get_by_role("button", name="提前期限").click()
    expect(page.get_by_text("新期限 2026年6月25日 晚于原期限 2026年6月20日：只能提前，不能拖后")).to_be_visible()
    screenshot(page, "ledger-deadline-refused")
    form = page.locator("form", has=page.get_by_role("button", name="提前期限"))
    form.get_by_label("新的完成期限").fill("2026-06-15")
    form.get_by_role("button", name="提前期限").click()
    expect(page.get_by_text("期限已提前")).to_be_visible()
    expect(page.get_by_text("2026年6月15日（时间节点")).to_be_visible()
