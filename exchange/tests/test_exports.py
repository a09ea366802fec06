"""Excel exports of the problem list and the ledger: opened with openpyxl and read cell by cell."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from campaigns import services as ledger
from campaigns.models import Task
from conftest import SHANGHAI, TODAY
from documents.xlsx import DATE, NUMBER, Col, column_widths, display_width
from exchange.exports import problem_columns
from exchange.tests.helpers import counts, open_response, upload, values
from problems import services
from problems.tests.helpers import DEADLINE, assigned_problem, photo, recorded_problem

PROBLEM_HEADERS = [
    "编号",
    "状态",
    "逾期",
    "发现时间",
    "点位编码",
    "点位",
    "点位类型",
    "所在区域",
    "标准条目",
    "问题描述",
    "严重程度",
    "来源",
    "责任单位",
    "整改期限",
    "销号日期",
    "反弹",
]
LEDGER_HEADERS = [
    "任务编码",
    "任务内容",
    "标准条目编号",
    "标准条目",
    "时间节点",
    "责任单位编码",
    "责任单位",
    "责任人用户名",
    "责任人",
    "目标数量",
    "计量单位",
    "累计完成",
    "完成率",
    "完成期限",
    "进度",
    "说明",
]
LONG = "巷口垃圾堆积，墙面乱贴乱画，绿化带内有建筑垃圾"


@pytest.fixture
def problems(world):
    """Four problems: two with 东城街道 (one overdue), one with 城管局 closed, one unassigned."""
    return {
        "a_overdue": assigned_problem(world, deadline=dt.date(2026, 5, 12), description=LONG),
        "a_due": assigned_problem(world, description='=HYPERLINK("http://example.com")'),
        "b_closed": closed_b(world),
        "recorded": recorded_problem(world, description="待交办的问题"),
    }


def closed_b(world):
    """A problem of the urban-management department, fixed by its liaison, closed by the office."""
    problem = assigned_problem(world, unit=world.unit_b, site=world.site_b, description="市场地面积水")
    problem = services.problem_submit_evidence(actor=world.liaison_b, problem=problem, note="已清扫", files=[photo()])
    return services.problem_close(actor=world.office, problem=problem, note="复核合格")


def export(client, user, name="exchange:problems_xlsx", query=""):
    client.force_login(user)
    response = client.get(reverse(name) + query)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    return open_response(response)


def rows_by_number(ws) -> dict[str, tuple]:
    return {row[0]: row for row in values(ws)[1:]}


def test_the_problem_export_has_a_styled_frozen_header_and_widths_that_fit_chinese(client, world, problems):
    workbook = export(client, world.office)
    ws = workbook.active
    assert ws.title == "问题清单"
    assert [cell.value for cell in ws[1]] == PROBLEM_HEADERS
    assert ws.freeze_panes == "A2"
    assert all(cell.font.b for cell in ws[1])
    assert ws["A1"].fill.fgColor.rgb == "002F5597"
    widths = {
        header: ws.column_dimensions[cell.column_letter].width
        for header, cell in zip(PROBLEM_HEADERS, ws[1], strict=True)
    }
    # A CJK character counts twice: the long description sets its column's width, plus a margin.
    assert widths["问题描述"] == display_width(LONG) + 2 == 48
    assert widths["编号"] == display_width("2026-000001") + 2
    assert widths["逾期"] == 6 + 2  # never narrower than six characters
    assert widths["整改期限"] == 10 + 2  # a date: yyyy-mm-dd
    assert widths["点位"] == max(display_width("建设路农贸市场"), display_width("点位")) + 2


def test_the_problem_export_holds_each_visible_problem_with_real_dates_and_chinese_labels(client, world, problems):
    ws = export(client, world.office).active
    rows = rows_by_number(ws)
    assert len(rows) == 4
    overdue = rows[problems["a_overdue"].number]
    assert overdue[:3] == (problems["a_overdue"].number, "整改中", None)  # due today: not yet late
    assert overdue[4:13] == (
        "BS-0001",
        "幸福巷",
        "背街小巷",
        "花园社区",
        "3.2.1 路面无垃圾、无积水",
        LONG,
        "一般",
        "督导检查",
        "东城街道",
    )
    assert overdue[3] == dt.datetime(2026, 5, 12, 10, 0)  # local time, as Excel has no time zones
    assert overdue[13:] == (dt.datetime(2026, 5, 12), None, None)  # no rebound
    closed = rows[problems["b_closed"].number]
    assert closed[1] == "已销号" and closed[12] == "城管局"
    assert closed[13:15] == (dt.datetime.combine(DEADLINE, dt.time()), dt.datetime(2026, 5, 12))
    recorded = rows[problems["recorded"].number]
    assert (recorded[1], recorded[12], recorded[13]) == ("待交办", None, None)
    # Dates are dates in Excel, not text.
    date_cell = next(row for row in ws.iter_rows(min_row=2) if row[0].value == problems["b_closed"].number)[13]
    assert date_cell.is_date and date_cell.number_format == "yyyy-mm-dd"
    found_cell = ws.cell(row=2, column=4)
    assert found_cell.is_date and found_cell.number_format == "yyyy-mm-dd hh:mm"


def test_a_deadline_passed_is_marked_overdue(client, world, problems, frozen_today):
    frozen_today.move_to(dt.datetime(2026, 5, 14, 9, 0, tzinfo=dt.UTC))
    rows = rows_by_number(export(client, world.office).active)
    assert rows[problems["a_overdue"].number][2] == "逾期"
    assert rows[problems["a_due"].number][2] is None
    assert rows[problems["b_closed"].number][2] is None


def test_text_that_looks_like_a_formula_is_exported_as_text(client, world, problems):
    ws = export(client, world.office).active
    cell = next(row for row in ws.iter_rows(min_row=2) if row[0].value == problems["a_due"].number)[9]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://example.com")', "s")


def test_the_problem_export_applies_the_lists_filters_and_order(client, world, problems):
    ws = export(client, world.office, query=f"?unit={world.unit_a.pk}&sort=number").active
    assert [row[0] for row in values(ws)[1:]] == [problems["a_overdue"].number, problems["a_due"].number]
    ws = export(client, world.office, query="?status=closed&status=recorded&sort=number").active
    assert [row[0] for row in values(ws)[1:]] == [problems["b_closed"].number, problems["recorded"].number]
    ws = export(client, world.office, query="?q=积水").active
    assert [row[0] for row in values(ws)[1:]] == [problems["b_closed"].number]
    ws = export(client, world.office, query="?q=没有这样的问题").active
    assert values(ws) == [tuple(PROBLEM_HEADERS)]


def test_a_unit_person_exports_only_their_units_problems(client, world, problems):
    ws = export(client, world.liaison_a).active
    assert sorted(row[0] for row in values(ws)[1:]) == sorted([problems["a_overdue"].number, problems["a_due"].number])
    ws = export(client, world.liaison_b).active
    assert [row[0] for row in values(ws)[1:]] == [problems["b_closed"].number]
    # A filter cannot widen the scope.
    ws = export(client, world.liaison_b, query=f"?unit={world.unit_a.pk}").active
    assert values(ws)[1:] == []


def test_the_inspector_and_the_leader_export_everything(client, world, problems):
    assert len(values(export(client, world.inspector).active)) == 5
    assert len(values(export(client, world.leader).active)) == 5


@pytest.mark.parametrize("name", ["exchange:problems_xlsx", "exchange:ledger_xlsx"])
def test_an_outsider_gets_404_and_a_stranger_is_sent_to_sign_in(client, world, problems, name):
    client.force_login(world.outsider)
    assert client.get(reverse(name)).status_code == 404
    client.logout()
    response = client.get(reverse(name))
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_the_export_reads_in_a_fixed_number_of_queries(client, world, django_assert_max_num_queries):
    client.force_login(world.office)
    for index in range(30):
        recorded_problem(world, description=f"问题{index}")
    # Session, user, memberships, the count (small enough to write now?), the rows, and the
    # security log's row (its chain head locked, then the row): the same however many problems.
    with django_assert_max_num_queries(10):
        response = client.get(reverse("exchange:problems_xlsx"))
        b"".join(response.streaming_content)


def test_the_list_page_links_to_the_export_with_its_filters(client, world, problems):
    client.force_login(world.office)
    page = client.get(reverse("problems:list") + f"?unit={world.unit_a.pk}&page=2").content.decode()
    assert f'href="{reverse("exchange:problems_xlsx")}?unit={world.unit_a.pk}"' in page
    page = client.get(reverse("campaigns:ledger") + f"?unit={world.unit_b.pk}").content.decode()
    assert f'href="{reverse("exchange:ledger_xlsx")}?unit={world.unit_b.pk}"' in page


def test_column_widths_use_the_display_width_of_cjk_text_and_stop_at_sixty():
    assert display_width("abc") == 3
    assert display_width("背街小巷") == 8
    assert display_width("ＡＢ") == 4  # full-width Latin is wide too
    columns = [Col("说明"), Col("期限", DATE), Col("数量", NUMBER)]
    sample = [("很长" * 40, dt.date(2026, 5, 1), 12345678), ("短", None, None)]
    assert column_widths(columns, sample) == [62, 12, 10]
    assert [column.header for column in problem_columns()] == PROBLEM_HEADERS


# ---- the ledger --------------------------------------------------------------------------------


@pytest.fixture
def tasks(world, frozen_today):
    # The tasks were set in March: a deadline already past is refused today (issue 12).
    frozen_today.move_to(dt.datetime(2026, 3, 1, 9, 0, tzinfo=SHANGHAI))

    def create(**overrides):
        fields = {
            "actor": world.office,
            "campaign": world.campaign,
            "criterion": world.criterion,
            "milestone": world.covert,
            "title": "清理背街小巷卫生死角",
            "lead_unit": world.unit_a,
            "responsible": world.liaison_a,
            "target_quantity": 40,
            "target_measure": "条",
            "deadline": dt.date(2026, 6, 20),
        }
        return ledger.task_create(**{**fields, **overrides})

    alleys = create(code="T-001")
    market = create(
        code="T-002",
        title="农贸市场三防设施",
        lead_unit=world.unit_b,
        responsible=world.liaison_b,
        target_quantity=Decimal("2.5"),
        target_measure="个",
        milestone=world.compliant,
        deadline=dt.date(2026, 4, 30),
    )
    mobilised = create(title="召开动员部署会", milestone=world.mobilisation, deadline=dt.date(2026, 3, 10))
    frozen_today.move_to(TODAY)
    ledger.task_report_progress(actor=world.liaison_a, task=alleys, quantity_done=10, text="已清理 10 条")
    ledger.task_report_progress(actor=world.liaison_a, task=mobilised, quantity_done=40, text="已召开")
    return {"alleys": alleys, "market": market, "mobilised": mobilised}


def test_the_ledger_export_holds_tasks_with_their_progress(client, world, tasks):
    ws = export(client, world.office, name="exchange:ledger_xlsx").active
    assert ws.title == "工作台账"
    assert [cell.value for cell in ws[1]] == LEDGER_HEADERS
    assert ws.freeze_panes == "A2"
    a, b = world.unit_a, world.unit_b
    zhou, wu = world.liaison_a.username, world.liaison_b.username
    assert values(ws)[1:] == [
        # A task made without a code is exported without one (the import would ask for it).
        (None, "召开动员部署会", "3.2", "背街小巷保洁", "动员部署", a.code, "东城街道", zhou, "周晓")
        + (40, "条", 40, 1, dt.datetime(2026, 3, 10), "已完成", None),
        ("T-002", "农贸市场三防设施", "3.2", "背街小巷保洁", "全面达标", b.code, "城管局", wu, "吴婷")
        + (2.5, "个", 0, 0, dt.datetime(2026, 4, 30), "已逾期", None),
        ("T-001", "清理背街小巷卫生死角", "3.2", "背街小巷保洁", "通过省级暗访", a.code, "东城街道", zhou, "周晓")
        + (40, "条", 10, 0.25, dt.datetime(2026, 6, 20), "推进中", None),
    ]
    rate = ws.cell(row=4, column=13)
    assert rate.number_format == "0%"
    assert ws.cell(row=4, column=14).is_date


def test_the_ledger_export_applies_filters_and_scope(client, world, tasks):
    ws = export(client, world.office, name="exchange:ledger_xlsx", query="?state=late").active
    assert [row[0] for row in values(ws)[1:]] == ["T-002"]
    ws = export(client, world.office, name="exchange:ledger_xlsx", query=f"?milestone={world.covert.pk}").active
    assert [row[0] for row in values(ws)[1:]] == ["T-001"]
    ws = export(client, world.liaison_b, name="exchange:ledger_xlsx").active
    assert [row[0] for row in values(ws)[1:]] == ["T-002"]
    ws = export(client, world.head_a, name="exchange:ledger_xlsx").active
    assert [row[1] for row in values(ws)[1:]] == ["召开动员部署会", "清理背街小巷卫生死角"]


def test_an_exported_ledger_edited_in_excel_imports_again_and_changes_only_what_was_edited(client, world, tasks):
    """Export, change one cell (a target), import the same file: that task changes, nothing else."""
    workbook = export(client, world.office, name="exchange:ledger_xlsx", query="?state=late")
    ws = workbook["工作台账"]
    assert [row[0] for row in values(ws)[1:]] == ["T-002"]
    before = counts()
    alleys = Task.objects.get(code="T-001")
    ws.cell(row=2, column=LEDGER_HEADERS.index("目标数量") + 1).value = 3
    ws.cell(row=2, column=LEDGER_HEADERS.index("累计完成") + 1).value = 99  # shown only: not read
    buffer = io.BytesIO()
    workbook.save(buffer)

    response = client.post(
        reverse("exchange:imports"), {"kind": "tasks", "file": upload(buffer.getvalue(), "工作台账.xlsx")}, follow=True
    )
    assert "台账任务导入完成：共 1 行，新增 0 条，更新 1 条，无变化 0 条" in response.content.decode()
    market = Task.objects.with_progress().get(code="T-002")
    assert market.target_quantity == 3 and market.quantity_done == 0
    assert (market.title, market.deadline, market.responsible, market.lead_unit) == (
        "农贸市场三防设施",
        dt.date(2026, 4, 30),
        world.liaison_b,
        world.unit_b,
    )
    after = counts()
    assert after["tasks"] == before["tasks"] and after["ledger_events"] == before["ledger_events"] + 1
    other = Task.objects.get(code="T-001")
    assert (other.target_quantity, other.deadline, other.title) == (
        alleys.target_quantity,
        alleys.deadline,
        alleys.title,
    )

    # The whole ledger exported and imported unchanged: nothing to do for any task with a code.
    workbook = export(client, world.office, name="exchange:ledger_xlsx", query="?unit=" + str(world.unit_b.pk))
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = client.post(
        reverse("exchange:imports"), {"kind": "tasks", "file": upload(buffer.getvalue())}, follow=True
    )
    assert "共 1 行，新增 0 条，更新 0 条，无变化 1 条" in response.content.decode()


# ---- printing, the filter, the 导出说明 sheet ----------------------------------------------


def about(workbook) -> dict[str, str]:
    ws = workbook["导出说明"]
    return {row[0]: row[1] for row in values(ws)[1:]}


def test_the_problem_export_prints_landscape_one_page_wide_with_its_header_on_every_page(client, world, problems):
    workbook = export(client, world.office)
    ws = workbook["问题清单"]
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.paperSize == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    assert ws.print_title_rows == "$1:$1"
    assert ws.auto_filter.ref == "A1:P5"  # the header and four problems
    # Long text wraps inside its column; a short code does not.
    description = next(row for row in ws.iter_rows(min_row=2) if row[0].value == problems["a_overdue"].number)
    assert description[9].alignment.wrap_text is True
    assert description[8].alignment.wrap_text is True
    assert not description[4].alignment.wrap_text


def test_the_export_says_what_it_holds_in_a_sheet_of_its_own(client, world, problems):
    workbook = export(client, world.office, query=f"?unit={world.unit_a.pk}&status=assigned&overdue=on")
    assert workbook.sheetnames == ["问题清单", "导出说明"]
    lines = about(workbook)
    assert values(workbook["导出说明"])[0] == ("问题清单", None)  # the title line
    assert lines["责任单位"] == str(world.unit_a)
    assert lines["状态"] == "整改中"
    assert lines["只看逾期"] == "是"
    assert lines["导出时间"] == "2026-05-12 10:00"
    name = world.office.get_full_name()
    assert lines["导出人"] == f"{name}（{world.office.username}）"
    assert lines["导出行数"] == "0"  # nothing of 东城街道's is overdue today
    assert "搜索" not in lines  # a filter not given is not listed

    lines = about(export(client, world.office))
    assert lines["筛选条件"] == "无（全部）" and lines["导出行数"] == "4"


def test_a_bad_date_is_reported_and_the_other_filters_still_apply(client, world, problems):
    client.force_login(world.office)
    query = f"?date_from=notadate&unit={world.unit_a.pk}&sort=number"
    page = client.get(reverse("problems:list") + query).content.decode()
    assert "有筛选条件无效，未使用；其他条件照常生效" in page
    assert "不是有效的日期，请按 2026-05-12 的格式填写" in page
    # The unit filter still applies on the screen: only 东城街道's two problems are listed.
    assert problems["a_overdue"].number in page and problems["a_due"].number in page
    assert problems["b_closed"].number not in page and problems["recorded"].number not in page

    workbook = export(client, world.office, query=query)
    ws = workbook["问题清单"]
    assert [row[0] for row in values(ws)[1:]] == [problems["a_overdue"].number, problems["a_due"].number]
    lines = about(workbook)
    assert lines["发现日期从"] == "「notadate」无效，未使用（不是有效的日期，请按 2026-05-12 的格式填写）"
    assert lines["责任单位"] == str(world.unit_a)


def test_the_ledger_export_prints_the_same_way_and_says_its_filters(client, world, tasks):
    workbook = export(client, world.office, name="exchange:ledger_xlsx", query=f"?unit={world.unit_b.pk}")
    ws = workbook["工作台账"]
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$1:$1"
    assert ws.auto_filter.ref == "A1:P2"
    lines = about(workbook)
    assert lines["责任单位"] == str(world.unit_b) and lines["导出行数"] == "1"
