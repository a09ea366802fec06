"""The import screen and the template downloads: who may use them, what they show, and a template
that, filled in, imports."""

import base64
import io

import openpyxl
import pytest
from django.urls import reverse

from core.models import GeneratedFile
from exchange.imports import KINDS, MAX_ROWS, RowError
from exchange.tests.helpers import XLSX, counts, headers, kind_file, open_response, upload, values
from sites.models import Site
from tests.factories import SiteTypeFactory


def site_rows():
    return [
        ["BS-0101", "光明巷", "背街小巷", "D01-01-01", "SD01", "光明路 3 号", 34.757, 113.665, 800, "是"],
        ["BS-0102", "胜利巷", "背街小巷", "D01-01-01", "SD01", None, None, None, None, None],
    ]


def test_the_office_imports_a_file_and_sees_what_changed(client, world):
    client.force_login(world.office)
    response = client.post(
        reverse("exchange:imports"), {"kind": "sites", "file": kind_file("sites", site_rows())}, follow=True
    )
    assert response.redirect_chain == [(reverse("exchange:imports"), 302)]
    assert "点位导入完成：共 2 行，新增 2 条，更新 0 条，无变化 0 条" in response.content.decode()
    assert sorted(Site.objects.values_list("code", flat=True)) == ["BS-0001", "BS-0002", "BS-0101", "BS-0102"]


def test_a_refused_file_is_shown_as_a_table_of_rows_and_nothing_changes(client, world):
    client.force_login(world.office)
    rows = site_rows()
    rows[1][2] = "菜市场"
    before = counts()
    response = client.post(reverse("exchange:imports"), {"kind": "sites", "file": kind_file("sites", rows)})
    assert response.status_code == 400
    page = response.content.decode()
    assert "「点位」未导入：发现 1 个问题，数据库未做任何改动。请改正后重新导入。" in page
    assert "<td>第3行</td><td>点位类型</td><td>未知的值「菜市场」（可选：背街小巷）</td>" in page
    assert counts() == before


def test_a_file_refused_as_a_whole_is_reported_for_the_whole_file(client, world):
    client.force_login(world.office)
    response = client.post(
        reverse("exchange:imports"), {"kind": "units", "file": upload("不是表格".encode(), "单位.xlsx")}
    )
    assert response.status_code == 400
    assert "<td>整个文件</td><td>—</td><td>文件不是 Excel 工作簿（.xlsx），请用下载的模板填写后上传</td>" in (
        response.content.decode()
    )


@pytest.mark.parametrize("person", ["liaison_a", "head_a", "inspector", "leader", "office_viewer", "outsider"])
def test_only_the_office_may_open_the_import_screen_or_download_templates(client, world, person):
    client.force_login(getattr(world, person))
    assert client.get(reverse("exchange:imports")).status_code == 403
    response = client.post(reverse("exchange:imports"), {"kind": "sites", "file": kind_file("sites", site_rows())})
    assert response.status_code == 403
    assert client.get(reverse("exchange:template", args=["sites"])).status_code == 403
    assert not Site.objects.filter(code="BS-0101").exists()


def test_the_navigation_offers_the_import_screen_to_the_office_only(client, world):
    link = f'href="{reverse("exchange:imports")}"'
    client.force_login(world.office)
    assert link in client.get(reverse("campaigns:ledger")).content.decode()
    client.force_login(world.leader)
    assert link not in client.get(reverse("campaigns:ledger")).content.decode()


def test_an_unknown_template_is_404(client, world):
    client.force_login(world.office)
    assert client.get(reverse("exchange:template", args=["problems"])).status_code == 404


def download(client, world, kind) -> openpyxl.Workbook:
    client.force_login(world.office)
    response = client.get(reverse("exchange:template", args=[kind]))
    assert response.status_code == 200
    return open_response(response)


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_template_has_the_header_an_example_instructions_and_a_hidden_list_sheet(client, world, kind):
    workbook = download(client, world, kind)
    sheet = KINDS[kind].sheet
    assert workbook.sheetnames == [sheet, "填写说明", "选项"]
    assert workbook.active.title == sheet
    ws = workbook[sheet]
    assert [cell.value for cell in ws[1]] == headers(kind)
    assert ws.freeze_panes == "A2"
    assert ws["A2"].value == KINDS[kind].example_key and ws["A2"].font.i
    assert all(ws.cell(row=1, column=i + 1).comment for i in range(len(headers(kind))))
    assert workbook["选项"].sheet_state == "hidden"
    assert workbook["填写说明"].sheet_state == "visible"
    notes = [row[0] for row in values(workbook["填写说明"])]
    assert "6. 只要有一行有错，整个文件都不会导入；系统会逐行列出问题，改正后重新导入即可。" in notes


def validations(ws) -> dict[str, str]:
    """Column header -> the drop-down's formula."""
    found = {}
    for validation in ws.data_validations.dataValidation:
        letter = str(validation.sqref).split(":")[0].rstrip("0123456789")
        found[ws[f"{letter}1"].value] = (validation.type, validation.formula1, str(validation.sqref))
    return found


def list_values(workbook, formula: str) -> list[str]:
    """The values a drop-down formula like ='选项'!$A$2:$A$4 points at."""
    ref = formula.split("!")[1].replace("$", "")
    return [cell.value for (cell,) in workbook["选项"][ref]]


def test_the_site_template_offers_drop_downs_for_its_fixed_values(client, world):
    SiteTypeFactory(code="farmers_market", name="农贸市场")
    workbook = download(client, world, "sites")
    found = validations(workbook["点位"])
    assert sorted(found) == ["在用", "所在区域编码", "点位类型", "责任单位编码"]
    kind, formula, sqref = found["点位类型"]
    assert (kind, sqref) == ("list", f"C2:C{MAX_ROWS + 1}")
    assert list_values(workbook, formula) == ["背街小巷", "农贸市场"]
    # Codes with their names, as people pick them; the import reads the code back.
    assert list_values(workbook, found["所在区域编码"][1]) == ["D01 示范区", "D01-01 东城街道", "D01-01-01 花园社区"]
    assert list_values(workbook, found["责任单位编码"][1]) == [
        "DP01 区城市管理局",
        "DP02 区市场监督管理局",
        "SD01 东城街道办事处",
    ]
    assert list_values(workbook, found["在用"][1]) == ["是", "否"]
    example = [cell.value for cell in workbook["点位"][2]]
    assert example[:5] == ["示例-0001", "示例巷", "背街小巷", "D01-01-01", "DP01"]
    # Codes are typed as text, so that 001 stays 001.
    assert workbook["点位"].column_dimensions["A"].number_format == "@"


def test_the_other_templates_offer_their_lists(client, world):
    found = validations(download(client, world, "units")["单位"])
    assert sorted(found) == ["在用", "类型", "辖区编码"]
    workbook = download(client, world, "people")
    found = validations(workbook["人员"])
    assert list_values(workbook, found["角色"][1]) == [
        "一把手（第一责任人）",
        "分管领导（直接责任人）",
        "联络员",
        "督导组成员",
        "只读",
    ]
    workbook = download(client, world, "tasks")
    found = validations(workbook["台账任务"])
    assert sorted(found) == ["时间节点", "标准条目编号", "责任人用户名", "责任单位编码"]
    assert list_values(workbook, found["时间节点"][1]) == ["动员部署", "全面达标", "通过省级暗访"]
    assert list_values(workbook, found["标准条目编号"][1]) == ["3.2 背街小巷保洁", "3.2.1 路面无垃圾、无积水"]
    assert list_values(workbook, found["责任单位编码"][1]) == [
        "DP01 区城市管理局",
        "DP02 区市场监督管理局",
        "PHC 区爱卫办",
        "SD01 东城街道办事处",
    ]
    example = workbook["台账任务"]["I2"]
    assert example.is_date and example.number_format == "yyyy-mm-dd"


def test_a_downloaded_template_filled_in_imports(client, world):
    workbook = download(client, world, "sites")
    ws = workbook["点位"]
    ws.delete_rows(2)  # the example
    for row in site_rows():
        ws.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = client.post(reverse("exchange:imports"), {"kind": "sites", "file": upload(buffer.getvalue())})
    assert response.status_code == 302
    assert Site.objects.filter(code__in=["BS-0101", "BS-0102"]).count() == 2


def test_a_downloaded_template_with_its_example_left_in_is_refused(client, world):
    workbook = download(client, world, "sites")
    workbook["点位"].append(site_rows()[0])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = client.post(reverse("exchange:imports"), {"kind": "sites", "file": upload(buffer.getvalue())})
    assert response.status_code == 400
    assert "<td>第2行</td><td>—</td><td>这是模板里的示例行，请删除后再导入</td>" in response.content.decode()
    assert not Site.objects.filter(code="BS-0101").exists()


def test_site_types_are_described_in_chinese_beside_the_drop_down(client, world):
    world.site.site_type.checkpoints.add(world.checkpoint)
    SiteTypeFactory(code="farmers_market", name="农贸市场")
    workbook = download(client, world, "sites")
    options = workbook["选项"]
    rows = [(row[0].value, row[1].value) for row in options.iter_rows(min_row=2) if row[0].value]
    # The type's code (an English word) is not shown: what the type's checklist holds is.
    assert rows[:2] == [("背街小巷", "检查清单 1 项：路面无垃圾、无积水"), ("农贸市场", "尚未设检查清单")]


def test_a_value_picked_from_a_labelled_drop_down_is_read_back_as_its_code(client, world):
    workbook = download(client, world, "sites")
    ws = workbook["点位"]
    ws.delete_rows(2)
    ws.append(["BS-0201", "新建巷", "背街小巷", "D01-01-01 花园社区", "SD01 东城街道办事处（旧名）"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    client.force_login(world.office)
    response = client.post(reverse("exchange:imports"), {"kind": "sites", "file": upload(buffer.getvalue())})
    assert response.status_code == 302
    site = Site.objects.get(code="BS-0201")
    assert (site.area, site.owner_unit) == (world.community, world.unit_a)


@pytest.mark.parametrize(
    ("uploaded", "chosen", "message"),
    [
        ("sites", "units", "这是“点位”导入模板，当前选择的是“单位”导入：请选择“点位”后重新上传"),
        ("units", "tasks", "这是“单位”导入模板，当前选择的是“台账任务”导入：请选择“单位”后重新上传"),
    ],
)
def test_a_template_of_another_kind_is_named_in_one_line(client, world, uploaded, chosen, message):
    data = download(client, world, uploaded)
    buffer = io.BytesIO()
    data.save(buffer)
    response = client.post(reverse("exchange:imports"), {"kind": chosen, "file": upload(buffer.getvalue())})
    assert response.status_code == 400
    assert response.context["result"].errors == [RowError(None, "", message)]
    assert message in response.content.decode()


def test_the_report_downloads_as_the_uploaded_file_with_a_problem_column(client, world):
    rows = [
        ["BS-0301", "好的巷", "背街小巷", "D01-01-01", "SD01"],
        ["BS-0302", "坏的巷", "没有的类型", "D01-01-01", "SD01", "", 95, None],
    ]
    client.force_login(world.office)
    response = client.post(reverse("exchange:imports"), {"kind": "sites", "file": kind_file("sites", rows)})
    assert response.status_code == 400
    page = response.content.decode()
    assert "下载标出问题的原文件" in page
    annotated = response.context["annotated"]
    assert annotated["name"] == "导入-问题.xlsx"
    # The copy is in the page (a data: link): a refused import stores nothing, not even it.
    assert f'download="导入-问题.xlsx" href="{annotated["href"]}"' in page
    prefix = f"data:{XLSX};base64,"
    assert annotated["href"].startswith(prefix)
    workbook = openpyxl.load_workbook(io.BytesIO(base64.b64decode(annotated["href"][len(prefix) :])))
    ws = workbook["点位"]
    header = [cell.value for cell in ws[1]]
    assert header[-1] == "问题" and header[:-1] == headers("sites")
    problem = {row[0].value: row[len(header) - 1].value for row in ws.iter_rows(min_row=2)}
    assert problem["BS-0301"] is None
    # Both of the row's problems: a wrong cell and what the row's own checks found.
    assert problem["BS-0302"] == (
        "「点位类型」未知的值「没有的类型」（可选：背街小巷）；「纬度」应在 -90 到 90 之间；"
        "「经度」纬度和经度要么都填，要么都不填"
    )
    assert GeneratedFile.objects.count() == 0


def test_a_large_refused_file_is_reported_without_a_copy_to_download(client, world, monkeypatch):
    monkeypatch.setattr("exchange.imports.annotate.MAX_ANNOTATED_ROWS", 1)
    rows = [["BS-0301", "巷", "没有的类型", "D01-01-01", "SD01"], ["BS-0302", "巷", "背街小巷", "D01-01-01", "SD01"]]
    client.force_login(world.office)
    response = client.post(reverse("exchange:imports"), {"kind": "sites", "file": kind_file("sites", rows)})
    assert response.status_code == 400
    assert response.context["annotated"] is None
    assert "下载标出问题的原文件" not in response.content.decode()
    (error,) = response.context["result"].errors
    assert (error.row, error.column) == (2, "点位类型")  # the report itself is shown as before
