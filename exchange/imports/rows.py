"""Reading a sheet into checked rows: the header first, then merged cells, then every row that is
not blank. Errors go to the report as they are found; nothing here writes to the database."""

from django.utils.translation import gettext as _

from exchange.imports.cells import CellError, cell_value
from exchange.imports.columns import Column
from exchange.imports.importer import Importer, Row
from exchange.imports.report import Report


def read_rows(importer: Importer, sheet, report: Report, *, others=()) -> list[Row]:
    """Every data row of the sheet, with `ok` telling whether it may be written.

    1. the header must name the template's columns (or nothing else is read);
    2. merged ranges are reported, and the rows they touch are not clean;
    3. each row that is not blank is read cell by cell, its key checked against the template's
       example and the rows before it, then the kind's own checks run on a clean row."""
    lines = iter(sheet.rows)
    header_cells = next(lines, None)
    if not header_cells:
        report.add(None, "", _("工作表「%(sheet)s」是空的") % {"sheet": sheet.title})
        return []
    if other := _other_kind(importer, sheet.title, header_cells, others):
        # One line rather than a table of missing and extra columns: the file is fine, the choice
        # on the form was not.
        report.add(
            None,
            "",
            _("这是“%(file)s”导入模板，当前选择的是“%(chosen)s”导入：请选择“%(file)s”后重新上传")
            % {"file": other.label, "chosen": importer.label},
        )
        return []
    positions = read_header(importer.columns, header_cells, report, shown_only=importer.shown_only)
    if positions is None:
        return []
    # Cells under a shown-only header are read past, like those of a named column.
    width = max(
        index + 1
        for index, cell in enumerate(header_cells)
        if index in positions.values() or _header_text(cell) in importer.shown_only
    )
    headers_by_index = {index: importer.header(name) for name, index in positions.items()}
    reader = _RowReader(
        importer, positions, report, merged_rows=report_merges(sheet.merges, headers_by_index, report), width=width
    )
    rows = []
    for expected, cells in enumerate(lines, start=2):
        if _blank(cells):
            continue
        row = reader.read(_row_number(cells, expected), cells)
        if row is not None:
            rows.append(row)
    return rows


def _other_kind(importer: Importer, title: str, header_cells, others):
    """The kind of import this sheet is a template of, when it is not the chosen one: its header
    has every required column of another kind and misses some of the chosen kind's."""
    headers = {_header_text(cell) for cell in header_cells}

    def fits(kind) -> bool:
        return all(c.header in headers for c in kind.columns if c.required)

    if fits(importer):
        return None
    return next((kind for kind in others if kind.kind != importer.kind and fits(kind)), None)


def _header_text(cell) -> str:
    # A required column's header may carry a star ("点位编码*"), as some offices mark them.
    return "" if cell.value is None else str(cell.value).strip().rstrip("*＊").strip()


def read_header(
    columns: tuple[Column, ...], header_cells, report: Report, *, shown_only=frozenset()
) -> dict[str, int] | None:
    """Map each field to its column index, or report what is missing, extra or doubled; headers
    in `shown_only` (what an export shows besides the import's columns) are read past."""
    headers = [_header_text(cell) for cell in header_cells]
    expected = {c.header: c for c in columns}
    positions: dict[str, int] = {}
    problems = False
    for index, header in enumerate(headers):
        if not header or header in shown_only:
            continue
        column = expected.get(header)
        if column is None:
            report.add(1, header, _("多余的列：模板中没有这一列"))
            problems = True
        elif column.field in positions:
            report.add(1, header, _("这一列出现了两次"))
            problems = True
        else:
            positions[column.field] = index
    for column in columns:
        if column.field not in positions:
            report.add(1, column.header, _("缺少这一列"))
            problems = True
    if problems:
        report.add(
            1,
            "",
            _("表头应为：%(headers)s。请使用下载的模板") % {"headers": "、".join(c.header for c in columns)},
        )
        return None
    return positions


def report_merges(merges: list[str], headers_by_index: dict[int, str], report: Report) -> set[int]:
    """Report each merged range at its first row; return every row a merge touches."""
    touched = set()
    for ref in merges:
        first = ref.split(":")[0]
        letters = first.rstrip("0123456789")
        row = int(first[len(letters) :])
        report.add(
            row,
            headers_by_index.get(_letters_to_index(letters), ""),
            _("合并单元格 %(ref)s，请取消合并并在每个单元格中填写内容后再导入") % {"ref": ref},
        )
        last = ref.split(":")[-1]
        touched.update(range(row, int(last.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) + 1))
    return touched


def _letters_to_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return index - 1


def _blank(cells) -> bool:
    return all(cell.value is None or (isinstance(cell.value, str) and not cell.value.strip()) for cell in cells)


def _row_number(cells, expected: int) -> int:
    # openpyxl fills gaps with empty rows; the cells' own row number is the one Excel shows.
    return next((cell.row for cell in cells if getattr(cell, "row", None)), expected)


class _RowReader:
    """Reads the data rows of one sheet whose header is known, remembering the keys seen so far."""

    def __init__(
        self, importer: Importer, positions: dict[str, int], report: Report, *, merged_rows: set[int], width: int
    ):
        self.importer = importer
        self.positions = positions
        self.width = width
        self.report = report
        self.merged_rows = merged_rows
        self.lookups = importer.lookups()
        self.options = importer.options()
        self.seen_keys: dict[str, int] = {}

    def read(self, number: int, cells) -> Row | None:
        """The row, or None when it must not be counted at all (the example row, a repeated key)."""
        named_only = self._named_only(number, cells)
        values, bad = self._values(number, cells)
        if not self._new_key(number, values.get(self.importer.key)):
            return None
        clean = number not in self.merged_rows and named_only and not bad
        errors_before = len(self.report.errors)
        row = Row(number, values, bad=frozenset(bad))
        # The kind's checks run on what could be read, even when a cell was wrong: the office
        # sees all of a row's problems at once, not one per round. Not on a merged row: its
        # cells under the merge read as empty, which would be reported as what they are not.
        if number not in self.merged_rows:
            self.importer.check(row, self.report)
        row.ok = clean and len(self.report.errors) == errors_before
        return row

    def _named_only(self, number: int, cells) -> bool:
        """False, reported once, when a cell right of the last named column holds something."""
        for index in range(self.width, len(cells)):
            if cells[index].value not in (None, ""):
                self.report.add(number, "", _("第%(col)s列没有列名，却填了内容") % {"col": index + 1})
                return False
        return True

    def _values(self, number: int, cells) -> tuple[dict, set[str]]:
        """Each column's typed value by field (None where the cell was wrong), and the fields
        whose cell was wrong."""
        values = {}
        bad = set()
        for column in self.importer.columns:
            index = self.positions[column.field]
            cell = cells[index] if index < len(cells) else None
            try:
                values[column.field] = cell_value(column, cell, self.lookups, self.options)
            except CellError as error:
                self.report.add(number, column.header, error.message)
                values[column.field] = None
                bad.add(column.field)
        return values, bad

    def _new_key(self, number: int, key) -> bool:
        """False, reported, for the template's example row and for a key an earlier row had."""
        if key is None:
            return True
        if key == self.importer.example_key:
            self.report.add(number, "", _("这是模板里的示例行，请删除后再导入"))
            return False
        if key in self.seen_keys:
            self.report.add(
                number,
                self.importer.header(self.importer.key),
                _("「%(key)s」与第%(row)s行重复") % {"key": key, "row": self.seen_keys[key]},
            )
            return False
        self.seen_keys[key] = number
        return True
