from django.contrib import admin

from core.admin import ReadOnlyAdmin
from problems.models import Problem, ProblemEvent


class ProblemEventInline(admin.TabularInline):
    model = ProblemEvent
    extra = 0
    can_delete = False
    fields = ["seq", "at", "action", "from_status", "to_status", "actor", "unit", "deadline", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Problem)
class ProblemAdmin(ReadOnlyAdmin):
    """Read-only: a problem moves only through problems.services."""

    list_display = ["number", "status", "site", "assigned_unit", "deadline", "closed_at"]
    list_filter = ["status", "severity", "source"]
    search_fields = ["description"]
    list_select_related = ["site", "assigned_unit"]
    inlines = [ProblemEventInline]
