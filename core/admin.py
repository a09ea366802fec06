"""The configuration screens at /admin/, divided between the three administrators (三员分立).

Each ModelAdmin says which administrator role may see its model and which may change it
(`RoleAdmin.view_roles`, `change_roles`); a model nobody names is for the installation superuser
alone. Every change made here is written to the security log with what the row held before and
after, so the audit administrator sees who changed which configuration, and how."""

import datetime as dt
import decimal
import uuid

from django.contrib import admin
from django.db import models
from django.forms.models import model_to_dict

from core.forms import with_edge
from core.models import Attachment
from core.security import Kind, log_event, target_of, zh

SYSTEM, SECURITY, AUDIT = "system", "security", "audit"


def _plain(value):
    """A value the security log's JSON can hold."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if hasattr(value, "name") and hasattr(value, "url"):  # a FieldFile
        return value.name or ""
    return value


def snapshot(obj, exclude=("password",)) -> dict:
    """A row's fields as plain values (passwords never leave the table, not even hashed)."""
    if obj is None or obj.pk is None:
        return {}
    fields = [f.name for f in obj._meta.concrete_fields if f.name not in exclude]
    return {name: _plain(value) for name, value in model_to_dict(obj, fields=fields).items()}


def changed(before: dict, after: dict) -> dict:
    return {k: {"before": before.get(k), "after": after.get(k)} for k in sorted(after) if before.get(k) != after.get(k)}


def _role(request) -> str:
    user = request.user
    return getattr(user, "admin_role", "") if user.is_active and user.is_staff else ""


class RoleAdmin(admin.ModelAdmin):
    """A model's screens for the administrators named here (the superuser keeps Django's own
    rights: installation only, see the deployment notes)."""

    view_roles: frozenset[str] = frozenset()
    change_roles: frozenset[str] = frozenset()  # add and change; delete only where delete_roles says
    delete_roles: frozenset[str] = frozenset()
    log_kind = Kind.CHANGE

    def _allowed(self, request, roles) -> bool:
        return request.user.is_active and (request.user.is_superuser or _role(request) in roles)

    def has_module_permission(self, request):
        return self._allowed(request, self.view_roles | self.change_roles)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request, self.view_roles | self.change_roles)

    def has_add_permission(self, request, *args):
        return self._allowed(request, self.change_roles)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request, self.change_roles)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request, self.delete_roles)

    # The admin's forms are made by Django; they go through the edge like every other form
    # (core/text.py: an area's name typed here is shown on the map and printed in bulletins).
    def get_form(self, request, obj=None, **kwargs):
        return with_edge(super().get_form(request, obj, **kwargs))

    def get_formsets_with_inlines(self, request, obj=None):
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            formset.form = with_edge(formset.form)
            yield formset, inline

    def get_changelist_form(self, request, **kwargs):
        return with_edge(super().get_changelist_form(request, **kwargs))

    def save_model(self, request, obj, form, change):
        before = snapshot(type(obj).objects.filter(pk=obj.pk).first()) if change else {}
        super().save_model(request, obj, form, change)
        after = snapshot(obj)
        log_event(
            self.log_kind,
            user=request.user,
            request=request,
            target=obj,
            summary=f"{'修改' if change else '新增'}{zh(obj._meta.verbose_name)}「{obj}」",
            details={"changes": changed(before, after)} if change else {"after": after},
        )

    def delete_model(self, request, obj):
        before, target = snapshot(obj), target_of(obj)
        label = f"删除{zh(obj._meta.verbose_name)}「{obj}」"
        super().delete_model(request, obj)
        log_event(
            self.log_kind, user=request.user, request=request, target=target, summary=label, details={"before": before}
        )


class ReadOnlyAdmin(RoleAdmin):
    """Audit trails and evidence are shown, never edited, from the admin; by default to the
    installation superuser only (the campaign's data is read in the app, through access)."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ["original_name", "content_type", "size", "uploaded_by", "uploaded_at"]
    search_fields = ["original_name", "sha256"]
