"""The second factor: a TOTP code from an authenticator app on the person's phone (django-otp's
TOTPDevice), and recovery codes for a lost phone (its StaticDevice and StaticTokens, each code
good once).

Who must have one is access's rule (`access.second_factor_required`: administrators and PHC
office staff); DEMO_MODE waives it so that `make run` needs no phone. Anyone may add one; whoever
has one is asked for a code at every sign-in.
"""

import base64

import django_otp
import segno
from django.conf import settings
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

import access

RECOVERY_CODES = 10
DEVICE_NAME = "手机"


def required(user) -> bool:
    return not settings.DEMO_MODE and access.second_factor_required(user)


def totp_device(user) -> TOTPDevice | None:
    """The person's confirmed authenticator, if they have one."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-id").first()


def has_totp(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_device(user) -> TOTPDevice:
    """The key being set up: kept unconfirmed until the person types its first code, so that a
    reload of the set-up page shows the same QR code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def secret(device: TOTPDevice) -> str:
    """The key in base32, in groups of four, for typing into an app by hand."""
    text = base64.b32encode(device.bin_key).decode()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URL as an inline SVG drawn here (no CDN, no image request, no inline style),
    with a viewBox so that CSS sizes it and the full quiet zone scanners need."""
    return segno.make(device.config_url, error="m").svg_inline(
        scale=5, border=4, dark="#000", light="#fff", svgclass="cw-qr", omitsize=True, title=_("绑定用二维码")
    )


def recovery_device(user) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user).first()


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user).count()


def normalise_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def check(user, code: str, *, recovery: bool):
    """(the device that accepts `code`, None) or (None, the time until which tries are refused
    after earlier wrong codes: django-otp's own throttle, doubling from a second)."""
    device = recovery_device(user) if recovery else totp_device(user)
    if device is None:
        return None, None
    allowed, data = device.verify_is_allowed()
    if not allowed:
        return None, (data or {}).get("locked_until")
    return django_otp.verify_token(user, device.persistent_id, normalise_code(code)), None
