"""Storing evidence files. Every upload, whatever screen or API it comes through, passes here."""

import io
import logging
import warnings
from pathlib import PurePath

from django.core.files.base import ContentFile
from django.utils.translation import gettext
from PIL import Image, ImageOps, UnidentifiedImageError

from core import clock, ooxml
from core.errors import InvalidInput, StorageFailed
from core.files import atomic_with_files, remember_stored
from core.models import Attachment

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000  # a 40-megapixel phone photo is the largest we expect

IMAGE_FORMATS = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}
DOCUMENT_MAGIC = {
    "pdf": (b"%PDF-", "application/pdf"),
    "docx": (b"PK\x03\x04", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": (b"PK\x03\x04", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}
# Any zip starts with PK: an Office file must also have its main part inside (core.ooxml).
OOXML_TYPES = {"docx": ooxml.WORD_TYPES, "xlsx": ooxml.WORKBOOK_TYPES}


def _check_image(name: str, suffix: str, data: bytes) -> str:
    expected = IMAGE_FORMATS[suffix]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format
                width, height = probe.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise InvalidInput(
                        gettext("图片「%(name)s」像素过大（%(width)s×%(height)s），请压缩后再上传")
                        % {"name": name, "width": width, "height": height}
                    )
                probe.verify()
            with Image.open(io.BytesIO(data)) as full:
                full.load()  # verify() does not decode; a truncated file fails only here
    except InvalidInput:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own limits (89 and 179 megapixels) stop the open before we learn the size.
        raise InvalidInput(gettext("图片「%(name)s」像素过大，请压缩后再上传") % {"name": name}) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise InvalidInput(gettext("文件「%(name)s」不是有效的图片或已损坏") % {"name": name}) from None
    if fmt != expected:
        raise InvalidInput(
            gettext("文件「%(name)s」的扩展名与内容不符（实际为 %(format)s 格式）") % {"name": name, "format": fmt}
        )
    return Image.MIME.get(fmt, "application/octet-stream")


def attachment_store(*, actor, name: str, data: bytes) -> Attachment:
    """Check an uploaded file and store it under a generated name with its SHA-256.

    Refuses empty, oversized, unknown, mislabelled, truncated and decompression-bomb files with
    a message in Chinese. Callers run it inside their own atomic_with_files(), so a later refusal
    in the same change leaves neither a row nor a file behind."""
    name = PurePath(name or "").name or "未命名"
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if not data:
        raise InvalidInput(gettext("文件「%(name)s」是空的") % {"name": name})
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput(
            gettext("文件「%(name)s」超过 %(size)s MB") % {"name": name, "size": MAX_FILE_BYTES // 1024 // 1024}
        )
    if suffix in IMAGE_FORMATS:
        content_type = _check_image(name, suffix, data)
    elif suffix in DOCUMENT_MAGIC:
        magic, content_type = DOCUMENT_MAGIC[suffix]
        if not data.startswith(magic):
            raise InvalidInput(gettext("文件「%(name)s」的扩展名与内容不符") % {"name": name})
        if suffix in OOXML_TYPES:
            try:
                ooxml.check(io.BytesIO(data), OOXML_TYPES[suffix])
            except ooxml.NotOoxml:
                raise InvalidInput(gettext("文件「%(name)s」的扩展名与内容不符") % {"name": name}) from None
    else:
        # Translators: the separator between the items of a list (Chinese uses the enumeration comma).
        allowed = gettext("、").join(sorted({*IMAGE_FORMATS, *DOCUMENT_MAGIC}))
        raise InvalidInput(
            gettext("不支持的文件类型「%(name)s」，只接受 %(allowed)s") % {"name": name, "allowed": allowed}
        )
    attachment = Attachment(
        original_name=name,
        content_type=content_type,
        size=len(data),
        sha256=Attachment.hash_of(data),
        uploaded_by=actor,
        uploaded_at=clock.now(),
    )
    with atomic_with_files():
        try:
            # Durable before the row can commit (core.storage): fsynced, renamed, directory synced.
            attachment.file.save(name, ContentFile(data), save=False)
        except OSError as error:
            logger.error("evidence file %r (%d bytes) not stored: %s", name, len(data), error)
            raise StorageFailed(storage_failed_message()) from error
        remember_stored(attachment.file)
        attachment.save()
    return attachment


def storage_failed_message() -> str:
    return gettext("文件保存失败：存储空间不足或不可写，请联系系统管理员")


def attachments_store(*, actor, files) -> list[Attachment]:
    """Store every (name, data) pair or none: a refused file rolls back the rows and removes the
    bytes of those stored before it (atomic_with_files)."""
    with atomic_with_files():
        return [attachment_store(actor=actor, name=name, data=data) for name, data in files]


THUMBNAIL_SIZE = (320, 320)


def attachment_thumbnail(attachment: Attachment) -> str | None:
    """The storage name of a small JPEG copy of an image attachment for lists, made on first use.
    Documents have none. Derived from the original, so it can always be made again; when it
    cannot be written (disk full, read-only) there is none this time (the caller shows the
    original), and never an empty or partial one: the storage writes it whole or not at all."""
    if not attachment.content_type.startswith("image/"):
        return None
    name = f"thumbs/{attachment.uuid.hex}.jpg"
    storage = attachment.file.storage
    if _thumbnail_present(storage, name):
        return name
    with attachment.file.open("rb") as original, Image.open(original) as image:
        image = ImageOps.exif_transpose(image)
        image.thumbnail(THUMBNAIL_SIZE)
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, format="JPEG", quality=80)
    try:
        if not storage.exists(name):  # another request may have made it meanwhile
            stored = storage.save(name, ContentFile(buffer.getvalue()))
            if stored != name:  # lost a race: storage chose another name; keep one copy
                storage.delete(stored)
    except OSError as error:
        logger.warning("thumbnail of attachment %s not stored: %s", attachment.uuid, error)
        return None
    return name


def _thumbnail_present(storage, name: str) -> bool:
    """A thumbnail is there when it has bytes: an empty one (left by a crash before writes were
    made atomic) is removed so that it is made again."""
    try:
        if storage.size(name) > 0:
            return True
    except OSError:  # FileNotFoundError: not made yet
        return False
    storage.delete(name)
    return False
