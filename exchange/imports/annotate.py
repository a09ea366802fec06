"""The error report as the file that was uploaded, with a 问题 column added: the office corrects
the rows where it reads them, deletes the column, and imports again."""

import openpyxl
from django.utils.translation import gettext as _
from openpyxl.styles import Alignment, Font, PatternFill

from documents.xlsx import HEADER_ALIGNMENT, HEADER_BORDER, HEADER_FONT
from exchange.imports.report import RowError

PROBLEM_FILL = PatternFill("solid", fgColor="FCE4D6")
PROBLEM_HEADER_FILL = PatternFill("solid", fgColor="C00000")
# Above this many rows the copy is not made (the whole workbook is held in memory to write it).
MAX_ANNOTATED_ROWS = 5_000
MAX_ANNOTATED_BYTES = (
    1024 * 1024
)  # the copy goes into the page as a data: link  # and the file this small (what it unpacks to is bounded too)


def annotated_workbook(file, *, sheet_title: str, sheet_rows: int, errors: list[RowError], out) -> bool:
    """Write to `out` the uploaded workbook with, on the imported sheet, a 问题 column right of
    the last one: each row's problems in one cell, the row's cell shaded. False (nothing written)
    when no error names a data row or the sheet is too large to copy (`sheet_rows`, counted by
    the reader: a whole workbook is loaded only when it is small)."""
    if sheet_rows > MAX_ANNOTATED_ROWS or (getattr(file, "size", 0) or 0) > MAX_ANNOTATED_BYTES:
        return False
    by_row: dict[int, list[str]] = {}
    for error in errors:
        if error.row and error.row > 1:
            where = f"「{error.column}」" if error.column else ""
            by_row.setdefault(error.row, []).append(f"{where}{error.message}")
    if not by_row:
        return False
    file.seek(0)
    workbook = openpyxl.load_workbook(file)
    ws = workbook[sheet_title] if sheet_title in workbook.sheetnames else workbook.worksheets[0]
    column = ws.max_column + 1
    header = ws.cell(row=1, column=column, value=_("问题"))
    header.font, header.fill = HEADER_FONT, PROBLEM_HEADER_FILL
    header.alignment, header.border = HEADER_ALIGNMENT, HEADER_BORDER
    ws.column_dimensions[openpyxl.utils.get_column_letter(column)].width = 60
    for row, messages in by_row.items():
        cell = ws.cell(row=row, column=column, value="；".join(messages))
        cell.data_type = "s"
        cell.font = Font(color="C00000")
        cell.fill = PROBLEM_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    workbook.active = workbook.worksheets.index(ws)
    workbook.save(out)
    return True
