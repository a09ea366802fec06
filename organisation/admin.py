"""People, units and areas in /admin/, divided between the administrators (core.admin.RoleAdmin):
the system administrator keeps people's accounts, units and areas; the security administrator
grants and removes roles (memberships), changes a unit's kind (it decides what its people may
see) and nothing else of an account; administrator roles are given at installation."""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from core.admin import SECURITY, SYSTEM, RoleAdmin, changed, snapshot
from core.forms import ModelForm
from core.security import Kind, log_event, zh
from organisation.models import Area, Membership, Unit, User

ADMIN_ONLY_FIELDS = ["is_staff", "is_superuser", "admin_role"]


class MembershipForm(ModelForm):
    class Meta:
        model = Membership
        fields = ["user", "unit", "role"]

    def clean(self):
        cleaned = super().clean()
        user = cleaned.get("user") or getattr(self.instance, "user", None)
        if user is not None and user.admin_role:
            raise forms.ValidationError(_("管理员账号不能同时担任业务角色"))
        return cleaned


class MembershipInline(admin.TabularInline):
    """A person's roles, granted and removed by the security administrator."""

    model = Membership
    form = MembershipForm
    extra = 0
    autocomplete_fields = ["unit"]

    def _security(self, request) -> bool:
        return request.user.is_superuser or getattr(request.user, "admin_role", "") == SECURITY

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser or getattr(request.user, "admin_role", "") in (SYSTEM, SECURITY)

    def has_add_permission(self, request, obj=None):
        return self._security(request)

    def has_change_permission(self, request, obj=None):
        return self._security(request)

    def has_delete_permission(self, request, obj=None):
        return self._security(request)


def log_role_changes(request, formset) -> None:
    """Each membership granted, changed or removed through a form set, as a role change."""
    for membership in formset.new_objects:
        _log_role(request, membership, "授予", {"after": snapshot(membership)})
    for membership, _fields in formset.changed_objects:
        _log_role(request, membership, "变更", {"after": snapshot(membership)})
    for membership in formset.deleted_objects:
        _log_role(request, membership, "撤销", {"before": snapshot(membership)})


def _log_role(request, membership, verb, details) -> None:
    log_event(
        Kind.ROLE_CHANGE,
        user=request.user,
        request=request,
        target=f"organisation.user:{membership.user_id}",
        summary=f"{verb}「{membership.user}」在「{membership.unit}」的角色：{zh(membership.get_role_display())}",
        details=details,
    )


@admin.register(User)
class UserAdmin(RoleAdmin, BaseUserAdmin):
    view_roles = frozenset({SECURITY})
    change_roles = frozenset({SYSTEM, SECURITY})  # the security administrator: roles only, below
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("个人信息"), {"fields": ["full_name", "phone", "email"]}),
        (_("系统权限"), {"fields": ["is_active", "is_staff", "is_superuser", "admin_role"]}),
    ]
    add_fieldsets = [(None, {"fields": ["username", "full_name", "password1", "password2"]})]
    list_display = ["username", "full_name", "units", "roles", "phone", "is_active", "admin_role"]
    list_filter = ["is_active", "memberships__role", "memberships__unit__kind", "memberships__unit", "admin_role"]
    search_fields = ["username", "full_name", "phone", "memberships__unit__name"]
    inlines = [MembershipInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("memberships__unit")

    @admin.display(description=_("单位"))
    def units(self, obj) -> str:
        # Who is whose: the people list said nothing of it (issue 12).
        return "、".join(dict.fromkeys(str(m.unit) for m in obj.memberships.all())) or "—"

    @admin.display(description=_("角色"))
    def roles(self, obj) -> str:
        return "、".join(dict.fromkeys(m.get_role_display() for m in obj.memberships.all())) or "—"

    def has_add_permission(self, request, *args):
        return self._allowed(request, {SYSTEM})  # accounts are the system administrator's

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return []
        if getattr(request.user, "admin_role", "") == SECURITY:
            # Roles are granted in the memberships below; the account itself is the system
            # administrator's.
            return ["username", "full_name", "phone", "email", "is_active", *ADMIN_ONLY_FIELDS]
        return ADMIN_ONLY_FIELDS

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is Membership:
            log_role_changes(request, formset)


@admin.register(Membership)
class MembershipAdmin(RoleAdmin):
    """Every role in every unit, for the security administrator to review."""

    view_roles = frozenset({SYSTEM})
    change_roles = delete_roles = frozenset({SECURITY})
    log_kind = Kind.ROLE_CHANGE
    form = MembershipForm
    list_display = ["user", "unit", "role"]
    list_filter = ["role", "unit__kind"]
    search_fields = ["user__username", "user__full_name", "unit__name", "unit__code"]
    autocomplete_fields = ["user", "unit"]


@admin.register(Unit)
class UnitAdmin(RoleAdmin):
    view_roles = frozenset()
    change_roles = frozenset({SYSTEM, SECURITY})
    list_display = ["code", "name", "kind", "area", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name", "short_name"]

    def has_add_permission(self, request, *args):
        return self._allowed(request, {SYSTEM})  # the security administrator changes kinds only

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return []
        if getattr(request.user, "admin_role", "") == SECURITY:
            return ["code", "name", "short_name", "area", "is_active"]
        # A unit's kind decides what its people see (the PHC office sees everything): the
        # security administrator's to change, once the unit exists.
        return ["kind"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        before = snapshot(Unit.objects.filter(pk=obj.pk).first()) if change else {}
        super().save_model(request, obj, form, change)
        if change and before.get("kind") != obj.kind:
            log_event(
                Kind.ROLE_CHANGE,
                user=request.user,
                request=request,
                target=obj,
                summary=f"变更单位「{obj}」的类型为{zh(obj.get_kind_display())}",
                details={"changes": changed(before, snapshot(obj))},
            )


@admin.register(Area)
class AreaAdmin(RoleAdmin):
    change_roles = frozenset({SYSTEM})
    list_display = ["code", "name", "kind", "parent"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]
