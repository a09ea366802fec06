"""What every piece of text, date and number typed or sent to us goes through, once, at the edge.

The rules live here; the edges apply them: every form (`core.forms.Form`, `ModelForm`, the
admin's `core.admin.EdgeAdminMixin`), every field of the JSON API (`core.schema`'s annotated
types) and every text cell of an Excel import (`exchange.imports.cells`). Tests walk every form
class and every API operation and fail on a field that skips them (`tests/test_edge.py`).

Text, and why each choice:
- NUL (U+0000) is **refused**, with a message: nobody types or pastes it, so it is a crafted
  request or binary data, PostgreSQL cannot store it (a 500), and C programs reading our
  documents stop at it. Silently dropping it would hide what happened.
- A lone surrogate (JSON "\\ud800") is refused likewise: it cannot be encoded as UTF-8 at all.
- Line breaks become "\\n": "\\r\\n" and "\\r" (what browsers send from a textarea, what old Macs
  wrote), and the vertical tab and form feed, which Word's Shift+Enter and page break put on the
  clipboard: the person meant a new line, so they get one.
- Every other C0 control (U+0001–U+0008, U+000E–U+001F), DEL and the C1 controls
  (U+0080–U+009F) are **stripped**: they are invisible, arrive by pasting from other programs,
  and a person told to remove a character they cannot see cannot do it. XML forbids the C0 ones,
  so one of them in a bulletin's Word file stopped the bulletin from publishing. The XML
  non-characters U+FFFE and U+FFFF go for the same reason. Tab and newline stay.
- Bidirectional overrides, embeddings and isolates (U+202A–U+202E, U+2066–U+2069), the direction
  marks (U+200E, U+200F, U+061C) and zero-width characters (U+200B–U+200D, U+2060, U+FEFF) are
  **stripped**: they are invisible, a search for 东城 must find 东\\u200b城, and an override
  reverses the text after it in a PDF or on a screen (a site name that reads differently from
  what is stored).
- The result is in Unicode NFC, so the same characters typed on two systems compare equal.

Dates: from 2000-01-01 to 31 December five years after this year (clock.today()). The campaign
deals with the present: a hygienic city's title runs three years, so a deadline or plan five
years ahead covers the next term and more; nothing in it happened before 2000. The bounds keep
out typing slips (0206 for 2026) and values a database or a document cannot hold (year 1 is
stored by PostgreSQL but breaks Python's time zone arithmetic when read back, hence 500s).

Numbers: NaN and infinities are refused everywhere; coordinates within the WGS-84 range; a GPS
accuracy within 0..10,000 m (a phone that knows its place worse than 10 km does not know it);
integers within a 32-bit signed column."""

import datetime as dt
import re
import unicodedata

from django.utils.translation import gettext as _

from core import clock

MIN_DATE = dt.date(2000, 1, 1)
YEARS_AHEAD = 5
MAX_ACCURACY_M = 10_000
MAX_INT = 2**31 - 1

LINE_BREAKS = re.compile(r"\r\n|[\r\x0b\x0c]")
# C0 except \t \n (\r, \v, \f are line breaks, handled above), DEL, C1, XML non-characters,
# direction marks, overrides and isolates, zero-width characters.
INVISIBLE = re.compile(
    "[\x01-\x08\x0e-\x1f\x7f-\x9f\ufffe\uffff\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069\u200b-\u200d\u2060\ufeff]"
)
SURROGATE = re.compile("[\ud800-\udfff]")


class Refused(ValueError):
    """An input the edge will not take; `message` is what the person reads (Chinese by default)."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


def text(value: str) -> str:
    """The text as we store it (rules in the module's docstring); Refused for NUL or a lone
    surrogate."""
    if "\x00" in value:
        raise Refused(_("内容含有空字符（NUL），这不是正常输入的文字，请删除后重新填写"), "null_characters")
    if SURROGATE.search(value):
        raise Refused(_("内容含有无效的字符编码，请重新输入"), "surrogates")
    value = INVISIBLE.sub("", LINE_BREAKS.sub("\n", value))
    return unicodedata.normalize("NFC", value)


def deep(value):
    """`text` over strings inside lists, tuples and dicts (a form's multiple choice, a JSON
    body); anything else is returned as it is."""
    if isinstance(value, str):
        return text(value)
    if isinstance(value, list | tuple):
        return type(value)(deep(item) for item in value)
    if isinstance(value, dict):
        return {deep(key): deep(item) for key, item in value.items()}
    return value


def max_date() -> dt.date:
    return dt.date(clock.today().year + YEARS_AHEAD, 12, 31)


def date_range_message() -> str:
    return _("日期须在 %(first)s 至 %(last)s 之间") % {
        "first": MIN_DATE.isoformat(),
        "last": max_date().isoformat(),
    }


def date(value: dt.date | dt.datetime) -> dt.date | dt.datetime:
    """The date (or datetime) if it is within the campaign's range, else Refused."""
    day = value.date() if isinstance(value, dt.datetime) else value
    if not MIN_DATE <= day <= max_date():
        raise Refused(date_range_message(), "date_range")
    return value
