from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.models import Group
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.models import ApiToken
from core.admin import SECURITY, RoleAdmin
from core.security import Kind, log_event


@admin.register(ApiToken)
class ApiTokenAdmin(RoleAdmin):
    """Make a token here (the key is shown once, in the message after saving) or with
    `manage.py api_token <username>`. Untick 有效 to revoke one. The security administrator's."""

    change_roles = frozenset({SECURITY})
    log_kind = Kind.TOKEN

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
        log_event(
            Kind.TOKEN,
            user=request.user,
            request=request,
            target=token,
            summary=f"为「{token.user}」生成接口令牌 {token.prefix}…（{token.name}）",
        )
        messages.warning(request, f"令牌已生成，请立即复制，之后不再显示：{key}")


# Second factors are not edited in the admin: a TOTP key must never be shown to anyone but its
# owner, and a lost phone is reset by the security administrator on /accounts/lockouts/, which
# logs it (django-otp registers these models by itself).
for model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)

# Groups are not used by the campaign (roles are memberships); the installation superuser keeps
# Django's screen, through the edge like every form (core.admin.RoleAdmin).
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(RoleAdmin, BaseGroupAdmin):
    pass
