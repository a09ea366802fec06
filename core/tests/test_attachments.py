"""core.services.attachment_store: every evidence file passes here. It keeps what a phone or an
office sends (JPEG, PNG, WEBP, PDF, Word, Excel) under a generated name with its SHA-256, and
refuses everything else with a message a liaison can act on, writing nothing."""

import hashlib
import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from conftest import TODAY
from core import services
from core.errors import InvalidInput
from core.models import Attachment
from core.services import DOCUMENT, EVIDENCE, attachment_store, attachments_store
from core.services import PHOTO as PHOTO_KIND
from tests.factories import jpeg_bytes


@pytest.fixture
def media(settings):
    """Where files land: a throw-away folder (conftest's media_in_tmp)."""
    return Path(settings.MEDIA_ROOT)


def image_bytes(fmt: str, width: int = 32, height: int = 24) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 60)).save(buffer, format=fmt)
    return buffer.getvalue()


def pdf_bytes() -> bytes:
    """A real one-page PDF, as a scanner would produce it."""
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(buffer, format="PDF")
    return buffer.getvalue()


def blank_png(width: int, height: int) -> bytes:
    """A complete, valid, single-colour 1-bit PNG of any size, written chunk by chunk so that a
    huge image costs a few kilobytes and no memory: what a decompression bomb looks like."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + pixels
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(row * 1000) for _ in range(height // 1000)]
    parts += [compressor.compress(row * (height % 1000)), compressor.flush()]
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"".join(parts)) + chunk(b"IEND", b"")


def stored_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


# ---- what is accepted ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "content_type", "suffix"),
    [
        ("整改后.jpg", jpeg_bytes(), "image/jpeg", "jpg"),
        ("整改后.JPEG", jpeg_bytes(), "image/jpeg", "jpeg"),
        ("现场.png", image_bytes("PNG"), "image/png", "png"),
        ("现场.webp", image_bytes("WEBP"), "image/webp", "webp"),
        ("整改报告.pdf", pdf_bytes(), "application/pdf", "pdf"),
    ],
)
def test_a_real_file_is_stored_under_a_generated_name_with_its_sha256(world, media, name, data, content_type, suffix):
    attachment = attachment_store(kind=EVIDENCE, actor=world.liaison_a, name=name, data=data)

    attachment = Attachment.objects.get(pk=attachment.pk)
    assert (attachment.original_name, attachment.content_type, attachment.size) == (name, content_type, len(data))
    assert attachment.sha256 == hashlib.sha256(data).hexdigest()
    assert (attachment.uploaded_by, attachment.uploaded_at) == (world.liaison_a, TODAY)
    assert attachment.file.name == f"attachments/2026/05/{attachment.uuid.hex}.{suffix}"
    assert stored_files(media) == [media / attachment.file.name]
    assert (media / attachment.file.name).read_bytes() == data


def test_the_same_file_twice_is_two_attachments_with_one_hash(world, media):
    photo = jpeg_bytes()

    first = attachment_store(kind=EVIDENCE, actor=world.liaison_a, name="现场.jpg", data=photo)
    second = attachment_store(kind=EVIDENCE, actor=world.liaison_a, name="现场.jpg", data=photo)

    assert first.file.name != second.file.name
    assert first.sha256 == second.sha256 == hashlib.sha256(photo).hexdigest()
    assert len(stored_files(media)) == 2


def test_a_file_exactly_at_the_size_limit_is_accepted(world, media, monkeypatch):
    monkeypatch.setattr(services, "MAX_FILE_BYTES", 1024 * 1024)
    data = b"%PDF-" + b"0" * (1024 * 1024 - 5)

    attachment = attachment_store(kind=EVIDENCE, actor=world.liaison_a, name="台账.pdf", data=data)

    assert attachment.size == 1024 * 1024


@pytest.mark.parametrize(
    "name", ["../../etc/passwd.jpg", "/etc/passwd.jpg", "attachments/2026/05/other.jpg", "../../../../passwd.jpg"]
)
def test_a_path_in_the_name_chooses_nothing(world, media, name):
    attachment = attachment_store(kind=EVIDENCE, actor=world.liaison_a, name=name, data=jpeg_bytes())

    assert attachment.original_name == Path(name).name
    assert attachment.file.name == f"attachments/2026/05/{attachment.uuid.hex}.jpg"
    assert Path(attachment.file.path).resolve().is_relative_to(Path(media).resolve())
    assert stored_files(media) == [media / attachment.file.name]


def test_a_name_longer_than_the_column_is_shortened_before_its_extension(world, media):
    # 300 characters: PostgreSQL refused the row with an error before (SQLite kept it).
    name = "幸福巷整改前" * 50 + ".jpg"
    attachment = attachment_store(kind=EVIDENCE, actor=world.liaison_a, name=name, data=jpeg_bytes())

    attachment.refresh_from_db()
    assert len(attachment.original_name) == 255
    assert attachment.original_name == name[:251] + ".jpg"


def test_the_users_file_name_never_becomes_the_stored_name(world, media):
    attachment = attachment_store(
        kind=EVIDENCE, actor=world.liaison_a, name="东城街道 幸福巷 整改前.jpg", data=jpeg_bytes()
    )

    assert "幸福巷" not in attachment.file.name
    assert attachment.original_name == "东城街道 幸福巷 整改前.jpg"


# ---- what is refused -------------------------------------------------------------------------

PHOTO = jpeg_bytes(320, 240)
BOMB = blank_png(8000, 6000)  # 48 megapixels: over our 40, under Pillow's own limits
BIG_BOMB = blank_png(10000, 10000)  # 100 megapixels: over Pillow's warning at 89
GIANT_BOMB = blank_png(30000, 30000)  # 900 megapixels: over Pillow's hard limit at 179

REFUSED = {
    "empty": ("空.jpg", b"", "文件「空.jpg」是空的"),
    "JPEG cut in its header": ("现场.jpg", PHOTO[:400], "文件「现场.jpg」不是有效的图片或已损坏"),
    # The header is whole, so only decoding the picture finds the cut (Pillow's verify() does not).
    "JPEG cut in its picture": ("现场.jpg", PHOTO[: len(PHOTO) // 2], "文件「现场.jpg」不是有效的图片或已损坏"),
    "text named .jpg": ("现场.jpg", "这不是图片".encode(), "文件「现场.jpg」不是有效的图片或已损坏"),
    "PNG named .jpg": ("现场.jpg", image_bytes("PNG"), "文件「现场.jpg」的扩展名与内容不符（实际为 PNG 格式）"),
    "JPEG named .png": ("现场.png", jpeg_bytes(), "文件「现场.png」的扩展名与内容不符（实际为 JPEG 格式）"),
    "JPEG named .pdf": ("报告.pdf", jpeg_bytes(), "文件「报告.pdf」的扩展名与内容不符"),
    "text named .docx": ("方案.docx", b"hello", "文件「方案.docx」的扩展名与内容不符"),
    "decompression bomb": ("大图.png", BOMB, "图片「大图.png」像素过大（8000×6000），请压缩后再上传"),
    "bomb over Pillow's warning": ("巨图.png", BIG_BOMB, "图片「巨图.png」像素过大，请压缩后再上传"),
    "bomb over Pillow's hard limit": ("巨图.png", GIANT_BOMB, "图片「巨图.png」像素过大，请压缩后再上传"),
    "program": (
        "setup.exe",
        b"MZ\x90\x00",
        "不支持的文件类型「setup.exe」，只接受 docx、jpeg、jpg、pdf、png、webp、xlsx",
    ),
    "text file": (
        "说明.txt",
        "说明".encode(),
        "不支持的文件类型「说明.txt」，只接受 docx、jpeg、jpg、pdf、png、webp、xlsx",
    ),
    "no extension": ("photo", jpeg_bytes(), "不支持的文件类型「photo」，只接受 docx、jpeg、jpg、pdf、png、webp、xlsx"),
    "double extension": (
        "现场.jpg.exe",
        b"MZ\x90\x00",
        "不支持的文件类型「现场.jpg.exe」，只接受 docx、jpeg、jpg、pdf、png、webp、xlsx",
    ),
}


@pytest.mark.parametrize("case", REFUSED)
def test_a_bad_file_is_refused_and_nothing_is_stored(world, media, case):
    name, data, message = REFUSED[case]

    with pytest.raises(InvalidInput) as refused:
        attachment_store(kind=EVIDENCE, actor=world.liaison_a, name=name, data=data)

    assert refused.value.message == message
    assert Attachment.objects.count() == 0
    assert stored_files(media) == []


def test_the_bombs_are_small_files():
    # They pass the size limit: only the pixel count can stop them.
    assert [len(bomb) < 200_000 for bomb in (BOMB, BIG_BOMB, GIANT_BOMB)] == [True, True, True]


def test_an_oversize_file_is_refused(world, media, monkeypatch):
    monkeypatch.setattr(services, "MAX_FILE_BYTES", 1024 * 1024)

    with pytest.raises(InvalidInput) as refused:
        attachment_store(
            kind=EVIDENCE, actor=world.liaison_a, name="台账.pdf", data=b"%PDF-" + b"0" * (1024 * 1024 - 4)
        )

    assert refused.value.message == "文件「台账.pdf」超过 1 MB"
    assert (Attachment.objects.count(), stored_files(media)) == (0, [])


# ---- several files at once -------------------------------------------------------------------


def test_several_files_are_stored_together(world, media):
    photo, report = jpeg_bytes(), pdf_bytes()

    stored = attachments_store(kind=EVIDENCE, actor=world.liaison_a, files=[("现场.jpg", photo), ("报告.pdf", report)])

    assert [(a.original_name, a.sha256) for a in stored] == [
        ("现场.jpg", hashlib.sha256(photo).hexdigest()),
        ("报告.pdf", hashlib.sha256(report).hexdigest()),
    ]
    assert stored_files(media) == sorted(media / a.file.name for a in stored)


def test_one_bad_file_among_several_leaves_no_file_on_disk(world, media):
    with pytest.raises(InvalidInput) as refused:
        attachments_store(
            kind=EVIDENCE, actor=world.liaison_a, files=[("现场.jpg", jpeg_bytes()), ("坏图.jpg", b"\xff\xd8\xff")]
        )

    assert refused.value.message == "文件「坏图.jpg」不是有效的图片或已损坏"
    assert (Attachment.objects.count(), stored_files(media)) == (0, [])


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("现场.jpg", jpeg_bytes() + b"<html><script>alert(1)</script></html>"),
        ("现场.png", image_bytes("PNG") + b"\n<!DOCTYPE html><body onload=alert(1)>"),
        ("现场.webp", image_bytes("WEBP") + b"<svg onload=alert(1)>"),
    ],
    ids=["jpeg", "png", "webp"],
)
def test_markup_after_the_image_data_is_refused(world, media, name, data):
    with pytest.raises(InvalidInput) as refused:
        attachment_store(kind=PHOTO_KIND, actor=world.liaison_a, name=name, data=data)
    assert refused.value.message == f"图片「{name}」在图像数据之后夹带了其他内容，请重新拍照或另存后上传"
    assert (Attachment.objects.count(), list(media.rglob("*.*"))) == (0, [])


def test_bytes_a_phone_appends_after_a_photo_are_kept(world, media):
    # A motion photo carries its video after the JPEG: not markup, so the photo is taken.
    data = jpeg_bytes() + b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 4
    assert attachment_store(kind=PHOTO_KIND, actor=world.liaison_a, name="现场.jpg", data=data).size == len(data)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "图.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "不支持的文件类型「图.svg」，只接受 jpeg、jpg、png、webp",
        ),
        (
            "图.png",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "文件「图.png」不是有效的图片或已损坏",
        ),
        ("报告.pdf", pdf_bytes(), "「报告.pdf」不是照片：照片只接受 jpeg、jpg、png、webp 图片，文件请在“文件”一栏上传"),
    ],
    ids=["svg", "svg-named-png", "pdf"],
)
def test_a_photo_field_takes_only_images(world, media, name, data, message):
    with pytest.raises(InvalidInput) as refused:
        attachment_store(kind=PHOTO_KIND, actor=world.liaison_a, name=name, data=data)
    assert refused.value.message == message


def test_a_documents_field_takes_no_images(world, media):
    with pytest.raises(InvalidInput) as refused:
        attachment_store(kind=DOCUMENT, actor=world.liaison_a, name="现场.jpg", data=jpeg_bytes())
    assert refused.value.message == "「现场.jpg」是图片：这一栏只接受 docx、pdf、xlsx 文件，照片请在“照片”一栏上传"


def test_a_pixel_bomb_header_is_refused_before_decoding(world, media):
    header = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\xc3P\x00\x00\xc3P\x08\x02\x00\x00\x00"
    with pytest.raises(InvalidInput) as refused:
        attachment_store(kind=PHOTO_KIND, actor=world.liaison_a, name="炸弹.png", data=header + b"\x00" * 64)
    assert refused.value.message in (
        "图片「炸弹.png」像素过大，请压缩后再上传",
        "文件「炸弹.png」不是有效的图片或已损坏",
    )
