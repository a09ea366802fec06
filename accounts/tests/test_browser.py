"""Signing in in a real browser, on a desktop and on a phone: the first sign-in of a PHC office
member (new password, authenticator set up from the QR code's key, recovery codes), then a
sign-in with a code computed by pyotp as the phone's app would, and the lockout page."""

import re

import pyotp
import pytest
from django.test import Client
from playwright.sync_api import expect

from core.models import SecurityEvent
from organisation.models import User
from tests.factories import UserFactory
from tests.signin import PASSWORD, browser_sign_in, fresh_code

pytestmark = pytest.mark.browser

SCREENS = {
    "desktop": {"viewport": {"width": 1366, "height": 900}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
}
NEW_PASSWORD = "Qing-shui-7he"


def fill_sign_in(page, url, username, password):
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


@pytest.mark.parametrize("screen", SCREENS)
def test_office_staff_set_up_and_use_the_second_factor(chromium, live_world, screenshot, screen):
    world = live_world
    context = chromium.new_context(locale="zh-CN", **SCREENS[screen])
    page = context.new_page()

    fill_sign_in(page, world.url, "wangfang", PASSWORD)
    expect(page.get_by_role("heading", name="修改密码")).to_be_visible()
    expect(page.get_by_text("您的密码是他人设置的")).to_be_visible()
    assert no_horizontal_scroll(page)
    screenshot(page, f"signin-password-change-{screen}")
    page.get_by_label("旧密码").fill(PASSWORD)
    page.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("新密码确认").fill(NEW_PASSWORD)
    page.get_by_role("button", name="修改密码").click()

    expect(page.get_by_role("heading", name="绑定动态口令")).to_be_visible()
    expect(page.locator("svg.cw-qr")).to_be_visible()
    assert page.locator("svg.cw-qr").bounding_box()["width"] >= 180  # big enough to scan from a screen
    assert no_horizontal_scroll(page)
    screenshot(page, f"signin-setup-{screen}")
    page.get_by_text("无法扫码？手动输入密钥").click()
    secret = page.locator(".cw-secret code").inner_text().replace(" ", "")
    phone = pyotp.TOTP(secret)  # the app on the phone, from the key the page showed
    page.get_by_label("动态口令").fill(phone.now())
    page.get_by_role("button", name="完成绑定").click()

    expect(page.get_by_role("heading", name="恢复码")).to_be_visible()
    codes = page.locator(".cw-codes code").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-7]{8}", code) for code in codes)
    screenshot(page, f"signin-recovery-codes-{screen}")
    page.get_by_role("link", name="我已妥善保存，继续").click()
    expect(page).to_have_url(f"{world.url}/overview/")

    if screen == "phone":
        page.get_by_role("button", name="菜单").click()
    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(f"{world.url}/accounts/login/")

    fill_sign_in(page, world.url, "wangfang", NEW_PASSWORD)
    expect(page.get_by_role("heading", name="验证动态口令")).to_be_visible()
    assert no_horizontal_scroll(page)
    screenshot(page, f"signin-verify-{screen}")
    page.get_by_label("动态口令").fill("000000")
    page.get_by_role("button", name="验证").click()
    expect(page.get_by_text("动态口令不正确。")).to_be_visible()
    page.wait_for_timeout(1100)  # django-otp's wait after a wrong code: a second, then doubling
    page.get_by_label("动态口令").fill(fresh_code(world.office, phone))
    page.get_by_role("button", name="验证").click()
    expect(page).to_have_url(f"{world.url}/overview/")

    assert [(e.kind, e.summary) for e in SecurityEvent.objects.order_by("id")] == [
        ("login", "登录成功"),
        ("password_changed", "本人修改密码（首次登录或管理员重置后）"),
        ("second_factor", "绑定动态口令并生成恢复码"),
        ("logout", "退出登录"),
        ("login", "密码验证通过，待验证动态口令"),
        ("login_failed", "动态口令或恢复码错误"),
        ("second_factor", "动态口令验证通过"),
    ]
    context.close()


@pytest.mark.parametrize("screen", SCREENS)
def test_the_sign_in_and_lockout_pages(chromium, live_world, screenshot, screen):
    world = live_world
    context = chromium.new_context(locale="zh-CN", **SCREENS[screen])
    page = context.new_page()
    page.goto(f"{world.url}/accounts/login/")
    assert no_horizontal_scroll(page)
    screenshot(page, f"signin-login-{screen}")
    for left in (4, 3, 2, 1):
        fill_sign_in(page, world.url, "liaison_a", "wrong-password")
        expect(page.get_by_role("alert")).to_have_text(
            f"用户名或密码不正确，请重新输入。再输错 {left} 次，账号将被锁定。"
        )
    screenshot(page, f"signin-login-failed-{screen}")
    fill_sign_in(page, world.url, "liaison_a", "wrong-password")
    expect(page.get_by_role("heading", name="暂时无法登录")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text(
        "登录失败次数过多，账号已被锁定。请 30 分钟后再试，或联系安全管理员解除锁定。"
    )
    assert no_horizontal_scroll(page)
    screenshot(page, f"signin-locked-{screen}")
    context.close()


@pytest.mark.parametrize("screen", SCREENS)
def test_the_security_administrator_unlocks_an_account(chromium, live_world, screenshot, screen):
    world = live_world
    for _ in range(5):
        Client().post("/accounts/login/", {"username": "liaison_a", "password": "wrong"}, REMOTE_ADDR="10.7.7.7")
    security = UserFactory(username="anquan", full_name="安全管理员", admin_role=User.AdminRole.SECURITY, is_staff=True)
    context = chromium.new_context(locale="zh-CN", **SCREENS[screen])
    page = context.new_page()
    browser_sign_in(page, world.url, security)
    page.goto(f"{world.url}/accounts/lockouts/")
    row = page.get_by_role("listitem").filter(has_text="liaison_a")
    expect(row).to_contain_text("账号 liaison_a")
    expect(row).to_contain_text("失败 5 次")
    assert no_horizontal_scroll(page)
    screenshot(page, f"signin-lockouts-{screen}")
    row.get_by_role("button", name="解除锁定").click()
    expect(page.get_by_text("目前没有被锁定的账号或地址。")).to_be_visible()
    page.goto(f"{world.url}/accounts/security/")
    expect(page.get_by_role("heading", name="账号安全")).to_be_visible()
    assert no_horizontal_scroll(page)
    screenshot(page, f"signin-account-{screen}")
    context.close()
