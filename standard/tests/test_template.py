"""The shipped template, standard/data/national_2021.json: the 2021 national standard's structure
in our own words, loaded by `standard_load()` (and `manage.py load_standard`, and the demo).
Seven categories worth 100 points, every node the sum of its children, six site types whose
checklists hold only checkpoints inspected on site."""

import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from standard.models import Criterion, SiteType, Standard
from standard.services import TEMPLATE, standard_load, weight_mismatches

FILE = json.loads(TEMPLATE.read_text(encoding="utf-8"))


@pytest.fixture
def standard(db):
    return standard_load()


def test_the_template_loads_seven_categories_worth_100_points_in_the_files_order(standard):
    assert list(standard.criteria.categories().values_list("code", "name", "weight")) == [
        ("1", "爱国卫生组织管理", Decimal("8")),
        ("2", "健康教育和健康促进", Decimal("10")),
        ("3", "市容环境卫生", Decimal("22")),
        ("4", "生态环境", Decimal("12")),
        ("5", "重点场所卫生", Decimal("18")),
        ("6", "食品和生活饮用水安全", Decimal("16")),
        ("7", "疾病防控与卫生应急", Decimal("14")),
    ]
    assert sum(standard.criteria.categories().values_list("weight", flat=True)) == Decimal("100")


def test_the_template_holds_32_criteria_and_104_checkpoints_each_below_its_parent(standard):
    assert (standard.code, standard.name) == ("national-2021", "卫生城市标准（2021版结构模板）")
    assert (
        standard.criteria.categories().count(),
        standard.criteria.criteria().count(),
        standard.criteria.checkpoints().count(),
    ) == (7, 32, 104)
    assert not standard.criteria.categories().filter(parent__isnull=False).exists()
    assert not standard.criteria.criteria().exclude(parent__level=Criterion.Level.CATEGORY).exists()
    assert not standard.criteria.checkpoints().exclude(parent__level=Criterion.Level.CRITERION).exists()


def test_every_node_of_the_template_weighs_the_sum_of_its_children(standard):
    assert weight_mismatches(standard) == []


def test_the_nodes_keep_the_files_order(standard):
    assert list(standard.criteria.values_list("code", flat=True)[:6]) == ["1", "1.1", "1.1.1", "1.1.2", "1.1.3", "1.2"]
    assert list(standard.criteria.values_list("position", flat=True)) == list(range(1, 144))


def test_required_materials_belong_to_criteria_only(standard):
    assert standard.criteria.get(code="1.1").required_materials == [
        "爱卫会组成及成员单位职责分工文件",
        "爱卫办人员配备及年度工作经费预算文件",
    ]
    assert not standard.criteria.criteria().filter(required_materials=[]).exists()
    assert not standard.criteria.exclude(level=Criterion.Level.CRITERION).exclude(required_materials=[]).exists()


def test_the_template_ships_six_site_types(standard):
    assert list(SiteType.objects.values_list("code", "name")) == [
        ("back_street", "背街小巷"),
        ("residential_compound", "居民楼院"),
        ("urban_village", "城中村"),
        ("urban_rural_fringe", "城乡结合部"),
        ("farmers_market", "农贸市场"),
        ("small_premises", "“六小”门店"),
    ]


@pytest.mark.parametrize("site_type", FILE["site_types"], ids=[t["code"] for t in FILE["site_types"]])
def test_a_site_types_checklist_is_exactly_the_files_list_of_on_site_checkpoints(standard, site_type):
    checklist = SiteType.objects.get(code=site_type["code"]).checkpoints.all()

    assert sorted(checklist.values_list("code", flat=True)) == sorted(site_type["checkpoints"])
    assert set(checklist.values_list("standard__code", "level", "on_site")) == {
        ("national-2021", Criterion.Level.CHECKPOINT, True)
    }


def test_the_back_streets_checklist_covers_cleanliness_waste_toilets_and_pests(standard):
    back_street = SiteType.objects.get(code="back_street")

    assert list(back_street.checkpoints.order_by("position").values_list("code", flat=True)) == [
        "2.1.3",
        "3.1.2",
        "3.1.3",
        "3.1.4",
        "3.1.5",
        "3.2.1",
        "3.2.3",
        "3.3.1",
        "3.3.2",
        "3.5.2",
        "3.6.1",
        "4.1.2",
        "7.3.4",
    ]


def test_loading_the_template_twice_creates_nothing_twice(standard):
    standard_load()

    assert (Standard.objects.count(), Criterion.objects.count(), SiteType.objects.count()) == (1, 143, 6)
    assert SiteType.objects.get(code="farmers_market").checkpoints.count() == 14


def test_reloading_overwrites_admin_edits_of_template_nodes_and_keeps_the_nodes_the_office_added(standard):
    Criterion.objects.filter(standard=standard, code="1.1.1").update(name="改过的要点", weight=2, on_site=True)
    SiteType.objects.get(code="back_street").checkpoints.add(standard.criteria.get(code="1.1.1"))
    Criterion.objects.create(
        standard=standard,
        parent=standard.criteria.get(code="1.1"),
        level=Criterion.Level.CHECKPOINT,
        code="1.1.9",
        name="本区自加：街道爱卫办有专人",
        weight=1,
        position=999,
    )

    standard_load()

    edited = standard.criteria.get(code="1.1.1")
    assert (edited.name, edited.weight, edited.on_site) == (
        "区爱卫会组织健全，成员单位职责分工明确，人员变动后及时调整",
        Decimal("1"),
        False,
    )
    assert "1.1.1" not in SiteType.objects.get(code="back_street").checkpoints.values_list("code", flat=True)
    assert standard.criteria.filter(code="1.1.9", parent__code="1.1").exists()
    # The office's extra point now breaks the sum, and the check says so.
    assert weight_mismatches(standard) == ["1.1 组织机构与工作机制：分值 3.00，下级合计 4.00"]


def test_the_load_standard_command_loads_the_template_and_counts_its_nodes(db):
    out = io.StringIO()

    call_command("load_standard", stdout=out)

    assert out.getvalue() == "卫生城市标准（2021版结构模板）: 143 条目\n"
    assert Criterion.objects.filter(standard__code="national-2021").count() == 143
