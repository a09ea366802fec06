"""The closed loop in real browsers: three people, three sessions, one of them on a phone."""

import re

import pytest
from playwright.sync_api import expect

from problems import services
from problems.models import Problem
from problems.states import Status
from problems.tests.helpers import DEADLINE, recorded_problem
from tests.factories import jpeg_bytes
from tests.signin import browser_sign_in

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def sign_in(chromium, world, user, **context_options):
    context = chromium.new_context(locale="zh-CN", **context_options)
    page = context.new_page()
    browser_sign_in(page, world.url, user)
    return page


def test_office_assigns_liaison_fixes_on_a_phone_inspector_verifies(chromium, live_world, screenshot, tmp_path):
    world = live_world
    first = recorded_problem(world, description="幸福巷口垃圾桶满溢，地面散落生活垃圾")
    second = recorded_problem(world, description="幸福巷12号院墙小广告")

    office = sign_in(chromium, world, world.office)
    for problem in (first, second):
        office.goto(f"{world.url}/problems/{problem.uuid}/")
        form = office.locator("form", has=office.get_by_role("button", name="交办"))
        form.get_by_label("责任单位").select_option(label="东城街道")
        form.get_by_label("整改期限").fill("2026-05-20")
        form.get_by_role("button", name="交办").click()
        expect(office.get_by_text(f"问题 {problem.number}：已交办")).to_be_visible()
    screenshot(office, "problem-detail-office")

    liaison = sign_in(chromium, world, world.liaison_a, **PHONE)
    expect(liaison.get_by_role("heading", name=re.compile("待整改问题"))).to_be_visible()
    screenshot(liaison, "liaison-phone-work-list")
    photo = tmp_path / "after.jpg"
    photo.write_bytes(jpeg_bytes(640, 480, (40, 160, 60)))
    for problem in (first, second):
        liaison.get_by_text(problem.number).click()
        form = liaison.locator("form", has=liaison.get_by_role("button", name="提交整改材料"))
        form.get_by_label("整改情况").fill("已清理完毕")
        form.get_by_label("整改照片").set_input_files(str(photo))
        form.get_by_role("button", name="提交整改材料").click()
        expect(liaison.get_by_text("已提交整改材料")).to_be_visible()
        liaison.goto(f"{world.url}/problems/mine/")
    screenshot(liaison, "liaison-phone-after-submit")

    inspector = sign_in(chromium, world, world.inspector)
    expect(inspector.get_by_text(first.number)).to_be_visible()
    screenshot(inspector, "verification-queue")
    inspector.get_by_text(first.number).click()
    inspector.locator("form", has=inspector.get_by_role("button", name="复核通过并销号")).get_by_role(
        "button", name="复核通过并销号"
    ).click()
    expect(inspector.get_by_text("已复核通过并销号")).to_be_visible()
    inspector.goto(f"{world.url}/problems/{second.uuid}/")
    form = inspector.locator("form", has=inspector.get_by_role("button", name="退回返工"))
    form.get_by_label("理由").fill("小广告未清除干净")
    form.get_by_role("button", name="退回返工").click()
    expect(inspector.get_by_text("已退回返工")).to_be_visible()

    liaison.goto(f"{world.url}/problems/{second.uuid}/")
    expect(liaison.get_by_text("小广告未清除干净")).to_be_visible()
    form = liaison.locator("form", has=liaison.get_by_role("button", name="提交整改材料"))
    form.get_by_label("整改情况").fill("已重新清除")
    form.get_by_label("整改照片").set_input_files(str(photo))
    form.get_by_role("button", name="提交整改材料").click()
    expect(liaison.get_by_text("已提交整改材料")).to_be_visible()

    assert Problem.objects.get(pk=first.pk).status == Status.CLOSED
    assert Problem.objects.get(pk=second.pk).status == Status.SUBMITTED
    assert Problem.objects.with_counts().get(pk=second.pk).rework_count == 1


def test_another_units_problem_is_not_found_in_the_browser(chromium, live_world):
    world = live_world
    problem = recorded_problem(world, site=world.site_b)
    services.problem_assign(actor=world.office, problem=problem, unit=world.unit_b, deadline=DEADLINE)
    page = sign_in(chromium, world, world.liaison_a)
    response = page.goto(f"{world.url}/problems/{problem.uuid}/")
    assert response.status == 404
