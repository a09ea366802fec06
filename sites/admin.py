from django.contrib import admin

from core.admin import SYSTEM, RoleAdmin
from sites.models import Site


@admin.register(Site)
class SiteAdmin(RoleAdmin):
    change_roles = delete_roles = frozenset({SYSTEM})
    list_display = ["code", "name", "site_type", "area", "owner_unit", "is_active"]
    list_filter = ["site_type", "is_active"]
    search_fields = ["code", "name", "address"]
    list_select_related = ["site_type", "area", "owner_unit"]
    raw_id_fields = ["area", "owner_unit"]
