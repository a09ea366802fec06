"""What every kind of import is: its columns, its allowed values, its own checks of a row and how
it writes the rows. The kinds are in units.py, people.py, sites.py and tasks.py."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from campaigns.models import Campaign
from exchange.imports.columns import Column, Option
from exchange.imports.report import Report
from organisation.models import Area, Unit

BATCH = 500  # rows per bulk write and per `code IN (...)` lookup (SQLite's variable limit)


@dataclass
class Row:
    number: int
    values: dict
    ok: bool = True  # no error was found in it
    # Fields whose cell was wrong (their value is None): the kind's checks skip what needs them
    # and still check the rest, so a row's problems are all reported at once.
    bad: frozenset = frozenset()


def labelled_text(option: Option) -> str:
    """A drop-down value with its meaning: "DP01 区住房和城乡建设局"."""
    return f"{option.text} {option.description}" if option.description else option.text


class Importer:
    """A kind of import. Subclasses set the class attributes and implement options, check and
    write."""

    kind = ""
    label = ""  # what the screens call it
    sheet = ""
    key = ""  # the field rows are updated by
    example_key = ""  # the key of the template's example row: refused if left in the file
    columns: tuple[Column, ...] = ()
    # Headers an export of the same data carries only to be read (names beside codes, progress):
    # the import reads past them, so an exported sheet can be edited and imported again.
    shown_only: frozenset[str] = frozenset()
    needs_campaign = False
    # The kind's rules live in services that only tell by trying: its rows are tried (and rolled
    # back) even when other rows have errors, so that one report lists every refusal.
    rules_in_services = False

    def __init__(self, *, actor, campaign: Campaign | None = None):
        self.actor = actor
        self.campaign = campaign
        self._options: dict[str, list[Option]] | None = None

    # Allowed values, by list name: for the template's drop-downs and for checking cells.
    def options(self) -> dict[str, list[Option]]:
        if self._options is None:
            self._options = self.load_options()
        return self._options

    def load_options(self) -> dict[str, list[Option]]:
        return {}

    # Lists whose drop-down shows the code and the name ("DP01 区住房和城乡建设局"): a code alone
    # means nothing to whoever fills the sheet in; the import reads the code back (cells._chosen).
    labelled: frozenset[str] = frozenset({"单位编码", "区域编码", "标准条目", "人员"})

    def template_lists(self) -> dict[str, list[tuple[str, str]]]:
        """The allowed values for the template's hidden sheet: (value, what it means)."""
        return {
            name: [(labelled_text(o) if name in self.labelled else o.text, o.description) for o in options]
            for name, options in self.options().items()
        }

    def aliases(self) -> dict[str, dict[str, object]]:
        """Other spellings a list accepts besides its drop-down values."""
        return {}

    def lookups(self) -> dict[str, dict[str, object]]:
        table = {name: {o.text: o.value for o in options} for name, options in self.options().items()}
        for name in self.labelled & table.keys():
            table[name].update({labelled_text(o): o.value for o in self.options()[name] if o.description})
        for name, extra in self.aliases().items():
            table.setdefault(name, {}).update(extra)
        return table

    def prepare(self) -> None:
        """Load what check() compares against, once per import."""

    def check(self, row: Row, report: Report) -> None:
        """The kind's own checks of a row whose cells are all well-formed."""

    def write(self, rows: list[Row], report: Report) -> tuple[int, int, int]:
        """Write every row (inside the caller's transaction): (created, updated, unchanged)."""
        raise NotImplementedError

    def example(self) -> dict:
        return {}

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.field == name)

    def header(self, name: str) -> str:
        return self.column(name).header

    def notes(self, max_rows: int) -> list[str]:
        key = self.column(self.key).header
        return [
            _("1. 第1行是列名，请不要修改、增删或调换；红色列名为必填。"),
            _("2. 第2行是示例，导入前请删除。"),
            _("3. 按「%(key)s」更新：已有的更新，没有的新建；文件中同一个「%(key)s」只能出现一次。") % {"key": key},
            _("4. 有下拉列表的列只能填写列表中的值。日期请填写为日期格式（如 2026-04-30），不要写成文字。"),
            _("5. 不要使用公式和合并单元格。每个文件最多 %(max)s 行。") % {"max": f"{max_rows:,}"},
            _("6. 只要有一行有错，整个文件都不会导入；系统会逐行列出问题，改正后重新导入即可。"),
        ]


def update_fields(obj, values: dict) -> bool:
    """Write the fields that differ, one UPDATE for the row (bulk_update's CASE expressions grow
    with the batch and were slower on 10,000 rows); True when something changed.

    Only for kinds without services of their own (units, people, sites): tasks change through the
    ledger's services, never by a direct UPDATE."""
    changed = {name: value for name, value in values.items() if getattr(obj, name) != value}
    if changed:
        type(obj).objects.filter(pk=obj.pk).update(**changed)
    return bool(changed)


def unit_options(kinds) -> list[Option]:
    return [
        Option(code, pk, name)
        for pk, code, name in Unit.objects.filter(is_active=True, kind__in=kinds)
        .order_by("kind", "code")
        .values_list("pk", "code", "name")
    ]


def area_options() -> list[Option]:
    return [
        Option(code, pk, name) for pk, code, name in Area.objects.order_by("code").values_list("pk", "code", "name")
    ]
