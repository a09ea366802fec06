"""Loading a standard from the shipped template (or an office's own file of the same shape)."""

import json
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext

from core.errors import InvalidInput
from standard.models import Criterion, SiteType, Standard

TEMPLATE = Path(__file__).resolve().parent / "data" / "national_2021.json"


def standard_load(path: Path = TEMPLATE) -> Standard:
    """Create or update a standard and its site types from a JSON template.

    Updates by code, so re-loading the template after an office edited names or weights in the
    admin overwrites those nodes only; nodes the office added stay. Checks that every node's
    weight is the sum of its children's before writing anything."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    _check_weights(data)
    with transaction.atomic():
        standard, _ = Standard.objects.update_or_create(code=data["code"], defaults={"name": data["name"]})
        position = 0
        by_code: dict[str, Criterion] = {}

        def put(node, level, parent, materials=()):
            nonlocal position
            position += 1
            obj, _ = Criterion.objects.update_or_create(
                standard=standard,
                code=node["code"],
                defaults={
                    "parent": parent,
                    "level": level,
                    "name": node["name"],
                    "weight": Decimal(str(node["weight"])),
                    "on_site": node.get("on_site", False),
                    "required_materials": list(materials),
                    "position": position,
                },
            )
            by_code[obj.code] = obj
            return obj

        for category in data["categories"]:
            cat = put(category, Criterion.Level.CATEGORY, None)
            for criterion in category["criteria"]:
                crit = put(criterion, Criterion.Level.CRITERION, cat, criterion.get("required_materials", []))
                for checkpoint in criterion["checkpoints"]:
                    put(checkpoint, Criterion.Level.CHECKPOINT, crit)
        for site_type in data.get("site_types", []):
            obj, _ = SiteType.objects.update_or_create(code=site_type["code"], defaults={"name": site_type["name"]})
            missing = [c for c in site_type["checkpoints"] if c not in by_code]
            if missing:
                raise InvalidInput(
                    gettext("点位类型「%(type)s」的检查清单引用了不存在的条目：%(codes)s")
                    % {"type": site_type["name"], "codes": gettext("、").join(missing)}
                )
            obj.checkpoints.set([by_code[c] for c in site_type["checkpoints"]])
    return standard


# Criterion.weight keeps two decimals below 10000: a weight the column would round (0.125) or
# refuse (20000) must be refused here, or the stored tree would not add up although the file does.
_LARGEST_WEIGHT = Decimal("9999.99")
_CENT = Decimal("0.01")


def _check_weights(data: dict) -> None:
    def weight(node) -> Decimal:
        value = Decimal(str(node["weight"]))
        if abs(value) > _LARGEST_WEIGHT or value != value.quantize(_CENT):
            raise InvalidInput(
                gettext("条目 %(code)s 的分值 %(weight)s 无法保存：分值最多 4 位整数、2 位小数")
                % {"code": node["code"], "weight": value}
            )
        return value

    def total(nodes):
        return sum((weight(n) for n in nodes), Decimal(0))

    for category in data["categories"]:
        if weight(category) != total(category["criteria"]):
            raise InvalidInput(gettext("类别 %(code)s 的分值不等于其指标分值之和") % {"code": category["code"]})
        for criterion in category["criteria"]:
            if weight(criterion) != total(criterion["checkpoints"]):
                raise InvalidInput(
                    gettext("指标 %(code)s 的分值不等于其检查要点分值之和") % {"code": criterion["code"]}
                )


def weight_mismatches(standard: Standard) -> list[str]:
    """Nodes whose weight differs from the sum of their children's (after edits in the admin)."""
    nodes = list(standard.criteria.all())
    sums: dict[int, Decimal] = {}
    has_children: set[int] = set()
    for node in nodes:
        if node.parent_id:
            sums[node.parent_id] = sums.get(node.parent_id, Decimal(0)) + node.weight
            has_children.add(node.parent_id)
    return [
        f"{node.code} {node.name}：分值 {node.weight}，下级合计 {sums[node.pk]}"
        for node in nodes
        if node.pk in has_children and sums[node.pk] != node.weight
    ]
