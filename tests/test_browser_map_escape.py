"""The problem map draws area names from the database (typed in /admin/) into Leaflet's tooltips:
a name that is markup must be shown as text, never become elements of the page (issue 11)."""

import pytest

from tests.signin import browser_sign_in

pytestmark = pytest.mark.browser

HOSTILE = '<img src=x id="injected" onerror="window.__xss=1"><b>东城</b>'


def test_an_area_name_with_markup_is_shown_as_text_in_the_map_s_tooltip(chromium, live_world):
    world = live_world
    world.community.name = HOSTILE
    # A square around the map's centre (lng, lat): the map fits it, so the page's middle is inside.
    ring = [[113.60, 34.70], [113.70, 34.70], [113.70, 34.80], [113.60, 34.80], [113.60, 34.70]]
    world.community.boundary = {"type": "Polygon", "coordinates": [ring]}
    world.community.save()

    page = chromium.new_context(locale="zh-CN").new_page()
    browser_sign_in(page, world.url, world.office)
    page.goto(f"{world.url}/problems/map/")
    page.wait_for_selector(".leaflet-interactive")
    box = page.locator("#problem-map").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tooltip = page.wait_for_selector(".leaflet-tooltip")

    assert tooltip.text_content() == HOSTILE
    assert page.locator("#injected").count() == 0
    assert page.locator(".leaflet-tooltip b").count() == 0
    assert page.evaluate("window.__xss") is None
