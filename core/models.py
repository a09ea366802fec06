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
