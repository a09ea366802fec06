"""A citizen on a 390x844 phone reports with a photo and a tap on the map (no tile server), gets a
tracking code; the office triages the report into a problem; the status page says 已受理.
With SHOTS_DIR set, the portal's pages are also saved there at 390x844 and 1280x800."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from problems.tests.helpers import assigned_problem, closed_problem
from problems.tests.test_browser import sign_in
from public.models import CitizenReport
from public.states import ReportStatus
from public.tests.helpers import category, gps_jpeg
from public.tests.test_portal import published_bulletin

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


def _shoot(page, name: str) -> None:
    folder = os.environ.get("SHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def test_a_citizen_reports_on_a_phone_and_the_office_accepts_it(chromium, live_world, screenshot, tmp_path):
    world = live_world
    category(world)
    # 东城街道's outline: the map draws it without any tile server.
    world.east.boundary = {
        "type": "Polygon",
        "coordinates": [
            [[113.655, 34.750], [113.675, 34.750], [113.675, 34.764], [113.655, 34.764], [113.655, 34.750]]
        ],
    }
    world.east.save(update_fields=["boundary"])
    closed_problem(world)
    assigned_problem(world)
    published_bulletin(world, title="关于五月份创卫督查情况的通报", number=5, year=2026)
    photo = tmp_path / "现场.jpg"
    photo.write_bytes(gps_jpeg(size=(800, 600)))

    citizen = chromium.new_context(locale="zh-CN", **PHONE).new_page()
    errors = []
    citizen.on("pageerror", lambda error: errors.append(str(error)))
    # A refused script or style (the Content-Security-Policy) is said on the console.
    citizen.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    citizen.goto(f"{world.url}/public/")
    expect(citizen.get_by_role("heading", name="全区整改情况")).to_be_visible()
    _shoot(citizen, "home-390")
    citizen.get_by_role("link", name="随手拍 · 我要反映").click()
    citizen.get_by_label("问题类别").select_option(label="垃圾堆放")
    citizen.get_by_label("问题描述").fill("幸福巷口垃圾堆了三天没人清运")
    citizen.get_by_label("现场照片（可选）").set_input_files(str(photo))
    expect(citizen.locator(".cw-area-label")).to_have_text("东城街道")
    # Inside the outline, near its centre (the map fits the outline).
    citizen.locator("#report-map").click(position={"x": 190, "y": 140})
    expect(citizen.locator("#report-map-note")).to_contain_text("已选位置")
    assert citizen.locator("#id_latitude").input_value() != ""
    _shoot(citizen, "report-form-390")
    screenshot(citizen, "public-report-form-phone")
    citizen.get_by_role("button", name="提交").click()
    code = citizen.get_by_test_id("code").inner_text().strip()
    assert re.fullmatch(r"[23456789A-HJ-NP-Z]{10}", code)
    expect(citizen.get_by_test_id("status")).to_contain_text("已收到")
    report = CitizenReport.objects.get(code=code)
    assert report.location_source == CitizenReport.LocationSource.MAP
    assert 34.750 < report.latitude < 34.764 and 113.655 < report.longitude < 113.675
    assert report.photos.count() == 1
    _shoot(citizen, "status-received-390")

    if os.environ.get("SHOTS_DIR"):
        office_wide = sign_in(chromium, world, world.office, **DESKTOP)
        office_wide.goto(f"{world.url}/reports/")
        _shoot(office_wide, "triage-queue-1280")
        office_wide.goto(f"{world.url}/reports/{code}/")
        _shoot(office_wide, "triage-detail-1280")

    office = sign_in(chromium, world, world.office, **PHONE)
    office.goto(f"{world.url}/reports/")
    _shoot(office, "triage-queue-390")
    office.get_by_role("link", name=code).click()
    _shoot(office, "triage-detail-390")
    form = office.locator("form", has=office.get_by_role("button", name="受理", exact=True))
    expect(form.get_by_label(re.compile("幸福巷"))).to_be_checked()
    form.get_by_role("button", name="受理", exact=True).click()
    expect(office.get_by_text(re.compile(r"已受理，登记为问题 \d{4}-\d{6}"))).to_be_visible()
    report.refresh_from_db()
    assert report.status == ReportStatus.ACCEPTED and report.problem.photos.count() == 1

    citizen.goto(f"{world.url}/public/r/{code.lower()}/")
    expect(citizen.get_by_test_id("status")).to_contain_text("已受理")
    expect(citizen.get_by_test_id("status")).to_contain_text(report.problem.number)
    _shoot(citizen, "status-accepted-390")
    screenshot(citizen, "public-status-accepted-phone")
    assert errors == []

    if os.environ.get("SHOTS_DIR"):
        wide = chromium.new_context(locale="zh-CN", **DESKTOP).new_page()
        for path, name in [
            ("/public/", "home-1280"),
            ("/public/report/", "report-form-1280"),
            (f"/public/r/{code}/", "status-accepted-1280"),
        ]:
            wide.goto(f"{world.url}{path}")
            _shoot(wide, name)
