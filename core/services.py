"""Storing evidence files. Every upload, whatever screen or API it comes through, passes here."""

import io
import logging
import re
import struct
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

# What a field expects, told to attachment_store by every caller: a photo field takes only images
# (renderers put them in documents and thumbnails), a documents field only documents, evidence
# (a progress report's proof, a dossier material) either.
PHOTO, DOCUMENT, EVIDENCE = "photo", "document", "evidence"
SUFFIXES = {
    PHOTO: tuple(IMAGE_FORMATS),
    DOCUMENT: tuple(DOCUMENT_MAGIC),
    EVIDENCE: (*IMAGE_FORMATS, *DOCUMENT_MAGIC),
}

# Markup after an image's last byte makes a polyglot: harmless as we serve it (its own type,
# nosniff), but a browser given it another way would run it. Other trailing bytes are allowed:
# phones append their own (a motion photo's video after the JPEG). Words of four letters or more,
# so that random binary data does not match by chance.
TRAILING_MARKUP = re.compile(
    rb"<\s*(?:html|head|body|script|svg|iframe|object|embed|meta|style|form|!doctype|\?xml|!--)", re.IGNORECASE
)


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
    # Where the end cannot be found, Pillow has decoded the image all the same: let it be.
    end = image_end(fmt, data)
    if end is not None and TRAILING_MARKUP.search(data, end):
        raise InvalidInput(
            gettext("图片「%(name)s」在图像数据之后夹带了其他内容，请重新拍照或另存后上传") % {"name": name}
        )
    return Image.MIME.get(fmt, "application/octet-stream")


PNG_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"


def image_end(fmt: str, data: bytes) -> int | None:
    """Where the image's own bytes end (what follows was appended), None when that cannot be
    found (a damaged file)."""
    if fmt == "PNG":
        at = data.rfind(PNG_IEND)
        return None if at < 0 else at + len(PNG_IEND)
    if fmt == "WEBP":
        (size,) = struct.unpack_from("<I", data, 4)
        return min(len(data), 8 + size + (size & 1))
    return _jpeg_end(data)


def _jpeg_end(data: bytes) -> int | None:
    """After the EOI marker: walk the segments (an EXIF thumbnail holds a JPEG of its own, so the
    first FF D9 is not the end), and through each scan's entropy-coded data, where FF is followed
    by 00 (a stuffed byte) or a restart marker, until the marker that ends the scan."""
    at, length = 2, len(data)
    while at + 2 <= length:
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill bytes before a marker
            at += 1
            continue
        if marker == 0xD9:
            return at + 2
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            at += 2
            continue
        if at + 4 > length:
            return None
        (size,) = struct.unpack_from(">H", data, at + 2)
        at += 2 + size
        if marker == 0xDA:  # start of scan: skip its entropy-coded data
            while True:
                at = data.find(b"\xff", at)
                if at < 0 or at + 1 >= length:
                    return None
                follower = data[at + 1]
                if follower == 0x00 or 0xD0 <= follower <= 0xD7 or follower == 0xFF:
                    at += 1 if follower == 0xFF else 2
                    continue
                break
    return None


def kind_refusal(name: str, suffix: str, kind: str) -> str | None:
    """The message refusing a file of this suffix in a field of this kind, None if it fits."""
    if suffix in SUFFIXES[kind]:
        return None
    # Translators: the separator between the items of a list (Chinese uses the enumeration comma).
    allowed = gettext("、").join(sorted(SUFFIXES[kind]))
    if kind == PHOTO and suffix in DOCUMENT_MAGIC:
        return gettext("「%(name)s」不是照片：照片只接受 %(allowed)s 图片，文件请在“文件”一栏上传") % {
            "name": name,
            "allowed": allowed,
        }
    if kind == DOCUMENT and suffix in IMAGE_FORMATS:
        return gettext("「%(name)s」是图片：这一栏只接受 %(allowed)s 文件，照片请在“照片”一栏上传") % {
            "name": name,
            "allowed": allowed,
        }
    return gettext("不支持的文件类型「%(name)s」，只接受 %(allowed)s") % {"name": name, "allowed": allowed}


def size_refusal(name: str, size: int) -> str | None:
    """The message refusing a file of this many bytes, None if it fits: asked before the bytes
    are read (core.forms), and again by attachment_store."""
    if size > MAX_FILE_BYTES:
        return gettext("文件「%(name)s」超过 %(size)s MB") % {"name": name, "size": MAX_FILE_BYTES // 1024 // 1024}
    return None


def suffix_of(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _within_limit(name: str) -> str:
    """A name as long as the column holds (255), shortened before its extension: a phone or a
    desktop may send a longer one, which PostgreSQL would refuse with an error (SQLite keeps it)."""
    limit = Attachment._meta.get_field("original_name").max_length
    if len(name) <= limit:
        return name
    stem, dot, extension = name.rpartition(".")
    if dot and stem and len(extension) <= 16:
        return f"{stem[: limit - len(extension) - 1]}.{extension}"
    return name[:limit]


def attachment_store(*, actor, name: str, data: bytes, kind: str) -> Attachment:
    """Check an uploaded file and store it under a generated name with its SHA-256.

    `kind` is what the field expects (PHOTO, DOCUMENT or EVIDENCE). Refuses empty, oversized,
    unknown, mislabelled, truncated, decompression-bomb and polyglot files, Office files that are
    not or zip bombs, and a file of the wrong kind, with a message in Chinese. Callers run it
    inside their own atomic_with_files(), so a later refusal in the same change leaves neither a
    row nor a file behind."""
    name = _within_limit(PurePath(name or "").name or "未命名")
    suffix = suffix_of(name)
    if not data:
        raise InvalidInput(gettext("文件「%(name)s」是空的") % {"name": name})
    if refusal := size_refusal(name, len(data)) or kind_refusal(name, suffix, kind):
        raise InvalidInput(refusal)
    if suffix in IMAGE_FORMATS:
        content_type = _check_image(name, suffix, data)
    elif suffix in DOCUMENT_MAGIC:
        magic, content_type = DOCUMENT_MAGIC[suffix]
        if not data.startswith(magic):
            raise InvalidInput(gettext("文件「%(name)s」的扩展名与内容不符") % {"name": name})
        if suffix in OOXML_TYPES:
            try:
                ooxml.check(io.BytesIO(data), OOXML_TYPES[suffix])
            except ooxml.TooLarge:
                raise InvalidInput(gettext("文件「%(name)s」解压后过大或结构异常，无法接收") % {"name": name}) from None
            except ooxml.NotOoxml:
                raise InvalidInput(gettext("文件「%(name)s」的扩展名与内容不符") % {"name": name}) from None
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


def attachments_store(*, actor, files, kind: str) -> list[Attachment]:
    """Store every (name, data) pair or none: a refused file rolls back the rows and removes the
    bytes of those stored before it (atomic_with_files)."""
    with atomic_with_files():
        return [attachment_store(actor=actor, name=name, data=data, kind=kind) for name, data in files]


THUMBNAIL_SIZE = (320, 320)


def attachment_thumbnail(attachment: Attachment) -> str | None:
    """The storage name of a small JPEG copy of an image attachment for lists, made on first use.
    Documents have none. Derived from the original, so it can always be made again; when it
    cannot be written (disk full, read-only) there is none this time (the caller shows the
    original), and never an empty or partial one: the storage writes it whole or not at all."""
    if not attachment.is_image:
        return None
    name = f"thumbs/{attachment.uuid.hex}.jpg"
    storage = attachment.file.storage
    if _thumbnail_present(storage, name):
        return name
    try:
        # Stored by an older version, a "photo" may be no image, a damaged one or a pixel bomb:
        # no thumbnail then, and the view serves the file as it is (or 404 if it is gone).
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with attachment.file.open("rb") as original, Image.open(original) as image:
                if image.width * image.height > MAX_IMAGE_PIXELS:
                    return None
                image.draft("RGB", THUMBNAIL_SIZE)  # a JPEG decodes at a fraction of its size
                image.thumbnail(THUMBNAIL_SIZE)
                image = ImageOps.exif_transpose(image)
                buffer = io.BytesIO()
                image.convert("RGB").save(buffer, format="JPEG", quality=80)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        logger.warning("attachment %s has no thumbnail: not a readable image", attachment.uuid)
        return None
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
