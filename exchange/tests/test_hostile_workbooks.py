"""Hostile workbooks are refused fast, with bounded memory and one Chinese message, before
openpyxl parses them: zip bombs, a huge XML comment, millions of tiny shared strings, entities,
oversized parts, and an import that outruns its time budget. Each is built here, in the test."""

import io
import time
import tracemalloc
import zipfile

import pytest

from exchange.imports import run_import
from exchange.tests.helpers import counts, headers, upload, workbook_bytes

MB = 1024 * 1024
SHEET = "xl/worksheets/sheet1.xml"


def template() -> dict[str, bytes]:
    """The parts of a good sites workbook (header and one row)."""
    good = workbook_bytes([headers("sites"), ["BS-0101", "光明巷", "背街小巷", "D01-01-01", "SD01"]], title="点位")
    with zipfile.ZipFile(io.BytesIO(good)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def package(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def in_sheet(extra: bytes) -> bytes:
    """The template with `extra` put into the sheet's XML just before its data."""
    parts = template()
    at = parts[SHEET].index(b"<sheetData")
    parts[SHEET] = parts[SHEET][:at] + extra + parts[SHEET][at:]
    return package(parts)


def with_shared_strings(count: int, *, varied: bool = True) -> bytes:
    parts = template()
    parts["xl/sharedStrings.xml"] = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + (
            b"".join(b"<si><t>%d</t></si>" % (n % 1000) for n in range(count))
            if varied
            else b"<si><t>a</t></si>" * count
        )
        + b"</sst>"
    )
    return package(parts)


def noise(size: int) -> bytes:
    """Letters that deflate poorly (so the compression ratio does not give them away)."""
    import random

    generator = random.Random(11)
    return bytes(generator.choice(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(size))


def refused_quickly(world, data: bytes, *, seconds: float = 3, memory: int = 48 * MB) -> list[str]:
    """Import `data` as sites: refused, nothing written, within `seconds` and `memory`."""
    before = counts()
    tracemalloc.start()
    # CPU time: the work the file makes the import do, whatever else the machine is running.
    started = time.process_time()
    try:
        result = run_import(actor=world.office, kind="sites", file=upload(data))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    elapsed = time.process_time() - started
    assert not result.ok
    assert counts() == before
    assert elapsed < seconds, f"{elapsed:.1f} s"
    assert peak < memory, f"{peak / MB:.0f} MB"
    return [error.message for error in result.errors]


def test_the_template_itself_is_imported(world):
    result = run_import(actor=world.office, kind="sites", file=upload(package(template())))
    assert [error.message for error in result.errors] == []
    assert result.created == 1


def test_a_huge_xml_comment_in_the_sheet_is_refused_before_parsing(world):
    data = in_sheet(b"<!--" + noise(8 * MB) + b"-->")
    assert refused_quickly(world, data) == ["工作簿中的「xl/worksheets/sheet1.xml」含有 Excel 不会写入的内容，无法导入"]


def test_a_huge_comment_that_deflates_well_is_refused_by_its_compression_ratio(world):
    data = in_sheet(b"<!--" + b"a" * (100 * MB) + b"-->")
    assert len(data) < MB
    assert refused_quickly(world, data) == ["文件解压后过大或压缩比异常，无法导入"]


def test_a_single_text_token_longer_than_any_cell_is_refused(world):
    parts = template()
    parts[SHEET] = parts[SHEET].replace(b"<t>", b"<t>" + noise(MB), 1)
    assert refused_quickly(world, package(parts)) == [
        "工作簿中的「xl/worksheets/sheet1.xml」含有 Excel 不会写入的内容，无法导入"
    ]


def test_entities_are_refused(world):
    bomb = b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    parts = template()
    parts["xl/styles.xml"] = bomb + parts["xl/styles.xml"]
    assert refused_quickly(world, package(parts)) == ["工作簿中的「xl/styles.xml」含有 Excel 不会写入的内容，无法导入"]


def test_millions_of_tiny_shared_strings_are_refused_by_count_before_openpyxl_loads_them(world):
    # 12 million would be 200 MB of XML; 600,000 fit under the part's size and the ratio.
    data = with_shared_strings(600_000)
    assert refused_quickly(world, data) == ["工作簿中的不同文字超过 500,000 条，无法导入；请分成几个文件分别导入"]


def test_twelve_million_shared_strings_are_refused_from_the_zip_directory(world):
    data = with_shared_strings(12_000_000, varied=False)  # the 500 KB workbook
    assert refused_quickly(world, data, seconds=10) == ["文件解压后过大或压缩比异常，无法导入"]


def test_shared_strings_over_their_size_are_refused_by_the_declared_size(world):
    data = with_shared_strings(2_000_000)
    assert refused_quickly(world, data) == [
        "工作簿中的「xl/sharedStrings.xml」解压后超过 32 MB，无法导入；请只保留模板中的数据后重新保存"
    ]


def test_an_oversized_part_is_refused_by_its_declared_size(world):
    parts = template()
    parts["xl/comments1.xml"] = b"<comments>" + noise(9 * MB) + b"</comments>"
    assert refused_quickly(world, package(parts)) == [
        "工作簿中的「xl/comments1.xml」解压后超过 8 MB，无法导入；请只保留模板中的数据后重新保存"
    ]


def test_a_package_of_too_many_entries_is_refused(world):
    parts = template()
    parts.update({f"xl/media/{n}.bin": b"" for n in range(6000)})
    assert refused_quickly(world, package(parts)) == ["文件解压后过大或压缩比异常，无法导入"]


def test_an_import_that_outruns_its_budget_stops_with_nothing_written(world, settings):
    settings.IMPORT_TIME_BUDGET_SECONDS = 0
    before = counts()
    result = run_import(actor=world.office, kind="sites", file=upload(package(template())))
    assert [error.message for error in result.errors] == [
        "导入超过 0 秒仍未完成，已停止，没有写入任何数据；请把文件分成几个较小的文件分别导入"
    ]
    assert counts() == before


@pytest.mark.parametrize("field", ["files"])
def test_a_zip_bomb_named_xlsx_is_refused_as_evidence(world, field):
    from core.errors import InvalidInput
    from core.models import Attachment
    from core.services import EVIDENCE, attachment_store

    data = in_sheet(b"<x>" + b"a" * (50 * MB) + b"</x>")
    with pytest.raises(InvalidInput) as refused:
        attachment_store(actor=world.office, name="台账.xlsx", data=data, kind=EVIDENCE)
    assert refused.value.message == "文件「台账.xlsx」解压后过大或结构异常，无法接收"
    assert Attachment.objects.count() == 0
