"""Ledger tasks by task code, within the current campaign. Unlike the other kinds, tasks are written
through campaigns.services, so the ledger's rules (one owner, deadlines only earlier) hold and each
change leaves its ledger event."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns import services as campaign_services
from campaigns.models import Milestone, Task
from core import clock
from core.errors import DomainError
from exchange.imports.columns import CHOICE, CODE, DATE, NUMBER, TEXT, Column, Option
from exchange.imports.importer import Importer, Row, unit_options
from exchange.imports.report import Report
from organisation.models import Membership, Unit, User
from standard.models import Criterion

IMPORT_REASON = "Excel 导入"


class TaskImporter(Importer):
    kind = "tasks"
    label = gettext_lazy("台账任务")
    sheet = "台账任务"
    key = "code"
    example_key = "示例T-001"
    needs_campaign = True
    rules_in_services = True
    # What the ledger's export (exchange.exports.ledger_columns) shows besides the import's columns.
    shown_only = frozenset({"标准条目", "责任单位", "责任人", "累计完成", "完成率", "进度"})
    UNIT_KINDS = (Unit.Kind.SUBDISTRICT, Unit.Kind.DEPARTMENT, Unit.Kind.PHC_OFFICE)
    columns = (
        Column("code", "任务编码", CODE, True, 32, help="任务的唯一编码，如 T-001。已有的任务按编码更新。"),
        Column("title", "任务内容", TEXT, True, 200, help="量化的任务，如“清理背街小巷卫生死角”。"),
        Column(
            "criterion",
            "标准条目编号",
            CHOICE,
            True,
            choices="标准条目",
            help="本次创卫工作标准中的指标或检查要点编号。",
        ),
        Column("milestone", "时间节点", CHOICE, True, choices="时间节点"),
        Column("lead_unit", "责任单位编码", CHOICE, True, choices="单位编码", help="一项任务只交给一个单位。"),
        Column("responsible", "责任人用户名", CHOICE, True, choices="人员", help="责任单位中的一名人员。"),
        Column("target_quantity", "目标数量", NUMBER, True, help="大于零，最多两位小数。"),
        Column("target_measure", "计量单位", TEXT, True, 20, help="如：条、个、次、%。"),
        Column("deadline", "完成期限", DATE, True, help="不能晚于时间节点；已有任务的期限只能提前，不能拖后。"),
        Column("description", "说明", TEXT, False, 2000),
    )

    def load_options(self):
        criteria = Criterion.objects.filter(standard_id=self.campaign.standard_id).exclude(
            level=Criterion.Level.CATEGORY
        )
        people = (
            Membership.objects.filter(unit__is_active=True, unit__kind__in=self.UNIT_KINDS, user__is_active=True)
            .order_by("unit__code", "user__username")
            .values_list("user_id", "user__username", "user__full_name", "unit__short_name", "unit__name")
        )
        seen = set()
        person_options = []
        for pk, username, full_name, short_name, unit_name in people:
            if username not in seen:
                seen.add(username)
                person_options.append(Option(username, pk, f"{full_name} · {short_name or unit_name}"))
        return {
            "标准条目": [
                Option(code, pk, name)
                for pk, code, name in criteria.order_by("position").values_list("pk", "code", "name")
            ],
            "时间节点": [
                Option(name, pk, clock.cn_date(due_on))
                for pk, name, due_on in self.campaign.milestones.order_by("due_on", "position").values_list(
                    "pk", "name", "due_on"
                )
            ],
            "单位编码": unit_options(self.UNIT_KINDS),
            "人员": person_options,
        }

    def example(self):
        first = {name: (values[0].text if values else None) for name, values in self.options().items()}
        milestones = self.campaign.milestones.order_by("due_on")
        last = milestones.last()
        return {
            "code": self.example_key,
            "title": "清理背街小巷卫生死角",
            "criterion": first["标准条目"],
            "milestone": last.name if last else None,
            "lead_unit": first["单位编码"],
            "responsible": first["人员"],
            "target_quantity": 37,
            "target_measure": "条",
            "deadline": last.due_on if last else clock.today(),
            "description": "",
        }

    def notes(self, max_rows):
        return [
            *super().notes(max_rows),
            _("7. 任务导入到当前的创卫工作「%(campaign)s」。") % {"campaign": self.campaign.name},
            _("8. 每项任务只有一个责任单位和一名责任人，责任人须是该单位的人员。"),
            _("9. 完成期限不能晚于时间节点；重新导入已有任务时，期限只能提前，不能拖后。"),
        ]

    def write(self, rows, report):
        def objects(model, name):
            return model.objects.in_bulk({r.values[name] for r in rows})

        criteria, milestones = objects(Criterion, "criterion"), objects(Milestone, "milestone")
        units, people = objects(Unit, "lead_unit"), objects(User, "responsible")
        existing = {t.code: t for t in Task.objects.filter(campaign=self.campaign, code__isnull=False)}
        created = updated = 0
        for row in rows:
            v = row.values
            wanted = {
                "criterion": criteria[v["criterion"]],
                "milestone": milestones[v["milestone"]],
                "lead_unit": units[v["lead_unit"]],
                "responsible": people[v["responsible"]],
            }
            task = existing.get(v["code"])
            if task is None:
                try:
                    campaign_services.task_create(
                        actor=self.actor,
                        campaign=self.campaign,
                        code=v["code"],
                        title=v["title"],
                        description=v["description"] or "",
                        target_quantity=v["target_quantity"],
                        target_measure=v["target_measure"],
                        deadline=v["deadline"],
                        **wanted,
                    )
                except DomainError as error:
                    report.add(row.number, "", error.message)
                else:
                    created += 1
                continue
            if self._bring_in_line(task, row, wanted, report):
                updated += 1
        return created, updated, len(rows) - created - updated

    def _bring_in_line(self, task: Task, row: Row, wanted: dict, report: Report) -> bool:
        """Bring an existing task in line with its row through the ledger's services: the deadline
        first (only earlier), then what it asks for, then its owner. True when anything changed."""
        v = row.values
        changed = False
        steps = []
        if v["deadline"] != task.deadline:
            steps.append(
                (
                    "deadline",
                    lambda: campaign_services.task_move_deadline(
                        actor=self.actor, task=task, deadline=v["deadline"], reason=IMPORT_REASON
                    ),
                )
            )
        edit = {
            "title": v["title"],
            "description": v["description"] or "",
            "target_quantity": v["target_quantity"],
            "target_measure": v["target_measure"],
            "criterion": wanted["criterion"],
            "milestone": wanted["milestone"],
        }
        if any(getattr(task, name) != value for name, value in edit.items()):
            steps.append(
                ("", lambda: campaign_services.task_edit(actor=self.actor, task=task, reason=IMPORT_REASON, **edit))
            )
        if task.lead_unit_id != wanted["lead_unit"].pk or task.responsible_id != wanted["responsible"].pk:
            steps.append(
                (
                    "responsible",
                    lambda: campaign_services.task_change_owner(
                        actor=self.actor,
                        task=task,
                        lead_unit=wanted["lead_unit"],
                        responsible=wanted["responsible"],
                        reason=IMPORT_REASON,
                    ),
                )
            )
        for column, step in steps:
            try:
                step()
            except DomainError as error:
                report.add(row.number, self.header(column) if column else "", error.message)
                return False
            changed = True
        return changed
