from django.contrib import admin

from campaigns.models import Campaign, FiveInPlace, LedgerEvent, Milestone, Task
from core.admin import SYSTEM, ReadOnlyAdmin, RoleAdmin


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0
    # Dates move only through campaigns.services.milestone_move (earlier, never later).
    readonly_fields = ["due_on"]


@admin.register(Campaign)
class CampaignAdmin(RoleAdmin):
    change_roles = frozenset({SYSTEM})
    list_display = ["name", "year", "standard", "starts_on", "ends_on"]
    inlines = [MilestoneInline]


@admin.register(Task)
class TaskAdmin(ReadOnlyAdmin):
    """Tasks change only through campaigns.services, which enforces the one-owner and
    only-earlier rules; the staff screens offer those changes."""

    list_display = ["title", "lead_unit", "responsible", "deadline", "milestone"]
    list_filter = ["campaign", "milestone", "lead_unit"]
    search_fields = ["title"]


@admin.register(FiveInPlace)
class FiveInPlaceAdmin(ReadOnlyAdmin):
    list_display = ["unit", "item", "status", "updated_at"]
    list_filter = ["campaign", "item", "status"]


@admin.register(LedgerEvent)
class LedgerEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "action", "actor", "task", "milestone", "unit"]
    list_filter = ["action"]
