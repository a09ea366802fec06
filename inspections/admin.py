from django.contrib import admin, messages

from core.admin import ReadOnlyAdmin
from inspections import services
from inspections.models import ApiToken, CovertReadLog, Inspection, InspectionPlan, PlanEvent, SampleDraw


@admin.register(InspectionPlan)
class InspectionPlanAdmin(ReadOnlyAdmin):
    """Read-only: plans move through inspections.services (the screens under /inspections/)."""

    list_display = ["name", "kind", "mode", "status", "starts_on", "ends_on", "published_at"]
    list_filter = ["kind", "mode", "status"]


@admin.register(Inspection)
class InspectionAdmin(ReadOnlyAdmin):
    list_display = ["site", "plan", "inspector", "submitted_at", "score", "client_id"]
    search_fields = ["client_id", "site__code", "site__name"]
    list_select_related = ["site", "plan", "inspector"]


@admin.register(SampleDraw)
class SampleDrawAdmin(ReadOnlyAdmin):
    list_display = ["plan", "seed", "algorithm", "drawn_by", "drawn_at"]


@admin.register(PlanEvent)
class PlanEventAdmin(ReadOnlyAdmin):
    list_display = ["plan", "action", "from_status", "to_status", "actor", "at"]


@admin.register(CovertReadLog)
class CovertReadLogAdmin(ReadOnlyAdmin):
    list_display = ["at", "user", "plan", "surface", "path"]
    list_filter = ["surface"]
    list_select_related = ["user", "plan"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Make a token here (the key is shown once, in the message after saving) or with
    `manage.py api_token <username>`. Untick 有效 to revoke one."""

    list_display = ["user", "name", "prefix", "created_at", "last_used_at", "is_active"]
    list_filter = ["is_active"]
    fields = ["user", "name", "is_active"]
    readonly_fields = []
    autocomplete_fields = []

    def get_readonly_fields(self, request, obj=None):
        return ["user", "name"] if obj else []

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the row tells who used which key when

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        token, key = services.token_create(user=obj.user, name=obj.name)
        obj.pk = token.pk
        obj.__dict__.update(token.__dict__)
        messages.warning(request, f"令牌已生成，请立即复制，之后不再显示：{key}")
