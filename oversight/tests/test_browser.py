"""The overview, a unit's page and the problem list in a real browser, on a desktop and on a
390x844 phone: the ranking by kind with "—" for a unit that closed nothing, no page wider than
the phone, and (once axe-core is installed) no serious or critical accessibility violation."""

from pathlib import Path

import pytest
from django.urls import reverse

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
