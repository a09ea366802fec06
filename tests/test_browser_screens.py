"""The office's screens as their users found them (issue 12), in a real browser: the wide tables
become cards on a 390 px phone instead of columns one character wide, the navigation never breaks
inside a word from 768 to 1440 px in either language, the printed pages carry no navigation or
buttons, and the app has its own favicon."""

import subprocess

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


# Every link of the navigation bar that is broken over two lines or more, or runs off the page.
BROKEN_NAV_LINKS = """() => {
  const found = [];
  for (const link of document.querySelectorAll('nav.cw-navbar a, nav.cw-navbar button')) {
    if (!link.offsetParent) continue;
    const range = document.createRange();
    range.selectNodeContents(link);
    const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
    const box = link.getBoundingClientRect();
    if (tops.size > 1 || box.right > document.documentElement.clientWidth + 1) {
      found.push(`${link.innerText.trim()}: ${tops.size} lines, right edge ${Math.round(box.right)}`);
    }
  }
  return found;
}"""


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_navigation_never_breaks_inside_a_label(chromium, live_world, screenshot, language):
    world = live_world
    broken = {}
    for width in (768, 1024, 1280, 1440):
        # The office has the most links; the person's name is long in neither language.
        context, page = _open(chromium, world, world.office, viewport={"width": width, "height": 800})
        context.add_cookies([{"name": "django_language", "value": language, "url": world.url}])
        page.goto(world.url + reverse("problems:list"))
        toggler = page.locator("button.navbar-toggler")
        if toggler.is_visible():
            toggler.click()
            page.locator("#nav.show").wait_for()
        screenshot(page, f"nav-{language}-{width}")
        if links := page.evaluate(BROKEN_NAV_LINKS):
            broken[width] = links
        context.close()
    assert broken == {}


def test_printed_pages_carry_the_content_only_and_a_long_table_repeats_its_header(
    chromium, live_world, screenshot, tmp_path
):
    world = live_world
    _scene(world)
    for n in range(45):
        ledger_task(world, title=f"背街小巷整治第{n + 1}段")
    problem = recorded_problem(world, description="幸福巷5号门前垃圾堆积")
    context, page = _open(chromium, world, world.office, **DESKTOP)
    pages = {
        "ledger": reverse("campaigns:ledger"),
        "overview": reverse("oversight:overview"),
        "problems": reverse("problems:list"),
        "problem": reverse("problems:detail", args=[problem.uuid]),
    }
    shown = {}
    for name, path in pages.items():
        page.goto(world.url + path)
        page.emulate_media(media="print")
        screenshot(page, f"print-{name}")
        # What a printed sheet has no use for: the navigation, the filters and action forms, buttons.
        visible = page.evaluate(
            "() => [...document.querySelectorAll('nav, main form, main .btn, .pagination')]"
            ".filter(e => e.offsetParent !== null).map(e => e.tagName + ' ' + e.innerText.slice(0, 20))"
        )
        if name == "problem" and page.get_by_role("heading", name="交办", exact=True).is_visible():
            visible.append("the actions' column")  # its forms hidden, empty cards stayed
        if visible:
            shown[name] = visible
        page.emulate_media(media="screen")
    assert shown == {}

    page.goto(world.url + pages["ledger"])
    page.emulate_media(media="print")
    pdf = tmp_path / "ledger.pdf"
    page.pdf(path=str(pdf), format="A4")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True).stdout.decode()
    sheets = [sheet for sheet in text.split("\f") if sheet.strip()]
    assert len(sheets) >= 2
    # Every sheet starts with the table's header row; nothing of the screen's chrome is printed.
    assert [("时间节点" in sheet) for sheet in sheets] == [True] * len(sheets)
    assert "导出 Excel" not in text and "新建任务" not in text and "退出" not in text
    context.close()


def test_the_app_has_its_own_favicon(chromium, live_world):
    world = live_world
    context = chromium.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(world.url + reverse("login"))
    href = page.locator('link[rel="icon"]').get_attribute("href")
    assert href.startswith("/static/")  # served by the app itself, no CDN
    response = page.request.get(world.url + href)
    assert response.status == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in response.body()
    context.close()
