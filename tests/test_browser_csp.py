"""The pages under their Content-Security-Policy, in Debian's chromium: scripts and styles come
only from our static files, and the browser reports no refusal while the overview draws its
charts, the map its areas and markers, the dossier its progress, and the phone's checklist shows
a failed checkpoint's details and a photo's preview. Screenshots in test-artifacts/csp-*.png."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from campaigns import services as campaign_services
from dossier import services as dossier_services
from dossier.models import Material
from inspections.tests.helpers import drawn_plan, jpeg_with_gps, with_checklist
from problems.tests.helpers import assigned_problem, recorded_problem
from tests.signin import browser_sign_in

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
SQUARE = {"type": "Polygon", "coordinates": [[[113.66, 34.75], [113.67, 34.75], [113.67, 34.76], [113.66, 34.75]]]}
PDF = b"%PDF-1.4\n% csp\n%%EOF\n"

# Runs before the page's own scripts: every refusal the policy causes is kept for the test to read.
WATCH = """
window.__refused = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__refused.push(`${e.effectiveDirective} ${e.blockedURI} ${e.sample}`);
});
"""


def browse(chromium, world, user, **options):
    context = chromium.new_context(locale="zh-CN", **options)
    context.add_init_script(WATCH)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # The browser's own word for a refusal too (the favicon's 404 is not one of ours).
    page.on("console", lambda message: "Content Security Policy" in message.text and errors.append(message.text))
    browser_sign_in(page, world.url, user)
    return context, page, errors


def refused(page) -> list[str]:
    return page.evaluate("window.__refused")


def width_share(page, selector) -> float:
    """A progress bar's width as a share of its track."""
    return page.locator(selector).first.evaluate(
        "bar => bar.getBoundingClientRect().width / bar.parentElement.getBoundingClientRect().width"
    )


def test_the_office_pages_draw_without_any_refusal(chromium, live_world, screenshot):
    world = live_world
    world.community.boundary = SQUARE
    world.community.save(update_fields=["boundary"])
    recorded_problem(world)
    assigned_problem(world, description="幸福巷12号院墙小广告")
    for title in ("背街小巷路面清扫", "垃圾桶更换"):
        task = campaign_services.task_create(
            actor=world.office,
            campaign=world.campaign,
            criterion=world.criterion,
            milestone=world.covert,
            title=title,
            lead_unit=world.unit_a,
            responsible=world.liaison_a,
            target_quantity=10,
            target_measure="条",
            deadline=dt.date(2026, 6, 1),
        )
    campaign_services.task_report_progress(actor=world.liaison_a, task=task, quantity_done=10, text="全部完成")
    world.criterion.required_materials = ["保洁制度", "检查台账"]
    world.criterion.save(update_fields=["required_materials"])
    dossier_services.dossier_prepare(actor=world.office, campaign=world.campaign)
    material = Material.objects.get(name="保洁制度")
    submission = dossier_services.submission_upload(actor=world.office, material=material, name="制度.pdf", data=PDF)
    dossier_services.submission_transition(actor=world.office, submission=submission, action="accept")
    context, page, errors = browse(chromium, world, world.office, viewport={"width": 1280, "height": 900})

    # The overview: both pies drawn, a tooltip on hover, the milestone's bar at its width.
    page.goto(f"{world.url}/overview/")
    expect(page.locator("#chart-status canvas")).to_have_count(1)
    expect(page.locator("#chart-types canvas")).to_have_count(1)
    assert width_share(page, ".cw-milestones .progress-bar.cw-w-50") == pytest.approx(0.5, abs=0.01)
    page.wait_for_timeout(1500)  # the pies' opening animation
    box = page.locator("#chart-status").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2 + box["height"] * 0.25, box["y"] + box["height"] / 2)
    page.wait_for_timeout(500)
    screenshot(page, "csp-overview")
    assert refused(page) == []

    # The map: the area's outline and both problems' markers (clustered) on the plain background.
    page.goto(f"{world.url}/problems/map/")
    expect(page.locator("#map-note")).to_contain_text(re.compile("2"))
    expect(page.locator("#problem-map path.leaflet-interactive")).to_have_count(1)
    expect(page.locator("#problem-map .marker-cluster, #problem-map canvas").first).to_be_visible()
    screenshot(page, "csp-problem-map")
    assert refused(page) == []

    # The dossier: half the materials accepted, and the bars say so with a class, not a style.
    page.goto(f"{world.url}/dossier/")
    expect(page.get_by_text("1 / 2（50%）").first).to_be_visible()
    assert width_share(page, ".progress-bar.cw-w-50") == pytest.approx(0.5, abs=0.01)
    screenshot(page, "csp-dossier")
    assert refused(page) == []
    assert errors == []
    context.close()


def test_the_phone_checklist_works_without_any_refusal(chromium, live_world, screenshot, tmp_path):
    world = with_checklist(live_world)
    plan = drawn_plan(world)
    context, page, errors = browse(chromium, world, world.inspector, **PHONE)

    page.goto(f"{world.url}/inspections/today/")
    page.wait_for_function("navigator.serviceWorker.ready.then(() => true)")
    expect(page.locator("#cw-sync-text")).to_have_text("全部已同步")
    assert refused(page) == []

    page.goto(f"{world.url}/inspections/plans/{plan.uuid}/sites/BS-0001/")
    first = page.locator(f'fieldset[data-checkpoint="{world.checkpoint.pk}"]')
    first.get_by_text("不合格", exact=True).click()
    expect(first.get_by_label("问题描述")).to_be_visible()
    photo = tmp_path / "IMG_20260512_100301.jpg"
    photo.write_bytes(jpeg_with_gps(1200, 900))
    first.locator('input[type="file"]').set_input_files(str(photo))
    preview = first.locator(".cw-previews img")
    expect(preview).to_have_count(1)
    assert preview.get_attribute("src").startswith("blob:")
    assert preview.evaluate("img => img.complete && img.naturalWidth") == 1200
    page.wait_for_timeout(300)
    screenshot(page, "csp-phone-checklist")
    assert refused(page) == []
    assert errors == []
    context.close()
