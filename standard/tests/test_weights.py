"""A standard's weights add up (standard.services): `standard_load` refuses a file whose weights
do not, before it writes anything; `weight_mismatches` names the nodes that an edit in the admin
left different from the sum of their children, for audit_check to report."""

import copy
import json
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.forms import modelform_factory
from django.utils import translation

from core.errors import InvalidInput
from standard.models import Criterion, SiteType, Standard
from standard.services import standard_load, weight_mismatches
from tests.factories import CriterionFactory, StandardFactory

Level = Criterion.Level

MINI = {
    "code": "mini",
    "name": "小标准",
    "categories": [
        {
            "code": "1",
            "name": "市容环境卫生",
            "weight": 5,
            "criteria": [
                {
                    "code": "1.1",
                    "name": "背街小巷",
                    "weight": 3,
                    "required_materials": ["保洁制度"],
                    "checkpoints": [
                        {"code": "1.1.1", "name": "路面无垃圾", "weight": 1.5, "on_site": True},
                        {"code": "1.1.2", "name": "保洁台账齐全", "weight": 1.5},
                    ],
                },
                {
                    "code": "1.2",
                    "name": "公厕",
                    "weight": 2,
                    "checkpoints": [{"code": "1.2.1", "name": "公厕干净无异味", "weight": 2, "on_site": True}],
                },
            ],
        }
    ],
    "site_types": [{"code": "back_street", "name": "背街小巷", "checkpoints": ["1.1.1", "1.2.1"]}],
}


def write(tmp_path, data, name="standard.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def changed(**where):
    """MINI with one node's weight changed: changed(category=..., criterion=..., checkpoint=...)."""
    data = copy.deepcopy(MINI)
    category = data["categories"][0]
    if "category" in where:
        category["weight"] = where["category"]
    if "criterion" in where:
        category["criteria"][0]["weight"] = where["criterion"]
    if "checkpoint" in where:
        category["criteria"][0]["checkpoints"][0]["weight"] = where["checkpoint"]
    return data


def stored() -> dict:
    return {
        "standards": list(Standard.objects.values_list("code", "name")),
        "criteria": list(Criterion.objects.order_by("pk").values_list("code", "name", "weight", "parent__code")),
        "site_types": list(SiteType.objects.values_list("code", "checkpoints__code")),
    }


def tree(standard) -> list[tuple]:
    return list(
        standard.criteria.values_list("code", "level", "parent__code", "weight", "on_site", "required_materials")
    )


# ---- standard_load ---------------------------------------------------------------------------


def test_a_file_whose_weights_add_up_loads_as_a_three_level_tree(db, tmp_path):
    standard = standard_load(write(tmp_path, MINI))

    assert (standard.code, standard.name) == ("mini", "小标准")
    assert tree(standard) == [
        ("1", Level.CATEGORY, None, Decimal("5"), False, []),
        ("1.1", Level.CRITERION, "1", Decimal("3"), False, ["保洁制度"]),
        ("1.1.1", Level.CHECKPOINT, "1.1", Decimal("1.5"), True, []),
        ("1.1.2", Level.CHECKPOINT, "1.1", Decimal("1.5"), False, []),
        ("1.2", Level.CRITERION, "1", Decimal("2"), False, []),
        ("1.2.1", Level.CHECKPOINT, "1.2", Decimal("2"), True, []),
    ]
    assert list(SiteType.objects.get(code="back_street").checkpoints.values_list("code", flat=True)) == [
        "1.1.1",
        "1.2.1",
    ]


def test_weights_are_added_as_decimals_so_tenths_add_up_exactly(db, tmp_path):
    # 0.1 + 0.2 != 0.3 in floating point; the loader must not refuse a correct file for it.
    data = changed(criterion=0.3, category=2.3, checkpoint=0.1)
    data["categories"][0]["criteria"][0]["checkpoints"][1]["weight"] = 0.2

    standard = standard_load(write(tmp_path, data))

    assert standard.criteria.get(code="1.1").weight == Decimal("0.3")
    assert weight_mismatches(standard) == []


def test_a_category_that_is_not_the_sum_of_its_criteria_is_refused_and_nothing_is_written(db, tmp_path):
    with pytest.raises(InvalidInput) as refused:
        standard_load(write(tmp_path, changed(category=6)))

    assert refused.value.message == "类别 1 的分值不等于其指标分值之和"
    assert stored() == {"standards": [], "criteria": [], "site_types": []}


def test_a_criterion_that_is_not_the_sum_of_its_checkpoints_is_refused_and_nothing_is_written(db, tmp_path):
    # The category still adds up (3 + 2): only the criterion's own checkpoints do not (2 + 1.5).
    with pytest.raises(InvalidInput) as refused:
        standard_load(write(tmp_path, changed(checkpoint=2)))

    assert refused.value.message == "指标 1.1 的分值不等于其检查要点分值之和"
    assert stored() == {"standards": [], "criteria": [], "site_types": []}


@pytest.mark.parametrize(
    "weights, code, weight",
    [
        ({"criterion": 0.25, "category": 2.25, "checkpoint": 0.125}, "1.1.1", "0.125"),
        ({"criterion": 20000, "category": 20002, "checkpoint": 10000}, "1", "20002"),
    ],
    ids=["three decimals", "10000 or more"],
)
def test_a_weight_the_database_cannot_keep_exactly_is_refused_and_nothing_is_written(
    db, tmp_path, weights, code, weight
):
    # The sums hold in the file, but a weight column keeps two decimals below 10000: stored, the
    # tree would no longer add up (0.125 + 0.125 kept as 0.12 + 0.12, or 0.13 + 0.13).
    data = changed(**weights)
    data["categories"][0]["criteria"][0]["checkpoints"][1]["weight"] = weights["checkpoint"]

    with pytest.raises(InvalidInput) as refused:
        standard_load(write(tmp_path, data))

    assert refused.value.message == f"条目 {code} 的分值 {weight} 无法保存：分值最多 4 位整数、2 位小数"
    assert stored() == {"standards": [], "criteria": [], "site_types": []}


def test_a_site_type_naming_checkpoints_that_do_not_exist_is_refused_and_nothing_is_written(db, tmp_path):
    data = copy.deepcopy(MINI)
    data["site_types"].append({"code": "farmers_market", "name": "农贸市场", "checkpoints": ["1.2.1", "9.9", "9.8"]})

    with pytest.raises(InvalidInput) as refused:
        standard_load(write(tmp_path, data))

    assert refused.value.message == "点位类型「农贸市场」的检查清单引用了不存在的条目：9.9、9.8"
    assert stored() == {"standards": [], "criteria": [], "site_types": []}


def test_a_refused_reload_leaves_the_loaded_standard_as_it_was(db, tmp_path):
    standard_load(write(tmp_path, MINI))
    before = stored()
    data = changed(category=6)
    data["name"] = "改名的小标准"
    data["categories"][0]["criteria"][1]["name"] = "改名的公厕"

    with pytest.raises(InvalidInput):
        standard_load(write(tmp_path, data, "edited.json"))

    assert stored() == before


def test_a_reload_updates_by_code_and_may_move_a_checkpoint_to_another_criterion(db, tmp_path):
    standard = standard_load(write(tmp_path, MINI))
    data = copy.deepcopy(MINI)
    criteria = data["categories"][0]["criteria"]
    criteria[1]["checkpoints"].append(criteria[0]["checkpoints"].pop())  # 1.1.2 moves under 1.2
    criteria[0]["weight"], criteria[1]["weight"] = 1.5, 3.5

    standard_load(write(tmp_path, data, "moved.json"))

    assert standard.criteria.get(code="1.1.2").parent.code == "1.2"
    assert Criterion.objects.count() == 6
    assert weight_mismatches(standard) == []


# ---- weight_mismatches -------------------------------------------------------------------------


@pytest.fixture
def mini(db, tmp_path):
    return standard_load(write(tmp_path, MINI))


def test_a_tree_whose_weights_add_up_has_no_mismatch(mini):
    assert weight_mismatches(mini) == []


def test_a_checkpoint_edited_in_the_admin_is_reported_at_its_criterion(mini):
    Criterion.objects.filter(standard=mini, code="1.1.1").update(weight=Decimal("2.5"))

    assert weight_mismatches(mini) == ["1.1 背街小巷：分值 3.00，下级合计 4.00"]


def test_a_criterion_edited_in_the_admin_is_reported_against_its_checkpoints_and_at_its_category(mini):
    Criterion.objects.filter(standard=mini, code="1.2").update(weight=Decimal("2.5"))

    assert weight_mismatches(mini) == [
        "1 市容环境卫生：分值 5.00，下级合计 5.50",
        "1.2 公厕：分值 2.50，下级合计 2.00",
    ]


def test_a_checkpoint_added_in_the_admin_is_reported_at_its_criterion(mini):
    Criterion.objects.create(
        standard=mini,
        parent=mini.criteria.get(code="1.2"),
        level=Level.CHECKPOINT,
        code="1.2.2",
        name="洗手液",
        weight=1,
    )

    assert weight_mismatches(mini) == ["1.2 公厕：分值 2.00，下级合计 3.00"]


def test_a_node_without_children_is_never_reported_whatever_its_weight(mini):
    Criterion.objects.create(standard=mini, level=Level.CATEGORY, code="2", name="生态环境", weight=12, position=9)

    assert weight_mismatches(mini) == []


def test_only_the_given_standards_nodes_are_compared(mini):
    other = StandardFactory(code="other", name="另一标准")
    category = CriterionFactory(standard=other, level=Level.CATEGORY, code="1", name="类别", weight=5)
    CriterionFactory(standard=other, level=Level.CHECKPOINT, code="1.1", parent=category, weight=1)

    assert weight_mismatches(mini) == []
    assert weight_mismatches(other) == ["1 类别：分值 5.00，下级合计 1.00"]


# ---- the tree's own rules (standard.models) ---------------------------------------------------


def test_a_code_is_unique_within_a_standard_and_may_repeat_in_another(mini):
    CriterionFactory(standard=StandardFactory(code="other", name="另一标准"), code="1.1")
    with pytest.raises(IntegrityError), transaction.atomic():
        CriterionFactory(standard=mini, code="1.1")

    assert sorted(Criterion.objects.filter(code="1.1").values_list("standard__code", flat=True)) == ["mini", "other"]


def test_the_levels_are_category_criterion_and_checkpoint_with_their_chinese_names():
    assert Level.choices == [("category", "类别"), ("criterion", "指标"), ("checkpoint", "检查要点")]


def test_each_level_has_its_own_queryset_method(mini):
    assert list(mini.criteria.categories().values_list("code", flat=True)) == ["1"]
    assert list(mini.criteria.criteria().values_list("code", flat=True)) == ["1.1", "1.2"]
    assert list(mini.criteria.checkpoints().values_list("code", flat=True)) == ["1.1.1", "1.1.2", "1.2.1"]


def test_a_site_types_checklist_offers_only_checkpoints(mini):
    form = modelform_factory(SiteType, fields=["checkpoints"])()

    assert list(form.fields["checkpoints"].queryset.values_list("code", flat=True)) == ["1.1.1", "1.1.2", "1.2.1"]


def test_a_criterion_and_a_site_type_read_as_they_are_shown(mini):
    assert (str(mini), str(mini.criteria.get(code="1.1")), str(SiteType.objects.get())) == (
        "小标准",
        "1.1 背街小巷",
        "背街小巷",
    )


def test_the_refusal_speaks_the_readers_language(db, tmp_path):
    data = changed(checkpoint=0.125, criterion=0.5, category=2.5)
    data["categories"][0]["criteria"][0]["checkpoints"][1]["weight"] = 0.375

    with translation.override("en"), pytest.raises(InvalidInput) as refused:
        standard_load(write(tmp_path, data))

    assert refused.value.message == (
        "The points 0.125 of item 1.1.1 cannot be stored: "
        "points have at most 4 digits before the decimal point and 2 after"
    )
