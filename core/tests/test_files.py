"""Files written inside a transaction that rolls back leave nothing behind (core.files), and an
Office file is what its name says (core.ooxml through attachment_store)."""

import io
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest

from core.errors import InvalidInput
from core.files import atomic_with_files
from core.models import Attachment
from core.services import EVIDENCE, attachment_store
from tests.factories import jpeg_bytes


class Refused(Exception):
    pass


@pytest.fixture
def media(settings):
    return Path(settings.MEDIA_ROOT)


def files_on_disk(root: Path) -> list[str]:
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_a_file_stored_before_a_later_refusal_in_the_same_change_is_removed_with_its_row(world, media):
    with pytest.raises(Refused), atomic_with_files():
        attachment_store(kind=EVIDENCE, actor=world.office, name="before.jpg", data=jpeg_bytes())
        raise Refused
    assert (Attachment.objects.count(), files_on_disk(media)) == (0, [])


def test_a_committed_inner_block_s_files_go_when_the_outer_block_rolls_back(world, media):
    with pytest.raises(Refused), atomic_with_files():
        with atomic_with_files():
            attachment_store(kind=EVIDENCE, actor=world.office, name="inner.jpg", data=jpeg_bytes())
        assert len(files_on_disk(media)) == 1
        raise Refused
    assert (Attachment.objects.count(), files_on_disk(media)) == (0, [])


def test_a_refused_inner_block_loses_its_files_and_the_outer_block_keeps_its_own(world, media):
    with atomic_with_files():
        kept = attachment_store(kind=EVIDENCE, actor=world.office, name="kept.jpg", data=jpeg_bytes())
        try:
            with atomic_with_files():
                attachment_store(kind=EVIDENCE, actor=world.office, name="lost.jpg", data=jpeg_bytes(color=(1, 2, 3)))
                raise Refused
        except Refused:
            pass
    assert list(Attachment.objects.values_list("original_name", flat=True)) == ["kept.jpg"]
    assert files_on_disk(media) == [Path(kept.file.name).name]


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("整改报告")
    document.save(buffer)
    return buffer.getvalue()


def xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not an office file")
    return buffer.getvalue()


def test_real_word_and_excel_files_are_accepted(world, media):
    word = attachment_store(kind=EVIDENCE, actor=world.office, name="整改报告.docx", data=docx_bytes())
    sheet = attachment_store(kind=EVIDENCE, actor=world.office, name="台账.xlsx", data=xlsx_bytes())
    assert (word.content_type, sheet.content_type) == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("报告.docx", plain_zip()),  # any zip starts with PK
        ("报告.docx", xlsx_bytes()),  # an Excel file named as Word
        ("台账.xlsx", docx_bytes()),  # a Word file named as Excel
        ("台账.xlsx", b"PK\x03\x04" + b"\x00" * 100),  # a damaged zip
    ],
    ids=["plain-zip", "xlsx-as-docx", "docx-as-xlsx", "damaged"],
)
def test_a_zip_that_is_not_the_office_file_its_name_says_is_refused(world, media, name, data):
    with pytest.raises(InvalidInput) as refusal:
        attachment_store(kind=EVIDENCE, actor=world.office, name=name, data=data)
    assert refusal.value.message == f"文件「{name}」的扩展名与内容不符"
    assert (Attachment.objects.count(), files_on_disk(media)) == (0, [])
