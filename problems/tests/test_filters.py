"""The problem list's filters (problems.forms.ProblemFilterForm read by problems.selectors.problem_list):
what each field keeps and drops, alone and combined, what a bad value does, the order, and the
filters kept in the URL for the next page and the Excel export.

The scene, recorded in this order (so numbered 2026-000001 to 000005), today being 12 May:

    A  01 May  幸福巷 (东城, back street)        3.2.1  inspection  东城街道, due 05 May  assigned (overdue)
    B  08 May  建设路农贸市场 (东城, back street) 3.2    citizen     城管局, due 20 May     submitted
    D  10 May  幸福巷                            3.2.1  inspection  东城街道, due 20 May  closed
    E  11 May  西城农贸市场 (西城, market)        3.3.1  citizen     市场监管局, due 20 May cancelled
    C  12 May  西城农贸市场                       3.3.1  leader      —                     recorded
"""

import datetime as dt
import io

import openpyxl
import pytest
from django.urls import reverse

from conftest import SHANGHAI, TODAY
from organisation.models import Area
from problems import services
from problems.models import Problem
from problems.tests.helpers import recorded_problem
from standard.models import Criterion
from tests.factories import AreaFactory, CriterionFactory, SiteFactory, SiteTypeFactory

ALL = ["C", "E", "D", "B", "A"]  # newest first, the list's default order


def at(day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2026, 5, day, hour, 0, tzinfo=SHANGHAI)


@pytest.fixture
def scene(world, frozen_today):
    world.west = AreaFactory(code="D01-02", name="西城街道", kind=Area.Kind.SUBDISTRICT, parent=world.district)
    world.west_community = AreaFactory(code="D01-02-01", name="西城社区", kind=Area.Kind.COMMUNITY, parent=world.west)
    world.market_type = SiteTypeFactory(code="farmers_market", name="农贸市场")
    world.west_market = SiteFactory(
        code="FM-0001",
        name="西城农贸市场",
        site_type=world.market_type,
        area=world.west_community,
        owner_unit=world.unit_c,
    )
    world.sorting = CriterionFactory(
        standard=world.campaign.standard,
        level=Criterion.Level.CRITERION,
        code="3.3",
        name="垃圾分类",
        parent=world.category,
    )
    world.sorting_point = CriterionFactory(
        standard=world.campaign.standard, code="3.3.1", name="分类桶齐全", parent=world.sorting
    )

    def record(day, site, criterion, description, source=Problem.Source.INSPECTION):
        frozen_today.move_to(at(day))
        return services.problem_record(
            actor=world.inspector,
            campaign=world.campaign,
            site=site,
            criterion=criterion,
            description=description,
            source=source,
        )

    a = record(1, world.site, world.checkpoint, "巷口垃圾堆积")
    a = services.problem_assign(actor=world.office, problem=a, unit=world.unit_a, deadline=dt.date(2026, 5, 5))

    b = record(8, world.site_b, world.criterion, "市场地面积水", Problem.Source.CITIZEN)
    b = services.problem_assign(actor=world.office, problem=b, unit=world.unit_b, deadline=dt.date(2026, 5, 20))
    b = services.problem_submit_evidence(actor=world.liaison_b, problem=b, note="已清扫")

    d = record(10, world.site, world.checkpoint, "墙面小广告")
    d = services.problem_assign(actor=world.office, problem=d, unit=world.unit_a, deadline=dt.date(2026, 5, 20))
    d = services.problem_submit_evidence(actor=world.liaison_a, problem=d, note="已铲除")
    d = services.problem_close(actor=world.inspector, problem=d, note="复核合格")

    e = record(11, world.west_market, world.sorting_point, "分类桶缺失（重复登记）", Problem.Source.CITIZEN)
    e = services.problem_assign(actor=world.office, problem=e, unit=world.unit_c, deadline=dt.date(2026, 5, 20))
    e = services.problem_cancel(actor=world.office, problem=e, reason="与领导交办的重复")

    frozen_today.move_to(TODAY)
    c = record(12, world.west_market, world.sorting_point, "分类桶缺失", Problem.Source.LEADER)

    world.problems = {"A": a, "B": b, "C": c, "D": d, "E": e}
    world.labels = {p.pk: label for label, p in world.problems.items()}
    assert [p.number for p in (a, b, d, e, c)] == [f"2026-00000{n}" for n in range(1, 6)]
    assert [p.status for p in (a, b, c, d, e)] == ["assigned", "submitted", "recorded", "closed", "cancelled"]
    return world


def listed(client, scene, user=None, **query) -> list[str]:
    client.force_login(user or scene.office)
    response = client.get(reverse("problems:list"), query)
    assert response.context["form"].errors == {}
    return [scene.labels[p.pk] for p in response.context["page"]]


# ---- each field alone --------------------------------------------------------------------------


def test_without_filters_the_office_sees_every_problem_newest_first(client, scene):
    assert listed(client, scene) == ALL


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("积水", ["B"]),  # a word of the description
        ("  小广告 ", ["D"]),  # surrounding spaces are ignored
        ("西城农贸市场", ["C", "E"]),  # the site's name
        ("幸福巷", ["D", "A"]),
        ("2026-000002", ["B"]),  # a number finds that problem only
        ("2026-2", ["B"]),  # the sequence without its leading zeros
        ("2025-000002", []),  # the same sequence of another year
        ("没有这样的问题", []),
    ],
)
def test_the_search_box_finds_a_word_of_the_description_or_site_or_a_number(client, scene, q, expected):
    assert listed(client, scene, q=q) == expected


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (["assigned"], ["A"]),
        (["closed"], ["D"]),
        (["cancelled"], ["E"]),
        (["assigned", "submitted", "returned"], ["B", "A"]),  # several statuses: any of them
        (["returned"], []),
    ],
)
def test_the_status_filter_keeps_the_problems_in_any_chosen_status(client, scene, statuses, expected):
    assert listed(client, scene, status=statuses) == expected


@pytest.mark.parametrize(("unit", "expected"), [("unit_a", ["D", "A"]), ("unit_b", ["B"]), ("unit_c", ["E"])])
def test_the_unit_filter_keeps_the_problems_of_the_responsible_unit(client, scene, unit, expected):
    assert listed(client, scene, unit=getattr(scene, unit).pk) == expected


@pytest.mark.parametrize(
    ("area", "expected"),
    [
        ("district", ALL),  # everything lies below the district
        ("east", ["D", "B", "A"]),  # a sub-district: the sites of its communities
        ("community", ["D", "B", "A"]),
        ("west", ["C", "E"]),
    ],
)
def test_the_area_filter_keeps_the_problems_at_sites_anywhere_inside_the_area(client, scene, area, expected):
    assert listed(client, scene, area=getattr(scene, area).pk) == expected


def test_the_site_type_filter_keeps_the_problems_at_sites_of_that_type(client, scene):
    assert listed(client, scene, site_type=scene.market_type.pk) == ["C", "E"]
    assert listed(client, scene, site_type=scene.site.site_type.pk) == ["D", "B", "A"]


@pytest.mark.parametrize(
    ("criterion", "expected"),
    [
        ("criterion", ["D", "B", "A"]),  # 3.2 itself and its checkpoint 3.2.1
        ("checkpoint", ["D", "A"]),  # 3.2.1 only
        ("sorting", ["C", "E"]),  # 3.3 through its checkpoint 3.3.1
    ],
)
def test_the_criterion_filter_keeps_the_criterion_and_its_checkpoints(client, scene, criterion, expected):
    assert listed(client, scene, criterion=getattr(scene, criterion).pk) == expected


@pytest.mark.parametrize(
    ("source", "expected"), [("inspection", ["D", "A"]), ("citizen", ["E", "B"]), ("leader", ["C"])]
)
def test_the_source_filter_keeps_the_problems_from_that_source(client, scene, source, expected):
    assert listed(client, scene, source=source) == expected


def test_only_overdue_keeps_the_problems_with_a_unit_past_their_deadline(client, scene):
    # B, D and E were due on 20 May too, but D is closed, E cancelled and B is not due yet.
    assert listed(client, scene, overdue="on") == ["A"]


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        ({"date_from": "2026-05-10"}, ["C", "E", "D"]),  # from the start of that day
        ({"date_to": "2026-05-08"}, ["B", "A"]),  # to the end of that day
        ({"date_from": "2026-05-08", "date_to": "2026-05-08"}, ["B"]),
        ({"date_from": "2026-05-13"}, []),
    ],
)
def test_the_dates_keep_the_problems_recorded_in_the_period_both_days_included(client, scene, dates, expected):
    assert listed(client, scene, **dates) == expected


# ---- combined ------------------------------------------------------------------------------------


COMBINED = {
    "unit and status": (lambda s: {"unit": s.unit_a.pk, "status": ["assigned"]}, ["A"]),
    "area and source": (lambda s: {"area": s.east.pk, "source": "citizen"}, ["B"]),
    "criterion and overdue": (lambda s: {"criterion": s.criterion.pk, "overdue": "on"}, ["A"]),
    "search and status": (lambda s: {"q": "分类桶", "status": ["cancelled"]}, ["E"]),
    "site type and end date": (lambda s: {"site_type": s.market_type.pk, "date_to": "2026-05-11"}, ["E"]),
    "unit and a status it has none in": (lambda s: {"unit": s.unit_b.pk, "status": ["closed"]}, []),
}


@pytest.mark.parametrize("case", COMBINED)
def test_filters_combine_and_every_one_must_hold(client, scene, case):
    query, expected = COMBINED[case]
    assert listed(client, scene, **query(scene)) == expected


def test_an_empty_result_says_so(client, scene):
    client.force_login(scene.office)
    response = client.get(reverse("problems:list"), {"unit": scene.unit_b.pk, "status": "closed"})
    page = response.content.decode()
    assert "共 0 条" in page
    assert "没有符合条件的问题" in page


# ---- the order -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("-recorded", ALL),
        ("recorded", ["A", "B", "D", "E", "C"]),
        ("number", ["A", "B", "D", "E", "C"]),
        # Same deadline: the latest recorded first. No deadline yet (C): last, on every database.
        ("deadline", ["A", "E", "D", "B", "C"]),
        ("-deadline", ["E", "D", "B", "A", "C"]),
    ],
)
def test_the_list_is_sorted_as_chosen(client, scene, sort, expected):
    assert listed(client, scene, sort=sort) == expected


# ---- the scope ----------------------------------------------------------------------------------


def test_a_filter_never_widens_what_a_unit_person_sees(client, scene):
    assert listed(client, scene, scene.liaison_a) == ["D", "A"]
    assert listed(client, scene, scene.liaison_a, unit=scene.unit_b.pk) == []
    assert listed(client, scene, scene.liaison_a, q=scene.problems["B"].number) == []
    assert listed(client, scene, scene.liaison_b, area=scene.district.pk) == ["B"]


# ---- bad values ----------------------------------------------------------------------------------

OUT_OF_RANGE = "日期须在 2000-01-01 至 2031-12-31 之间"
CHOICE = "选择一个有效的选项： 该选择不在可用的选项中。"


NOT_A_DATE = "不是有效的日期，请按 2026-05-12 的格式填写"


def not_offered(value: str) -> str:
    return f"选择一个有效的选项。 {value} 不在可用的选项中。"


def grid(scene):
    return AreaFactory(code="D01-01-01-01", name="第一网格", kind=Area.Kind.GRID, parent=scene.community).pk


BAD_VALUES = {
    "a status that does not exist": ("status", lambda s: "archived", not_offered("archived")),
    "the PHC office as a responsible unit": ("unit", lambda s: s.office_unit.pk, CHOICE),
    "a unit that does not exist": ("unit", lambda s: 999999, CHOICE),
    "a grid, finer than the list offers": ("area", grid, CHOICE),
    "a category, coarser than the list offers": ("criterion", lambda s: s.category.pk, CHOICE),
    "a site type that does not exist": ("site_type", lambda s: 999999, CHOICE),
    "a source that does not exist": ("source", lambda s: "phone", not_offered("phone")),
    "an impossible date": ("date_from", lambda s: "2026-13-01", NOT_A_DATE),
    "a date in words": ("date_to", lambda s: "昨天", NOT_A_DATE),
    "an unknown order": ("sort", lambda s: "random", not_offered("random")),
    "a day February does not have": ("date_from", lambda s: "2026-02-30", NOT_A_DATE),
    "a date before the campaign's range": ("date_from", lambda s: "0001-01-01", OUT_OF_RANGE),
}


@pytest.mark.parametrize("case", BAD_VALUES)
def test_a_bad_value_is_reported_under_its_field_and_the_other_filters_still_apply(client, scene, case):
    field, value, message = BAD_VALUES[case]
    client.force_login(scene.office)
    # A good filter beside the bad value: the good one applies (only A is overdue), the bad one
    # is reported where it was typed.
    response = client.get(reverse("problems:list"), {"overdue": "on", field: value(scene)})
    assert response.status_code == 200
    assert response.context["form"].errors == {field: [message]}
    assert f'<div class="invalid-feedback d-block">{message}</div>' in response.content.decode()
    assert [scene.labels[p.pk] for p in response.context["page"]] == ["A"]


def test_nul_in_a_filter_is_refused_before_the_list_with_a_chinese_page(client, scene):
    # Nobody types NUL: the request is refused whole (core.middleware), never queried with.
    client.force_login(scene.office)
    response = client.get(reverse("problems:list"), {"overdue": "on", "q": "垃圾\x00"})
    assert response.status_code == 400
    assert "请求地址含有空字符（NUL），无法处理" in response.content.decode()


def test_the_export_applies_the_valid_filters_beside_a_bad_one(client, scene):
    client.force_login(scene.office)
    query = {"source": "citizen", "date_from": "2026-02-30"}
    response = client.get(reverse("exchange:problems_xlsx"), query)
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    numbers = [row[0] for row in workbook.active.iter_rows(min_row=2, values_only=True) if row[0]]
    assert sorted(numbers) == sorted(scene.problems[label].number for label in ("B", "E"))


# ---- the URL keeps the filters -----------------------------------------------------------------


def test_the_filters_stay_in_the_url_for_the_form_the_next_page_and_the_export(client, world):
    for n in range(31):
        recorded_problem(world, description=f"巷口垃圾堆积{n}")
    client.force_login(world.office)
    query = {"status": "recorded", "unit": "", "q": "垃圾"}

    first = client.get(reverse("problems:list"), query)

    assert first.context["querystring"] == "status=recorded&unit=&q=%E5%9E%83%E5%9C%BE"
    assert (first.context["page"].paginator.count, len(first.context["page"])) == (31, 30)
    page = first.content.decode()
    assert 'name="status" value="recorded" id="id_status_0" checked>' in page  # the form shows the filter it applied
    assert 'value="垃圾"' in page
    assert 'href="?status=recorded&amp;unit=&amp;q=%E5%9E%83%E5%9C%BE&amp;page=2"' in page
    assert f'href="{reverse("exchange:problems_xlsx")}?status=recorded&amp;unit=&amp;q=%E5%9E%83%E5%9C%BE"' in page

    second = client.get(reverse("problems:list"), {**query, "page": "2"})

    assert second.context["querystring"] == "status=recorded&unit=&q=%E5%9E%83%E5%9C%BE"  # without the page
    assert [p.description for p in second.context["page"]] == ["巷口垃圾堆积0"]
    assert 'href="?status=recorded&amp;unit=&amp;q=%E5%9E%83%E5%9C%BE&amp;page=1"' in second.content.decode()
