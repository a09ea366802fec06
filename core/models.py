import hashlib
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def _attachment_path(instance: "Attachment", filename: str) -> str:
    # Generated names only: what a user called the file is kept in original_name, never used as
    # a path, so an upload cannot choose where it lands or overwrite another file.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"attachments/{instance.uploaded_at:%Y/%m}/{instance.uuid.hex}.{suffix[:8]}"


class Attachment(models.Model):
    """A file given as evidence: a problem's photo, rectification material, a progress report's
    proof. Stored under a generated name with its SHA-256, so the original can be proved intact."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    file = models.FileField(upload_to=_attachment_path, max_length=200)
    original_name = models.CharField(_("原文件名"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = pgettext_lazy("plural", "附件")

    def __str__(self) -> str:
        return self.original_name

    @staticmethod
    def hash_of(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()


class AppendOnly(models.Model):
    """Audit rows are written once and never changed or deleted: the trail is evidence."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise RuntimeError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError(f"{type(self).__name__} rows are append-only")


class YearCounter(models.Model):
    """The last number of a yearly series given out (problem numbers, bulletin issues). A number
    is taken under a lock on this row alone (`take_next`): Django drops FOR UPDATE on an
    aggregate, so "the highest number so far" cannot be locked, but a counter row can."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    @classmethod
    def take_next(cls, year: int) -> int:
        """The next number of the year; call inside the transaction that uses it."""
        counter, _created = cls.objects.select_for_update().get_or_create(year=year)
        counter.last += 1
        counter.save(update_fields=["last"])
        return counter.last


class SecurityEvent(AppendOnly):
    """The security log (安全审计日志), append-only: sign-ins and their failures, lockouts,
    sign-outs, refusals, exports and imports, changes to people, units, sites, roles, tokens and
    settings, covert reads, administrators' actions. Written through core.security.log_event by
    whichever app sees the event; read by the audit administrator."""

    class Kind(models.TextChoices):
        LOGIN = "login", _("登录")
        LOGIN_FAILED = "login_failed", _("登录失败")
        LOCKOUT = "lockout", _("账号锁定")
        UNLOCK = "unlock", _("解除锁定")
        LOGOUT = "logout", _("退出登录")
        SESSION_EXPIRED = "session_expired", _("会话超时")
        PASSWORD_CHANGED = "password_changed", _("修改密码")
        SECOND_FACTOR = "second_factor", _("双因素认证")
        REFUSED = "refused", _("拒绝访问")
        EXPORT = "export", _("导出")
        IMPORT = "import", _("导入")
        CHANGE = "change", _("数据变更")
        ROLE_CHANGE = "role_change", _("角色变更")
        TOKEN = "token", _("接口令牌")
        COVERT_READ = "covert_read", _("查阅暗访")
        ADMIN = "admin", _("管理操作")
        BACKUP = "backup", _("备份与恢复")

    at = models.DateTimeField(_("时间"), db_index=True)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("用户"),
    )
    # The name typed at a failed sign-in (there may be no such user); the user's name otherwise.
    username = models.CharField(_("用户名"), max_length=150, blank=True)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    path = models.CharField(_("地址"), max_length=300, blank=True)
    target = models.CharField(_("对象"), max_length=200, blank=True)  # "organisation.membership:12"
    summary = models.TextField(_("摘要"), blank=True)  # one sentence in Chinese
    details = models.JSONField(_("详情"), default=dict, blank=True)  # before/after, row counts

    class Meta:
        verbose_name = _("安全审计日志")
        verbose_name_plural = pgettext_lazy("plural", "安全审计日志")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["user", "at"], name="security_event_user_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()} {self.username}"
