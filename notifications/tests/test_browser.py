"""In real browsers: the office assigns on a desktop, the liaison on a phone sees the unread
count in the navigation, opens the notification centre, follows the message to the problem;
the office sees the delivery log. Screenshots in the screenshot folder."""

import re

import pytest
from playwright.sync_api import expect

from problems.tests.helpers import recorded_problem
from problems.tests.test_browser import PHONE, sign_in

pytestmark = pytest.mark.browser


def test_the_office_assigns_and_the_liaison_sees_the_unread_message(chromium, live_world, screenshot):
    world = live_world
    problem = recorded_problem(world, description="幸福巷口垃圾桶满溢，地面散落生活垃圾")

    office = sign_in(chromium, world, world.office)
    office.goto(f"{world.url}/problems/{problem.uuid}/")
    form = office.locator("form", has=office.get_by_role("button", name="交办"))
    form.get_by_label("责任单位").select_option(label="东城街道")
    form.get_by_label("整改期限").fill("2026-05-20")
    form.get_by_role("button", name="交办").click()
    expect(office.get_by_text(f"问题 {problem.number}：已交办")).to_be_visible()

    liaison = sign_in(chromium, world, world.liaison_a, **PHONE)
    liaison.get_by_role("button", name="菜单").click()
    bell = liaison.get_by_role("link", name="站内信，未读 1 条")
    expect(bell).to_be_visible()
    screenshot(liaison, "notifications-phone-unread")
    bell.click()
    message = liaison.get_by_role("link", name=f"问题交办：{problem.number}，请于 2026年5月20日 前整改")
    expect(message).to_be_visible()
    screenshot(liaison, "notifications-phone-inbox")
    liaison.get_by_role("button", name="全部标为已读").click()
    expect(liaison.get_by_text("未读", exact=True)).to_have_count(0)
    message.click()
    expect(liaison).to_have_url(re.compile(f"/problems/{problem.uuid}/"))

    office.goto(f"{world.url}/notifications/log/")
    expect(office.get_by_role("heading", name="消息通知")).to_be_visible()
    screenshot(office, "notifications-office-log")
    office.goto(f"{world.url}/notifications/rules/")
    screenshot(office, "notifications-office-rules")
    office.goto(f"{world.url}/notifications/endpoints/")
    screenshot(office, "notifications-office-endpoints")
