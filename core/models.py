import hashlib
import uuid

from django.conf import settings
from django.db import models, router, transaction
from django.utils.translation import gettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core import chain


def _attachment_path(instance: "Attachment", filename: str) -> str:
    # Generated names only: what a user called the file is kept in original_name, never used as
    # a path, so an upload cannot choose where it lands or overwrite another file.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"attachments/{instance.uploaded_at:%Y/%m}/{instance.uuid.hex}.{suffix[:8]}"


class Attachment(models.Model):
    """A file given as evidence: a problem's photo, rectification material, a progress report's
    proof. Stored under a generated name with its SHA-256, so the original can be proved intact."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, verbose_name=_("标识"))
    file = models.FileField(upload_to=_attachment_path, max_length=200, verbose_name=_("文件"))
    original_name = models.CharField(_("原文件名"), max_length=255)
    content_type = models.CharField(max_length=100, verbose_name=_("文件类型"))
    size = models.PositiveBigIntegerField(verbose_name=_("大小（字节）"))
    sha256 = models.CharField(max_length=64, db_index=True, verbose_name=_("SHA-256 摘要"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("上传人")
    )
    uploaded_at = models.DateTimeField(verbose_name=_("上传时间"))

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = pgettext_lazy("plural", "附件")

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        """Pages show a thumbnail and documents print a picture only for these; anything else
        (rectification documents, or a file stored as a photo by an older version) is a link."""
        return self.content_type.startswith("image/")

    @staticmethod
    def hash_of(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()


class ChainHead(models.Model):
    """The end of one append-only table's hash chain (core.chain): its last position and hash.
    Appends to the table take this row under a lock of its own, so two writers never chain to
    the same row; audit_check compares it with the table's last row, so rows deleted from the
    end are seen too."""

    table = models.CharField(max_length=100, primary_key=True)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=chain.GENESIS)

    class Meta:
        verbose_name = _("哈希链头")
        verbose_name_plural = pgettext_lazy("plural", "哈希链头")

    def __str__(self) -> str:
        return f"{self.table} #{self.seq}"

    @classmethod
    def locked(cls, table: str, using: str | None = None) -> "ChainHead":
        """The head of `table`, locked until the end of the transaction (call inside one). The
        row is made if missing by an INSERT that yields to one already there (two first appends
        at once both go on), then locked: the same two queries every time."""
        heads = cls.objects.using(using)
        heads.bulk_create([cls(table=table)], ignore_conflicts=True)
        return heads.select_for_update().get(table=table)


class AppendOnlyError(RuntimeError):
    """Code tried to change or delete rows of an append-only table (a bug, not a user's mistake:
    the database's triggers would refuse it too)."""


class AppendOnlyQuerySet(models.QuerySet):
    """Appends only: `update()`, `bulk_update()` and `delete()` are refused before any SQL is
    sent; `create()` and `bulk_create()` chain the new rows (core.chain)."""

    def _refuse(self, what: str):
        raise AppendOnlyError(
            gettext("「%(model)s」（表 %(table)s）只能追加，不能%(what)s")
            % {"model": self.model._meta.verbose_name, "table": self.model._meta.db_table, "what": what}
        )

    def update(self, **kwargs):
        self._refuse(pgettext("append-only refusal", "修改"))

    update.alters_data = True

    def delete(self):
        self._refuse(pgettext("append-only refusal", "删除"))

    delete.alters_data = True
    delete.queryset_only = True

    def bulk_update(self, objs, fields, batch_size=None):
        self._refuse(pgettext("append-only refusal", "修改"))

    bulk_update.alters_data = True

    def _raw_delete(self, using):
        self._refuse(pgettext("append-only refusal", "删除"))

    def create(self, **kwargs):
        """Create one row; many-to-many fields named in the model's `chained_links` may be given
        here (ids or objects): they are hashed with the row and linked in the same transaction."""
        links = {name: kwargs.pop(name) for name in self.model.chained_links if name in kwargs}
        obj = self.model(**kwargs)
        self._for_write = True
        obj._chained_links = {name: [getattr(x, "pk", x) for x in targets] for name, targets in links.items()}
        with transaction.atomic(using=self.db, savepoint=False):
            obj.save(force_insert=True, using=self.db)
            for name, ids in obj._chained_links.items():
                if ids:
                    getattr(obj, name).set(ids)
        return obj

    def bulk_create(self, objs, batch_size=None, ignore_conflicts=False, update_conflicts=False, **kwargs):
        if ignore_conflicts or update_conflicts:
            self._refuse(pgettext("append-only refusal", "覆盖已有记录"))
        objs = list(objs)
        if not objs:
            return objs
        with transaction.atomic(using=self.db, savepoint=False):
            _chain_append(self.model, objs, using=self.db)
            created = super().bulk_create(objs, batch_size=batch_size, **kwargs)
            _chain_advance(self.model, objs, using=self.db)
        return created


def _chain_append(model, objs, *, using) -> None:
    """Number and hash `objs` after the locked head of their table (inside a transaction)."""
    head = ChainHead.locked(model._meta.db_table, using)
    canon = chain.canon_of(model)
    seq, prev = head.seq, head.hash
    for obj in objs:
        seq += 1
        prev = canon.seal(obj, seq=seq, prev=prev, links=getattr(obj, "_chained_links", None))


def _chain_advance(model, objs, *, using) -> None:
    last = objs[-1]
    ChainHead.objects.using(using).filter(table=model._meta.db_table).update(seq=last.chain_seq, hash=last.chain_hash)


class AppendOnly(models.Model):
    """Audit rows are written once and never changed or deleted: the trail is evidence.

    Three layers keep it so: this class refuses `save()` of an existing row and `delete()`, its
    QuerySet refuses bulk `update()` and `delete()`, and the database refuses UPDATE and DELETE
    with triggers (core.trail, installed by each app's migration). Each row is also chained to
    the one before it in its table (core.chain), so a change made around all three, by someone
    who owns the database, is found by `audit_check`.

    The hash is computed before the insert, so a subclass must not use auto_now/auto_now_add nor
    change fields in a pre_save signal. It lists in `chained_links` the many-to-many fields that
    belong to the row (given to `objects.create(...)`, hashed with it)."""

    chain_seq = models.PositiveBigIntegerField(_("链序号"), unique=True, editable=False)
    chain_prev = models.CharField(_("前一条哈希"), max_length=64, default="", editable=False)
    chain_hash = models.CharField(_("本条哈希"), max_length=64, default="", editable=False)

    chained_links: tuple[str, ...] = ()

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows are append-only")
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using, savepoint=False):
            _chain_append(type(self), [self], using=using)
            super().save(*args, **kwargs)
            _chain_advance(type(self), [self], using=using)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only")


class YearCounter(models.Model):
    """The last number of a yearly series given out (problem numbers, bulletin issues). A number
    is taken under a lock on this row alone (`take_next`): Django drops FOR UPDATE on an
    aggregate, so "the highest number so far" cannot be locked, but a counter row can."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    @classmethod
    def peek_next(cls, year: int) -> int:
        """The number take_next would give now, for a screen to name before the step; the step
        itself takes it under the lock (and may find another took it meanwhile)."""
        last = cls.objects.filter(year=year).values_list("last", flat=True).first()
        return (last or 0) + 1

    @classmethod
    def take_next(cls, year: int) -> int:
        """The next number of the year; call inside the transaction that uses it."""
        counter, _created = cls.objects.select_for_update().get_or_create(year=year)
        counter.last += 1
        counter.save(update_fields=["last"])
        return counter.last


class ScheduleSlot(models.Model):
    """A slot of the worker's clock that has been taken: job "reminders" at 2026-12-01 09:15. The
    unique pair is what keeps two workers from running one slot twice (core/schedule.py)."""

    job = models.CharField(max_length=50)
    slot = models.DateTimeField()
    taken_at = models.DateTimeField()
    taken_by = models.CharField(max_length=100)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "slot"], name="schedule_slot_once")]
        ordering = ["-slot"]


def _generated_path(instance: "GeneratedFile", filename: str) -> str:
    # Kept apart from attachments/: these are not evidence, they expire, and housekeeping
    # removes them (core/downloads.py); attachments_orphans and backups look at attachments/ only.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"downloads/{instance.uuid.hex}.{suffix[:8]}"


class GeneratedFile(models.Model):
    """A document the worker makes for one person (a large Excel export, the dossier ZIP): asked
    for in a request, built in the background with its progress, then fetched by its requester
    alone until it expires. core/downloads.py runs it; `builder` names the function that writes
    it (core imports no domain app, so the row says where the work is)."""

    class State(models.TextChoices):
        PENDING = "pending", _("排队中")
        RUNNING = "running", _("生成中")
        READY = "ready", _("已完成")
        FAILED = "failed", _("生成失败")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(_("内容"), max_length=100)
    filename = models.CharField(_("文件名"), max_length=200)
    builder = models.CharField(max_length=200)
    parameters = models.JSONField(default=dict)
    # SHA-256 of builder and parameters: the same request again while one is under way is that one.
    key = models.CharField(max_length=64, db_index=True)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.PENDING)
    progress = models.PositiveSmallIntegerField(_("进度"), default=0)  # percent
    attempt = models.PositiveIntegerField(default=0)  # which run owns the row (a stale run's result is dropped)
    file = models.FileField(upload_to=_generated_path, max_length=200, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)  # what the builder reports: {"rows": 12345}
    error = models.TextField(_("错误"), blank=True)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)  # the last sign of life of its run
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("生成的文件")
        verbose_name_plural = pgettext_lazy("plural", "生成的文件")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.filename


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
