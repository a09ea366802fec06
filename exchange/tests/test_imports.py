"""Imports of units, people, sites and tasks: what a clean file writes, how a re-import updates by
code, and how every kind of bad file is refused row by row in Chinese while nothing changes."""

import datetime as dt
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from campaigns import services as ledger
from campaigns.models import LedgerEvent, Task
from conftest import SHANGHAI
from core.errors import NotAllowed
from exchange.imports import MAX_ERRORS, MAX_ROWS, run_import
from exchange.tests.helpers import counts, headers, kind_file, upload, workbook_bytes
from organisation.models import Membership, Unit, User
from sites.models import Site
from tests.factories import SiteTypeFactory, UserFactory


@pytest.fixture
def market_type(world):
    return SiteTypeFactory(code="farmers_market", name="农贸市场")


def imported(world, kind, file):
    return run_import(actor=world.office, kind=kind, file=file, campaign=world.campaign)


def messages(result) -> list[str]:
    return [str(error) for error in result.errors]


def refused(world, kind, file) -> list[str]:
    """Import a bad file: it must be refused and change nothing. Its report, as shown."""
    before = counts()
    result = imported(world, kind, file)
    assert not result.ok
    assert (result.created, result.updated, result.unchanged) == (0, 0, 0)
    assert counts() == before
    return messages(result)


def site_row(code="BS-0101", name="光明巷", site_type="背街小巷", area="D01-01-01", unit="SD01", **more):
    row = [code, name, site_type, area, unit, "光明路 3 号", 34.7571234, 113.665, 800, "是"]
    for index, value in more.items():
        row[int(index[1:])] = value
    return row


# ---- clean files and re-imports -----------------------------------------------------------------


def test_units_are_created_and_a_reimport_updates_them_by_code(world):
    rows = [
        ["SD02", "西城街道办事处", "西城街道", "街道办事处", "D01-01", None],
        ["DP03", "区卫生健康委员会", "卫健委", "部门", None, "是"],
    ]
    result = imported(world, "units", kind_file("units", rows))
    assert messages(result) == []
    assert (result.rows, result.created, result.updated, result.unchanged) == (2, 2, 0, 0)
    west = Unit.objects.get(code="SD02")
    assert (west.name, west.short_name, west.kind, west.area, west.is_active) == (
        "西城街道办事处",
        "西城街道",
        Unit.Kind.SUBDISTRICT,
        world.east,
        True,
    )
    rows[0][2], rows[1][5] = "西城", "否"
    rows.append(["SD01", "东城街道办事处", "东城", "街道办事处", "D01-01", "是"])
    result = imported(world, "units", kind_file("units", rows))
    assert (result.created, result.updated, result.unchanged) == (0, 3, 0)
    assert Unit.objects.get(code="SD02").short_name == "西城"
    assert Unit.objects.get(code="DP03").is_active is False
    assert Unit.objects.get(code="SD01").short_name == "东城"
    assert Unit.objects.count() == 7
    result = imported(world, "units", kind_file("units", rows))
    assert (result.created, result.updated, result.unchanged) == (0, 0, 3)


def test_the_office_and_leadership_units_cannot_be_changed_by_import(world):
    report = refused(
        world,
        "units",
        kind_file(
            "units",
            [
                ["PHC", "区爱卫办", "", "部门", None, None],
                ["DP09", "区城市管理局", "", "部门", None, None],
                ["DP10", "区爱卫办（新）", "", "爱卫办", None, None],
            ],
        ),
    )
    assert report == [
        "第2行「单位编码」：「PHC」是爱卫办或区领导，只能由系统管理员在后台修改",
        "第3行「单位名称」：名称「区城市管理局」已被单位「DP01」使用",
        "第4行「类型」：未知的值「爱卫办」（可选：街道办事处、部门）",
    ]


def test_people_are_created_with_their_role_and_a_reimport_updates_them_by_username(world):
    rows = [
        ["zhaolei", "赵磊", "13912345678", "SD01", "联络员"],
        ["qianhong", "钱红", None, "DP02", "一把手"],  # the short form of 一把手（第一责任人）
    ]
    result = imported(world, "people", kind_file("people", rows))
    assert messages(result) == []
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    zhao = User.objects.get(username="zhaolei")
    assert (zhao.full_name, zhao.phone, zhao.has_usable_password()) == ("赵磊", "13912345678", False)
    assert list(zhao.memberships.values_list("unit__code", "role")) == [("SD01", Membership.Role.LIAISON)]
    assert list(Membership.objects.filter(user__username="qianhong").values_list("role", flat=True)) == ["head"]

    # A new phone number, a second role for 赵磊 (roles are added, never taken away here),
    # and an existing person: 周晓 keeps her liaison role in 东城街道.
    rows[0][2] = "13900000000"
    rows[1][4] = "分管领导（直接责任人）"
    rows.append(["liaison_a", "周晓", "", "SD01", "联络员"])
    result = imported(world, "people", kind_file("people", rows))
    assert (result.created, result.updated, result.unchanged) == (0, 2, 1)
    assert User.objects.get(username="zhaolei").phone == "13900000000"
    assert sorted(Membership.objects.filter(user__username="qianhong").values_list("role", flat=True)) == [
        "deputy",
        "head",
    ]
    assert world.liaison_a.memberships.count() == 1


def test_people_cannot_be_put_into_the_office_and_administrators_are_left_alone(world):
    UserFactory(username="admin", is_staff=True, is_superuser=True)
    report = refused(
        world,
        "people",
        kind_file(
            "people",
            [
                ["newcomer", "新人", "", "PHC", "联络员"],
                ["admin", "管理员", "", "SD01", "只读"],
                ["bad name", "空格", "12-34", "SD01", "组长"],
            ],
        ),
    )
    assert report == [
        "第2行「单位编码」：未知的值「PHC」（可选：DP01、DP02、SD01）",
        "第3行「用户名」：这是系统管理账号，不能通过导入修改",
        "第4行「角色」：未知的值「组长」（可选：一把手（第一责任人）、分管领导（直接责任人）、联络员、督导组成员、只读）",
        # The row's own checks run although its role was wrong: all its problems at once.
        "第4行「用户名」：只能包含字母、数字、汉字和 @ . + - _",
    ]
    report = refused(world, "people", kind_file("people", [["bad name", "空格", "电话", "SD01", "只读"]]))
    assert report == [
        "第2行「用户名」：只能包含字母、数字、汉字和 @ . + - _",
        "第2行「手机号」：「电话」不是电话号码",
    ]


def test_sites_are_created_and_a_reimport_updates_them_by_code(world, market_type):
    rows = [
        site_row(),
        site_row("BS-0102", "建设路农贸市场二期", "农贸市场", unit="DP01", c6=None, c7=None, c8=None, c9=None),
    ]
    result = imported(world, "sites", kind_file("sites", rows))
    assert messages(result) == []
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    alley = Site.objects.get(code="BS-0101")
    assert (alley.name, alley.site_type.name, alley.area, alley.owner_unit, alley.address) == (
        "光明巷",
        "背街小巷",
        world.community,
        world.unit_a,
        "光明路 3 号",
    )
    # Coordinates are kept to six places, as the column holds them.
    assert (alley.latitude, alley.longitude, alley.area_m2, alley.is_active) == (
        Decimal("34.757123"),
        Decimal("113.665000"),
        800,
        True,
    )
    market = Site.objects.get(code="BS-0102")
    assert (market.site_type, market.latitude, market.area_m2) == (market_type, None, None)

    rows[0][4] = "DP02"  # handed to market regulation
    rows.append(site_row("BS-0001", "幸福巷（东段）", unit="SD01", c6=34.757, c7=113.665, c8=None, c5=""))
    result = imported(world, "sites", kind_file("sites", rows))
    assert messages(result) == []
    assert (result.created, result.updated, result.unchanged) == (0, 2, 1)
    assert Site.objects.get(code="BS-0101").owner_unit == world.unit_c
    assert Site.objects.get(code="BS-0001").name == "幸福巷（东段）"
    assert Site.objects.count() == 4


def test_site_rows_with_impossible_coordinates_or_area_are_refused(world):
    report = refused(
        world,
        "sites",
        kind_file(
            "sites",
            [
                site_row(c6=95),
                site_row("BS-0102", c7=None),
                site_row("BS-0103", c8=12.5),
                site_row("BS-0104", c8="很大"),
            ],
        ),
    )
    assert report == [
        "第2行「纬度」：应在 -90 到 90 之间",
        "第3行「经度」：纬度和经度要么都填，要么都不填",
        "第4行「面积（平方米）」：应为不小于 0 的整数",
        "第5行「面积（平方米）」：应为数字，「很大」不是数字",
    ]


@pytest.fixture
def existing_tasks(world):
    def create(code, **overrides):
        fields = {
            "actor": world.office,
            "campaign": world.campaign,
            "criterion": world.criterion,
            "milestone": world.covert,
            "title": "清理背街小巷卫生死角",
            "lead_unit": world.unit_a,
            "responsible": world.liaison_a,
            "target_quantity": 37,
            "target_measure": "条",
            "deadline": dt.date(2026, 6, 20),
            "code": code,
        }
        return ledger.task_create(**{**fields, **overrides})

    return create("T-001"), create("T-002", title="农贸市场三防设施", target_measure="个", target_quantity=4)


def task_row(code="T-001", title="清理背街小巷卫生死角", criterion="3.2", milestone="通过省级暗访", **more):
    row = [code, title, criterion, milestone, "SD01", "liaison_a", 37, "条", dt.datetime(2026, 6, 20), None]
    for index, value in more.items():
        row[int(index[1:])] = value
    return row


def test_tasks_are_created_through_the_ledger_service_with_their_code(world, frozen_today):
    frozen_today.move_to(dt.datetime(2026, 3, 1, 9, 0, tzinfo=SHANGHAI))  # before both deadlines
    rows = [
        task_row(),
        task_row(
            "T-002",
            "召开动员部署会",
            "3.2.1",
            "动员部署",
            c4="DP01",
            c5="liaison_b",
            c6=1,
            c7="次",
            c8=dt.datetime(2026, 3, 10),
        ),
    ]
    result = imported(world, "tasks", kind_file("tasks", rows))
    assert messages(result) == []
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    task = Task.objects.get(code="T-002")
    assert (
        task.campaign,
        task.title,
        task.criterion,
        task.milestone,
        task.lead_unit,
        task.responsible,
        task.target_quantity,
        task.deadline,
        task.created_by,
    ) == (
        world.campaign,
        "召开动员部署会",
        world.checkpoint,
        world.mobilisation,
        world.unit_b,
        world.liaison_b,
        1,
        dt.date(2026, 3, 10),
        world.office,
    )
    event = LedgerEvent.objects.get(task=task)
    assert (event.action, event.actor, event.after["code"]) == (LedgerEvent.Action.TASK_CREATED, world.office, "T-002")


def test_a_task_reimport_moves_deadlines_earlier_edits_and_hands_over_through_the_services(world, existing_tasks):
    alleys, market = existing_tasks
    rows = [
        task_row(c6=40, c8=dt.datetime(2026, 6, 10)),
        task_row("T-002", "农贸市场三防设施", c4="DP01", c5="liaison_b", c6=4, c7="个"),
    ]
    result = imported(world, "tasks", kind_file("tasks", rows))
    assert messages(result) == []
    assert (result.created, result.updated, result.unchanged) == (0, 2, 0)
    alleys.refresh_from_db()
    market.refresh_from_db()
    assert (alleys.deadline, alleys.target_quantity) == (dt.date(2026, 6, 10), 40)
    assert (market.lead_unit, market.responsible) == (world.unit_b, world.liaison_b)
    trail = list(
        LedgerEvent.objects.exclude(action=LedgerEvent.Action.TASK_CREATED)
        .order_by("id")
        .values_list("task__code", "action", "note")
    )
    assert trail == [
        ("T-001", LedgerEvent.Action.DEADLINE_MOVED, "Excel 导入"),
        ("T-001", LedgerEvent.Action.TASK_EDITED, "Excel 导入"),
        ("T-002", LedgerEvent.Action.OWNER_CHANGED, "Excel 导入"),
    ]
    result = imported(world, "tasks", kind_file("tasks", rows))
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)


def test_a_task_reimport_that_moves_a_deadline_later_is_refused_and_nothing_changes(world, existing_tasks):
    rows = [
        task_row("T-002", "农贸市场三防设施", c6=4, c7="个", c8=dt.datetime(2026, 6, 1)),  # earlier: fine alone
        task_row(c8=dt.datetime(2026, 6, 25)),
        task_row("T-003", "新任务"),
    ]
    report = refused(world, "tasks", kind_file("tasks", rows))
    assert report == ["第3行「完成期限」：新期限 2026年6月25日 晚于原期限 2026年6月20日：只能提前，不能拖后"]
    assert Task.objects.get(code="T-002").deadline == dt.date(2026, 6, 20)
    assert not Task.objects.filter(code="T-003").exists()


def test_new_tasks_breaking_the_ledgers_rules_are_refused_row_by_row(world):
    rows = [
        task_row(milestone="全面达标", c8=dt.datetime(2026, 5, 3)),
        task_row("T-002", c5="liaison_b"),
        task_row("T-003", c6=0),
        task_row("T-004", criterion="3"),
    ]
    report = refused(world, "tasks", kind_file("tasks", rows))
    assert report == [
        "第2行：完成期限 2026年5月3日 晚于时间节点「全面达标」的截止日期 2026年4月30日：只能提前，不能拖后",
        "第3行：责任人 吴婷 不属于责任单位「东城街道」",
        "第4行：任务须量化：目标数量须大于零",
        "第5行「标准条目编号」：未知的值「3」（可选：3.2、3.2.1）",
    ]


def test_tasks_need_a_campaign(world):
    result = run_import(actor=world.office, kind="tasks", file=kind_file("tasks", [task_row()]), campaign=None)
    assert messages(result) == ["尚未建立创卫工作，不能导入任务"]


def test_only_the_office_may_import(world):
    for person in (world.liaison_a, world.leader, world.office_viewer, world.inspector, world.outsider):
        with pytest.raises(NotAllowed):
            run_import(actor=person, kind="sites", file=kind_file("sites", [site_row()]), campaign=world.campaign)
    assert not Site.objects.filter(code="BS-0101").exists()


# ---- bad files ------------------------------------------------------------------------------


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            "点位编码,名称\nBS-0101,光明巷\n".encode(),
            "文件不是 Excel 工作簿（.xlsx），请用下载的模板填写后上传",
        ),
        (
            zip_bytes({"点位.csv": b"BS-0101"}),
            "文件是压缩包，但不是 Excel 工作簿（.xlsx），请用下载的模板填写后上传",
        ),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024,
            "这是旧版 Excel 97-2003 文件（.xls）或设置了打开密码的文件，"
            "请在 Excel 中另存为“Excel 工作簿（.xlsx）”并取消密码后再导入",
        ),
        (b"", "文件是空的"),
    ],
    ids=["text-renamed", "zip-not-xlsx", "old-xls", "empty"],
)
def test_a_file_that_is_not_a_workbook_is_refused(world, data, message):
    assert refused(world, "sites", upload(data, "点位.xlsx")) == [message]


def test_a_damaged_workbook_is_refused(world):
    good = workbook_bytes([headers("sites"), site_row()], title="点位")
    with zipfile.ZipFile(io.BytesIO(good)) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"][:300]  # cut off mid-element
    assert refused(world, "sites", upload(zip_bytes(parts))) == ["工作簿已损坏，无法读取"]
    truncated = good[: len(good) // 2]
    assert refused(world, "sites", upload(truncated)) == ["文件不是 Excel 工作簿（.xlsx），请用下载的模板填写后上传"]


def test_wrong_headers_are_named(world):
    header = headers("sites")
    header[2] = "类型"  # renamed
    header.append("备注")  # extra
    report = refused(world, "sites", upload(workbook_bytes([header, site_row()])))
    assert report == [
        "第1行「类型」：多余的列：模板中没有这一列",
        "第1行「备注」：多余的列：模板中没有这一列",
        "第1行「点位类型」：缺少这一列",
        "第1行：表头应为：点位编码、名称、点位类型、所在区域编码、责任单位编码、地址、纬度、经度、面积（平方米）、在用。请使用下载的模板",
    ]


def test_an_empty_sheet_is_refused(world):
    assert refused(world, "sites", upload(workbook_bytes([]))) == ["工作表「Sheet1」是空的"]


def test_columns_may_come_in_any_order_and_required_ones_may_carry_a_star(world):
    header = headers("sites")
    row = site_row()
    order = [1, 0, *range(2, len(header))]
    starred = [header[i] + ("*" if i < 5 else "") for i in order]
    result = imported(world, "sites", upload(workbook_bytes([starred, [row[i] for i in order]])))
    assert messages(result) == []
    assert Site.objects.get(code="BS-0101").name == "光明巷"


def test_missing_and_unknown_values_are_reported_per_cell(world):
    rows = [
        site_row(c1=None),
        site_row("BS-0102", site_type="菜市场"),
        site_row("BS-0103", area="D09"),
        site_row("BS-0104", unit="XX99"),
        site_row("BS-0105", name="  ", c9="也许"),
        site_row(None),
        site_row("BS-0106"),  # fine on its own, but the file has errors: nothing is written
    ]
    assert refused(world, "sites", kind_file("sites", rows)) == [
        "第2行「名称」：必填，不能为空",
        "第3行「点位类型」：未知的值「菜市场」（可选：背街小巷）",
        "第4行「所在区域编码」：未知的值「D09」（可选：D01、D01-01、D01-01-01）",
        "第5行「责任单位编码」：未知的值「XX99」（可选：DP01、DP02、SD01）",
        "第6行「名称」：必填，不能为空",
        "第6行「在用」：应为「是」或「否」，不能是「也许」",
        "第7行「点位编码」：必填，不能为空",
    ]


def test_unknown_people_and_criteria_in_a_task_file_are_reported(world):
    rows = [task_row(c5="nobody"), task_row("T-002", milestone="国家级暗访")]
    assert refused(world, "tasks", kind_file("tasks", rows)) == [
        "第2行「责任人用户名」：未知的值「nobody」",
        "第3行「时间节点」：未知的值「国家级暗访」（可选：动员部署、全面达标、通过省级暗访）",
    ]


def test_dates_typed_as_text_are_refused(world):
    rows = [task_row(c8="2026-06-20"), task_row("T-002", c8="2026年6月20日"), task_row("T-003", c8=46193)]
    assert refused(world, "tasks", kind_file("tasks", rows)) == [
        "第2行「完成期限」：日期不能是文字「2026-06-20」，请把单元格设为日期格式后重新填写（如 2026-04-30）",
        "第3行「完成期限」：日期不能是文字「2026年6月20日」，请把单元格设为日期格式后重新填写（如 2026-04-30）",
        "第4行「完成期限」：应为日期，「46193」不是日期格式的单元格",
    ]


def test_merged_cells_are_refused(world):
    def merge(ws):
        ws.merge_cells("B3:B4")
        ws.merge_cells("F2:G2")

    rows = [site_row(), site_row("BS-0102"), site_row("BS-0103")]
    assert refused(world, "sites", kind_file("sites", rows, setup=merge)) == [
        "第2行「地址」：合并单元格 F2:G2，请取消合并并在每个单元格中填写内容后再导入",
        "第3行「名称」：合并单元格 B3:B4，请取消合并并在每个单元格中填写内容后再导入",
        "第4行「名称」：必填，不能为空",
    ]


def test_formulas_are_refused(world):
    def formulas(ws):
        ws["B2"] = '=CONCAT("光明", "巷")'
        ws["I3"] = "=20*40"

    rows = [site_row(), site_row("BS-0102")]
    assert refused(world, "sites", kind_file("sites", rows, setup=formulas)) == [
        "第2行「名称」：不能使用公式，请复制后“选择性粘贴为数值”",
        "第3行「面积（平方米）」：不能使用公式，请复制后“选择性粘贴为数值”",
    ]


def test_a_key_twice_in_the_file_is_refused(world):
    rows = [site_row(), site_row("BS-0102"), site_row(name="光明巷北段")]
    assert refused(world, "sites", kind_file("sites", rows)) == ["第4行「点位编码」：「BS-0101」与第2行重复"]
    rows = [["zhaolei", "赵磊", "", "SD01", "联络员"], ["zhaolei", "赵磊", "", "DP01", "联络员"]]
    assert refused(world, "people", kind_file("people", rows)) == ["第3行「用户名」：「zhaolei」与第2行重复"]


def test_the_templates_example_row_left_in_is_refused(world):
    rows = [site_row("示例-0001"), site_row()]
    assert refused(world, "sites", kind_file("sites", rows)) == ["第2行：这是模板里的示例行，请删除后再导入"]


def test_blank_rows_are_skipped_and_values_beyond_the_header_reported(world):
    rows = [site_row(), [None] * 10, ["  "] * 3, site_row("BS-0102") + [None, "备注"]]
    assert refused(world, "sites", kind_file("sites", rows)) == ["第5行：第12列没有列名，却填了内容"]
    result = imported(world, "sites", kind_file("sites", rows[:3]))
    assert (result.rows, result.created) == (1, 1)


def test_the_report_stops_at_its_cap(world):
    rows = [site_row(f"BS-{n:04d}", site_type="菜市场") for n in range(MAX_ERRORS + 50)]
    before = counts()
    result = imported(world, "sites", kind_file("sites", rows))
    assert len(result.errors) == MAX_ERRORS and result.truncated
    assert str(result.errors[-1]) == f"第{MAX_ERRORS + 1}行「点位类型」：未知的值「菜市场」（可选：背街小巷）"
    assert counts() == before


@pytest.fixture(scope="module")
def huge_file(tmp_path_factory):
    """The template's header and 200,000 data rows, written once with openpyxl's write-only mode.
    Each row holds only its code: openpyxl spends its time per cell, and the refusal looks at rows."""
    path = tmp_path_factory.mktemp("huge") / "点位.xlsx"
    workbook = openpyxl.Workbook(write_only=True)
    ws = workbook.create_sheet("点位")
    ws.append(headers("sites"))
    for n in range(200_000):
        ws.append([f"BS-{n:06d}"])
    workbook.save(path)
    return path


def test_a_file_over_the_row_limit_is_refused_as_a_whole_before_any_row_is_checked(world, huge_file):
    with open(huge_file, "rb") as handle:
        report = refused(world, "sites", upload(handle.read()))
    # One message for the file: no row was checked (each row, holding only its code, would fail).
    assert report == [f"工作表「点位」超过 {MAX_ROWS:,} 行数据，超出一次导入的上限，请分成几个文件分别导入"]
