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
size at once is optional and not always present or true."""

import contextlib
import posixpath
import re
import zipfile
from dataclasses import dataclass
from xml.etree import ElementTree

import openpyxl
from django.utils.translation import gettext as _

from core import ooxml

WORKSHEET_REL = "/worksheet"

ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")
MERGE_TAG = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?mergeCell\s[^>]{0,200}?\bref=\"([A-Z]{1,3}[0-9]{1,7}(?::[A-Z]{1,3}[0-9]{1,7})?)\""
)
CHUNK = 1 << 20
MARGIN = 512  # longer than any tag head the patterns match


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
        raise FileRefused(_("文件解压后过大，无法导入")) from None
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


def _scan(archive: zipfile.ZipFile, part: str, max_rows: int) -> tuple[int, list[str]]:
    """Count <row> elements (stopping once past max_rows + 1) and collect <mergeCell> refs."""
    rows, merges, buffer = 0, [], b""
    with archive.open(part) as stream:
        while True:
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
def open_sheet(file, *, sheet_title: str, max_rows: int):
    """Yield the Sheet to import: the one named like the template's, else the first worksheet.
    Raises FileRefused for a file that cannot be imported at all."""
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
            sheets = _worksheets(archive, _workbook_part(archive))
            if not sheets:
                raise FileRefused(_("工作簿里没有工作表"))
            title, part = next(((t, p) for t, p in sheets if t == sheet_title), sheets[0])
            if part not in archive.namelist():
                raise FileRefused(_("工作簿已损坏，无法读取"))
            rows, merges = _scan(archive, part, max_rows)
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
        yield Sheet(title=title, rows=_guarded(workbook[title].iter_rows()), data_rows=max(rows - 1, 0), merges=merges)
    finally:
        workbook.close()


def _guarded(rows):
    """The sheet's rows; a damaged sheet found while reading is a refused file, not a crash."""
    iterator = iter(rows)
    while True:
        try:
            row = next(iterator)
        except StopIteration:
            return
        except Exception:  # openpyxl raises many kinds on a damaged sheet; each means the same here
            raise FileRefused(_("工作簿已损坏，无法读取")) from None
        yield row
