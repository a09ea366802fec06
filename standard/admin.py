from django.contrib import admin

from standard.models import Criterion, SiteType, Standard


@admin.register(Standard)
class StandardAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]


@admin.register(Criterion)
class CriterionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "weight", "on_site"]
    list_filter = ["standard", "level", "on_site"]
    search_fields = ["code", "name"]
    ordering = ["standard", "position"]


@admin.register(SiteType)
class SiteTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    filter_horizontal = ["checkpoints"]
