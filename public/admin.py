from django.contrib import admin

from core.admin import ReadOnlyAdmin
from public.models import CitizenReport, ReportCategory


@admin.register(ReportCategory)
class ReportCategoryAdmin(admin.ModelAdmin):
    """The public's list of categories, each mapped to the criterion a problem is recorded under
    and the site type whose sites the triage suggests: the system administrator keeps it."""

    list_display = ["name", "criterion", "site_type", "position", "is_active"]
    list_editable = ["position", "is_active"]
    autocomplete_fields = []


@admin.register(CitizenReport)
class CitizenReportAdmin(ReadOnlyAdmin):
    """Read-only: a report moves only through public.services (the triage screen)."""

    list_display = ["code", "status", "category", "submitted_at", "problem"]
    list_filter = ["status", "category"]
    search_fields = ["code"]
