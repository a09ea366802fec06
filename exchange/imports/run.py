"""The run of an import: check the whole file, then write it all in one transaction, or nothing."""

from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

import access
from campaigns.models import Campaign
from core.errors import NotAllowed
from core.security import Kind, log_event, zh
from exchange.imports.importer import Importer, Row
from exchange.imports.people import PersonImporter
from exchange.imports.report import Report, RowError, TooManyErrors
from exchange.imports.rows import read_rows
from exchange.imports.sites import SiteImporter
from exchange.imports.tasks import TaskImporter
from exchange.imports.units import UnitImporter
from exchange.reader import Budget, FileRefused, open_sheet

MAX_ROWS = 100_000

KINDS: dict[str, type[Importer]] = {k.kind: k for k in (UnitImporter, PersonImporter, SiteImporter, TaskImporter)}


def importer_for(kind: str, *, actor, campaign: Campaign | None) -> Importer:
    return KINDS[kind](actor=actor, campaign=campaign)


@dataclass
class ImportResult:
    kind: str
    label: str
    errors: list[RowError] = field(default_factory=list)
    truncated: bool = False  # more errors than MAX_ERRORS; only the first are listed
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    sheet: str = ""  # the worksheet read (an annotated copy of the file marks its rows)
    sheet_rows: int = 0  # its data rows, as the reader counted them before openpyxl read any

    @property
    def ok(self) -> bool:
        return not self.errors


class _Rollback(Exception):
    """Undoes a write that reported errors: a kind with rules_in_services writes even when rows have
    errors, so that its refusals are reported too."""


def run_import(*, actor, kind: str, file, campaign: Campaign | None = None, request=None) -> ImportResult:
    """Check the whole file, then write it all in one transaction, or nothing; the attempt and
    its figures go to the security log either way."""
    if not access.can_import(actor):
        raise NotAllowed(_("只有爱卫办可以导入数据"))
    importer = importer_for(kind, actor=actor, campaign=campaign)
    result = ImportResult(kind=kind, label=importer.label)
    report = Report()
    rows: list[Row] = []
    budget = Budget(settings.IMPORT_TIME_BUDGET_SECONDS)
    try:
        if importer.needs_campaign and campaign is None:
            raise FileRefused(_("尚未建立创卫工作，不能导入任务"))
        with open_sheet(file, sheet_title=importer.sheet, max_rows=MAX_ROWS, budget=budget) as sheet:
            importer.prepare()
            result.sheet, result.sheet_rows = sheet.title, sheet.data_rows
            rows = read_rows(importer, sheet, report, others=KINDS.values())
        budget.check()  # the rows are checked: the write starts only within the budget
        result.rows = len(rows)
        if not report.errors or importer.rules_in_services:
            with transaction.atomic():
                writable = [row for row in rows if row.ok]
                result.created, result.updated, result.unchanged = importer.write(writable, report)
                if report.errors:
                    raise _Rollback
    except FileRefused as refused:
        report.errors.append(RowError(None, "", refused.message))
    except (TooManyErrors, _Rollback):
        pass
    except IntegrityError:
        # Someone changed the same data between our checks and the write; nothing was written.
        report.errors.append(RowError(None, "", _("导入时数据被他人同时修改，已全部撤销，请重新导入")))
    result.errors = sorted(report.errors, key=lambda error: error.row or 0)
    result.truncated = report.truncated
    if result.errors:
        result.created = result.updated = result.unchanged = 0
    figures = {"rows": result.rows, "created": result.created, "updated": result.updated, "errors": len(result.errors)}
    log_event(
        Kind.IMPORT,
        user=actor,
        request=request,
        target=kind,
        summary=f"导入{zh(result.label)}：{result.rows} 行"
        if result.ok
        else f"导入{zh(result.label)}被拒绝：{len(result.errors)} 处错误",
        details=figures,
    )
    return result
