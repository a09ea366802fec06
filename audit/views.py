"""The audit administrator's screen: the security log with filters, and its Excel export."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

import access
from audit import selectors
from audit.forms import SecurityLogFilterForm
from core.forms import applicable_filters
from core.security import Kind, log_event, zh
from documents import xlsx

PAGE_SIZE = 50


def _filtered(request):
    if not access.can_read_security_log(request.user):
        raise PermissionDenied
    form = SecurityLogFilterForm(request.GET or None)
    filters = applicable_filters(form)
    return form, selectors.security_log(filters)


@login_required
def security_log(request):
    form, rows = _filtered(request)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/log.html", {"form": form, "page": page, "querystring": query.urlencode()})


COLUMNS = [
    xlsx.Col("时间", xlsx.DATETIME),
    xlsx.Col("类型"),
    xlsx.Col("用户名"),
    xlsx.Col("IP 地址"),
    xlsx.Col("地址"),
    xlsx.Col("对象"),
    xlsx.Col("摘要"),
]


@login_required
def security_log_xlsx(request):
    """The filtered log as a workbook; the export is itself a row of the log."""
    form, rows = _filtered(request)
    kinds = {value: zh(label) for value, label in Kind.choices}
    table = xlsx.Table(
        title="安全审计日志",
        filename=f"安全审计日志_{timezone.localdate():%Y%m%d}.xlsx",
        columns=COLUMNS,
        rows=(
            (timezone.localtime(at), kinds.get(kind, kind), username, ip or "", path, target, summary)
            for at, kind, username, ip, path, target, summary in rows.values_list(
                "at", "kind", "username", "ip", "path", "target", "summary"
            ).iterator(chunk_size=2000)
        ),
    )

    def written(count: int) -> None:
        log_event(
            Kind.EXPORT,
            user=request.user,
            request=request,
            target="安全审计日志",
            summary=f"导出安全审计日志 {count} 行",
            details={"rows": count, "filters": request.GET.dict()},
        )

    return xlsx.xlsx_response(table, on_written=written)
