from django.contrib import admin

from core.models import Attachment


class ReadOnlyAdmin(admin.ModelAdmin):
    """Audit trails and evidence are shown, never edited, from the admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ["original_name", "content_type", "size", "uploaded_by", "uploaded_at"]
    search_fields = ["original_name", "sha256"]
