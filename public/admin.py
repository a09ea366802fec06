from django.contrib import admin

from core.admin import ReadOnlyAdmin, RoleAdmin
from organisation.models import User
from public.models import CitizenReport, ReportCategory


@admin.register(ReportCategory)
class ReportCategoryAdmin(RoleAdmin):
    """The public's list of categories, each mapped to the criterion a problem is recorded under
    and the site type whose sites the triage suggests: the system administrator keeps it, with
    the standard and the site types."""

    change_roles = frozenset({User.AdminRole.SYSTEM})
    list_display = ["name", "criterion", "site_type", "position", "is_active"]


@admin.register(CitizenReport)
class CitizenReportAdmin(ReadOnlyAdmin):
    """Read-only: a report moves only through public.services (the office's triage screen)."""

    list_display = ["code", "status", "category", "submitted_at", "problem"]
    list_filter = ["status", "category"]
    search_fields = ["code"]
