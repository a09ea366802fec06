import io

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command

from core.services import EVIDENCE, attachment_store, attachment_thumbnail
from tests.factories import jpeg_bytes


def test_files_without_a_row_are_found_and_deleted_and_recorded_ones_stay(world, settings):
    kept = attachment_store(kind=EVIDENCE, actor=world.inspector, name="现场.jpg", data=jpeg_bytes())
    attachment_thumbnail(kept)
    stray = default_storage.save("attachments/2026/05/left-behind.jpg", ContentFile(jpeg_bytes()))
    stray_thumb = default_storage.save("thumbs/0123456789abcdef0123456789abcdef.jpg", ContentFile(b"x"))
    out = io.StringIO()
    call_command("attachments_orphans", stdout=out)
    assert out.getvalue().splitlines() == [stray, stray_thumb, "发现无记录的文件 2 个"]
    assert default_storage.exists(stray)
    call_command("attachments_orphans", "--delete", stdout=io.StringIO())
    assert not default_storage.exists(stray) and not default_storage.exists(stray_thumb)
    assert default_storage.exists(kept.file.name)
    assert default_storage.exists(f"thumbs/{kept.uuid.hex}.jpg")
