"""The overview, a unit's page and the problem list in a real browser, on a desktop and on a
390x844 phone: the ranking by kind with "—" for a unit that closed nothing, no page wider than
the phone, and (once axe-core is installed) no serious or critical accessibility violation."""

from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from problems.tests.helpers import assigned_problem, closed_problem, recorded_problem, returned_problem
from tests.signin import browser_sign_in

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def _scene(world):
    closed_problem(world)
    recorded_problem(world)  # at the closed problem's site and checkpoint: a rebound
    returned_problem(world, site=world.site_b)
    assigned_problem(world, unit=world.unit_b, site=world.site_b)


def _pages(world):
    return {
        "overview": reverse("oversight:overview"),
        "unit": reverse("oversight:unit", args=[world.unit_a.code]),
        "problems": reverse("problems:list"),
    }


def _axe(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [
        f"{v['id']} ({v['impact']}): {node['target']}"
        for v in result
        if v["impact"] in ("serious", "critical")
        for node in v["nodes"]
    ]


@pytest.mark.parametrize(("device", "options"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_the_main_screens_fit_the_device_and_show_one_ranking_per_kind(
    chromium, live_world, screenshot, device, options
):
    world = live_world
    _scene(world)
    context = chromium.new_context(locale="zh-CN", **options)
    page = context.new_page()
    browser_sign_in(page, world.url, world.office)
    for name, path in _pages(world).items():
        page.goto(world.url + path)
        screenshot(page, f"screens-{name}-{device}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= options["viewport"]["width"], f"{name} is {width}px wide on the {device}"
    page.goto(world.url + reverse("oversight:overview"))
    assert page.locator("#h-units ~ h3").all_inner_texts() == ["街道", "部门"]
    rows = page.locator("table.cw-ranking tbody tr")
    assert rows.count() == 2
    if device == "phone":
        # A card per unit: the header hidden, every figure labelled.
        assert page.locator("table.cw-ranking thead").first.is_hidden()
    context.close()


def test_the_main_screens_have_no_serious_accessibility_violation(chromium, live_world):
    if not AXE.exists():
        pytest.skip("axe-core is not installed (npm package axe-core in package.json)")
    world = live_world
    _scene(world)
    found = {}
    for device, options in (("desktop", DESKTOP), ("phone", PHONE)):
        # axe is injected by the test, not served by the app: the page's CSP would refuse it.
        context = chromium.new_context(locale="zh-CN", bypass_csp=True, **options)
        page = context.new_page()
        browser_sign_in(page, world.url, world.office)
        for name, path in _pages(world).items():
            page.goto(world.url + path)
            if violations := _axe(page):
                found[f"{name}-{device}"] = violations
        context.close()
    assert found == {}


def test_a_unit_head_lands_on_the_units_page_and_the_office_sees_honest_readiness(chromium, live_world, screenshot):
    # Issue 12: a head landed on a problem list; readiness said "95 %" over what was inspected.
    import re

    from playwright.sync_api import expect

    world = live_world
    _scene(world)
    context = chromium.new_context(locale="en-GB", **DESKTOP)  # an English browser: still Chinese
    page = context.new_page()
    browser_sign_in(page, world.url, world.head_a)
    assert page.url.endswith(reverse("oversight:unit", args=[world.unit_a.code]))
    expect(page.get_by_role("heading", name="东城街道办事处")).to_be_visible()
    links = page.locator("#cw-unit-links")
    expect(links.get_by_role("link", name="本单位问题")).to_be_visible()
    expect(links.get_by_role("link", name="问题地图")).to_be_visible()
    screenshot(page, "unit-head-landing")
    links.get_by_role("link", name="本单位问题").click()
    expect(page.get_by_role("heading", name=re.compile("问题清单 共"))).to_be_visible()
    assert f"unit={world.unit_a.pk}" in page.url

    office = chromium.new_context(locale="zh-CN", **DESKTOP).new_page()
    browser_sign_in(office, world.url, world.office)
    office.goto(world.url + reverse("inspections:readiness"))
    expect(office.locator("#cw-readiness-overall")).to_be_visible()
    expect(office.locator("#cw-readiness-coverage")).to_contain_text("已检查街道 0/1")
    expect(office.locator("#cw-readiness-areas")).to_contain_text("未检查")
    screenshot(office, "readiness-nothing-inspected")


def test_the_wall_screen_fills_a_1920_display_and_updates_in_place(chromium, live_world, screenshot):
    """大屏: every figure on one 1920x1080 screen with nothing scrolled away, the sub-districts on a
    map drawn without tiles, and a step taken meanwhile shown without reloading the page."""
    world = live_world
    _scene(world)
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    browser_sign_in(page, world.url, world.office)
    page.goto(world.url + reverse("oversight:wall"))
    # The test district has no boundaries drawn: its sub-districts are listed with their figures.
    page.wait_for_selector(".cw-wall-area-list li")
    screenshot(page, "wall-1920")
    assert page.evaluate("document.documentElement.scrollHeight") <= 1080
    assert page.evaluate("document.documentElement.scrollWidth") <= 1920
    assert page.locator("[data-figure=total]").inner_text() == "4"
    assert page.locator("#rank-subdistrict-best li").count() >= 1
    assert "在办" in page.locator(".cw-wall-area-list").inner_text()
    assert page.locator("#wall-trend canvas").count() == 1
    # Refreshed in place: a new problem appears in the total without a reload.
    page.evaluate("window.cwWallMarker = 1")
    recorded_problem(world, site=world.site_b)
    page.evaluate("document.body.dispatchEvent(new Event('cw-wall-refresh'))")
    expect(page.locator("[data-figure=total]")).to_have_text("5")
    assert page.evaluate("window.cwWallMarker") == 1
    assert errors == []
    context.close()
