"""Writes to the campaign: milestones, the ledger, progress and five-in-place.

The seed's rules live here: a task has one lead unit and one responsible person of that unit, a
quantified target, a deadline no later than its milestone; deadlines and milestones move earlier,
never later ("只能提前，不能拖后"). Each change writes a LedgerEvent in the same transaction."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext, gettext_lazy, ngettext

import access
from campaigns.models import Campaign, FiveInPlace, LedgerEvent, Milestone, ProgressReport, Task
from core import clock
from core.errors import InvalidInput, NotAllowed
from core.files import atomic_with_files
from core.once import once_per_key
from core.services import EVIDENCE, attachments_store
from organisation.models import Membership, Unit
from standard.models import Criterion

ONLY_EARLIER = gettext_lazy("只能提前，不能拖后")
MAX_QUANTITY = Decimal("9999999999.99")  # the largest value of Task.target_quantity and quantity_done


def _require_manager(actor) -> None:
    if not access.can_manage_campaign(actor):
        raise NotAllowed(gettext("只有爱卫办可以安排台账任务和时间节点"))


def _log(
    *, campaign, action, actor, task=None, milestone=None, unit=None, note="", before=None, after=None, submit_key=None
):
    return LedgerEvent.objects.create(
        campaign=campaign,
        action=action,
        task=task,
        milestone=milestone,
        unit=unit,
        actor=actor,
        at=clock.now(),
        note=note,
        before=before or {},
        after=after or {},
        submit_key=submit_key,
    )


def _quantity(value, label: str) -> Decimal:
    try:
        quantity = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidInput(gettext("%(field)s须为数字") % {"field": label}) from None
    if not quantity.is_finite():
        raise InvalidInput(gettext("%(field)s须为数字") % {"field": label})
    # The columns are DECIMAL(12, 2): PostgreSQL would round 0.001 to 0.00 (and then break the
    # check constraint) or refuse 10^10 outright, SQLite would keep either; refuse both here.
    if abs(quantity) > MAX_QUANTITY:
        raise InvalidInput(gettext("%(field)s不能超过 %(max)s") % {"field": label, "max": MAX_QUANTITY})
    if quantity != quantity.quantize(Decimal("0.01")):
        raise InvalidInput(gettext("%(field)s最多保留两位小数") % {"field": label})
    return quantity


def _check_owner(unit: Unit, person) -> None:
    """One unit, one person, and the person must belong to the unit."""
    if unit is None or person is None:
        raise InvalidInput(gettext("每项任务须有一个责任单位和一名责任人"))
    if not unit.is_active:
        raise InvalidInput(gettext("「%(unit)s」已停用，不能承担任务") % {"unit": unit})
    if not Membership.objects.filter(user=person, unit=unit).exists():
        raise InvalidInput(gettext("责任人 %(person)s 不属于责任单位「%(unit)s」") % {"person": person, "unit": unit})


def _check_deadline_not_past(deadline: dt.date) -> None:
    """A deadline already past makes a task late the moment it exists: refused, as when a
    problem is assigned (problems.services)."""
    if isinstance(deadline, dt.date) and deadline < clock.today():
        raise InvalidInput(gettext("完成期限 %(date)s 已过，不能早于今天") % {"date": clock.cn_date(deadline)})


def _check_deadline_within_milestone(deadline: dt.date, milestone: Milestone) -> None:
    if not isinstance(deadline, dt.date):
        raise InvalidInput(gettext("请填写完成期限"))
    if deadline > milestone.due_on:
        raise InvalidInput(
            gettext("完成期限 %(deadline)s 晚于时间节点「%(milestone)s」的截止日期 %(due_on)s：%(rule)s")
            % {
                "deadline": clock.cn_date(deadline),
                "milestone": milestone.name,
                "due_on": clock.cn_date(milestone.due_on),
                "rule": ONLY_EARLIER,
            }
        )


@once_per_key(Task, by="created_by")
def task_create(
    *,
    actor,
    campaign: Campaign,
    criterion: Criterion,
    milestone: Milestone,
    title: str,
    lead_unit: Unit,
    responsible,
    target_quantity,
    target_measure: str,
    deadline: dt.date,
    description: str = "",
    code: str | None = None,
    submit_key=None,
) -> Task:
    """Add a quantified task to the ledger with one owner. `code` is the office's own number for
    it (the key of the Excel import), unique within the campaign; `submit_key` the form's one-time
    key (core.once: the same form sent twice answers with the first task)."""
    _require_manager(actor)
    title = (title or "").strip()
    code = (code or "").strip() or None
    target_measure = (target_measure or "").strip()
    if not title:
        raise InvalidInput(gettext("请填写任务内容"))
    if milestone.campaign_id != campaign.pk:
        raise InvalidInput(gettext("时间节点不属于本次创卫工作"))
    if criterion.standard_id != campaign.standard_id or criterion.level == Criterion.Level.CATEGORY:
        raise InvalidInput(gettext("任务须对应本次创卫工作标准中的一项指标或检查要点"))
    quantity = _quantity(target_quantity, gettext("目标数量"))
    if quantity <= 0:
        raise InvalidInput(gettext("任务须量化：目标数量须大于零"))
    if not target_measure:
        raise InvalidInput(gettext("请填写计量单位（如：条、个、次）"))
    _check_owner(lead_unit, responsible)
    _check_deadline_within_milestone(deadline, milestone)
    _check_deadline_not_past(deadline)
    if code and Task.objects.filter(campaign=campaign, code=code).exists():
        raise InvalidInput(gettext("任务编码「%(code)s」已被使用") % {"code": code})
    with transaction.atomic():
        task = Task.objects.create(
            campaign=campaign,
            code=code,
            criterion=criterion,
            milestone=milestone,
            title=title,
            description=description,
            lead_unit=lead_unit,
            responsible=responsible,
            target_quantity=quantity,
            target_measure=target_measure,
            deadline=deadline,
            created_by=actor,
            created_at=clock.now(),
            submit_key=submit_key,
        )
        _log(
            campaign=campaign,
            action=LedgerEvent.Action.TASK_CREATED,
            actor=actor,
            task=task,
            unit=lead_unit,
            after=_task_snapshot(task),
        )
    return task


def _task_snapshot(task: Task) -> dict:
    snapshot = {
        "title": task.title,
        "lead_unit": task.lead_unit_id,
        "responsible": task.responsible_id,
        "target_quantity": str(task.target_quantity),
        "target_measure": task.target_measure,
        "deadline": task.deadline.isoformat(),
        "milestone": task.milestone_id,
    }
    if task.code:
        snapshot["code"] = task.code
    return snapshot


EDITABLE = ("title", "description", "target_quantity", "target_measure", "criterion", "milestone")


def task_edit(
    *,
    actor,
    task: Task,
    title: str,
    description: str,
    target_quantity,
    target_measure: str,
    criterion: Criterion,
    milestone: Milestone,
    reason: str = "",
) -> Task:
    """Change what a task asks for (text, target, criterion, milestone) under the same rules as
    task_create. Its deadline and owner change only through task_move_deadline and
    task_change_owner, which keep their own rules."""
    _require_manager(actor)
    title = (title or "").strip()
    target_measure = (target_measure or "").strip()
    if not title:
        raise InvalidInput(gettext("请填写任务内容"))
    quantity = _quantity(target_quantity, gettext("目标数量"))
    if quantity <= 0:
        raise InvalidInput(gettext("任务须量化：目标数量须大于零"))
    if not target_measure:
        raise InvalidInput(gettext("请填写计量单位（如：条、个、次）"))
    with transaction.atomic():
        task = Task.objects.select_for_update().select_related("campaign").get(pk=task.pk)
        if milestone.campaign_id != task.campaign_id:
            raise InvalidInput(gettext("时间节点不属于本次创卫工作"))
        if criterion.standard_id != task.campaign.standard_id or criterion.level == Criterion.Level.CATEGORY:
            raise InvalidInput(gettext("任务须对应本次创卫工作标准中的一项指标或检查要点"))
        _check_deadline_within_milestone(task.deadline, milestone)
        new = {
            "title": title,
            "description": (description or "").strip(),
            "target_quantity": quantity,
            "target_measure": target_measure,
            "criterion": criterion,
            "milestone": milestone,
        }
        changed = [field for field in EDITABLE if getattr(task, field) != new[field]]
        if not changed:
            return task
        before = _task_snapshot(task)
        for field in changed:
            setattr(task, field, new[field])
        task.save(update_fields=changed)
        _log(
            campaign=task.campaign,
            action=LedgerEvent.Action.TASK_EDITED,
            actor=actor,
            task=task,
            unit=task.lead_unit,
            note=reason,
            before=before,
            after=_task_snapshot(task),
        )
    return task


def _task_change(*, actor, task: Task, action: str, note: str, check=None, **fields) -> Task:
    """Change some of a task's fields, with the ledger event that shows them before and after.

    The task is locked and read again; `check(current)` may refuse; a change to what the task
    already holds writes nothing."""
    with transaction.atomic():
        current = Task.objects.select_for_update().select_related("milestone").get(pk=task.pk)
        if check is not None:
            check(current)
        if all(getattr(current, name) == value for name, value in fields.items()):
            return current
        before = _task_snapshot(current)
        for name, value in fields.items():
            setattr(current, name, value)
        current.save(update_fields=list(fields))
        _log(
            campaign=current.campaign,
            action=action,
            actor=actor,
            task=current,
            unit=current.lead_unit,
            note=note,
            before=before,
            after=_task_snapshot(current),
        )
    return current


def task_move_deadline(*, actor, task: Task, deadline: dt.date, reason: str = "") -> Task:
    """Bring a task's deadline forward. A later date is refused: 只能提前，不能拖后."""
    _require_manager(actor)
    if not isinstance(deadline, dt.date):
        raise InvalidInput(gettext("请填写新的完成期限"))

    _check_deadline_not_past(deadline)

    def only_earlier(current: Task) -> None:
        if deadline > current.deadline:
            raise InvalidInput(
                gettext("新期限 %(new)s 晚于原期限 %(old)s：%(rule)s")
                % {"new": clock.cn_date(deadline), "old": clock.cn_date(current.deadline), "rule": ONLY_EARLIER}
            )

    return _task_change(
        actor=actor,
        task=task,
        action=LedgerEvent.Action.DEADLINE_MOVED,
        note=reason,
        check=only_earlier,
        deadline=deadline,
    )


def task_change_owner(*, actor, task: Task, lead_unit: Unit, responsible, reason: str) -> Task:
    """Hand a task to another unit or person: still exactly one of each, with the reason."""
    _require_manager(actor)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(gettext("更换责任单位或责任人须填写理由"))
    _check_owner(lead_unit, responsible)
    return _task_change(
        actor=actor,
        task=task,
        action=LedgerEvent.Action.OWNER_CHANGED,
        note=reason,
        lead_unit=lead_unit,
        responsible=responsible,
    )


def task_update(*, actor, task: Task, lead_unit: Unit, responsible, reason: str = "", **fields) -> Task:
    """The task's edit screen: what it asks (task_edit) and who owns it (task_change_owner), in
    one transaction, each change with its own ledger event; an owner change needs the reason.

    Steps: 1. task_edit with the text, target, criterion and milestone; 2. if the unit or the
    person differs, task_change_owner with the reason. Either refusal undoes both."""
    with transaction.atomic():
        task = task_edit(actor=actor, task=task, reason=reason, **fields)
        if (task.lead_unit_id, task.responsible_id) != (lead_unit.pk, getattr(responsible, "pk", None)):
            task = task_change_owner(
                actor=actor, task=task, lead_unit=lead_unit, responsible=responsible, reason=reason
            )
    return task


@once_per_key(ProgressReport, by="reported_by")
def task_report_progress(*, actor, task: Task, quantity_done, text: str, files=(), submit_key=None) -> ProgressReport:
    """A unit reports how far a task has come: the cumulative quantity, what was done, evidence
    (once per form: core.once)."""
    if not access.can_report_progress(actor, task):
        raise NotAllowed(gettext("只有责任单位的一把手、分管领导、联络员或爱卫办可以报告进展"))
    text = (text or "").strip()
    if not text:
        raise InvalidInput(gettext("请填写进展情况"))
    quantity = _quantity(quantity_done, gettext("累计完成数量"))
    if quantity < 0:
        raise InvalidInput(gettext("累计完成数量不能为负数"))
    with atomic_with_files():
        report = ProgressReport.objects.create(
            task=task,
            quantity_done=quantity,
            text=text,
            reported_by=actor,
            reported_at=clock.now(),
            submit_key=submit_key,
        )
        if files:
            report.attachments.set(attachments_store(actor=actor, files=files, kind=EVIDENCE))
        _log(
            campaign=task.campaign,
            action=LedgerEvent.Action.PROGRESS_REPORTED,
            actor=actor,
            task=task,
            unit=task.lead_unit,
            note=text,
            after={"quantity_done": str(quantity), "report": report.pk},
        )
    return report


def milestone_move(*, actor, milestone: Milestone, due_on: dt.date, reason: str = "") -> Milestone:
    """Bring a milestone forward. Refused when later, or when tasks would then fall due after it
    (their deadlines must be brought forward first, so no task silently breaks the rule)."""
    _require_manager(actor)
    if not isinstance(due_on, dt.date):
        raise InvalidInput(gettext("请填写新的截止日期"))
    with transaction.atomic():
        milestone = Milestone.objects.select_for_update().get(pk=milestone.pk)
        if due_on > milestone.due_on:
            raise InvalidInput(
                gettext("时间节点「%(milestone)s」的新日期 %(new)s 晚于原日期 %(old)s：%(rule)s")
                % {
                    "milestone": milestone.name,
                    "new": clock.cn_date(due_on),
                    "old": clock.cn_date(milestone.due_on),
                    "rule": ONLY_EARLIER,
                }
            )
        if due_on == milestone.due_on:
            return milestone
        late = Task.objects.filter(milestone=milestone, deadline__gt=due_on).count()
        if late:
            raise InvalidInput(
                ngettext(
                    "有 %(count)s 项任务的期限晚于 %(date)s，请先将其期限提前",
                    "有 %(count)s 项任务的期限晚于 %(date)s，请先将其期限提前",
                    late,
                )
                % {"count": late, "date": clock.cn_date(due_on)}
            )
        before = {"due_on": milestone.due_on.isoformat()}
        milestone.due_on = due_on
        milestone.save(update_fields=["due_on"])
        _log(
            campaign=milestone.campaign,
            action=LedgerEvent.Action.MILESTONE_MOVED,
            actor=actor,
            milestone=milestone,
            note=reason,
            before=before,
            after={"due_on": due_on.isoformat()},
        )
    return milestone


def _five_in_place_of(event: LedgerEvent) -> FiveInPlace:
    return FiveInPlace.objects.get(campaign_id=event.campaign_id, unit_id=event.unit_id, item=event.after["item"])


# The record is updated, not created: the form's key is kept on the update's ledger event.
@once_per_key(LedgerEvent, by="actor", result=_five_in_place_of)
def five_in_place_update(
    *, actor, campaign: Campaign, unit: Unit, item: str, status: str, note: str = "", files=(), submit_key=None
) -> FiveInPlace:
    """Record where one of a unit's "five in place" stands, with evidence (once per form:
    core.once)."""
    # Rights before arguments: an outsider learns nothing from which of its inputs are valid.
    if not access.can_update_five_in_place(actor, unit.pk):
        raise NotAllowed(gettext("只有本单位的一把手、分管领导、联络员或爱卫办可以更新五到位"))
    if item not in FiveInPlace.Item.values or status not in FiveInPlace.Status.values:
        raise InvalidInput(gettext("五到位事项或状态无效"))
    with atomic_with_files():
        record, _ = FiveInPlace.objects.select_for_update().get_or_create(campaign=campaign, unit=unit, item=item)
        before = {"status": record.status, "note": record.note}
        record.status, record.note = status, (note or "").strip()
        record.updated_by, record.updated_at = actor, clock.now()
        record.save()
        if files:
            record.attachments.add(*attachments_store(actor=actor, files=files, kind=EVIDENCE))
        _log(
            campaign=campaign,
            action=LedgerEvent.Action.FIVE_IN_PLACE_UPDATED,
            actor=actor,
            unit=unit,
            note=record.note,
            before=before,
            after={"item": item, "status": status},
            submit_key=submit_key,
        )
    return record


def campaign_enter_routine(*, actor, campaign: Campaign, note: str = "") -> Campaign:
    """Switch a campaign from 创建/复审 to 长效 (long-term management), by the PHC office, once its
    last milestone has passed. Written to the ledger's trail (LedgerEvent, before and after).
    Refused, writing nothing: by anyone else, before the day after the last milestone, with no
    milestone at all, or when the campaign is already in 长效."""
    _require_manager(actor)
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.phase == Campaign.Phase.ROUTINE:
            raise InvalidInput(gettext("「%(name)s」已处于长效管理阶段") % {"name": campaign.name})
        last = campaign.milestones.order_by("-due_on", "-position").first()
        if last is None:
            raise InvalidInput(gettext("「%(name)s」尚无时间节点，不能转入长效管理") % {"name": campaign.name})
        if clock.today() <= last.due_on:
            raise InvalidInput(
                gettext("最后一个时间节点「%(milestone)s」（%(date)s）过后才能转入长效管理")
                % {"milestone": last.name, "date": clock.cn_date(last.due_on)}
            )
        before = {"phase": campaign.phase}
        campaign.phase = Campaign.Phase.ROUTINE
        campaign.save(update_fields=["phase"])
        _log(
            campaign=campaign,
            action=LedgerEvent.Action.PHASE_CHANGED,
            actor=actor,
            milestone=last,
            note=note,
            before=before,
            after={"phase": campaign.phase},
        )
    return campaign
