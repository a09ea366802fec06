from django.contrib import admin

from core.admin import ReadOnlyAdmin
from inspections.models import CovertReadLog, Inspection, InspectionPlan, PlanEvent, SampleDraw


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
