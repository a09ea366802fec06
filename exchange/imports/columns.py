"""How a kind declares its columns: the header the template shows, whether it is required, the
type its cells are read as, and the allowed-values list a choice column is checked against."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from documents.xlsx import BOOL, DATE, NUMBER, TEXT

# Besides the renderer's types: a code is text the template formats as text (so "0101" keeps its
# zero), a choice is text that must be one of a list's values.
CODE, CHOICE = "code", "choice"
KIND_LABELS = {
    TEXT: "文字",
    CODE: "编码（文字）",
    CHOICE: "从下拉列表选择",
    DATE: "日期",
    NUMBER: "数字",
    BOOL: "是/否",
}


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    kind: str = TEXT
    required: bool = False
    max_length: int | None = None
    choices: str | None = None  # the name of an allowed-values list (Importer.options)
    help: str = ""

    @property
    def kind_label(self) -> str:
        return _(KIND_LABELS[self.kind])


@dataclass(frozen=True)
class Option:
    text: str  # what the cell holds (the drop-down's value)
    value: object  # what it stands for (an id, a choice value)
    description: str = ""
