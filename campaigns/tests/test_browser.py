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
    expect(page.get_by_text("期限已由 2026年6月20日 提前至 2026年6月15日")).to_be_visible()
    expect(page.get_by_text("（原期限 2026年6月20日 → 新期限 2026年6月15日）")).to_be_visible()
    expect(page.get_by_text("2026年6月15日（时间节点")).to_be_visible()


def test_the_owner_list_follows_the_chosen_unit(chromium, live_world, screenshot):
    # Issue 12: 责任人 was a bare list of every name; now each says its unit and the list narrows
    # to the chosen 责任单位 (htmx, under the strict CSP: no inline script).
    world = live_world
    page = sign_in(chromium, world, world.office)
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{world.url}/ledger/new/")
    owners = page.get_by_label("责任人")
    everyone = owners.locator("option").all_inner_texts()
    assert "周晓（东城街道）" in everyone and "吴婷（城管局）" in everyone
    page.get_by_label("责任单位").select_option(label="城管局")
    expect(owners.locator("option")).to_have_count(3)  # the blank, 吴婷 and 李强
    assert owners.locator("option").all_inner_texts()[1:] == ["吴婷（城管局）", "李强（城管局）"]
    screenshot(page, "task-new-owners-of-unit")
    page.get_by_label("责任单位").select_option(label="东城街道")
    expect(owners.locator("option", has_text="周晓（东城街道）")).to_have_count(1)
    expect(owners.locator("option", has_text="城管局")).to_have_count(0)
    # A past deadline is refused with the form kept.
    page.get_by_label("任务内容").fill("清理楼道堆物")
    page.get_by_label("标准指标").select_option(index=1)
    page.get_by_label("时间节点").select_option(index=3)  # 通过省级暗访, 30 June
    owners.select_option(label="周晓（东城街道）")
    page.get_by_label("目标数量").fill("5")
    page.get_by_label("计量单位").fill("栋")
    page.get_by_label("完成期限").fill("2026-05-01")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("完成期限 2026年5月1日 已过，不能早于今天")).to_be_visible()
    screenshot(page, "task-new-past-deadline")
    assert [e for e in errors if "Content Security Policy" in e and "script" in e] == []
