from django.contrib import admin

from sites.models import Site


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "site_type", "area", "owner_unit", "is_active"]
    list_filter = ["site_type", "is_active"]
    search_fields = ["code", "name", "address"]
    list_select_related = ["site_type", "area", "owner_unit"]
    raw_id_fields = ["area", "owner_unit"]
