"""The phone's sync against a network that lies (issue 18), in Debian's chromium through
Playwright with the API intercepted (page.route): answers that are 200 but not the API's, a
session that expired, a shared phone, failures with nobody touching the phone, a request that
never answers, a clock at midnight on New Year's Eve, photos the server refuses, and two phones at
the same site. The service worker is kept out (service_workers="block") so that every request of
the page passes through the routes."""

import datetime as dt
import re

import pytest
import time_machine
from playwright.sync_api import expect

from conftest import SHANGHAI, TODAY
from core import clock
from inspections import views
from inspections.models import Finding, Inspection, InspectionPhoto
from inspections.tests.helpers import drawn_plan, jpeg_with_gps, with_checklist
from organisation.models import Membership
from problems.models import Problem
from tests.factories import MembershipFactory, UserFactory
from tests.signin import browser_sign_in

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
HERE = {"latitude": 34.757123, "longitude": 113.665234, "accuracy": 8}
API = "**/api/v1/**"


@pytest.fixture
def patient(monkeypatch):
    """A phone that waits 2 s for an answer and retries after 1 s, so that the tests run in seconds."""
    monkeypatch.setattr(views, "SYNC_TIMEOUT_S", 2)
    monkeypatch.setattr(views, "PHOTO_TIMEOUT_S", 2)
    monkeypatch.setattr(views, "RETRY_AFTER_S", [1, 2])


def new_phone(chromium, at=TODAY):
    context = chromium.new_context(
        locale="zh-CN", geolocation=HERE, permissions=["geolocation"], service_workers="block", **PHONE
    )
    context.clock.install(time=at)
    context.clock.resume()
    return context, context.new_page()


def second_inspector(world):
    """韩静, of the market supervision bureau, on the same team as 李强."""
    user = UserFactory(username="hanjing", full_name="韩静")
    MembershipFactory(user=user, unit=world.unit_c, role=Membership.Role.INSPECTOR)
    return user


def record(page, world, plan, tmp_path, *, site="BS-0001", fail=True, photos=1):
    """Fill in a checklist: the first checkpoint failed with `photos` photos, the second passed."""
    page.goto(f"{world.url}/inspections/plans/{plan.uuid}/sites/{site}/")
    page.wait_for_function("window.cwInspect !== undefined")
    first = page.locator(f'fieldset[data-checkpoint="{world.checkpoint.pk}"]')
    if fail:
        first.get_by_text("不合格", exact=True).click()
        first.get_by_label("问题描述").fill("巷口垃圾堆积")
        for n in range(photos):
            photo = tmp_path / f"IMG_{n}.jpg"
            photo.write_bytes(jpeg_with_gps(1200, 900))
            first.locator('input[type="file"]').set_input_files(str(photo))
        expect(first.locator(".cw-previews img")).to_have_count(photos)
    else:
        first.get_by_text("合格", exact=True).click()
    page.locator(f'fieldset[data-checkpoint="{world.checkpoint_2.pk}"]').get_by_text("合格", exact=True).click()
    page.get_by_role("button", name="提交检查记录").click()


def on_phone(page):
    return page.evaluate("cwInspect.pending().then(p => [p.inspections.length, p.problems.length, p.photos.length])")


def counts():
    return (
        Inspection.objects.count(),
        Finding.objects.count(),
        Problem.objects.count(),
        InspectionPhoto.objects.count(),
    )


def test_answers_that_are_not_the_apis_delete_nothing(chromium, live_world, patient, tmp_path, screenshot):
    """A login page, a proxy's page and an empty body, all with 200; a redirect to the login
    page; then the real server: every record arrives once, none was dropped on the way."""
    world = with_checklist(live_world)
    plan = drawn_plan(world)
    context, page = new_phone(chromium)
    browser_sign_in(page, world.url, world.inspector)
    lies = [
        ("text/html", "<!doctype html><title>登录</title><form><input name=username></form>"),
        ("text/html", "<html><body>Wi-Fi 认证：请先登录热点</body></html>"),
        ("application/json", ""),
        ("application/json", '{"ok": true}'),
    ]
    calls = []

    def liar(route):
        calls.append(route.request.url)
        content_type, body = lies[min(len(calls) - 1, len(lies) - 1)]
        route.fulfill(status=200, content_type=content_type, body=body)

    page.route(API, liar)
    record(page, world, plan, tmp_path)
    expect(page.locator("#cw-flash")).to_have_text("「幸福巷」检查记录已保存在手机上，联网后自动同步")
    # Nobody touches the phone: it retries by itself, and every lie keeps the records.
    for _ in range(100):
        if len(calls) >= 4:
            break
        page.wait_for_timeout(100)
    assert len(calls) >= 4
    assert on_phone(page) == [1, 1, 1]
    assert counts() == (0, 0, 0, 0)
    expect(page.locator("#cw-sync-text")).to_contain_text(
        "同步未完成：服务器的回答无法识别（可能是登录页或网络代理页面）"
    )
    screenshot(page, "inspection-phone-not-the-api")

    # The session is over: the login page, through a redirect. The phone asks to sign in again.
    page.unroute(API)
    page.route(API, lambda route: route.fulfill(status=302, headers={"Location": "/accounts/login/?next=/api/v1/"}))
    page.get_by_role("button", name="立即同步").click()
    expect(page.locator("#cw-sync-text")).to_contain_text("登录已过期，请重新登录后同步（记录仍保存在手机上）")
    expect(page.get_by_role("link", name="重新登录")).to_be_visible()
    screenshot(page, "inspection-phone-expired")
    assert on_phone(page) == [1, 1, 1]

    # The real server again: everything arrives once.
    page.unroute(API)
    page.get_by_role("button", name="立即同步").click()
    expect(page.locator("#cw-sync-text")).to_have_text("全部已同步")
    assert on_phone(page) == [0, 0, 0]
    assert counts() == (1, 1, 1, 1)
    # The day's page learnt from the server that 幸福巷 is done, without a reload.
    expect(page.locator("article", has_text="幸福巷").get_by_text("已检查")).to_be_visible()
    expect(page.locator("#cw-today-summary")).to_contain_text("待检查 1 个，共 2 个点位")
    context.close()


def test_a_401_keeps_everything_and_asks_to_sign_in(chromium, live_world, patient, tmp_path):
    world = with_checklist(live_world)
    plan = drawn_plan(world)
    context, page = new_phone(chromium)
    browser_sign_in(page, world.url, world.inspector)
    page.route(API, lambda route: route.fulfill(status=401, json={"detail": "请先登录"}))
    record(page, world, plan, tmp_path, fail=False)
    expect(page.locator("#cw-sync-text")).to_contain_text("登录已过期")
    expect(page.get_by_role("link", name="重新登录")).to_be_visible()
    page.wait_for_timeout(2500)  # longer than the retry wait: an expired session is not hammered
    assert on_phone(page) == [1, 0, 0]
    page.unroute(API)
    page.get_by_role("button", name="立即同步").click()
    expect(page.locator("#cw-sync-text")).to_have_text("全部已同步")
    assert Inspection.objects.count() == 1
    context.close()


def test_a_shared_phone_stores_each_record_under_its_maker(chromium, live_world, tmp_path, screenshot):
    world = with_checklist(live_world)
    hanjing = second_inspector(world)
    plan = drawn_plan(world, members=[world.inspector, hanjing])
    context, page = new_phone(chromium)

    # 韩静 records at 幸福巷 with no network, then leaves; her session ends.
    browser_sign_in(page, world.url, hanjing)
    page.route(API, lambda route: route.abort("internetdisconnected"))
    record(page, world, plan, tmp_path)
    expect(page.locator("#cw-flash")).to_contain_text("已保存在手机上")
    # Her session ends before the network comes back: the phone retries by itself, and a retry
    # while she was still signed in would rightly send her records under her own name.
    context.clear_cookies()
    page.unroute(API)

    # 李强 signs in on the same phone: her records wait for her, his go under his name.
    browser_sign_in(page, world.url, world.inspector)
    page.goto(f"{world.url}/inspections/today/")
    expect(page.locator("#cw-sync-text")).to_contain_text("韩静 的 3 条记录在等其本人登录后同步")
    record(page, world, plan, tmp_path, site="BS-0002", fail=False)
    expect(page.locator("#cw-flash")).to_have_text("「建设路农贸市场」检查记录已提交")
    expect(page.locator("#cw-sync-text")).to_have_text("您的记录已全部同步 · 韩静 的 3 条记录在等其本人登录后同步")
    expect(page.locator("article", has_text="幸福巷").locator(".cw-pending-badge")).to_be_hidden()
    screenshot(page, "inspection-phone-shared")
    assert list(Inspection.objects.values_list("site__code", "inspector__username")) == [("BS-0002", "liqiang")]

    # Should the phone send her records under his session anyway, the server refuses them.
    refused = page.evaluate(
        """() => cwInspect.pending().then(p => {
            const r = p.inspections[0];
            return fetch('/api/v1/inspections', {method: 'POST', credentials: 'same-origin',
                headers: {'Content-Type': 'application/json', 'Accept': 'application/json',
                          'X-CSRFToken': document.cookie.match(/csrftoken=([^;]+)/)[1]},
                body: JSON.stringify({client_id: r.client_id, plan: r.plan, site: r.site,
                    started_at: r.started_at, submitted_at: r.submitted_at, results: r.results,
                    maker: r.maker})
            }).then(res => res.json().then(body => [res.status, body]));
        })"""
    )
    assert refused == [
        403,
        {
            "detail": "这条记录是 hanjing 在手机上记录的，当前登录的是 liqiang：请 hanjing 本人登录后同步",
            "code": "maker",
        },
    ]

    # She signs in again: her records go, under her name; the stamp says so.
    context.clear_cookies()
    browser_sign_in(page, world.url, hanjing)
    page.goto(f"{world.url}/inspections/today/")
    expect(page.locator("#cw-sync-text")).to_have_text("全部已同步")
    mine = Inspection.objects.get(site=world.site)
    assert mine.inspector == hanjing
    assert Problem.objects.get().recorded_by == hanjing
    assert InspectionPhoto.objects.get().uploaded_by == hanjing
    context.close()


def test_after_a_failure_records_arrive_by_themselves_and_a_hung_request_is_abandoned(
    chromium, live_world, patient, tmp_path
):
    world = with_checklist(live_world)
    plan = drawn_plan(world)
    context, page = new_phone(chromium)
    browser_sign_in(page, world.url, world.inspector)
    calls, failed = [], []
    page.on("requestfailed", lambda request: failed.append(request.url) if "/api/v1/" in request.url else None)

    def flaky(route):
        calls.append(route.request.url)
        if len(calls) == 1:
            return  # never answered: the phone must give up on it after its timeout
        if len(calls) <= 3:
            route.fulfill(status=502, content_type="text/html", body="<h1>502 Bad Gateway</h1>")
            return
        route.continue_()

    page.route(API, flaky)
    record(page, world, plan, tmp_path)
    # The hung request was abandoned after 2 s; the run went on without anyone tapping anything.
    expect(page.locator("#cw-flash")).to_contain_text("已保存在手机上")
    expect(page.locator("#cw-sync-text")).to_have_text("全部已同步", timeout=20000)
    assert failed[:1] == [f"{world.url}/api/v1/inspections"]
    assert len(calls) >= 6  # the hung one, two 502s, then the inspection, problem and photo
    assert counts() == (1, 1, 1, 1)
    context.close()


def test_the_bar_tells_when_the_next_try_is(chromium, live_world, patient, tmp_path, screenshot):
    world = with_checklist(live_world)
    plan = drawn_plan(world)
    context, page = new_phone(chromium)
    browser_sign_in(page, world.url, world.inspector)
    page.route(API, lambda route: route.fulfill(status=503, content_type="text/html", body="busy"))
    record(page, world, plan, tmp_path, fail=False)
    expect(page.locator("#cw-sync-text")).to_have_text(
        re.compile(r"^手机上有 1 条记录待同步 · 同步未完成：服务器暂时无法处理（503）；\d\d:\d\d:\d\d 自动重试$")
    )
    expect(page.locator("#cw-sync-status")).to_have_text("在线")
    screenshot(page, "inspection-phone-retrying")
    context.close()


def test_a_problem_found_before_midnight_on_new_years_eve_keeps_the_old_year(chromium, live_world, tmp_path):
    world = with_checklist(live_world)
    eve = dt.datetime(2026, 12, 31, 23, 40, tzinfo=SHANGHAI)
    with time_machine.travel(eve, tick=True):
        plan = drawn_plan(world, starts_on=eve.date(), ends_on=eve.date() + dt.timedelta(days=3))
        context, page = new_phone(chromium, at=eve)
        browser_sign_in(page, world.url, world.inspector)
        page.route(API, lambda route: route.abort("internetdisconnected"))
        context.clock.set_system_time(eve.replace(minute=50))
        record(page, world, plan, tmp_path)
        expect(page.locator("#cw-flash")).to_contain_text("已保存在手机上")
    with time_machine.travel(dt.datetime(2027, 1, 1, 0, 5, tzinfo=SHANGHAI), tick=True):
        context.clock.set_system_time(clock.now())
        page.unroute(API)
        page.get_by_role("button", name="立即同步").click()
        expect(page.locator("#cw-sync-text")).to_have_text("全部已同步")
        problem = Problem.objects.get()
        assert problem.number == "2026-000001"
        assert dt.timedelta(0) <= problem.recorded_at - eve.replace(minute=50) < dt.timedelta(minutes=1)
        assert clock.today() == dt.date(2027, 1, 1)
    context.close()


def test_a_photo_the_server_refuses_is_replaced_or_removed_then_the_record_syncs(
    chromium, live_world, tmp_path, monkeypatch, screenshot
):
    world = with_checklist(live_world)
    plan = drawn_plan(world)
    context, page = new_phone(chromium)
    browser_sign_in(page, world.url, world.inspector)
    page.goto(f"{world.url}/inspections/plans/{plan.uuid}/sites/BS-0001/")
    first = page.locator(f'fieldset[data-checkpoint="{world.checkpoint.pk}"]')
    first.get_by_text("不合格", exact=True).click()
    # On the phone first: what the server would refuse is not taken.
    notes = tmp_path / "notes.jpg"
    notes.write_text("这不是照片")
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    first.locator('input[type="file"]').set_input_files([str(notes), str(pdf)])
    expect(first.locator(".cw-photo-refused > div")).to_have_text(
        [
            "「notes.jpg」不是照片，只接受 jpeg、jpg、png、webp，未采用",
            "「scan.pdf」不是照片，只接受 jpeg、jpg、png、webp，未采用",
        ]
    )
    expect(first.locator(".cw-previews img")).to_have_count(0)
    screenshot(page, "inspection-phone-photo-refused-on-phone")

    # The server's limit is lower than the phone knew (a page from before a change): it refuses.
    monkeypatch.setattr("core.services.MAX_IMAGE_PIXELS", 500_000)
    page.goto(f"{world.url}/inspections/today/")
    record(page, world, plan, tmp_path, photos=2)
    expect(page.locator("#cw-sync-text")).to_have_text("手机上有 2 条记录待同步；2 条被退回，见下")
    rows = page.locator("#cw-refused .cw-refused-row")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("照片「IMG_0.jpg」：")
    screenshot(page, "inspection-phone-photo-refused")
    assert counts() == (1, 1, 1, 0)  # the problem is on the server without waiting for its photos

    # One photo replaced by a smaller one, the other removed: the record is complete.
    small = tmp_path / "small.jpg"
    small.write_bytes(jpeg_with_gps(600, 450))
    rows.first.locator('input[type="file"]').set_input_files(str(small))
    expect(rows).to_have_count(1)
    page.once("dialog", lambda dialog: dialog.accept())
    rows.first.get_by_role("button", name="删除").click()
    expect(page.locator("#cw-sync-text")).to_have_text("全部已同步")
    assert on_phone(page) == [0, 0, 0]
    photo = InspectionPhoto.objects.get()
    assert photo.original.file.read() == small.read_bytes()
    assert list(Problem.objects.get().photos.all()) == [photo.display]
    context.close()


def test_two_phones_at_the_same_site_make_one_open_problem(chromium, live_world, tmp_path, screenshot):
    world = with_checklist(live_world)
    hanjing = second_inspector(world)
    plan = drawn_plan(world, members=[world.inspector, hanjing])
    phones = []
    for person in (world.inspector, hanjing):
        context, page = new_phone(chromium)
        browser_sign_in(page, world.url, person)
        page.route(API, lambda route: route.abort("internetdisconnected"))
        record(page, world, plan, tmp_path)
        expect(page.locator("#cw-flash")).to_contain_text("已保存在手机上")
        phones.append((context, page))
    # Both phones wrote their photo from the same file name, overwritten in between: each phone
    # kept its own bytes (a gallery file changed later must not leave a photo unsendable).
    for _context, page in phones:
        page.unroute(API)
        page.get_by_role("button", name="立即同步").click()
        expect(page.locator("#cw-sync-text")).to_contain_text("全部已同步")
    expect(phones[1][1].locator("#cw-sync-text")).to_have_text(
        "全部已同步 · 该点位此项问题已由他人登记为 2026-000001，已并入"
    )
    screenshot(phones[1][1], "inspection-phone-linked")
    problem = Problem.objects.get()
    assert Finding.objects.filter(problem=problem).count() == 2
    assert problem.photos.count() == 2
    for context, _page in phones:
        context.close()


def test_records_go_from_any_page_of_the_app(chromium, live_world, patient, tmp_path):
    """Recorded with the network down, then the inspector reads the problem list: the records
    are sent from that page when the network is back, without opening 今日检查."""
    world = with_checklist(live_world)
    plan = drawn_plan(world)
    context, page = new_phone(chromium)
    browser_sign_in(page, world.url, world.inspector)
    page.route(API, lambda route: route.abort("internetdisconnected"))
    record(page, world, plan, tmp_path)
    expect(page.locator("#cw-flash")).to_contain_text("已保存在手机上")
    page.goto(f"{world.url}/problems/")
    page.wait_for_function("window.cwInspect !== undefined")
    assert on_phone(page) == [1, 1, 1]
    assert counts() == (0, 0, 0, 0)
    page.unroute(API)
    for _ in range(100):  # the phone retries by itself within its back-off (1 s, then 2 s here)
        if on_phone(page) == [0, 0, 0]:
            break
        page.wait_for_timeout(200)
    assert on_phone(page) == [0, 0, 0]
    assert counts() == (1, 1, 1, 1)
    context.close()
