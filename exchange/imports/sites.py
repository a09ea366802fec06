"""Sites by code: type, area, responsible unit, address and coordinates."""

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from exchange.imports.cells import NO, YES
from exchange.imports.columns import BOOL, CHOICE, CODE, NUMBER, TEXT, Column, Option
from exchange.imports.importer import BATCH, Importer, area_options, unit_options, update_fields
from organisation.models import Area, Unit
from sites.models import Site
from standard.models import SiteType


def site_type_description(site_type: SiteType) -> str:
    """What a site type is, in Chinese, for the template's list: its checklist's first points
    (the type's code is an English word that means nothing to whoever fills the sheet in)."""
    points = sorted(site_type.checkpoints.all(), key=lambda point: point.position)
    if not points:
        return _("尚未设检查清单")
    shown = "；".join(point.name for point in points[:3])
    more = "等" if len(points) > 3 else ""
    return _("检查清单 %(n)s 项：%(points)s%(more)s") % {"n": len(points), "points": shown, "more": more}


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
                Option(site_type.name, site_type.pk, site_type_description(site_type))
                for site_type in SiteType.objects.prefetch_related("checkpoints")
            ],
            "区域编码": area_options(),
            "单位编码": unit_options(self.UNIT_KINDS),
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
        if (v["latitude"] is None) != (v["longitude"] is None) and not row.bad & {"latitude", "longitude"}:
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
                elif update_fields(site, values):
                    updated += 1
            Site.objects.bulk_create(new)
            created += len(new)
        return created, updated, len(rows) - created - updated
