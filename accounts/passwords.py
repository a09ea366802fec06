"""The password rules and when a password must be changed.

The validators are Django's (settings.AUTH_PASSWORD_VALIDATORS), so the password page, the
admin's password form and `manage.py changepassword` all apply them. Their numbers come from the
environment (README, "Configuration"):

- at least PASSWORD_MIN_LENGTH characters, not one of Django's list of common passwords;
- at least PASSWORD_CHARACTER_CLASSES of lower case, upper case, digits and symbols;
- not containing the username, whatever the case;
- not the demo's published password;
- none of the last PASSWORD_HISTORY passwords the person chose (accounts.PasswordRecord);
- changed every PASSWORD_MAX_AGE_DAYS days, and at the first sign-in with a password someone else
  set (`change_reason`).
"""

import datetime as dt
import re

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import PasswordRecord
from core import clock

# The demo district's accounts share this published password (demo/district.py, README). It
# may never be anyone's own password, and outside DEMO_MODE it is changed at the first sign-in.
SHARED_PASSWORDS = frozenset({"chuangwei2026"})

CHARACTER_CLASSES = [re.compile(r"[a-z]"), re.compile(r"[A-Z]"), re.compile(r"[0-9]"), re.compile(r"[^a-zA-Z0-9]")]


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's, with its messages in our catalogue (Django 5.2's Chinese misses its new wording)."""

    def get_error_message(self) -> str:
        n = self.min_length
        return ngettext("密码太短，至少需要 %(count)d 个字符。", "密码太短，至少需要 %(count)d 个字符。", n) % {
            "count": n
        }

    def get_help_text(self) -> str:
        n = self.min_length
        return ngettext("密码至少需要 %(count)d 个字符。", "密码至少需要 %(count)d 个字符。", n) % {"count": n}


class CommonPasswordValidator(password_validation.CommonPasswordValidator):
    """Django's list of 20,000 common passwords, with our wording."""

    def get_error_message(self) -> str:
        return _("这个密码太常见，容易被猜中。")

    def get_help_text(self) -> str:
        return _("不能是常见密码。")


class CharacterClassesValidator:
    """Mix at least `min_classes` of: lower case, upper case, digits, symbols (等保: complexity)."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password: str, user=None) -> None:
        if sum(1 for pattern in CHARACTER_CLASSES if pattern.search(password)) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self) -> str:
        return _("密码须包含小写字母、大写字母、数字、符号中的至少 %(count)d 类。") % {"count": self.min_classes}


class NotContainingUsernameValidator:
    """The username may not appear in the password, in any case (`liaison2026` for liaison)."""

    def validate(self, password: str, user=None) -> None:
        username = (user.get_username() if user is not None else "") or ""
        if len(username) >= 3 and username.casefold() in password.casefold():
            raise ValidationError(_("密码不能包含用户名。"), code="password_contains_username")

    def get_help_text(self) -> str:
        return _("密码不能包含用户名。")


class NotSharedPasswordValidator:
    """The demo's published password is nobody's own."""

    def validate(self, password: str, user=None) -> None:
        if password in SHARED_PASSWORDS:
            raise ValidationError(_("不能使用演示账号的公开密码。"), code="password_shared")

    def get_help_text(self) -> str:
        return _("不能使用演示账号的公开密码。")


class HistoryValidator:
    """Not the password in use, nor any of the last `count` the person chose."""

    def __init__(self, count: int = 5):
        self.count = count

    def validate(self, password: str, user=None) -> None:
        if user is None or user.pk is None or self.count == 0:
            return
        hashes = [user.password] if user.has_usable_password() else []
        hashes += PasswordRecord.objects.filter(user=user).values_list("password", flat=True)[: self.count]
        if any(check_password(password, encoded) for encoded in hashes):
            raise ValidationError(self.get_help_text(), code="password_reused")

    def get_help_text(self) -> str:
        return ngettext(
            "新密码不能与当前密码或最近 %(count)d 次使用过的密码相同。",
            "新密码不能与当前密码或最近 %(count)d 次使用过的密码相同。",
            self.count,
        ) % {"count": self.count}


class ChangeReason:
    """Why a sign-in must change the password before anything else (the session's flag)."""

    SHARED = "shared"  # the demo's published password, outside DEMO_MODE
    NOT_OWN = "not_own"  # set by someone else: first sign-in, an administrator's reset, an import
    EXPIRED = "expired"  # older than PASSWORD_MAX_AGE_DAYS


def own_password_record(user, raw_password: str) -> PasswordRecord | None:
    """The person's newest record if it is the password they use now, else None. The hash is
    compared first; the slow check runs only when Django has re-hashed the password since."""
    record = PasswordRecord.objects.filter(user=user).first()
    if record is None:
        return None
    if record.password == user.password or check_password(raw_password, record.password):
        return record
    return None


def current_record(user) -> PasswordRecord | None:
    """The record of the password in use, by its hash (for the 账号安全 page)."""
    return PasswordRecord.objects.filter(user=user, password=user.password).first()


def expires_at(record: PasswordRecord | None):
    if record is None or not settings.PASSWORD_MAX_AGE_DAYS:
        return None
    return record.set_at + dt.timedelta(days=settings.PASSWORD_MAX_AGE_DAYS)


def change_reason(user, raw_password: str) -> str | None:
    """At a successful sign-in with `raw_password`: must it be changed first, and why."""
    if raw_password in SHARED_PASSWORDS:
        # `make run` keeps the demo usable; anywhere else a published password is nobody's.
        return None if settings.DEMO_MODE else ChangeReason.SHARED
    record = own_password_record(user, raw_password)
    if record is None:
        return ChangeReason.NOT_OWN
    expiry = expires_at(record)
    if expiry is not None and clock.now() >= expiry:
        return ChangeReason.EXPIRED
    return None
