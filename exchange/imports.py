"""Importing units, people, sites and tasks from the Excel templates the app offers.

One importer for every kind: a kind lists its columns (header, required, type, allowed values) and
says how to check and write a row; `run_import` does the rest, the same way for all:

1. refuse what cannot be imported at all (exchange.reader: not a workbook, too many rows...);
2. check the header: every column of the template, nothing else;
3. read every row: formulas, merged cells, dates typed as text, missing and unknown values, keys
   that appear twice in the file, the kind's own checks; errors are collected per row and column,
   up to MAX_ERRORS;
4. only when the whole file is clean, write it in one transaction, updating by code (units by
   code, people by username, sites by code, tasks by task code) and creating the rest. Tasks go
   through campaigns.services, so the ledger's rules (one owner, deadlines only earlier) hold; a
   row a service refuses is reported like any other and the transaction is rolled back.

An import is all or nothing: a file with one bad row changes nothing."""

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.contrib.auth.hashers import make_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

import access
from campaigns import services as campaign_services
from campaigns.models import Campaign, Milestone, Task
from core import clock
from core.errors import DomainError, NotAllowed
from documents.xlsx import BOOL, DATE, NUMBER, TEXT
from exchange.reader import FileRefused, open_sheet
from organisation.models import Area, Membership, Unit, User
from sites.models import Site
from standard.models import Criterion, SiteType

MAX_ROWS = 100_000
MAX_ERRORS = 200
HINT_LIMIT = 6  # an unknown value's message lists the allowed ones when there are this few
CODE, CHOICE = "code", "choice"
KIND_LABELS = {
    TEXT: "文字",
    CODE: "编码（文字）",
    CHOICE: "从下拉列表选择",
    DATE: "日期",
    NUMBER: "数字",
    BOOL: "是/否",
}
YES, NO = "是", "否"
IMPORT_REASON = "Excel 导入"
BATCH = 500  # rows per bulk write and per `code IN (...)` lookup (SQLite's variable limit)


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


@dataclass
class Row:
    number: int
    values: dict
    ok: bool = True  # no error was found in it


@dataclass
class ImportResult:
    kind: str
    label: str
    errors: list[RowError] = field(default_factory=list)
    truncated: bool = False  # more errors than MAX_ERRORS; only the first are listed
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


class _TooManyErrors(Exception):
    pass


class _Rollback(Exception):
    pass


class Report:
    """Errors as they are found, capped: past MAX_ERRORS the run stops."""

    def __init__(self, cap: int = MAX_ERRORS):
        self.errors: list[RowError] = []
        self.cap = cap
        self.truncated = False

    def add(self, row: int | None, column: str, message: str) -> None:
        if len(self.errors) >= self.cap:
            self.truncated = True
            raise _TooManyErrors
        self.errors.append(RowError(row, column, message))


# ---- cells ---------------------------------------------------------------------------------


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
        return value.strip() or None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _integral(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.time | dt.timedelta):
        raise CellError(_("应为文字，不能是日期或时间"))
    return str(value).strip() or None


def to_date(value) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
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


def _letters_to_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return index - 1


# ---- the kinds -------------------------------------------------------------------------------


class Importer:
    """A kind of import. Subclasses set the class attributes and implement options, check and
    write."""

    kind = ""
    label = ""  # what the screens call it
    sheet = ""
    key = ""  # the field rows are updated by
    example_key = ""  # the key of the template's example row: refused if left in the file
    columns: tuple[Column, ...] = ()
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

    def template_lists(self) -> dict[str, list[tuple[str, str]]]:
        """The allowed values for the template's hidden sheet: (value, what it means)."""
        return {name: [(o.text, o.description) for o in options] for name, options in self.options().items()}

    def aliases(self) -> dict[str, dict[str, object]]:
        """Other spellings a list accepts besides its drop-down values."""
        return {}

    def lookups(self) -> dict[str, dict[str, object]]:
        table = {name: {o.text: o.value for o in options} for name, options in self.options().items()}
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

    def _update(self, obj, values: dict) -> bool:
        """Write the fields that differ, one UPDATE for the row (bulk_update's CASE expressions grow
        with the batch and were slower on 10,000 rows); True when something changed."""
        changed = {name: value for name, value in values.items() if getattr(obj, name) != value}
        if changed:
            type(obj).objects.filter(pk=obj.pk).update(**changed)
        return bool(changed)


def _units_options(kinds) -> list[Option]:
    return [
        Option(code, pk, name)
        for pk, code, name in Unit.objects.filter(is_active=True, kind__in=kinds)
        .order_by("kind", "code")
        .values_list("pk", "code", "name")
    ]


def _area_options() -> list[Option]:
    return [
        Option(code, pk, name) for pk, code, name in Area.objects.order_by("code").values_list("pk", "code", "name")
    ]


class UnitImporter(Importer):
    kind = "units"
    label = gettext_lazy("单位")
    sheet = "单位"
    key = "code"
    example_key = "示例SD99"
    # Only area-based and functional units: the PHC office and the leadership decide who sees
    # everything, so the system administrator keeps them in the admin screens.
    KINDS = (Unit.Kind.SUBDISTRICT, Unit.Kind.DEPARTMENT)
    columns = (
        Column("code", "单位编码", CODE, True, 32, help="单位的唯一编码，如 SD01、DP01。已有的单位按编码更新。"),
        Column("name", "单位名称", TEXT, True, 100, help="全称，不能与其他单位重复。"),
        Column("short_name", "简称", TEXT, False, 30, help="列表和通报中显示的简称。"),
        Column("kind", "类型", CHOICE, True, choices="单位类型", help="街道办事处或部门。"),
        Column("area", "辖区编码", CHOICE, False, choices="区域编码", help="街道办事处负责的区域的编码。"),
        Column("is_active", "在用", BOOL, False, choices="是否", help="是或否，不填为是。"),
    )

    def load_options(self):
        return {
            "单位类型": [Option(str(Unit.Kind(k).label), k) for k in self.KINDS],
            "区域编码": _area_options(),
            "是否": [Option(YES, True), Option(NO, False)],
        }

    def example(self):
        areas = self.options()["区域编码"]
        return {
            "code": self.example_key,
            "name": "示例街道办事处",
            "short_name": "示例街道",
            "kind": str(Unit.Kind.SUBDISTRICT.label),
            "area": areas[0].text if areas else None,
            "is_active": YES,
        }

    def prepare(self):
        self.existing = {code: (pk, kind) for pk, code, kind in Unit.objects.values_list("pk", "code", "kind")}
        self.names = dict(Unit.objects.values_list("name", "code"))
        self.seen_names: dict[str, int] = {}

    def check(self, row, report):
        code, name = row.values["code"], row.values["name"]
        if code in self.existing and self.existing[code][1] not in self.KINDS:
            report.add(
                row.number,
                self.header("code"),
                _("「%(code)s」是爱卫办或区领导，只能由系统管理员在后台修改") % {"code": code},
            )
        if self.names.get(name, code) != code:
            report.add(
                row.number,
                self.header("name"),
                _("名称「%(name)s」已被单位「%(other)s」使用") % {"name": name, "other": self.names[name]},
            )
        elif name in self.seen_names:
            report.add(
                row.number,
                self.header("name"),
                _("「%(name)s」与第%(row)s行重复") % {"name": name, "row": self.seen_names[name]},
            )
        else:
            self.seen_names[name] = row.number

    def write(self, rows, report):
        existing = {u.code: u for u in Unit.objects.filter(code__in=[r.values["code"] for r in rows])}
        new, changed = [], []
        for row in rows:
            v = row.values
            values = {
                "name": v["name"],
                "short_name": v["short_name"] or "",
                "kind": v["kind"],
                "area_id": v["area"],
                "is_active": True if v["is_active"] is None else v["is_active"],
            }
            unit = existing.get(v["code"])
            if unit is None:
                new.append(Unit(code=v["code"], **values))
            elif self._update(unit, values):
                changed.append(unit)
        Unit.objects.bulk_create(new, batch_size=BATCH)
        return len(new), len(changed), len(rows) - len(new) - len(changed)


class PersonImporter(Importer):
    kind = "people"
    label = gettext_lazy("人员")
    sheet = "人员"
    key = "username"
    example_key = "示例zhangsan"
    UNIT_KINDS = (Unit.Kind.SUBDISTRICT, Unit.Kind.DEPARTMENT)
    PHONE = re.compile(r"^[0-9+\- ]{3,20}$")
    columns = (
        Column("username", "用户名", CODE, True, 150, help="登录用的用户名，已有的人员按用户名更新。"),
        Column("full_name", "姓名", TEXT, True, 50),
        Column("phone", "手机号", CODE, False, 20),
        Column("unit", "单位编码", CHOICE, True, choices="单位编码", help="所在单位（街道办事处或部门）的编码。"),
        Column("role", "角色", CHOICE, True, choices="角色", help="一把手、分管领导、联络员、督导组成员或只读。"),
    )

    def load_options(self):
        return {
            "单位编码": _units_options(self.UNIT_KINDS),
            "角色": [Option(str(label), value) for value, label in Membership.Role.choices],
        }

    def aliases(self):
        return {
            "角色": {
                "一把手": Membership.Role.HEAD,
                "第一责任人": Membership.Role.HEAD,
                "分管领导": Membership.Role.DEPUTY,
                "直接责任人": Membership.Role.DEPUTY,
                "督导组": Membership.Role.INSPECTOR,
            }
        }

    def example(self):
        units = self.options()["单位编码"]
        return {
            "username": self.example_key,
            "full_name": "张三",
            "phone": "13800000000",
            "unit": units[0].text if units else None,
            "role": str(Membership.Role.LIAISON.label),
        }

    def notes(self, max_rows):
        return [
            *super().notes(max_rows),
            _("7. 每人一行。导入只增加任职，不删除原有任职；调离、停用请在后台处理。"),
            _("8. 新建的人员没有密码，由系统管理员设置后才能登录。爱卫办和区领导的人员由系统管理员在后台设置。"),
        ]

    def prepare(self):
        self.validator = UnicodeUsernameValidator()
        self.protected = set(
            User.objects.filter(Q(is_staff=True) | Q(is_superuser=True)).values_list("username", flat=True)
        )

    def check(self, row, report):
        v = row.values
        try:
            self.validator(v["username"])
        except ValidationError:
            report.add(row.number, self.header("username"), _("只能包含字母、数字、汉字和 @ . + - _"))
        if v["username"] in self.protected:
            report.add(row.number, self.header("username"), _("这是系统管理账号，不能通过导入修改"))
        if v["phone"] and not self.PHONE.match(v["phone"]):
            report.add(row.number, self.header("phone"), _("「%(text)s」不是电话号码") % {"text": v["phone"]})

    def write(self, rows, report):
        users: dict[str, User] = {}
        usernames = [r.values["username"] for r in rows]
        for start in range(0, len(usernames), BATCH):
            for user in User.objects.filter(username__in=usernames[start : start + BATCH]):
                users[user.username] = user
        new = []
        touched = set()
        for row in rows:
            v = row.values
            values = {"full_name": v["full_name"], "phone": v["phone"] or ""}
            user = users.get(v["username"])
            if user is None:
                user = User(username=v["username"], password=make_password(None), **values)
                new.append(user)
                users[user.username] = user
            elif self._update(user, values):
                touched.add(user.username)
        User.objects.bulk_create(new, batch_size=BATCH)
        if new:  # bulk_create gives ids on PostgreSQL and SQLite alike, but read them back to be sure
            ids = dict(User.objects.filter(username__in=[u.username for u in new]).values_list("username", "pk"))
            for user in new:
                user.pk = ids[user.username]
        held = set(
            Membership.objects.filter(user__in=[users[name].pk for name in usernames]).values_list(
                "user_id", "unit_id", "role"
            )
        )
        memberships = []
        for row in rows:
            v = row.values
            user = users[v["username"]]
            if (user.pk, v["unit"], v["role"]) not in held:
                memberships.append(Membership(user_id=user.pk, unit_id=v["unit"], role=v["role"]))
                held.add((user.pk, v["unit"], v["role"]))
                touched.add(user.username)
        Membership.objects.bulk_create(memberships, batch_size=BATCH)
        updated = len(touched - {u.username for u in new})
        return len(new), updated, len(rows) - len(new) - updated


class SiteImporter(Importer):
    kind = "sites"
    label = gettext_lazy("点位")
    sheet = "点位"
    key = "code"
    example_key = "示例-0001"
    UNIT_KINDS = (Unit.Kind.SUBDISTRICT, Unit.Kind.DEPARTMENT)
    SIX_PLACES = Decimal("0.000001")
    columns = (
        Column("code", "点位编码", CODE, True, 32, help="点位的唯一编码，已有的点位按编码更新。"),
        Column("name", "名称", TEXT, True, 100),
        Column("site_type", "点位类型", CHOICE, True, choices="点位类型"),
        Column("area", "所在区域编码", CHOICE, True, choices="区域编码", help="点位所在社区（或街道）的编码。"),
        Column("owner_unit", "责任单位编码", CHOICE, True, choices="单位编码"),
        Column("address", "地址", TEXT, False, 200),
        Column("latitude", "纬度", NUMBER, False, help="WGS-84 坐标（手机定位的坐标），如 34.757123。"),
        Column("longitude", "经度", NUMBER, False, help="WGS-84 坐标，如 113.665432。纬度和经度要么都填，要么都不填。"),
        Column("area_m2", "面积（平方米）", NUMBER, False, help="整数。"),
        Column("is_active", "在用", BOOL, False, choices="是否", help="是或否，不填为是。"),
    )

    def load_options(self):
        return {
            "点位类型": [
                Option(name, pk, code) for pk, code, name in SiteType.objects.values_list("pk", "code", "name")
            ],
            "区域编码": _area_options(),
            "单位编码": _units_options(self.UNIT_KINDS),
            "是否": [Option(YES, True), Option(NO, False)],
        }

    def aliases(self):
        # The type's code is accepted too: names are what people type, codes what systems export.
        return {"点位类型": dict(SiteType.objects.values_list("code", "pk"))}

    def example(self):
        options = self.options()
        first = {name: (values[0].text if values else None) for name, values in options.items()}
        community = Area.objects.filter(kind=Area.Kind.COMMUNITY).order_by("code").values_list("code", flat=True)
        return {
            "code": self.example_key,
            "name": "示例巷",
            "site_type": first["点位类型"],
            "area": community.first() or first["区域编码"],
            "owner_unit": first["单位编码"],
            "address": "示例路 1 号",
            "latitude": 34.757123,
            "longitude": 113.665432,
            "area_m2": 1200,
            "is_active": YES,
        }

    def check(self, row, report):
        v = row.values
        for name, bound in (("latitude", 90), ("longitude", 180)):
            if v[name] is not None:
                if abs(v[name]) > bound:
                    report.add(row.number, self.header(name), _("应在 -%(b)s 到 %(b)s 之间") % {"b": bound})
                v[name] = v[name].quantize(self.SIX_PLACES)
        if (v["latitude"] is None) != (v["longitude"] is None):
            missing = "latitude" if v["latitude"] is None else "longitude"
            report.add(row.number, self.header(missing), _("纬度和经度要么都填，要么都不填"))
        if v["area_m2"] is not None:
            if v["area_m2"] != v["area_m2"].to_integral_value() or not 0 <= v["area_m2"] <= 2_000_000_000:
                report.add(row.number, self.header("area_m2"), _("应为不小于 0 的整数"))
            else:
                v["area_m2"] = int(v["area_m2"])

    def write(self, rows, report):
        created = updated = 0
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            existing = {s.code: s for s in Site.objects.filter(code__in=[r.values["code"] for r in batch])}
            new = []
            for row in batch:
                v = row.values
                values = {
                    "name": v["name"],
                    "site_type_id": v["site_type"],
                    "area_id": v["area"],
                    "owner_unit_id": v["owner_unit"],
                    "address": v["address"] or "",
                    "latitude": v["latitude"],
                    "longitude": v["longitude"],
                    "area_m2": v["area_m2"],
                    "is_active": True if v["is_active"] is None else v["is_active"],
                }
                site = existing.get(v["code"])
                if site is None:
                    new.append(Site(code=v["code"], **values))
                elif self._update(site, values):
                    updated += 1
            Site.objects.bulk_create(new)
            created += len(new)
        return created, updated, len(rows) - created - updated


class TaskImporter(Importer):
    kind = "tasks"
    label = gettext_lazy("台账任务")
    sheet = "台账任务"
    key = "code"
    example_key = "示例T-001"
    needs_campaign = True
    rules_in_services = True
    UNIT_KINDS = (Unit.Kind.SUBDISTRICT, Unit.Kind.DEPARTMENT, Unit.Kind.PHC_OFFICE)
    columns = (
        Column("code", "任务编码", CODE, True, 32, help="任务的唯一编码，如 T-001。已有的任务按编码更新。"),
        Column("title", "任务内容", TEXT, True, 200, help="量化的任务，如“清理背街小巷卫生死角”。"),
        Column(
            "criterion",
            "标准条目编号",
            CHOICE,
            True,
            choices="标准条目",
            help="本次创卫工作标准中的指标或检查要点编号。",
        ),
        Column("milestone", "时间节点", CHOICE, True, choices="时间节点"),
        Column("lead_unit", "责任单位编码", CHOICE, True, choices="单位编码", help="一项任务只交给一个单位。"),
        Column("responsible", "责任人用户名", CHOICE, True, choices="人员", help="责任单位中的一名人员。"),
        Column("target_quantity", "目标数量", NUMBER, True, help="大于零，最多两位小数。"),
        Column("target_measure", "计量单位", TEXT, True, 20, help="如：条、个、次、%。"),
        Column("deadline", "完成期限", DATE, True, help="不能晚于时间节点；已有任务的期限只能提前，不能拖后。"),
        Column("description", "说明", TEXT, False, 2000),
    )

    def load_options(self):
        criteria = Criterion.objects.filter(standard_id=self.campaign.standard_id).exclude(
            level=Criterion.Level.CATEGORY
        )
        people = (
            Membership.objects.filter(unit__is_active=True, unit__kind__in=self.UNIT_KINDS, user__is_active=True)
            .order_by("unit__code", "user__username")
            .values_list("user_id", "user__username", "user__full_name", "unit__short_name", "unit__name")
        )
        seen = set()
        person_options = []
        for pk, username, full_name, short_name, unit_name in people:
            if username not in seen:
                seen.add(username)
                person_options.append(Option(username, pk, f"{full_name} · {short_name or unit_name}"))
        return {
            "标准条目": [
                Option(code, pk, name)
                for pk, code, name in criteria.order_by("position").values_list("pk", "code", "name")
            ],
            "时间节点": [
                Option(name, pk, clock.cn_date(due_on))
                for pk, name, due_on in self.campaign.milestones.order_by("due_on", "position").values_list(
                    "pk", "name", "due_on"
                )
            ],
            "单位编码": _units_options(self.UNIT_KINDS),
            "人员": person_options,
        }

    def example(self):
        first = {name: (values[0].text if values else None) for name, values in self.options().items()}
        milestones = self.campaign.milestones.order_by("due_on")
        last = milestones.last()
        return {
            "code": self.example_key,
            "title": "清理背街小巷卫生死角",
            "criterion": first["标准条目"],
            "milestone": last.name if last else None,
            "lead_unit": first["单位编码"],
            "responsible": first["人员"],
            "target_quantity": 37,
            "target_measure": "条",
            "deadline": last.due_on if last else clock.today(),
            "description": "",
        }

    def notes(self, max_rows):
        return [
            *super().notes(max_rows),
            _("7. 任务导入到当前的创卫工作「%(campaign)s」。") % {"campaign": self.campaign.name},
            _("8. 每项任务只有一个责任单位和一名责任人，责任人须是该单位的人员。"),
            _("9. 完成期限不能晚于时间节点；重新导入已有任务时，期限只能提前，不能拖后。"),
        ]

    def write(self, rows, report):
        def objects(model, name):
            return model.objects.in_bulk({r.values[name] for r in rows})

        criteria, milestones = objects(Criterion, "criterion"), objects(Milestone, "milestone")
        units, people = objects(Unit, "lead_unit"), objects(User, "responsible")
        existing = {t.code: t for t in Task.objects.filter(campaign=self.campaign, code__isnull=False)}
        created = updated = 0
        for row in rows:
            v = row.values
            wanted = {
                "criterion": criteria[v["criterion"]],
                "milestone": milestones[v["milestone"]],
                "lead_unit": units[v["lead_unit"]],
                "responsible": people[v["responsible"]],
            }
            task = existing.get(v["code"])
            if task is None:
                try:
                    campaign_services.task_create(
                        actor=self.actor,
                        campaign=self.campaign,
                        code=v["code"],
                        title=v["title"],
                        description=v["description"] or "",
                        target_quantity=v["target_quantity"],
                        target_measure=v["target_measure"],
                        deadline=v["deadline"],
                        **wanted,
                    )
                except DomainError as error:
                    report.add(row.number, "", error.message)
                else:
                    created += 1
                continue
            if self._update(task, row, wanted, report):
                updated += 1
        return created, updated, len(rows) - created - updated

    def _update(self, task: Task, row: Row, wanted: dict, report: Report) -> bool:
        """Bring an existing task in line with its row through the ledger's services: the deadline
        first (only earlier), then what it asks for, then its owner. True when anything changed."""
        v = row.values
        changed = False
        steps = []
        if v["deadline"] != task.deadline:
            steps.append(
                (
                    "deadline",
                    lambda: campaign_services.task_move_deadline(
                        actor=self.actor, task=task, deadline=v["deadline"], reason=IMPORT_REASON
                    ),
                )
            )
        edit = {
            "title": v["title"],
            "description": v["description"] or "",
            "target_quantity": v["target_quantity"],
            "target_measure": v["target_measure"],
            "criterion": wanted["criterion"],
            "milestone": wanted["milestone"],
        }
        if any(getattr(task, name) != value for name, value in edit.items()):
            steps.append(
                ("", lambda: campaign_services.task_edit(actor=self.actor, task=task, reason=IMPORT_REASON, **edit))
            )
        if task.lead_unit_id != wanted["lead_unit"].pk or task.responsible_id != wanted["responsible"].pk:
            steps.append(
                (
                    "responsible",
                    lambda: campaign_services.task_change_owner(
                        actor=self.actor,
                        task=task,
                        lead_unit=wanted["lead_unit"],
                        responsible=wanted["responsible"],
                        reason=IMPORT_REASON,
                    ),
                )
            )
        for column, step in steps:
            try:
                step()
            except DomainError as error:
                report.add(row.number, self.header(column) if column else "", error.message)
                return False
            changed = True
        return changed


KINDS: dict[str, type[Importer]] = {k.kind: k for k in (UnitImporter, PersonImporter, SiteImporter, TaskImporter)}


def importer_for(kind: str, *, actor, campaign: Campaign | None) -> Importer:
    return KINDS[kind](actor=actor, campaign=campaign)


# ---- reading and checking a file -------------------------------------------------------------


def _read_header(importer: Importer, header_cells, report: Report) -> dict[str, int] | None:
    """Map each field to its column index, or report what is missing, extra or doubled."""
    # A required column's header may carry a star ("点位编码*"), as some offices mark them.
    headers = ["" if cell.value is None else str(cell.value).strip().rstrip("*＊").strip() for cell in header_cells]
    expected = {c.header: c for c in importer.columns}
    positions: dict[str, int] = {}
    problems = False
    for index, header in enumerate(headers):
        if not header:
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
    for column in importer.columns:
        if column.field not in positions:
            report.add(1, column.header, _("缺少这一列"))
            problems = True
    if problems:
        report.add(
            1,
            "",
            _("表头应为：%(headers)s。请使用下载的模板") % {"headers": "、".join(c.header for c in importer.columns)},
        )
        return None
    return positions


def _report_merges(merges: list[str], headers_by_index: dict[int, str], report: Report) -> set[int]:
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


def _parse(importer: Importer, sheet, report: Report) -> list[Row]:
    rows_in = iter(sheet.rows)
    header_cells = next(rows_in, None)
    if not header_cells:
        report.add(None, "", _("工作表「%(sheet)s」是空的") % {"sheet": sheet.title})
        return []
    positions = _read_header(importer, header_cells, report)
    if positions is None:
        return []
    headers_by_index = {index: importer.header(name) for name, index in positions.items()}
    merged_rows = _report_merges(sheet.merges, headers_by_index, report)
    lookups = importer.lookups()
    options = importer.options()
    width = max(positions.values()) + 1
    seen_keys: dict[str, int] = {}
    rows: list[Row] = []
    for expected, cells in enumerate(rows_in, start=2):
        # openpyxl fills gaps with empty rows; the cells' own row number is the one Excel shows.
        number = next((cell.row for cell in cells if getattr(cell, "row", None)), expected)
        if all(cell.value is None or (isinstance(cell.value, str) and not cell.value.strip()) for cell in cells):
            continue
        clean = number not in merged_rows
        for index in range(width, len(cells)):
            if cells[index].value not in (None, ""):
                report.add(number, "", _("第%(col)s列没有列名，却填了内容") % {"col": index + 1})
                clean = False
                break
        values = {}
        for column in importer.columns:
            index = positions[column.field]
            cell = cells[index] if index < len(cells) else None
            raw = cell.value if cell is not None else None
            if cell is not None and (
                getattr(cell, "data_type", None) == "f" or (isinstance(raw, str) and raw.startswith("="))
            ):
                report.add(number, column.header, _("不能使用公式，请复制后“选择性粘贴为数值”"))
                clean = False
                continue
            try:
                value = CONVERTERS[column.kind](raw)
            except CellError as error:
                report.add(number, column.header, error.message)
                clean = False
                continue
            if value is None:
                if column.required:
                    report.add(number, column.header, _("必填，不能为空"))
                    clean = False
                values[column.field] = None
                continue
            if column.max_length and len(value) > column.max_length:
                report.add(number, column.header, _("不能超过 %(n)s 个字") % {"n": column.max_length})
                clean = False
                continue
            if column.kind == CHOICE:
                table = lookups.get(column.choices, {})
                if value not in table:
                    allowed = options.get(column.choices, [])
                    hint = (
                        _("（可选：%(values)s）") % {"values": "、".join(o.text for o in allowed)}
                        if 0 < len(allowed) <= HINT_LIMIT
                        else ""
                    )
                    report.add(
                        number, column.header, _("未知的值「%(value)s」%(hint)s") % {"value": value, "hint": hint}
                    )
                    clean = False
                    continue
                value = table[value]
            values[column.field] = value
        key = values.get(importer.key)
        if key is not None:
            if key == importer.example_key:
                report.add(number, "", _("这是模板里的示例行，请删除后再导入"))
                continue
            if key in seen_keys:
                report.add(
                    number,
                    importer.header(importer.key),
                    _("「%(key)s」与第%(row)s行重复") % {"key": key, "row": seen_keys[key]},
                )
                continue
            seen_keys[key] = number
        errors_before = len(report.errors)
        row = Row(number, values)
        if clean:
            importer.check(row, report)
        row.ok = clean and len(report.errors) == errors_before
        rows.append(row)
    return rows


def run_import(*, actor, kind: str, file, campaign: Campaign | None = None) -> ImportResult:
    """Check the whole file, then write it all in one transaction, or nothing."""
    if not access.can_import(actor):
        raise NotAllowed(_("只有爱卫办可以导入数据"))
    importer = importer_for(kind, actor=actor, campaign=campaign)
    result = ImportResult(kind=kind, label=importer.label)
    report = Report()
    rows: list[Row] = []
    try:
        if importer.needs_campaign and campaign is None:
            raise FileRefused(_("尚未建立创卫工作，不能导入任务"))
        with open_sheet(file, sheet_title=importer.sheet, max_rows=MAX_ROWS) as sheet:
            importer.prepare()
            rows = _parse(importer, sheet, report)
        result.rows = len(rows)
        if not report.errors or importer.rules_in_services:
            with transaction.atomic():
                writable = [row for row in rows if row.ok]
                result.created, result.updated, result.unchanged = importer.write(writable, report)
                if report.errors:
                    raise _Rollback
    except FileRefused as refused:
        report.errors.append(RowError(None, "", refused.message))
    except (_TooManyErrors, _Rollback):
        pass
    except IntegrityError:
        # Someone changed the same data between our checks and the write; nothing was written.
        report.errors.append(RowError(None, "", _("导入时数据被他人同时修改，已全部撤销，请重新导入")))
    result.errors = sorted(report.errors, key=lambda error: error.row or 0)
    result.truncated = report.truncated
    if result.errors:
        result.created = result.updated = result.unchanged = 0
    return result
