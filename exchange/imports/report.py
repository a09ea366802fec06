"""The row-by-row error report: each error names the row Excel shows and the column's header, so
that the office can correct the file and import it again."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

MAX_ERRORS = 200


@dataclass(frozen=True)
class RowError:
    row: int | None  # the row number Excel shows; None for the file as a whole
    column: str
    message: str

    def __str__(self) -> str:
        where = _("第%(row)s行") % {"row": self.row} if self.row else ""
        if self.column:
            where += f"「{self.column}」"
        return f"{where}：{self.message}" if where else self.message


class TooManyErrors(Exception):
    """Raised by Report.add past its cap: a file that bad is not worth reading to the end."""


class Report:
    """Errors as they are found, capped: past MAX_ERRORS the run stops."""

    def __init__(self, cap: int = MAX_ERRORS):
        self.errors: list[RowError] = []
        self.cap = cap
        self.truncated = False

    def add(self, row: int | None, column: str, message: str) -> None:
        if len(self.errors) >= self.cap:
            self.truncated = True
            raise TooManyErrors
        self.errors.append(RowError(row, column, message))
