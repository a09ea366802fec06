"""Signing in for tests.

- `client.force_login(user)` (patched for every test in conftest.py) stands for a finished
  sign-in: the session also carries the second factor for those who must have one (a TOTP device
  "测试" is made for them) and the session's start for the timeouts. A test of the sign-in steps
  themselves uses `force_login_unverified`, Django's own.
- `browser_sign_in(page, url, user)` signs a persona in through the real pages: the password
  form and, for those who must have one, a code from their authenticator computed with pyotp.
"""

import base64

import pyotp
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import second_factor, signin
from accounts.models import PasswordRecord
from core import clock
from organisation.models import User

PASSWORD = "pw-for-tests"  # tests.factories.UserFactory's
force_login_unverified = Client.force_login


def totp_device(user) -> TOTPDevice:
    device = second_factor.totp_device(user)
    return device or TOTPDevice.objects.create(user=user, name="测试", confirmed=True)


def authenticator(device: TOTPDevice) -> pyotp.TOTP:
    """The person's phone: the same key, read as an authenticator app reads the QR code."""
    return pyotp.TOTP(base64.b32encode(device.bin_key).decode(), digits=device.digits, interval=device.step)


def force_login_verified(self, user, backend=None):
    force_login_unverified(self, user, backend)
    session = self.session
    fresh = User.objects.get(pk=user.pk)  # the persona's cached Actor stays as the test left it
    if second_factor.required(fresh) or second_factor.has_totp(fresh):
        session[DEVICE_ID_SESSION_KEY] = totp_device(fresh).persistent_id
    signin.stamp(session)
    session.save()
    assert session[SESSION_KEY] == str(user.pk)


def own_password(user, password: str = PASSWORD) -> None:
    """Mark the persona's password as chosen by themselves (no forced change at sign-in)."""
    PasswordRecord.objects.create(user=user, password=User.objects.get(pk=user.pk).password, set_at=clock.now())


def browser_sign_in(page, url: str, user, password: str = PASSWORD) -> None:
    """Through the sign-in form, and the second factor for those who must have one."""
    own_password(user, password)
    phone = authenticator(totp_device(user)) if second_factor.required(User.objects.get(pk=user.pk)) else None
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    if phone is not None:
        page.get_by_label("动态口令").fill(fresh_code(user, phone))
        page.get_by_role("button", name="验证").click()
    page.wait_for_url(lambda address: "/accounts/" not in address)


def fresh_code(user, phone: pyotp.TOTP) -> str:
    """A code the server has not accepted yet: a code is good once, so a second sign-in within
    the same 30 seconds uses the next one (the server accepts one step either side)."""
    device = totp_device(user)
    now = clock.now().timestamp()
    step = int(now // device.step)
    return phone.at(now if step > device.last_t else (device.last_t + 1) * device.step)
