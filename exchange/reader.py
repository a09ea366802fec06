"""Opening an uploaded workbook safely, before a single cell is believed.

A file is refused as a whole, with one message in Chinese, when it is not an .xlsx workbook (a
text file renamed, another kind of zip, an old .xls or an encrypted file), when it unpacks to more
than we are willing to read, or when its sheet has more rows than one import takes.

Why the sheet's XML is scanned as bytes first: openpyxl's read-only mode streams cells in constant
memory but cannot see merged cells, and a normal load sees them only after building every cell in
memory (hundreds of megabytes for 100,000 rows). Merges are listed in <mergeCell> elements after
the sheet's data, and rows are <row> elements; one pass of a regular expression over the
decompressed bytes finds both, at tens of megabytes a second, without parsing. That pass also
counts the rows, so a 200,000-row file is refused after reading past row 100,001, before openpyxl
has loaded its shared strings or read a single cell; the <dimension> element that could tell the
size at once is optional and not always present or true.

Why every part is bounded before openpyxl parses it (`_check_parts`): parse time and memory grow
with what a package declares, not with its size on disk. A 606 KB workbook whose sheet held a huge
XML comment pinned a thread for hours (expat re-reads a token that is not finished yet, so one
long token costs time quadratic in its length); 500 KB of 12 million tiny shared strings cost
1.2 GB and 73 s. So, reading the zip's directory and then streaming each XML part once: every
part within a size for its kind (MAX_PART_BYTES), shared strings within a count, no `<!` construct
(DOCTYPE, entities, comments, CDATA: Excel, WPS and LibreOffice write none), processing
instructions short, and no token longer than MAX_TOKEN (a cell holds at most 32,767 characters).
The zip as a whole is bounded first (core.ooxml: entries, unpacked size, compression ratio). And
an import runs within a time budget (IMPORT_TIME_BUDGET_SECONDS): there is no worker yet, so the
request itself stops, with a Chinese message and nothing written."""

import contextlib
import posixpath
import re
import time
import zipfile
from dataclasses import dataclass
from xml.etree import ElementTree

import openpyxl
from django.conf import settings
from django.utils.translation import gettext as _

from core import ooxml

WORKSHEET_REL = "/worksheet"

ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")
MERGE_TAG = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?mergeCell\s[^>]{0,200}?\bref=\"([A-Z]{1,3}[0-9]{1,7}(?::[A-Z]{1,3}[0-9]{1,7})?)\""
)
CHUNK = 1 << 20
MARGIN = 512  # longer than any tag head the patterns match

MB = 1024 * 1024
# Unpacked bytes per part. A 100,000-row sheet of the templates' width is about 40 MB of XML.
MAX_PART_BYTES = {"sheet": 64 * MB, "sharedStrings": 32 * MB, "other": 8 * MB}
MAX_SHARED_STRINGS = 500_000  # 100,000 rows of a few text columns each; openpyxl keeps them all
MAX_TOKEN = 256 * 1024  # between two "<": 32,767 characters of a cell, escaped, with room
MAX_PI = 1024  # <?xml version="1.0" encoding="UTF-8" standalone="yes"?> and the like
SHARED_STRING = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s>/]")
DECLARATION_OR_PI = re.compile(rb"<\?")


class FileRefused(Exception):
    """The file cannot be imported at all. Nothing was read into the database."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Sheet:
    title: str
    rows: object  # openpyxl read-only rows: tuples of cells
    data_rows: int  # <row> elements after the first (an upper bound: blank rows count)
    merges: list[str]


def _attribute(element, name: str):
    for key, value in element.attrib.items():
        if ooxml.local(key) == name:
            return value
    return None


def _read_part(archive: zipfile.ZipFile, name: str) -> ElementTree.Element:
    try:
        return ooxml.read_part(archive, name)
    except ooxml.NotOoxml:
        raise FileRefused(_("文件结构异常，无法读取")) from None


def _workbook_part(archive: zipfile.ZipFile) -> str:
    try:
        return ooxml.main_part(archive, ooxml.ANY_WORKBOOK_TYPES)
    except ooxml.TooLarge:
        raise FileRefused(_("文件解压后过大或压缩比异常，无法导入")) from None
    except ooxml.NotOoxml:
        raise FileRefused(_("文件是压缩包，但不是 Excel 工作簿（.xlsx），请用下载的模板填写后上传")) from None


def _worksheets(archive: zipfile.ZipFile, workbook: str) -> list[tuple[str, str]]:
    """(title, part name) of each worksheet in the workbook's order."""
    folder, name = posixpath.split(workbook)
    rels_name = posixpath.join(folder, "_rels", name + ".rels")
    if rels_name not in archive.namelist():
        raise FileRefused(_("工作簿已损坏，无法读取"))
    targets = {}
    for rel in _read_part(archive, rels_name):
        if (rel.get("Type") or "").endswith(WORKSHEET_REL):
            target = rel.get("Target") or ""
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            targets[rel.get("Id")] = path
    sheets = []
    for element in _read_part(archive, workbook).iter():
        if ooxml.local(element.tag) == "sheet":
            rid = _attribute(element, "id")
            if rid in targets:
                sheets.append((element.get("name") or "", targets[rid]))
    return sheets


class Budget:
    """The time an import may take in the request, checked between chunks and rows."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise FileRefused(
                _("导入超过 %(seconds)s 秒仍未完成，已停止，没有写入任何数据；请把文件分成几个较小的文件分别导入")
                % {"seconds": int(self.seconds)}
            )


def _kind_of_part(name: str) -> str:
    if name.startswith("xl/worksheets/") and name.endswith(".xml"):
        return "sheet"
    if name == "xl/sharedStrings.xml":
        return "sharedStrings"
    return "other"


def _check_parts(archive: zipfile.ZipFile, budget: Budget) -> None:
    """FileRefused unless every part is within its bounds (see the module's docstring). Pictures
    and other binary parts are bounded by size only: openpyxl does not parse them on import."""
    for info in archive.infolist():
        kind = _kind_of_part(info.filename)
        if info.file_size > MAX_PART_BYTES[kind]:
            raise FileRefused(
                _("工作簿中的「%(part)s」解压后超过 %(limit)s MB，无法导入；请只保留模板中的数据后重新保存")
                % {"part": info.filename, "limit": MAX_PART_BYTES[kind] // MB}
            )
        if info.filename.endswith((".xml", ".rels")):
            _check_xml(archive, info, kind, budget)


def _check_xml(archive: zipfile.ZipFile, info: zipfile.ZipInfo, kind: str, budget: Budget) -> None:
    """Stream one XML part once: no `<!`, short processing instructions, no token longer than
    MAX_TOKEN, shared strings counted."""
    strange = FileRefused(_("工作簿中的「%(part)s」含有 Excel 不会写入的内容，无法导入") % {"part": info.filename})
    run = 0  # bytes since the last "<", carried from chunk to chunk
    strings, buffer = 0, b""
    with archive.open(info) as stream:
        while True:
            budget.check()
            chunk = stream.read(CHUNK)
            run = _longest_run(chunk, run)
            if run > MAX_TOKEN:
                raise strange
            buffer += chunk
            safe = len(buffer) if not chunk else max(0, len(buffer) - MAX_PI - MARGIN)
            if b"<!" in buffer:
                raise strange
            for match in DECLARATION_OR_PI.finditer(buffer):
                if match.start() < safe and buffer.find(b"?>", match.start(), match.start() + MAX_PI) < 0:
                    raise strange
            if kind == "sharedStrings":
                strings += sum(1 for match in SHARED_STRING.finditer(buffer) if match.start() < safe)
                if strings > MAX_SHARED_STRINGS:
                    raise FileRefused(
                        _("工作簿中的不同文字超过 %(limit)s 条，无法导入；请分成几个文件分别导入")
                        % {"limit": f"{MAX_SHARED_STRINGS:,}"}
                    )
            if not chunk:
                return
            buffer = buffer[safe:]


def _longest_run(chunk: bytes, run: int) -> int:
    """The bytes since the last "<" at the chunk's end, given `run` before it; MAX_TOKEN + 1 when
    a run between two "<" is longer than MAX_TOKEN. Without splitting the chunk into millions of
    pieces: any run longer than MAX_TOKEN holds a point of the grid of half its length counted
    from the first "<", so the runs through those points are the only ones measured."""
    first = chunk.find(b"<")
    if first < 0:
        return run + len(chunk)
    if run + first > MAX_TOKEN:
        return MAX_TOKEN + 1
    last = chunk.rfind(b"<")
    for point in range(first, last, MAX_TOKEN // 2):
        before = chunk.rfind(b"<", 0, point + 1)
        after = chunk.find(b"<", point + 1)
        if after - before - 1 > MAX_TOKEN:
            return MAX_TOKEN + 1
    return len(chunk) - last - 1


def _scan(archive: zipfile.ZipFile, part: str, max_rows: int, budget: Budget) -> tuple[int, list[str]]:
    """Count <row> elements (stopping once past max_rows + 1) and collect <mergeCell> refs."""
    rows, merges, buffer = 0, [], b""
    with archive.open(part) as stream:
        while True:
            budget.check()
            chunk = stream.read(CHUNK)
            buffer += chunk
            # Matches starting before `safe` are complete; the rest is looked at again next time.
            safe = len(buffer) if not chunk else max(0, len(buffer) - MARGIN)
            rows += sum(1 for match in ROW_TAG.finditer(buffer) if match.start() < safe)
            merges += [m.group(1).decode() for m in MERGE_TAG.finditer(buffer) if m.start() < safe]
            if rows > max_rows + 1 or not chunk:
                return rows, merges
            buffer = buffer[safe:]


@contextlib.contextmanager
def open_sheet(file, *, sheet_title: str, max_rows: int, budget: Budget | None = None):
    """Yield the Sheet to import: the one named like the template's, else the first worksheet.
    Raises FileRefused for a file that cannot be imported at all, or once the budget is spent."""
    budget = budget or Budget(settings.IMPORT_TIME_BUDGET_SECONDS)
    file.seek(0)
    head = file.read(8)
    file.seek(0)
    if head == ooxml.OLE_MAGIC:
        raise FileRefused(
            _(
                "这是旧版 Excel 97-2003 文件（.xls）或设置了打开密码的文件，"
                "请在 Excel 中另存为“Excel 工作簿（.xlsx）”并取消密码后再导入"
            )
        )
    if not head:
        raise FileRefused(_("文件是空的"))
    if not zipfile.is_zipfile(file):
        raise FileRefused(_("文件不是 Excel 工作簿（.xlsx），请用下载的模板填写后上传"))
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            workbook_part = _workbook_part(archive)
            _check_parts(archive, budget)
            sheets = _worksheets(archive, workbook_part)
            if not sheets:
                raise FileRefused(_("工作簿里没有工作表"))
            title, part = next(((t, p) for t, p in sheets if t == sheet_title), sheets[0])
            if part not in archive.namelist():
                raise FileRefused(_("工作簿已损坏，无法读取"))
            rows, merges = _scan(archive, part, max_rows, budget)
    except (zipfile.BadZipFile, ElementTree.ParseError, KeyError, EOFError, zipfile.LargeZipFile, OSError):
        raise FileRefused(_("工作簿已损坏，无法读取")) from None
    if rows - 1 > max_rows:
        raise FileRefused(
            _("工作表「%(sheet)s」超过 %(limit)s 行数据，超出一次导入的上限，请分成几个文件分别导入")
            % {"sheet": title, "limit": f"{max_rows:,}"}
        )
    file.seek(0)
    try:
        workbook = openpyxl.load_workbook(file, read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds on a damaged file; each means the same here
        raise FileRefused(_("工作簿已损坏，无法读取")) from None
    try:
        rows_read = _guarded(workbook[title].iter_rows(), budget)
        yield Sheet(title=title, rows=rows_read, data_rows=max(rows - 1, 0), merges=merges)
    finally:
        workbook.close()


def _guarded(rows, budget: Budget):
    """The sheet's rows; a damaged sheet found while reading is a refused file, not a crash."""
    iterator = iter(rows)
    while True:
        budget.check()
        try:
            row = next(iterator)
        except StopIteration:
            return
        except Exception:  # openpyxl raises many kinds on a damaged sheet; each means the same here
            raise FileRefused(_("工作簿已损坏，无法读取")) from None
        yield row
