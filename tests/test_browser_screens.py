"""The office's screens as their users found them (issue 12), in a real browser: the wide tables
become cards on a 390 px phone instead of columns one character wide, the navigation never breaks
inside a word from 768 to 1440 px in either language, the printed pages carry no navigation or
buttons, and the app has its own favicon."""

import pytest
from django.urls import reverse

from campaigns.tests.helpers import ledger_task
from problems.tests.helpers import assigned_problem, closed_problem, recorded_problem, returned_problem
from tests.factories import PublishedBulletinFactory
from tests.signin import browser_sign_in

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}

# Every visible table cell of the page's main part whose text is squeezed: narrower than two
# characters of its font, or wrapped into as many lines as it has characters (the "竖排" column).
SQUEEZED_CELLS = """() => {
  const found = [];
  for (const cell of document.querySelectorAll('main table td, main table th')) {
    if (!cell.offsetParent) continue;
    const text = cell.innerText.replace(/\\s+/g, '');
    if (text.length < 2) continue;
    const style = getComputedStyle(cell);
    const font = parseFloat(style.fontSize);
    const inner = cell.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const range = document.createRange();
    range.selectNodeContents(cell);
    const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
    if (inner < 2 * font || (tops.size > 1 && tops.size >= text.length)) {
      found.push(`${text.slice(0, 12)}: ${Math.round(inner)}px, ${tops.size} lines`);
    }
  }
  return found;
}"""


def _scene(world):
    closed_problem(world)
    recorded_problem(world)
    returned_problem(world, site=world.site_b)
    assigned_problem(world, unit=world.unit_b, site=world.site_b)
    ledger_task(world)
    ledger_task(world, title="农贸市场“六小”门店整治", lead_unit=world.unit_b, responsible=world.liaison_b)
    PublishedBulletinFactory(campaign=world.campaign, created_by=world.office, title="关于2026年4月创卫督查情况的通报")


def _open(chromium, world, user, locale="zh-CN", **options):
    context = chromium.new_context(locale=locale, **options)
    page = context.new_page()
    browser_sign_in(page, world.url, user)
    return context, page


TABLE_PAGES = {
    "ledger": "campaigns:ledger",
    "five-in-place": "campaigns:five_in_place",
    "bulletins": "bulletins:list",
    "problems": "problems:list",
}


@pytest.mark.parametrize(("device", "options"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_no_table_column_is_squeezed_to_a_character_per_line(chromium, live_world, screenshot, device, options):
    world = live_world
    _scene(world)
    context, page = _open(chromium, world, world.office, **options)
    squeezed = {}
    for name, url_name in TABLE_PAGES.items():
        page.goto(world.url + reverse(url_name))
        screenshot(page, f"tables-{name}-{device}")
        assert page.locator("main table tbody tr").count() >= 1, name
        if cells := page.evaluate(SQUEEZED_CELLS):
            squeezed[name] = cells
        if device == "phone" and page.locator("main table thead").first.is_visible():
            # One card per row: the header row is hidden, each figure carries its column's name.
            squeezed.setdefault(name, []).append("the header row is shown")
        if (width := page.evaluate("document.documentElement.scrollWidth")) > options["viewport"]["width"]:
            squeezed.setdefault(name, []).append(f"the page is {width}px wide")
    context.close()
    assert squeezed == {}
