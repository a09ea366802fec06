"""Units by code: the sub-districts and departments, with their areas. The PHC office and the
leadership are not importable (see UnitImporter.KINDS)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from exchange.imports.cells import NO, YES
from exchange.imports.columns import BOOL, CHOICE, CODE, TEXT, Column, Option
from exchange.imports.importer import BATCH, Importer, area_options, update_fields
from organisation.models import Unit


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
            "区域编码": area_options(),
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
        if name is None:
            return  # the name's cell was wrong: reported already
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
            elif update_fields(unit, values):
                changed.append(unit)
        Unit.objects.bulk_create(new, batch_size=BATCH)
        return len(new), len(changed), len(rows) - len(new) - len(changed)
