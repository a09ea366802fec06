"""What the Excel exports contain: rows, produced from the same scoped, filtered querysets as the
screens (problems.selectors.problem_list, campaigns.selectors.task_list), so an export holds
exactly what its list shows the person asking. documents.xlsx renders them.

Rows are read with values_list(...).iterator(): plain tuples fetched in chunks, never model
instances held in memory, so a 100,000-row export costs what one chunk costs."""

from collections.abc import Iterator

from django.db.models import BooleanField, Case, When
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Campaign, Task
from campaigns.selectors import task_list
from core import clock
from core.forms import described_filters
from documents.xlsx import DATE, DATETIME, NUMBER, PERCENT, Col, Table
from problems import kpi
from problems.models import Problem
from problems.selectors import problem_list
from problems.states import Status

CHUNK_SIZE = 2000


def problem_columns() -> list[Col]:
    return [
        Col(_("编号")),
        Col(_("状态")),
        Col(_("逾期")),
        Col(_("发现时间"), DATETIME),
        Col(_("点位编码")),
        Col(_("点位")),
        Col(_("点位类型")),
        Col(_("所在区域")),
        Col(_("标准条目"), wrap=True),
        Col(_("问题描述"), wrap=True),
        Col(_("严重程度")),
        Col(_("来源")),
        Col(_("责任单位")),
        Col(_("整改期限"), DATE),
        Col(_("销号日期"), DATE),
        Col(_("反弹")),
    ]


def problem_rows(user, filters: dict) -> Iterator[tuple]:
    """One tuple per problem the person may see, with the problem list's filters and order."""
    statuses = {status.value: str(status.label) for status in Status}
    severities = {value: str(label) for value, label in Problem.Severity.choices}
    sources = {value: str(label) for value, label in Problem.Source.choices}
    # Overdue and rebound as problems.kpi counts them, so a sheet's tally equals the overview's.
    counted = kpi.conditions(as_of=clock.today())
    overdue, rebound = _("逾期"), _("反弹")
    rows = (
        problem_list(user=user, filters=filters)
        .annotate(
            is_overdue=Case(When(counted["overdue"], then=True), default=False, output_field=BooleanField()),
            is_rebound=Case(When(counted["rebounds"], then=True), default=False, output_field=BooleanField()),
        )
        .values_list(
            "year",
            "sequence",
            "status",
            "recorded_at",
            "site__code",
            "site__name",
            "site__site_type__name",
            "site__area__name",
            "criterion__code",
            "criterion__name",
            "description",
            "severity",
            "source",
            "assigned_unit__short_name",
            "assigned_unit__name",
            "deadline",
            "closed_on",
            "is_overdue",
            "is_rebound",
        )
        .iterator(chunk_size=CHUNK_SIZE)
    )
    for (
        year,
        sequence,
        status,
        recorded_at,
        site_code,
        site,
        site_type,
        area,
        criterion_code,
        criterion,
        description,
        severity,
        source,
        unit_short,
        unit,
        deadline,
        closed_on,
        is_overdue,
        is_rebound,
    ) in rows:
        yield (
            f"{year}-{sequence:06d}",
            statuses.get(status, status),
            overdue if is_overdue else None,
            recorded_at,
            site_code,
            site,
            site_type,
            area,
            f"{criterion_code} {criterion}",
            description,
            severities.get(severity, severity),
            sources.get(source, source),
            unit_short or unit,
            deadline,
            closed_on,
            rebound if is_rebound else None,
        )


def export_about(form, *, user) -> list[tuple[str, str]]:
    """The 导出说明 lines of an export made from a list's filter form: each filter in words (a
    refused value named as not applied), when, by whom, and that only what they may see is in."""
    lines = described_filters(form) or [(_("筛选条件"), _("无（全部）"))]
    name = user.get_full_name() or user.username
    return [
        *lines,
        (_("导出时间"), timezone.localtime(clock.now()).strftime("%Y-%m-%d %H:%M")),
        (_("导出人"), f"{name}（{user.username}）"),
        (_("范围"), _("导出人有权查看的记录")),
    ]


def problem_table(*, user, filters: dict, about=()) -> Table:
    return Table(
        title=_("问题清单"),
        filename=_("问题清单-%(day)s.xlsx") % {"day": clock.today().strftime("%Y%m%d")},
        columns=problem_columns(),
        rows=problem_rows(user, filters),
        about=about,
    )


def ledger_columns() -> list[Col]:
    """The task import's columns (same headers), so an exported ledger can be edited in Excel and
    imported again; the columns it only shows (names, progress) are ones the import reads past
    (TaskImporter.shown_only)."""
    return [
        Col(_("任务编码")),
        Col(_("任务内容"), wrap=True),
        Col(_("标准条目编号")),
        Col(_("标准条目"), wrap=True),
        Col(_("时间节点")),
        Col(_("责任单位编码")),
        Col(_("责任单位")),
        Col(_("责任人用户名")),
        Col(_("责任人")),
        Col(_("目标数量"), NUMBER),
        Col(_("计量单位")),
        Col(_("累计完成"), NUMBER),
        Col(_("完成率"), PERCENT),
        Col(_("完成期限"), DATE),
        Col(_("进度")),
        Col(_("说明"), wrap=True),
    ]


def ledger_rows(user, campaign: Campaign, filters: dict) -> Iterator[tuple]:
    """One tuple per ledger task the person may see, with the ledger's filters and order; the
    progress is the latest report's cumulative quantity, as on the screen."""
    states = {state.value: str(state.label) for state in Task.State}
    rows = (
        task_list(user=user, campaign=campaign, filters=filters)
        .values_list(
            "code",
            "title",
            "criterion__code",
            "criterion__name",
            "milestone__name",
            "lead_unit__code",
            "lead_unit__short_name",
            "lead_unit__name",
            "responsible__username",
            "responsible__full_name",
            "target_quantity",
            "target_measure",
            "quantity_done",
            "deadline",
            "state",
            "description",
        )
        .iterator(chunk_size=CHUNK_SIZE)
    )
    for (
        code,
        title,
        criterion_code,
        criterion,
        milestone,
        unit_code,
        unit_short,
        unit,
        username,
        full_name,
        target,
        measure,
        done,
        deadline,
        state,
        description,
    ) in rows:
        yield (
            code,
            title,
            criterion_code,
            criterion,
            milestone,
            unit_code,
            unit_short or unit,
            username,
            full_name or username,
            target,
            measure,
            done,
            float(done / target) if target else None,
            deadline,
            states.get(state, state),
            description or None,
        )


def ledger_table(*, user, campaign: Campaign, filters: dict, about=()) -> Table:
    return Table(
        title=_("工作台账"),
        filename=_("工作台账-%(day)s.xlsx") % {"day": clock.today().strftime("%Y%m%d")},
        columns=ledger_columns(),
        rows=ledger_rows(user, campaign, filters),
        about=[
            *about,
            (
                _("再次导入"),
                _(
                    "改好后可在“Excel 导入”处按“台账任务”上传，按任务编码更新；"
                    "标准条目、责任单位、责任人的名称和累计完成、完成率、进度仅供查看，导入时不读取"
                ),
            ),
        ],
    )
