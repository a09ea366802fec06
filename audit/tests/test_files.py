"""audit_check looks at the evidence files too (audit/files.py): a file that is gone, edited,
truncated or swapped for another is reported by name, with the attachment's uuid, so that an
examiner can find it; the rows themselves stay as they were."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audit.checks import audit
from audit.files import attachment_violations
from core.models import Attachment
from core.services import EVIDENCE, attachment_store
from tests.factories import jpeg_bytes


@pytest.fixture
def photos(world):
    """Three photos of one inspection, stored by the real service."""
    return [
        attachment_store(
            kind=EVIDENCE, actor=world.inspector, name=f"现场{n}.jpg", data=jpeg_bytes(color=(n * 40, 90, 20))
        )
        for n in (1, 2, 3)
    ]


def on_disk(settings, attachment) -> Path:
    return Path(settings.MEDIA_ROOT) / attachment.file.name


def test_files_as_stored_are_clean_and_counted(photos):
    checked = {}

    assert attachment_violations(checked) == []
    assert checked == {"附件文件": 3}


def test_a_missing_file_is_named(photos, settings):
    gone = photos[1]
    on_disk(settings, gone).unlink()

    assert attachment_violations({}) == [f"附件「现场2.jpg」（{gone.uuid.hex}）：文件 {gone.file.name} 不存在"]


def test_an_edited_file_of_the_same_size_is_found_by_its_hash(photos, settings):
    path = on_disk(settings, photos[0])
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF  # one byte flipped: size unchanged
    path.write_bytes(bytes(data))
    a = photos[0]

    assert attachment_violations({}) == [
        f"附件「现场1.jpg」（{a.uuid.hex}）：文件 {a.file.name} 的 SHA-256 与登记的不符"
        f"（登记 {a.size} 字节 {a.sha256[:12]}…，实际 {a.size} 字节 {Attachment.hash_of(bytes(data))[:12]}…），"
        "文件已被修改或损坏"
    ]


def test_a_truncated_file_and_a_swapped_file_are_both_reported(photos, settings):
    first, second, third = photos
    on_disk(settings, first).write_bytes(on_disk(settings, first).read_bytes()[:100])
    on_disk(settings, third).write_bytes(on_disk(settings, second).read_bytes())  # another photo's bytes

    found = attachment_violations({})

    assert [sentence.split("：")[0] for sentence in found] == [
        f"附件「现场1.jpg」（{first.uuid.hex}）",
        f"附件「现场3.jpg」（{third.uuid.hex}）",
    ]
    assert f"实际 100 字节 {Attachment.hash_of(on_disk(settings, first).read_bytes())[:12]}…" in found[0]
    assert f"实际 {second.size} 字节 {second.sha256[:12]}…" in found[1]


def test_rows_are_read_in_chunks_and_every_file_is_still_checked(photos, settings):
    on_disk(settings, photos[2]).unlink()
    checked = {}

    found = attachment_violations(checked, chunk_size=1)

    assert (checked, len(found)) == ({"附件文件": 3}, 1)


def test_audit_check_reports_the_files_and_fails(photos, settings):
    on_disk(settings, photos[0]).unlink()
    out = io.StringIO()

    with pytest.raises(CommandError) as failed:
        call_command("audit_check", stdout=out)

    assert str(failed.value) == "发现 1 处不一致"
    lines = out.getvalue().splitlines()
    assert "；证据文件存在且 SHA-256 与登记一致；" in lines[0]
    assert "附件文件 3" in lines[1]
    assert lines[2:] == [f"附件「现场1.jpg」（{photos[0].uuid.hex}）：文件 {photos[0].file.name} 不存在"]
    assert audit() == lines[2:]
