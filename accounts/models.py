"""Signing in: how a person proves who they are to the screens and the API. People, units and
roles are organisation's; what a person may see and do is access's."""

import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ApiToken(models.Model):
    """A key for the phone app or another system to call /api/v1/ as a person. Only the key's
    SHA-256 is stored; the key itself is shown once, when it is made."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("人员")
    )
    name = models.CharField(_("用途"), max_length=100)
    prefix = models.CharField(
        max_length=8, help_text="the key's first characters, to tell keys apart", verbose_name=_("前缀")
    )
    key_hash = models.CharField(max_length=64, unique=True, verbose_name=_("密钥摘要"))
    created_at = models.DateTimeField(verbose_name=_("生成时间"))
    last_used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("最近使用时间"))
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")

    def __str__(self) -> str:
        return f"{self.user} · {self.name} ({self.prefix}…)"

    @staticmethod
    def hash_of(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


class PasswordRecord(models.Model):
    """A password the person chose themselves, on the password page: its hash and when. The
    newest record that matches the password in use tells when it expires; the last
    PASSWORD_HISTORY records are the passwords that may not come back. A password that no record
    matches was set by someone else (an administrator, an import, the demo) and must be changed
    at the next sign-in."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_records")
    password = models.CharField(max_length=128)  # a hash, as User.password
    set_at = models.DateTimeField()

    class Meta:
        verbose_name = _("密码记录")
        verbose_name_plural = pgettext_lazy("plural", "密码记录")
        ordering = ["-set_at", "-id"]
        indexes = [models.Index(fields=["user", "-set_at"], name="password_record_user_set_at")]

    def __str__(self) -> str:
        return f"{self.user} · {self.set_at:%Y-%m-%d %H:%M}"
