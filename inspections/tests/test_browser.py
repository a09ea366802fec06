"""The inspector's phone in a real browser (Debian's chromium through Playwright): the day's sites,
a checklist filled in with the network switched off, a photo from the camera, a reload while still
offline (the service worker serves the pages), then the network back: every record reaches the
server exactly once, and sending it all again creates nothing."""

import datetime as dt
import hashlib
import json
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from conftest import TODAY
from core import clock, geo
from inspections.models import Finding, Inspection, InspectionPhoto
from inspections.tests.helpers import drawn_plan, jpeg_with_gps, with_checklist
from problems.models import Problem
from tests.signin import browser_sign_in

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
HERE = {"latitude": 34.757123, "longitude": 113.665234, "accuracy": 8}


def phone(chromium, world, user, **options):
    context = chromium.new_context(
        locale="zh-CN", geolocation=HERE, permissions=["geolocation"], **{**PHONE, **options}
    )
    # The phone's clock agrees with the server's (frozen at the tests' "today", and ticking).
    context.clock.install(time=TODAY)
    context.clock.resume()
    page = context.new_page()
    browser_sign_in(page, world.url, user)
    return context, page


def kept_on_phone(page, url) -> bool:
    return page.evaluate(
        """async (url) => {
            for (const name of await caches.keys()) {
                if (await (await caches.open(name)).match(url)) return true;
            }
            return false;
        }""",
        url,
    )


def counts():
    return (
        Inspection.objects.count(),
        Finding.objects.count(),
        Problem.objects.count(),
        InspectionPhoto.objects.count(),
    )


def test_offline_then_online_no_record_lost_none_duplicated(chromium, live_world, screenshot, tmp_path):
    world = with_checklist(live_world)
    plan = drawn_plan(world)
    context, page = phone(chromium, world, world.inspector)

    # Online: the day's sites; the service worker installs and keeps the checklists.
    page.goto(f"{world.url}/inspections/today/")
    expect(page.get_by_role("heading", name="今日检查")).to_be_visible()
    page.wait_for_function("navigator.serviceWorker.controller !== null || navigator.serviceWorker.ready")
    page.reload()
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    checklist_url = f"{world.url}/inspections/plans/{plan.uuid}/sites/BS-0001/"
    page.wait_for_function(
        """async (url) => {
            for (const name of await caches.keys()) if (await (await caches.open(name)).match(url)) return true;
            return false;
        }""",
        arg=checklist_url,
    )
    expect(page.locator("#cw-sync-text")).to_have_text("全部已同步")
    screenshot(page, "inspection-phone-today")

    # Offline: open the checklist, fail a checkpoint with a photo and a note, pass the other.
    context.set_offline(True)
    page.locator("article", has_text="幸福巷").get_by_role("link", name="开始检查").click()
    expect(page.get_by_role("heading", name="幸福巷")).to_be_visible()
    first = page.locator(f'fieldset[data-checkpoint="{world.checkpoint.pk}"]')
    first.get_by_text("不合格", exact=True).click()
    first.get_by_label("问题描述").fill("巷口垃圾堆积，未及时清运")
    photo = tmp_path / "IMG_20260512_100301.jpg"
    photo.write_bytes(jpeg_with_gps(1200, 900))
    first.locator('input[type="file"]').set_input_files(str(photo))
    expect(first.locator(".cw-previews img")).to_have_count(1)
    page.locator(f'fieldset[data-checkpoint="{world.checkpoint_2.pk}"]').get_by_text("合格", exact=True).click()
    expect(page.locator("#cw-where")).to_have_text("已取得手机位置（±8 米）")
    page.wait_for_timeout(300)  # let the buttons' colour transition finish before the picture
    screenshot(page, "inspection-phone-checklist-offline")
    page.get_by_role("button", name="提交检查记录").click()

    # Back on the day's page (from the phone's cache): saved on the phone, waiting.
    expect(page.locator("#cw-flash")).to_have_text("「幸福巷」检查记录已保存在手机上，联网后自动同步")
    expect(page.locator("#cw-sync-text")).to_contain_text("手机上有 3 条记录待同步")
    expect(page.locator("article", has_text="幸福巷").locator(".cw-pending-badge")).to_be_visible()
    screenshot(page, "inspection-phone-pending")
    page.reload()  # still offline: the service worker serves the page, IndexedDB still holds the records
    expect(page.locator("#cw-sync-text")).to_contain_text("手机上有 3 条记录待同步")
    assert counts() == (0, 0, 0, 0)
    # Keep a copy of what is pending: later we send it again, as a phone whose answer was lost would.
    saved = page.evaluate(
        "cwInspect.dump().then(d => { window.__saved = d;"
        " return [d.inspections.length, d.problems.length, d.photos.length]; })"
    )
    assert saved == [1, 1, 1]

    # Online again: sync.
    context.set_offline(False)
    page.get_by_role("button", name="立即同步").click()
    expect(page.locator("#cw-sync-text")).to_have_text("全部已同步")
    screenshot(page, "inspection-phone-synced")
    assert counts() == (1, 1, 1, 1)
    inspection = Inspection.objects.get()
    assert (inspection.site, inspection.inspector, inspection.score) == (world.site, world.inspector, Decimal("66.7"))
    assert (float(inspection.latitude), float(inspection.longitude), inspection.accuracy_m) == (
        HERE["latitude"],
        HERE["longitude"],
        8,
    )
    problem = Problem.objects.get()
    assert (problem.description, problem.criterion, problem.site) == (
        "巷口垃圾堆积，未及时清运",
        world.checkpoint,
        world.site,
    )
    stored = InspectionPhoto.objects.get()
    assert stored.sha256 == hashlib.sha256(photo.read_bytes()).hexdigest()
    assert stored.original.file.read() == photo.read_bytes()
    assert list(problem.photos.all()) == [stored.display]

    # The answers were lost; the phone sends everything again, twice at once: nothing new.
    state = page.evaluate(
        "cwInspect.restore(window.__saved).then(() => Promise.all([cwInspect.sync(), cwInspect.sync()]))"
    )
    assert [s["count"] for s in state] == [0, 0]
    assert counts() == (1, 1, 1, 1)
    expect(page.locator("#cw-sync-text")).to_have_text("全部已同步")

    # And the office sees the stamped photo on the problem.
    page.goto(f"{world.url}/inspections/records/{inspection.client_id}/")
    expect(page.get_by_text("得分率 66.7%")).to_be_visible()
    screenshot(page, "inspection-phone-record")

    # Signing out forgets the pages kept on the phone.
    page.goto(f"{world.url}/inspections/today/")
    assert kept_on_phone(page, checklist_url)
    page.get_by_role("button", name="菜单").click()
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_label("用户名")).to_be_visible()
    page.wait_for_function(
        """async (url) => {
            for (const name of await caches.keys()) if (await (await caches.open(name)).match(url)) return false;
            return true;
        }""",
        arg=checklist_url,
    )
    context.close()


def test_a_record_the_server_refuses_stays_on_the_phone_with_the_reason(chromium, live_world):
    world = with_checklist(live_world)
    plan = drawn_plan(world)
    # Without the service worker: requests it passes on are not seen by page.route, and the
    # "offline" record would reach the server at once whenever the worker is already active.
    context, page = phone(chromium, world, world.inspector, service_workers="block")
    page.goto(f"{world.url}/inspections/plans/{plan.uuid}/sites/BS-0002/")
    page.wait_for_function("window.cwInspect !== undefined")
    # The phone's clock ran two days ahead while the inspector recorded offline, and was put right
    # before the sync: the recorded times are later than now, which no skew explains. The server
    # refuses, the record is kept with the reason, and the inspector can remove it.
    page.route("**/api/v1/**", lambda route: route.abort("internetdisconnected"))
    context.clock.set_system_time(TODAY + dt.timedelta(days=2))
    for fieldset in page.locator("fieldset.cw-check").all():
        fieldset.get_by_text("合格", exact=True).click()
    page.get_by_role("button", name="提交检查记录").click()
    expect(page.locator("#cw-flash")).to_have_text("「建设路农贸市场」检查记录已保存在手机上，联网后自动同步")
    context.clock.set_system_time(clock.now())
    page.unroute("**/api/v1/**")
    page.get_by_role("button", name="立即同步").click()
    expect(page.locator("#cw-sync-text")).to_have_text("手机上有 1 条记录待同步；1 条被退回，见下")
    refused = page.locator("#cw-refused .cw-refused-row")
    expect(refused).to_contain_text("检查记录「建设路农贸市场」：提交时间晚于服务器时间，请检查手机时间设置")
    assert Inspection.objects.count() == 0
    page.once("dialog", lambda dialog: dialog.accept())
    refused.get_by_role("button", name="删除").click()
    expect(page.locator("#cw-sync-text")).to_have_text("全部已同步")
    assert page.evaluate("cwInspect.pending().then(p => p.inspections.length)") == 0
    context.close()


def test_a_failed_checkpoint_needs_a_photo_before_the_record_is_kept(chromium, live_world):
    world = with_checklist(live_world)
    plan = drawn_plan(world)
    context, page = phone(chromium, world, world.inspector)
    page.goto(f"{world.url}/inspections/plans/{plan.uuid}/sites/BS-0001/")
    page.locator(f'fieldset[data-checkpoint="{world.checkpoint.pk}"]').get_by_text("不合格", exact=True).click()
    page.locator(f'fieldset[data-checkpoint="{world.checkpoint_2.pk}"]').get_by_text("合格", exact=True).click()
    messages = []
    page.on("dialog", lambda dialog: (messages.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="提交检查记录").click()
    expect(page.get_by_role("button", name="提交检查记录")).to_be_enabled()
    assert messages == ["不合格的检查要点请至少拍一张照片"]
    assert page.evaluate("cwInspect.pending().then(p => p.inspections.length)") == 0
    context.close()


def test_the_javascript_helpers_agree_with_the_server(chromium, live_world):
    """geo.js converts as core/geo.py does; the phone's SHA-256 fallback (for pages served over
    plain http, where WebCrypto is missing) hashes as hashlib does."""
    context = chromium.new_context()
    page = context.new_page()
    page.goto(f"{live_world.url}/accounts/login/")
    # Loaded from the server, as the pages load them: the Content-Security-Policy refuses inline code.
    page.add_script_tag(url=f"{live_world.url}/static/js/geo.js")
    points = [(31.1774276, 121.5272106), (34.757, 113.665), (39.911954, 116.377817), (51.5, -0.12)]
    converted = page.evaluate("(points) => points.map(p => cwGeo.wgs84ToGcj02(p[0], p[1]))", points)
    back = page.evaluate("(points) => points.map(p => cwGeo.gcj02ToWgs84(p[0], p[1]))", converted)
    for (lat, lng), js, round_trip in zip(points, converted, back, strict=True):
        assert geo.distance_m(*js, *geo.wgs84_to_gcj02(lat, lng)) < 0.001
        assert geo.distance_m(*round_trip, lat, lng) < 0.01

    page.evaluate(
        "config => { const s = document.createElement('script'); s.id = 'cw-offline-config';"
        " s.type = 'application/json'; s.textContent = JSON.stringify(config); document.body.appendChild(s); }",
        {"api": "/api/v1/", "today": "/inspections/today/"},
    )
    page.add_script_tag(url=f"{live_world.url}/static/js/inspect-offline.js")
    for text in ["", "abc", "督查" * 50, "x" * 1000]:
        assert page.evaluate("(t) => cwInspect.sha256Plain(t)", text) == hashlib.sha256(text.encode()).hexdigest()
    context.close()


def test_the_problem_map_shifts_markers_onto_gcj02_tiles(chromium, live_world, settings):
    from problems.tests.helpers import recorded_problem

    world = live_world
    recorded_problem(world)
    settings.MAP_TILE_COORDINATES = "gcj02"
    context = chromium.new_context(locale="zh-CN")
    page = context.new_page()
    browser_sign_in(page, world.url, world.office)
    page.goto(f"{world.url}/problems/map/")
    config = json.loads(page.locator("#map-config").text_content())
    assert config["coordinates"] == "gcj02"
    expect(page.locator("#map-note")).to_contain_text(re.compile("1"))
    shifted = page.evaluate("cwGeo.forDisplay(34.757, 113.665, 'gcj02')")
    assert geo.distance_m(*shifted, *geo.wgs84_to_gcj02(34.757, 113.665)) < 0.001
    context.close()


def test_the_office_plans_and_draws_and_publishes_on_a_phone(chromium, live_world, screenshot):
    world = with_checklist(live_world)
    context = chromium.new_context(locale="zh-CN", **PHONE)
    page = context.new_page()
    browser_sign_in(page, world.url, world.office)
    page.goto(f"{world.url}/inspections/")
    page.get_by_role("link", name="制定检查计划").click()
    page.get_by_label("计划名称").fill("五月第二轮暗访")
    page.get_by_label("方式").select_option(label="暗访")
    page.get_by_label("开始日期").fill("2026-05-12")
    page.get_by_label("结束日期").fill("2026-05-15")
    page.get_by_label("东城街道").check()
    page.get_by_label("背街小巷").fill("2")
    page.get_by_label("李强（城管局）").check()
    page.get_by_label("王芳（区爱卫办）").check()
    screenshot(page, "inspection-plan-form-phone")
    page.get_by_role("button", name="保存计划").click()
    expect(page.get_by_text("检查计划「五月第二轮暗访」已制定，请随机抽样")).to_be_visible()
    page.get_by_label("随机种子（可不填）").fill("20260512")
    page.get_by_role("button", name="随机抽样").click()
    expect(page.get_by_text("已随机抽样，随机种子 20260512")).to_be_visible()
    expect(page.get_by_text("抽中点位（已检查 0/2）")).to_be_visible()
    screenshot(page, "inspection-plan-detail-phone")
    page.get_by_role("button", name="公布结果").click()
    expect(page.get_by_text("检查结果已公布")).to_be_visible()
    page.goto(f"{world.url}/inspections/")
    screenshot(page, "inspection-plan-list-phone")
    context.close()
