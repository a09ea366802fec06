"""Attachment rows written directly, as older versions could have stored them (a document kept as
a photo, a damaged image, a zip bomb named .xlsx) or as a lost disk leaves them (a row without its
file): what every renderer must survive."""

from django.core.files.base import ContentFile

from core import clock
from core.models import Attachment


def stored_directly(name: str, data: bytes, content_type: str, *, lose_file: bool = False) -> Attachment:
    attachment = Attachment(
        original_name=name,
        content_type=content_type,
        size=len(data),
        sha256=Attachment.hash_of(data),
        uploaded_at=clock.now(),
    )
    attachment.file.save(name, ContentFile(data), save=False)
    attachment.save()
    if lose_file:
        attachment.file.storage.delete(attachment.file.name)
    return attachment


def zip_bomb(members: int = 1, size: int = 300 * 1024 * 1024) -> bytes:
    """A zip that looks like an Office package from outside and unpacks to `size` bytes of zeros."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.sheet.main+xml"/></Types>',
        )
        archive.writestr("xl/workbook.xml", "<workbook/>")
        for n in range(members):
            with archive.open(f"xl/worksheets/sheet{n + 1}.xml", "w", force_zip64=True) as member:
                block = b"\0" * (1024 * 1024)
                for _ in range(size // len(block)):
                    member.write(block)
    return buffer.getvalue()
