"""The xlsx renderer: tables of rows to a workbook, and blank import templates.

Rows come from elsewhere (exchange.exports produces them, scoped by access); this module only
knows how a sheet should look: a styled header, the first row frozen, column widths that fit
Chinese text (a CJK character is twice as wide as a Latin one), real Excel dates.

Exports use openpyxl's write-only mode: each row is written to the sheet's temporary file as it
arrives and forgotten, so memory stays flat however many rows there are. The finished workbook
is written to an anonymous temporary file and streamed from there by FileResponse."""

import datetime as dt
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, islice

from django.http import FileResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Kinds of column, and the number format each is written with.
TEXT, DATE, DATETIME, NUMBER, PERCENT, BOOL = "text", "date", "datetime", "number", "percent", "bool"
FORMATS = {DATE: "yyyy-mm-dd", DATETIME: "yyyy-mm-dd hh:mm", PERCENT: "0%", TEXT: "@"}
FIXED_WIDTHS = {DATE: 10, DATETIME: 16, PERCENT: 6}

SAMPLE_ROWS = 200  # rows looked at to size the columns
MIN_WIDTH, MAX_WIDTH = 6, 60

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="2F5597")
REQUIRED_FILL = PatternFill("solid", fgColor="C00000")
HEADER_ALIGNMENT = Alignment(horizontal="center", vertical="center", wrap_text=True)
THIN = Side(style="thin", color="BFBFBF")
HEADER_BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
EXAMPLE_FONT = Font(italic=True, color="808080")


@dataclass(frozen=True)
class Col:
    header: str
    kind: str = TEXT
    # Long free text (a description, a criterion): wrapped in its cell, so that a printed page
    # shows all of it within the column's width.
    wrap: bool = False


@dataclass
class Table:
    """A document model for one sheet: what exchange.exports produces and write_table renders.
    `about` is the 导出说明 sheet's lines (label, value): the filters, who, when; the row count
    is added when the rows have been written."""

    title: str
    filename: str
    columns: Sequence[Col]
    rows: Iterable[tuple]
    about: Sequence[tuple[str, str]] = ()
    # Lines above the header (a title block: the first one large), for a sheet that is a
    # document in its own right (the dossier's 目录).
    heading: Sequence[str] = ()


ABOUT_SHEET = "导出说明"
WRAP = Alignment(wrap_text=True, vertical="top")


def display_width(value) -> int:
    """Width of a value in Excel's character units: East Asian wide characters count 2."""
    text = value if isinstance(value, str) else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def column_widths(columns: Sequence[Col], sample: Sequence[tuple]) -> list[float]:
    widths = []
    for index, column in enumerate(columns):
        width = max(display_width(column.header), FIXED_WIDTHS.get(column.kind, 0))
        if column.kind not in FIXED_WIDTHS:
            for row in sample:
                value = row[index]
                if value is not None:
                    # A long description wraps in the cell rather than widening the sheet.
                    width = max(width, min(display_width(value), MAX_WIDTH))
        widths.append(max(MIN_WIDTH, min(width, MAX_WIDTH)) + 2)
    return widths


def _plain(value):
    """A value Excel accepts: plain strings, local naive datetimes (Excel has no time zones), no
    control characters (they make the file unreadable)."""
    if isinstance(value, Promise):  # a lazily translated label
        value = str(value)
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)
    if isinstance(value, str) and ILLEGAL_CHARACTERS_RE.search(value):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def _style_header(cell, required: bool = False):
    cell.font = HEADER_FONT
    cell.fill = REQUIRED_FILL if required else HEADER_FILL
    cell.alignment = HEADER_ALIGNMENT
    cell.border = HEADER_BORDER
    return cell


def _row_cells(ws, columns: Sequence[Col], row: tuple) -> list:
    cells = []
    for column, value in zip(columns, row, strict=True):
        kind = column.kind
        value = _plain(value)
        if value is None:
            cells.append(None)
        elif isinstance(value, str):
            if value.startswith("=") or column.wrap:
                cell = WriteOnlyCell(ws, value)
                # User text (a citizen's report...) that looks like a formula stays text: an
                # export must never carry a live formula.
                cell.data_type = "s"
                if column.wrap:
                    cell.alignment = WRAP
                cells.append(cell)
            else:
                cells.append(value)
        elif kind in (DATE, DATETIME, PERCENT):
            cell = WriteOnlyCell(ws, value)
            cell.number_format = FORMATS[kind]
            cells.append(cell)
        else:
            cells.append(value)
    return cells


def _print_setup(ws, top: int = 1) -> None:
    """How the sheet prints: landscape A4, every column on one page's width (as many pages down
    as it takes), the header row repeated on each page. Set before the first row: write-only
    sheets write their properties when the first row goes out."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as needed
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = True
    ws.print_title_rows = f"{top}:{top}"
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"


def write_table(table: Table, fileobj) -> int:
    """Write one sheet: the header styled and frozen, widths from the header and the first rows,
    print settings (landscape, one page wide, header repeated, an autofilter), then every row as
    it comes, and a 导出说明 sheet. Returns the number of data rows written."""
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(title=table.title[:31])
    rows = iter(table.rows)
    sample = list(islice(rows, SAMPLE_ROWS))
    for index, width in enumerate(column_widths(table.columns, sample), start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    top = len(table.heading) + 1  # the header's row
    ws.freeze_panes = f"A{top + 1}"
    _print_setup(ws, top)
    for index, line in enumerate(table.heading):
        cell = WriteOnlyCell(ws, line)
        cell.font = Font(bold=True, size=16) if index == 0 else Font(size=11)
        ws.append([cell])
    ws.append([_style_header(WriteOnlyCell(ws, column.header)) for column in table.columns])
    written = 0
    for row in chain(sample, rows):
        ws.append(_row_cells(ws, table.columns, row))
        written += 1
    # The filter's range is known only now; write-only sheets write it after the rows.
    ws.auto_filter.ref = f"A{top}:{get_column_letter(len(table.columns))}{top + written}"
    if table.about:
        _about_sheet(workbook, table, written)
    workbook.save(fileobj)
    return written


def _about_sheet(workbook, table: Table, written: int) -> None:
    """What the export holds, for whoever reads it later: the filters in words, who made it and
    when, and how many rows."""
    ws = workbook.create_sheet(title=ABOUT_SHEET)
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 70
    title = WriteOnlyCell(ws, table.title)
    title.font = Font(bold=True, size=13)
    ws.append([title])
    for label, value in [*table.about, (_("导出行数"), str(written))]:
        cell = WriteOnlyCell(ws, _plain(value))
        cell.data_type = "s"
        cell.alignment = WRAP
        ws.append([_plain(label), cell])


def xlsx_response(table: Table, *, on_written=None) -> FileResponse:
    """Render to an anonymous temporary file (gone when closed) and stream it. `on_written(rows)`
    is told how many data rows went in (the security log records exports with their size)."""
    spool = tempfile.TemporaryFile(suffix=".xlsx")
    try:
        written = write_table(table, spool)
    except BaseException:
        spool.close()
        raise
    if on_written is not None:
        on_written(written)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=table.filename, content_type=XLSX_TYPE)


# ---- import templates --------------------------------------------------------------------


LISTS_SHEET = "选项"
NOTES_SHEET = "填写说明"


def write_template(fileobj, *, importer, lists: dict[str, list[tuple[str, str]]], max_rows: int) -> None:
    """A blank import template: the header (required columns in red, each with a note), one
    example row in grey, drop-down lists for fixed values from a hidden sheet of allowed values,
    column formats (codes as text, dates as dates) and a sheet of instructions.

    `importer` is an exchange.imports kind (columns, example, notes); `lists` maps a list's name
    to its allowed values, each with a description shown beside it on the hidden sheet."""
    workbook = Workbook()
    ws = workbook.active
    ws.title = importer.sheet
    columns = importer.columns
    examples = importer.example()
    for index, column in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=index, value=column.header)
        _style_header(cell, column.required)
        note = (_("必填。") if column.required else _("选填。")) + column.help
        cell.comment = Comment(note, "创卫督查", width=260, height=90)
        letter = get_column_letter(index)
        kind = DATE if column.kind == DATE else TEXT if column.kind in (TEXT, "code", "choice", BOOL) else None
        if kind:
            ws.column_dimensions[letter].number_format = FORMATS[kind]
        example = examples.get(column.field)
        example_width = display_width(example) if example is not None else 0
        if column.kind == DATE:
            example_width = FIXED_WIDTHS[DATE]
        ws.column_dimensions[letter].width = max(MIN_WIDTH, display_width(column.header), example_width) + 4
        if example is not None:
            example_cell = ws.cell(row=2, column=index, value=example)
            example_cell.font = EXAMPLE_FONT
            if column.kind == DATE:
                example_cell.number_format = FORMATS[DATE]
    ws.freeze_panes = "A2"

    # Allowed values, one list per column of the hidden sheet: value, then what it means.
    options = workbook.create_sheet(LISTS_SHEET)
    list_ranges = {}
    position = 1
    for name, values in lists.items():
        letter, described = get_column_letter(position), get_column_letter(position + 1)
        options.cell(row=1, column=position, value=name)
        options.cell(row=1, column=position + 1, value=_("说明"))
        for row, (value, description) in enumerate(values, start=2):
            options.cell(row=row, column=position, value=value).number_format = FORMATS[TEXT]
            options.cell(row=row, column=position + 1, value=description)
        if values:
            sheet = quote_sheetname(LISTS_SHEET)
            list_ranges[name] = f"{sheet}!${letter}$2:${letter}${len(values) + 1}"
        options.column_dimensions[letter].width = 16
        options.column_dimensions[described].width = 30
        position += 3
    options.sheet_state = "hidden"

    for index, column in enumerate(columns, start=1):
        if column.choices and column.choices in list_ranges:
            validation = DataValidation(
                type="list",
                formula1=f"={list_ranges[column.choices]}",
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=_("不在可选范围内"),
                error=_("请从下拉列表中选择「%(column)s」") % {"column": column.header},
            )
            letter = get_column_letter(index)
            validation.add(f"{letter}2:{letter}{max_rows + 1}")
            ws.add_data_validation(validation)

    notes = workbook.create_sheet(NOTES_SHEET, index=1)
    notes.column_dimensions["A"].width = 22
    notes.column_dimensions["B"].width = 8
    notes.column_dimensions["C"].width = 12
    notes.column_dimensions["D"].width = 70
    notes.append([_("%(kind)s导入模板：填写说明") % {"kind": importer.label}])
    notes["A1"].font = Font(bold=True, size=13)
    for line in importer.notes(max_rows):
        notes.append([line])
    notes.append([])
    header_row = notes.max_row + 1
    notes.append([_("列名"), _("必填"), _("格式"), _("说明")])
    for cell in notes[header_row]:
        _style_header(cell)
    for column in columns:
        notes.append([column.header, _("是") if column.required else "", column.kind_label, column.help])
    for row in notes.iter_rows(min_row=header_row + 1):
        row[3].alignment = Alignment(wrap_text=True, vertical="top")
    workbook.active = 0
    workbook.save(fileobj)
