"""One cell of a column, read as the column's type and normalised (STYLE 17: text is normalised once
at the edge). Whatever is wrong with a cell is a CellError whose message the report shows."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from core import text as text_rules
from documents.xlsx import BOOL, DATE, NUMBER, TEXT
from exchange.imports.columns import CHOICE, CODE, Column, Option

YES, NO = "是", "否"
HINT_LIMIT = 6  # an unknown value's message lists the allowed ones when there are this few


class CellError(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _integral(value: float) -> str:
    return str(int(value)) if value.is_integer() else str(value)


def to_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, str):
        return _edge(value).strip() or None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _integral(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.time | dt.timedelta):
        raise CellError(_("应为文字，不能是日期或时间"))
    return _edge(str(value)).strip() or None


def _edge(value: str) -> str:
    """A text cell through the edge every input goes through (core/text.py): a pasted control
    character or a bidi override must not reach a site's name or a bulletin."""
    try:
        return text_rules.text(value)
    except text_rules.Refused as refused:
        raise CellError(refused.message) from None


def _in_range(day: dt.date) -> dt.date:
    try:
        text_rules.date(day)
    except text_rules.Refused as refused:
        raise CellError(refused.message) from None
    return day


def to_date(value) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return _in_range(value.date())
    if isinstance(value, dt.date):
        return _in_range(value)
    if isinstance(value, str):
        raise CellError(
            _("日期不能是文字「%(text)s」，请把单元格设为日期格式后重新填写（如 2026-04-30）") % {"text": value.strip()}
        )
    raise CellError(_("应为日期，「%(text)s」不是日期格式的单元格") % {"text": to_text(value)})


def to_number(value) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or isinstance(value, dt.date | dt.time | dt.timedelta):
        raise CellError(_("应为数字"))
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    text = str(value).strip().replace(",", "")
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise CellError(_("应为数字，「%(text)s」不是数字") % {"text": str(value).strip()}) from None
    if not number.is_finite():
        raise CellError(_("应为数字，「%(text)s」不是数字") % {"text": str(value).strip()})
    return number


def to_bool(value) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    text = to_text(value)
    if text is None:
        return None
    if text in (YES, "Y", "y", "TRUE", "true", "1"):
        return True
    if text in (NO, "N", "n", "FALSE", "false", "0"):
        return False
    raise CellError(_("应为「是」或「否」，不能是「%(text)s」") % {"text": text})


CONVERTERS = {TEXT: to_text, CODE: to_text, CHOICE: to_text, DATE: to_date, NUMBER: to_number, BOOL: to_bool}


def _is_formula(cell) -> bool:
    # openpyxl gives a formula's text ("=SUM(A2:A9)"), never its result.
    return getattr(cell, "data_type", None) == "f" or (isinstance(cell.value, str) and cell.value.startswith("="))


def _chosen(value: str, table: dict[str, object], allowed: list[Option]) -> object:
    """What a choice cell's text stands for; an unknown text names the allowed ones when they are few."""
    if value in table:
        return table[value]
    # "DP01 区住房和城乡建设局" picked from the drop-down: the code is what counts (a unit renamed
    # since the template was downloaded is still found by its code).
    code = value.split(None, 1)[0]
    if code != value and code in table and any(o.text == code for o in allowed):
        return table[code]
    hint = (
        _("（可选：%(values)s）") % {"values": "、".join(o.text for o in allowed)}
        if 0 < len(allowed) <= HINT_LIMIT
        else ""
    )
    raise CellError(_("未知的值「%(value)s」%(hint)s") % {"value": value, "hint": hint})


def cell_value(column: Column, cell, lookups: dict[str, dict[str, object]], options: dict[str, list[Option]]):
    """The typed value of `column`'s cell (None when the row has no such cell): a choice becomes
    what it stands for. `lookups` and `options` are the importer's, by list name."""
    if cell is not None and _is_formula(cell):
        raise CellError(_("不能使用公式，请复制后“选择性粘贴为数值”"))
    value = CONVERTERS[column.kind](cell.value if cell is not None else None)
    if value is None:
        if column.required:
            raise CellError(_("必填，不能为空"))
        return None
    if column.max_length and len(value) > column.max_length:
        raise CellError(_("不能超过 %(n)s 个字") % {"n": column.max_length})
    if column.kind == CHOICE:
        return _chosen(value, lookups.get(column.choices, {}), options.get(column.choices, []))
    return value
