"""Hostile workbooks through the four Excel imports (the web page, as the PHC office).

Whole-file cases (bombs, not-a-workbook, oversized parts) go through every kind; poisoned text
goes into one text cell of an otherwise valid row of each kind (corpus.TEXT_SUBSET and formula
text): an import that stores text normalises it as a form does. Time per request is bounded too
(IMPORT_SECONDS): there is no worker yet, so the import runs inside the request."""

import io
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from exchange.imports import KINDS
from exchange.tests.helpers import headers, workbook_bytes
from tests.hostile.corpus import (
    FORMULA,
    HTML,
    TEXT_CASES,
    TEXT_SUBSET,
    billion_laughs,
    plain_zip,
    zip_bomb,
    zip_many_entries,
)
from tests.hostile.harness import EITHER, REFUSE, findings
from tests.hostile.surfaces import IMPORT_KINDS

IMPORT_SECONDS = 5

VALID = {
    "units": (["SD09", "西城街道办事处", "西城街道", "街道办事处", "D01-01", None], 1),
    "people": (["zhaolei", "赵磊", "13912345678", "SD01", "联络员"], 1),
    "sites": (["BS-0101", "光明巷", "背街小巷", "D01-01-01", "SD01", "光明路 3 号", 34.7571, 113.665, 800, "是"], 1),
    "tasks": (["T-001", "清理背街小巷卫生死角", "3.2", "通过省级暗访", "SD01", "liaison_a", 37, "条", None, None], 1),
}


def _shared_strings_flood(kind, count=300_000) -> bytes:
    """A valid workbook whose sharedStrings part lists 300,000 tiny strings (a scaled-down
    version of the issue's 12 million)."""
    base = workbook_bytes([headers(kind), VALID[kind][0]], title=KINDS[kind].sheet)
    source = zipfile.ZipFile(io.BytesIO(base))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/sharedStrings.xml":
                head, _sep, _rest = data.partition(b"<si>")
                data = head.replace(b'count="', b'count="9').split(b">", 2)
                data = (
                    b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                    + b"<si><t>x</t></si>" * count
                    + b"</sst>"
                )
            target.writestr(info, data)
    return out.getvalue()


def _huge_comment(kind, megabytes=8) -> bytes:
    base = workbook_bytes([headers(kind), VALID[kind][0]], title=KINDS[kind].sheet)
    source = zipfile.ZipFile(io.BytesIO(base))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", b"<!--" + b"-x" * (megabytes * 512 * 1024) + b"--><sheetData>", 1)
            target.writestr(info, data)
    return out.getvalue()


def _row_with(kind, column, value) -> bytes:
    row = list(VALID[kind][0])
    row[column] = value
    return workbook_bytes([headers(kind), row], title=KINDS[kind].sheet)


def _cases(kind):
    yield "zip_bomb", zip_bomb("xlsx"), REFUSE
    yield "zip_20000_entries", zip_many_entries("xlsx"), REFUSE
    yield "billion_laughs", billion_laughs("xlsx"), REFUSE
    yield "plain_zip", plain_zip(), REFUSE
    yield "html_named_xlsx", HTML, REFUSE
    yield "shared_strings_300k", _shared_strings_flood(kind), EITHER
    yield "xml_comment_8MB", _huge_comment(kind), EITHER
    text_column = 1  # the name or title: a free-text column in every kind
    # Controls cannot be written by openpyxl (it refuses them): the cells get the bidi, zero-width
    # and markup cases; a control character in a cell would need hand-written XML.
    for case in TEXT_CASES:
        if case.name in TEXT_SUBSET and not ILLEGAL_CHARACTERS_RE.search(case.value):
            yield f"cell_{case.name}", _row_with(kind, text_column, case.value), EITHER
    yield "cell_formula_text", _row_with(kind, text_column, FORMULA.lstrip("=")), EITHER


@pytest.mark.parametrize("kind", IMPORT_KINDS)
def test_hostile_workbooks_are_refused_fast_and_leave_nothing(hostile, probes, kind):
    probe = probes["office"]
    with findings() as found:
        for name, data, expect in _cases(kind):
            upload = SimpleUploadedFile("导入.xlsx", data, content_type="application/octet-stream")
            # CPU time of this process (the test client runs the server's work here): what a
            # hostile workbook makes the server do, not how busy the machine is (wall time went
            # over the bound on a machine running three suites at once).
            started = time.process_time()
            answer = probe.send(
                f"import.{kind}", name, "post", reverse("exchange:imports"), data={"kind": kind, "file": upload}
            )
            seconds = time.process_time() - started
            found.judge(answer, expect=expect)
            if seconds > IMPORT_SECONDS:
                found.add(answer, f"took {seconds:.1f} s of CPU (bound {IMPORT_SECONDS} s)")
