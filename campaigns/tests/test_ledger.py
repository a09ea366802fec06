"""The ledger's rules, through campaigns.services: one owner per task, quantified targets,
deadlines and milestones that move only earlier (只能提前，不能拖后), cumulative progress with
evidence, five-in-place per unit; every change leaves a LedgerEvent, every refusal leaves nothing."""

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path

import pytest

from campaigns import services as ledger
from campaigns.models import FiveInPlace, LedgerEvent, Milestone, ProgressReport, Task
from conftest import TODAY
from core.errors import InvalidInput, NotAllowed
from core.models import Attachment
from organisation.models import Unit
from tests.factories import CampaignFactory, CriterionFactory, MilestoneFactory, StandardFactory, jpeg_bytes

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def new_task(world, **changes):
    arguments = {
        "actor": world.office,
        "campaign": world.campaign,
        "criterion": world.criterion,
        "milestone": world.covert,
        "title": "清理背街小巷",
        "lead_unit": world.unit_a,
        "responsible": world.liaison_a,
        "target_quantity": 37,
        "target_measure": "条",
        "deadline": dt.date(2026, 6, 20),
    }
    return ledger.task_create(**{**arguments, **changes})


@pytest.fixture
def task(world):
    return new_task(world)


def written():
    """What the ledger services write, to show that a refusal wrote nothing."""
    return {
        "tasks": list(
            Task.objects.order_by("pk").values_list("pk", "lead_unit_id", "responsible_id", "deadline", "milestone_id")
        ),
        "milestones": list(Milestone.objects.order_by("pk").values_list("pk", "due_on")),
        "reports": list(ProgressReport.objects.order_by("pk").values_list("pk", "quantity_done")),
        "attachments": list(Attachment.objects.order_by("pk").values_list("pk", flat=True)),
        "five_in_place": list(FiveInPlace.objects.order_by("pk").values_list("pk", "status", "note")),
        "events": list(LedgerEvent.objects.order_by("pk").values_list("pk", "action")),
    }


def files_on_disk(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def events_of(action):
    return list(LedgerEvent.objects.filter(action=action).order_by("pk"))


# ---- task_create -----------------------------------------------------------------------------


def test_office_creates_a_quantified_task_with_one_owner_and_a_ledger_event(world):
    task = new_task(world, title="  清理背街小巷  ", target_quantity="37", target_measure=" 条 ")

    task = Task.objects.get(pk=task.pk)
    assert (task.title, task.lead_unit, task.responsible, task.target_quantity, task.target_measure) == (
        "清理背街小巷",
        world.unit_a,
        world.liaison_a,
        Decimal("37"),
        "条",
    )
    assert (task.deadline, task.milestone, task.created_by, task.created_at) == (
        dt.date(2026, 6, 20),
        world.covert,
        world.office,
        TODAY,
    )
    [event] = LedgerEvent.objects.all()
    assert (event.action, event.campaign, event.task, event.unit, event.actor, event.at) == (
        LedgerEvent.Action.TASK_CREATED,
        world.campaign,
        task,
        world.unit_a,
        world.office,
        TODAY,
    )
    assert event.before == {}
    assert event.after == {
        "title": "清理背街小巷",
        "lead_unit": world.unit_a.pk,
        "responsible": world.liaison_a.pk,
        "target_quantity": "37",
        "target_measure": "条",
        "deadline": "2026-06-20",
        "milestone": world.covert.pk,
    }


def test_a_deadline_on_the_milestone_itself_is_accepted(world):
    task = new_task(world, milestone=world.covert, deadline=dt.date(2026, 6, 30))

    assert Task.objects.get(pk=task.pk).deadline == dt.date(2026, 6, 30)


def test_a_deadline_already_past_is_refused_as_when_a_problem_is_assigned(world):
    # Issue 12: a task born late. Today is 12 May.
    before = written()
    with pytest.raises(InvalidInput) as refused:
        new_task(world, milestone=world.covert, deadline=dt.date(2026, 5, 11))
    assert refused.value.message == "完成期限 2026年5月11日 已过，不能早于今天"
    assert written() == before
    assert new_task(world, milestone=world.covert, deadline=dt.date(2026, 5, 12)).deadline == dt.date(2026, 5, 12)


def test_a_deadline_after_its_milestone_is_refused_with_the_dates(world):
    before = written()

    with pytest.raises(InvalidInput) as refused:
        new_task(world, milestone=world.compliant, deadline=dt.date(2026, 5, 1))

    assert refused.value.message == (
        "完成期限 2026年5月1日 晚于时间节点「全面达标」的截止日期 2026年4月30日：只能提前，不能拖后"
    )
    assert written() == before


def other_standard_checkpoint(world):
    return CriterionFactory(standard=StandardFactory(code="national-2021", name="国家卫生城市标准"), code="3.2.1")


def other_campaign_milestone(world):
    return MilestoneFactory(campaign=CampaignFactory(name="上一届复审", year=2023), due_on=dt.date(2026, 6, 30))


def deactivated_unit_a(world):
    Unit.objects.filter(pk=world.unit_a.pk).update(is_active=False)
    world.unit_a.refresh_from_db()
    return world.unit_a


# Each case: what to change in an otherwise good task, and the message that refuses it.
REFUSED_TASKS = {
    "responsible person outside the lead unit": (
        lambda w: {"responsible": w.liaison_b},
        "责任人 吴婷 不属于责任单位「东城街道」",
    ),
    "no responsible person": (lambda w: {"responsible": None}, "每项任务须有一个责任单位和一名责任人"),
    "no lead unit": (lambda w: {"lead_unit": None}, "每项任务须有一个责任单位和一名责任人"),
    "a deactivated lead unit": (lambda w: {"lead_unit": deactivated_unit_a(w)}, "「东城街道」已停用，不能承担任务"),
    "target zero": (lambda w: {"target_quantity": 0}, "任务须量化：目标数量须大于零"),
    "target negative": (lambda w: {"target_quantity": "-3"}, "任务须量化：目标数量须大于零"),
    "target not a number": (lambda w: {"target_quantity": "三十七"}, "目标数量须为数字"),
    "target empty": (lambda w: {"target_quantity": ""}, "目标数量须为数字"),
    "target NaN": (lambda w: {"target_quantity": "NaN"}, "目标数量须为数字"),
    "target infinite": (lambda w: {"target_quantity": "Infinity"}, "目标数量须为数字"),
    "target finer than hundredths": (lambda w: {"target_quantity": "0.001"}, "目标数量最多保留两位小数"),
    "target too large for the ledger": (
        lambda w: {"target_quantity": "10000000000"},
        "目标数量不能超过 9999999999.99",
    ),
    "no measure": (lambda w: {"target_measure": "  "}, "请填写计量单位（如：条、个、次）"),
    "no title": (lambda w: {"title": " "}, "请填写任务内容"),
    "no deadline": (lambda w: {"deadline": None}, "请填写完成期限"),
    "criterion is a category": (
        lambda w: {"criterion": w.category},
        "任务须对应本次创卫工作标准中的一项指标或检查要点",
    ),
    "criterion from another standard": (
        lambda w: {"criterion": other_standard_checkpoint(w)},
        "任务须对应本次创卫工作标准中的一项指标或检查要点",
    ),
    "milestone of another campaign": (
        lambda w: {"milestone": other_campaign_milestone(w)},
        "时间节点不属于本次创卫工作",
    ),
}


@pytest.mark.parametrize("case", REFUSED_TASKS)
def test_task_create_refuses_a_task_that_breaks_a_rule(world, case):
    changes, message = REFUSED_TASKS[case]
    changes = changes(world)
    before = written()

    with pytest.raises(InvalidInput) as refused:
        new_task(world, **changes)

    assert refused.value.message == message
    assert written() == before
    assert Task.objects.count() == 0


def test_a_checkpoint_of_the_campaigns_standard_is_a_valid_criterion(world):
    task = new_task(world, criterion=world.checkpoint, target_quantity="12.5", target_measure="%")

    assert Task.objects.get(pk=task.pk).target_quantity == Decimal("12.50")


@pytest.mark.parametrize("persona", ["office_viewer", "leader", "inspector", "head_a", "liaison_a"])
def test_only_the_office_creates_tasks(world, persona):
    with pytest.raises(NotAllowed) as refused:
        new_task(world, actor=getattr(world, persona))

    assert refused.value.message == "只有爱卫办可以安排台账任务和时间节点"
    assert (Task.objects.count(), LedgerEvent.objects.count()) == (0, 0)


# ---- task_move_deadline ----------------------------------------------------------------------


def test_a_deadline_moves_earlier_with_an_event_holding_before_and_after(world, task):
    ledger.task_move_deadline(actor=world.office, task=task, deadline=dt.date(2026, 6, 10), reason="暗访提前")

    assert Task.objects.get(pk=task.pk).deadline == dt.date(2026, 6, 10)
    [event] = events_of(LedgerEvent.Action.DEADLINE_MOVED)
    assert (event.task, event.unit, event.actor, event.at, event.note) == (
        task,
        world.unit_a,
        world.office,
        TODAY,
        "暗访提前",
    )
    assert (event.before["deadline"], event.after["deadline"]) == ("2026-06-20", "2026-06-10")
    assert {key: value for key, value in event.after.items() if key != "deadline"} == {
        key: value for key, value in event.before.items() if key != "deadline"
    }


def test_a_later_deadline_is_refused_and_nothing_is_written(world, task):
    before = written()

    with pytest.raises(InvalidInput) as refused:
        ledger.task_move_deadline(actor=world.office, task=task, deadline=dt.date(2026, 6, 21))

    assert refused.value.message == "新期限 2026年6月21日 晚于原期限 2026年6月20日：只能提前，不能拖后"
    assert written() == before


def test_the_same_deadline_is_a_no_op_without_an_event(world, task):
    before = written()

    result = ledger.task_move_deadline(actor=world.office, task=task, deadline=dt.date(2026, 6, 20))

    assert result.deadline == dt.date(2026, 6, 20)
    assert written() == before


@pytest.mark.parametrize("persona", ["office_viewer", "leader", "inspector", "head_a", "liaison_a"])
def test_only_the_office_moves_deadlines(world, task, persona):
    before = written()

    with pytest.raises(NotAllowed) as refused:
        ledger.task_move_deadline(actor=getattr(world, persona), task=task, deadline=dt.date(2026, 6, 1))

    assert refused.value.message == "只有爱卫办可以安排台账任务和时间节点"
    assert written() == before


# ---- milestone_move --------------------------------------------------------------------------


def test_a_milestone_moves_earlier_with_an_event(world, task):
    ledger.milestone_move(actor=world.office, milestone=world.covert, due_on=dt.date(2026, 6, 20), reason="省里通知")

    assert Milestone.objects.get(pk=world.covert.pk).due_on == dt.date(2026, 6, 20)
    [event] = events_of(LedgerEvent.Action.MILESTONE_MOVED)
    assert (event.milestone, event.actor, event.at, event.note, event.before, event.after) == (
        world.covert,
        world.office,
        TODAY,
        "省里通知",
        {"due_on": "2026-06-30"},
        {"due_on": "2026-06-20"},
    )


def test_a_later_milestone_is_refused(world):
    before = written()

    with pytest.raises(InvalidInput) as refused:
        ledger.milestone_move(actor=world.office, milestone=world.covert, due_on=dt.date(2026, 7, 15))

    assert refused.value.message == (
        "时间节点「通过省级暗访」的新日期 2026年7月15日 晚于原日期 2026年6月30日：只能提前，不能拖后"
    )
    assert written() == before


def test_a_milestone_cannot_move_before_the_deadlines_of_its_tasks(world):
    for deadline in (dt.date(2026, 6, 10), dt.date(2026, 6, 20), dt.date(2026, 6, 28)):
        new_task(world, deadline=deadline)
    before = written()

    with pytest.raises(InvalidInput) as refused:
        ledger.milestone_move(actor=world.office, milestone=world.covert, due_on=dt.date(2026, 6, 15))

    assert refused.value.message == "有 2 项任务的期限晚于 2026年6月15日，请先将其期限提前"
    assert written() == before


def test_the_same_milestone_date_is_a_no_op(world):
    before = written()

    ledger.milestone_move(actor=world.office, milestone=world.covert, due_on=dt.date(2026, 6, 30))

    assert written() == before


# ---- task_change_owner -----------------------------------------------------------------------


def test_a_task_changes_hands_to_exactly_one_unit_and_one_person(world, task):
    ledger.task_change_owner(
        actor=world.office, task=task, lead_unit=world.unit_b, responsible=world.liaison_b, reason="城管局牵头"
    )

    task = Task.objects.get(pk=task.pk)
    assert (task.lead_unit, task.responsible) == (world.unit_b, world.liaison_b)
    [event] = events_of(LedgerEvent.Action.OWNER_CHANGED)
    assert (event.unit, event.note, event.actor) == (world.unit_b, "城管局牵头", world.office)
    assert (event.before["lead_unit"], event.before["responsible"]) == (world.unit_a.pk, world.liaison_a.pk)
    assert (event.after["lead_unit"], event.after["responsible"]) == (world.unit_b.pk, world.liaison_b.pk)


def test_a_new_person_of_the_same_unit_is_a_change_of_owner(world, task):
    ledger.task_change_owner(
        actor=world.office, task=task, lead_unit=world.unit_a, responsible=world.deputy_a, reason="分管领导亲自抓"
    )

    assert Task.objects.get(pk=task.pk).responsible == world.deputy_a
    assert len(events_of(LedgerEvent.Action.OWNER_CHANGED)) == 1


REFUSED_OWNERS = {
    "person outside the new unit": (
        lambda w: {"lead_unit": w.unit_b, "responsible": w.liaison_a, "reason": "城管局牵头"},
        "责任人 周晓 不属于责任单位「城管局」",
    ),
    "no unit": (
        lambda w: {"lead_unit": None, "responsible": w.liaison_a, "reason": "调整"},
        "每项任务须有一个责任单位和一名责任人",
    ),
    "no reason": (
        lambda w: {"lead_unit": w.unit_b, "responsible": w.liaison_b, "reason": "  "},
        "更换责任单位或责任人须填写理由",
    ),
}


@pytest.mark.parametrize("case", REFUSED_OWNERS)
def test_task_change_owner_refuses(world, task, case):
    changes, message = REFUSED_OWNERS[case]
    before = written()

    with pytest.raises(InvalidInput) as refused:
        ledger.task_change_owner(actor=world.office, task=task, **changes(world))

    assert refused.value.message == message
    assert written() == before


def test_the_same_owner_is_a_no_op(world, task):
    before = written()

    ledger.task_change_owner(
        actor=world.office, task=task, lead_unit=world.unit_a, responsible=world.liaison_a, reason="确认"
    )

    assert written() == before


# ---- task_report_progress --------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["liaison_a", "head_a", "deputy_a", "office"])
def test_the_units_acting_people_and_the_office_report_progress(world, task, persona):
    user = getattr(world, persona)

    report = ledger.task_report_progress(actor=user, task=task, quantity_done="12", text=" 已清理12条 ")

    report = ProgressReport.objects.get(pk=report.pk)
    assert (report.task, report.quantity_done, report.text, report.reported_by, report.reported_at) == (
        task,
        Decimal("12"),
        "已清理12条",
        user,
        TODAY,
    )
    [event] = events_of(LedgerEvent.Action.PROGRESS_REPORTED)
    assert (event.task, event.unit, event.actor, event.note, event.after) == (
        task,
        world.unit_a,
        user,
        "已清理12条",
        {"quantity_done": "12", "report": report.pk},
    )


@pytest.mark.parametrize("persona", ["viewer_a", "liaison_b", "inspector", "leader"])
def test_others_may_not_report_progress(world, task, persona):
    before = written()

    with pytest.raises(NotAllowed) as refused:
        ledger.task_report_progress(actor=getattr(world, persona), task=task, quantity_done=12, text="已清理12条")

    assert refused.value.message == "只有责任单位的一把手、分管领导、联络员或爱卫办可以报告进展"
    assert written() == before


def test_progress_is_cumulative_the_latest_report_counts(world, task, frozen_today):
    assert Task.objects.with_progress().get(pk=task.pk).quantity_done == Decimal("0")

    for quantity in ("10", "25", "22"):  # the third corrects an over-count: the latest report wins
        ledger.task_report_progress(actor=world.liaison_a, task=task, quantity_done=quantity, text="进展")
        frozen_today.shift(dt.timedelta(hours=1))

    assert Task.objects.with_progress().get(pk=task.pk).quantity_done == Decimal("22")
    assert ProgressReport.objects.filter(task=task).count() == 3


def test_reports_sent_in_the_same_instant_count_the_last_one_sent(world, task):
    for quantity in ("10", "25"):
        ledger.task_report_progress(actor=world.liaison_a, task=task, quantity_done=quantity, text="进展")

    assert Task.objects.with_progress().get(pk=task.pk).quantity_done == Decimal("25")


def test_progress_of_one_task_does_not_leak_into_another(world, task):
    other = new_task(world, title="清理城中村")
    ledger.task_report_progress(actor=world.liaison_a, task=task, quantity_done=30, text="进展")

    progress = dict(Task.objects.with_progress().values_list("pk", "quantity_done"))

    assert progress == {task.pk: Decimal("30"), other.pk: Decimal("0")}


def test_evidence_files_are_stored_with_their_sha256(world, task, settings):
    photo = jpeg_bytes()

    report = ledger.task_report_progress(
        actor=world.liaison_a,
        task=task,
        quantity_done=5,
        text="已清理5条",
        files=[("清理后.jpg", photo), ("方案.pdf", PDF)],
    )

    stored = {a.original_name: a for a in ProgressReport.objects.get(pk=report.pk).attachments.all()}
    assert set(stored) == {"清理后.jpg", "方案.pdf"}
    for name, data in (("清理后.jpg", photo), ("方案.pdf", PDF)):
        assert stored[name].sha256 == hashlib.sha256(data).hexdigest()
        assert (stored[name].size, stored[name].uploaded_by) == (len(data), world.liaison_a)
        with stored[name].file.open("rb") as handle:
            assert handle.read() == data


def test_a_bad_file_refuses_the_whole_report(world, task, settings):
    before = written()

    with pytest.raises(InvalidInput) as refused:
        ledger.task_report_progress(
            actor=world.liaison_a,
            task=task,
            quantity_done=5,
            text="已清理5条",
            files=[("清理后.jpg", jpeg_bytes()), ("清理前.jpg", jpeg_bytes()[:60])],
        )

    assert refused.value.message == "文件「清理前.jpg」不是有效的图片或已损坏"
    assert written() == before
    assert (ProgressReport.objects.count(), Attachment.objects.count()) == (0, 0)
    assert files_on_disk(settings) == []  # not even the good photo sent before the bad one


@pytest.mark.parametrize(
    ("quantity", "text", "message"),
    [
        ("-1", "进展", "累计完成数量不能为负数"),
        ("十", "进展", "累计完成数量须为数字"),
        ("12.005", "进展", "累计完成数量最多保留两位小数"),
        ("3", "  ", "请填写进展情况"),
    ],
)
def test_a_report_needs_text_and_a_non_negative_quantity(world, task, quantity, text, message):
    before = written()

    with pytest.raises(InvalidInput) as refused:
        ledger.task_report_progress(actor=world.liaison_a, task=task, quantity_done=quantity, text=text)

    assert refused.value.message == message
    assert written() == before


# ---- five_in_place_update --------------------------------------------------------------------


def test_five_in_place_keeps_one_row_per_unit_and_item_updated_in_place(world):
    ledger.five_in_place_update(
        actor=world.liaison_a,
        campaign=world.campaign,
        unit=world.unit_a,
        item="funding",
        status="partial",
        note="已申请专项经费",
    )
    ledger.five_in_place_update(
        actor=world.head_a,
        campaign=world.campaign,
        unit=world.unit_a,
        item="funding",
        status="in_place",
        note=" 经费已拨付 ",
        files=[("拨款文件.pdf", PDF)],
    )

    [record] = FiveInPlace.objects.all()
    assert (record.campaign, record.unit, record.item, record.status, record.note) == (
        world.campaign,
        world.unit_a,
        "funding",
        "in_place",
        "经费已拨付",
    )
    assert (record.updated_by, record.updated_at) == (world.head_a, TODAY)
    assert [a.original_name for a in record.attachments.all()] == ["拨款文件.pdf"]
    events = events_of(LedgerEvent.Action.FIVE_IN_PLACE_UPDATED)
    assert [(e.unit, e.actor, e.before, e.after) for e in events] == [
        (world.unit_a, world.liaison_a, {"status": "missing", "note": ""}, {"item": "funding", "status": "partial"}),
        (
            world.unit_a,
            world.head_a,
            {"status": "partial", "note": "已申请专项经费"},
            {"item": "funding", "status": "in_place"},
        ),
    ]


def test_each_unit_and_item_has_its_own_row(world):
    for unit, item in ((world.unit_a, "funding"), (world.unit_a, "personnel"), (world.unit_b, "funding")):
        ledger.five_in_place_update(actor=world.office, campaign=world.campaign, unit=unit, item=item, status="partial")

    rows = set(FiveInPlace.objects.values_list("unit__code", "item"))

    assert rows == {("SD01", "funding"), ("SD01", "personnel"), ("DP01", "funding")}


def test_another_units_liaison_may_not_update_five_in_place(world):
    before = written()

    with pytest.raises(NotAllowed) as refused:
        ledger.five_in_place_update(
            actor=world.liaison_b, campaign=world.campaign, unit=world.unit_a, item="funding", status="in_place"
        )

    assert refused.value.message == "只有本单位的一把手、分管领导、联络员或爱卫办可以更新五到位"
    assert written() == before


@pytest.mark.parametrize(("item", "status"), [("budget", "in_place"), ("funding", "done"), ("", "")])
def test_an_unknown_item_or_status_is_refused(world, item, status):
    before = written()

    with pytest.raises(InvalidInput) as refused:
        ledger.five_in_place_update(
            actor=world.liaison_a, campaign=world.campaign, unit=world.unit_a, item=item, status=status
        )

    assert refused.value.message == "五到位事项或状态无效"
    assert written() == before


def test_five_in_place_with_a_bad_file_writes_nothing(world, settings):
    before = written()

    with pytest.raises(InvalidInput) as refused:
        ledger.five_in_place_update(
            actor=world.liaison_a,
            campaign=world.campaign,
            unit=world.unit_a,
            item="funding",
            status="in_place",
            files=[("拨款文件.pdf", PDF), ("经费明细.xlsx", b"not a spreadsheet")],
        )

    assert refused.value.message == "文件「经费明细.xlsx」的扩展名与内容不符"
    assert written() == before
    assert files_on_disk(settings) == []
