"""Excel screens: the import page, template downloads, and the two exports. Thin: access
decides, exchange.imports and exchange.exports do the work, documents.xlsx renders."""

import base64
import io
import tempfile

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

import access
from campaigns.forms import TaskFilterForm
from campaigns.selectors import current_campaign, task_list
from core import downloads
from core.forms import applicable_filters
from core.security import export_logged
from documents import xlsx
from exchange import exports, imports
from exchange.forms import ImportForm
from problems.forms import ProblemFilterForm
from problems.selectors import problem_list


@login_required
def import_page(request):
    if not access.can_import(request.user):
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        result = imports.run_import(
            actor=request.user,
            kind=form.cleaned_data["kind"],
            file=form.cleaned_data["file"],
            campaign=current_campaign(),
            request=request,
        )
        if result.ok:
            messages.success(
                request,
                _(
                    "%(label)s导入完成：共 %(rows)s 行，新增 %(created)s 条，"
                    "更新 %(updated)s 条，无变化 %(unchanged)s 条"
                )
                % {
                    "label": result.label,
                    "rows": result.rows,
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                },
            )
            return redirect("exchange:imports")
        annotated = _annotated_copy(result, form.cleaned_data["file"])
    else:
        annotated = None
    campaign = current_campaign()
    kinds = [(kind, cls.label) for kind, cls in imports.KINDS.items() if campaign is not None or not cls.needs_campaign]
    return render(
        request,
        "exchange/imports.html",
        {
            "form": form,
            "result": result,
            "annotated": annotated,
            "kinds": kinds,
            "max_rows": f"{imports.MAX_ROWS:,}",
            "max_errors": imports.MAX_ERRORS,
        },
        status=400 if request.method == "POST" else 200,
    )


def _annotated_copy(result, upload) -> dict | None:
    """The refused file with a 问题 column, for its uploader to download from the page itself (a
    data: link): a refusal stores nothing, not even this copy. None when no error names a row or
    the file is too large to copy."""
    if not result.sheet:
        return None
    out = io.BytesIO()
    written = imports.annotated_workbook(
        upload, sheet_title=result.sheet, sheet_rows=result.sheet_rows, errors=result.errors, out=out
    )
    if not written:
        return None
    stem = (upload.name or "").rsplit(".", 1)[0][:80] or str(result.label)
    return {
        "name": _("%(name)s-问题.xlsx") % {"name": stem},
        "href": f"data:{xlsx.XLSX_TYPE};base64,{base64.b64encode(out.getvalue()).decode()}",
    }


@login_required
def template_download(request, kind):
    if not access.can_import(request.user):
        raise PermissionDenied
    if kind not in imports.KINDS:
        raise Http404
    campaign = current_campaign()
    importer = imports.importer_for(kind, actor=request.user, campaign=campaign)
    if importer.needs_campaign and campaign is None:
        raise Http404(_("尚未建立创卫工作"))
    spool = tempfile.TemporaryFile(suffix=".xlsx")
    xlsx.write_template(spool, importer=importer, lists=importer.template_lists(), max_rows=imports.MAX_ROWS)
    spool.seek(0)
    return FileResponse(
        spool,
        as_attachment=True,
        filename=_("%(label)s导入模板.xlsx") % {"label": importer.label},
        content_type=xlsx.XLSX_TYPE,
    )


@login_required
def problems_xlsx(request):
    """The problem list as it is filtered on the screen (the same GET parameters)."""
    if not access.can_export(request.user):
        raise Http404
    form = ProblemFilterForm(request.GET or None)
    filters = applicable_filters(form)
    count = problem_list(user=request.user, filters=filters).count()
    about = exports.export_about(form, user=request.user)
    table = exports.problem_table(user=request.user, filters=filters, about=about)
    return _export(request, table, count=count, what="问题清单", builder="exchange.downloads.problems_xlsx")


@login_required
def ledger_xlsx(request):
    """The ledger with progress, as it is filtered on the screen."""
    if not access.can_export(request.user):
        raise Http404
    campaign = current_campaign()
    if campaign is None:
        raise Http404(_("尚未建立创卫工作"))
    form = TaskFilterForm(request.GET or None, campaign=campaign)
    filters = applicable_filters(form)
    count = task_list(user=request.user, campaign=campaign, filters=filters).count()
    about = exports.export_about(form, user=request.user)
    table = exports.ledger_table(user=request.user, campaign=campaign, filters=filters, about=about)
    return _export(
        request,
        table,
        count=count,
        what="工作台账",
        builder="exchange.downloads.ledger_xlsx",
        parameters={"campaign": campaign.pk},
    )


def _export(request, table, *, count: int, what: str, builder: str, parameters: dict | None = None):
    """Small exports are written in the request; a larger one (over EXPORT_IMMEDIATE_MAX_ROWS rows)
    goes to the worker, and the person is sent to its progress page, where the link appears."""
    if count <= settings.EXPORT_IMMEDIATE_MAX_ROWS:
        return xlsx.xlsx_response(table, on_written=export_logged(request, what))
    job = downloads.generated_file_request(
        actor=request.user,
        title=str(table.title),
        filename=table.filename,
        builder=builder,
        parameters={"query": request.GET.urlencode(), **(parameters or {})},
    )
    export_logged(request, what)(count)
    return redirect("download", file_uuid=job.uuid)
