from django.contrib import admin

from core.admin import SYSTEM, RoleAdmin
from standard.models import Criterion, SiteType, Standard


@admin.register(Standard)
class StandardAdmin(RoleAdmin):
    change_roles = frozenset({SYSTEM})
    list_display = ["code", "name"]


@admin.register(Criterion)
class CriterionAdmin(RoleAdmin):
    change_roles = frozenset({SYSTEM})
    list_display = ["code", "name", "level", "weight", "on_site", "fix_days"]
    list_filter = ["standard", "level", "on_site"]
    search_fields = ["code", "name"]
    ordering = ["standard", "position"]


@admin.register(SiteType)
class SiteTypeAdmin(RoleAdmin):
    change_roles = frozenset({SYSTEM})
    list_display = ["code", "name"]
    filter_horizontal = ["checkpoints"]
