"""Writes and checks of sign-in credentials: API tokens, passwords, second factors, lockouts.
Each writes its event to the security log."""

import datetime as dt
import secrets

from django.contrib.auth import update_session_auth_hash
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

import access
from accounts import lockout, second_factor, signin
from accounts.models import ApiToken, PasswordRecord
from core import clock
from core.errors import InvalidInput, NotAllowed
from core.security import Kind, log_event


def token_create(*, user, name: str) -> tuple[ApiToken, str]:
    """Make a key for the API. The key is returned once and only its hash is stored."""
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=(name or "").strip() or "phone",
        prefix=key[:8],
        key_hash=ApiToken.hash_of(key),
        created_at=clock.now(),
    )
    return token, key


def token_user(key: str, *, request=None):
    """The active user a key belongs to, or None. With the request, a locked address or key is
    refused first (`lockout.LockedOut`) and a bad key counts as a failure (accounts.lockout)."""
    if not key:
        return None
    if request is not None:
        lockout.token_check(request, key)
    token = ApiToken.objects.select_related("user").filter(key_hash=ApiToken.hash_of(key), is_active=True).first()
    if token is None or not token.user.is_active:
        if request is not None:
            lockout.token_failed(request, key)
        return None
    now = clock.now()
    # Written at most every five minutes: enough to tell a key in use from a forgotten one,
    # without a write on every call of a phone that syncs.
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


# ---- passwords ----------------------------------------------------------------------------------


# Why a change was forced, as the log says it (stored, so in Chinese).
FORCED_NOTE = {"not_own": "（首次登录或管理员重置后）", "shared": "（演示公开密码）", "expired": "（密码到期）"}


@transaction.atomic
def password_change(*, user, new_password: str, request) -> None:
    """The person sets their own password (the form has checked the old one and the rules): kept
    in the history, the session kept signed in, any forced change done."""
    user.set_password(new_password)
    user.save(update_fields=["password"])
    PasswordRecord.objects.create(user=user, password=user.password, set_at=clock.now())
    reason = request.session.pop(signin.PASSWORD_CHANGE, None)
    update_session_auth_hash(request, user)
    log_event(
        Kind.PASSWORD_CHANGED,
        user=user,
        request=request,
        target=user,
        summary="本人修改密码" + FORCED_NOTE.get(reason, ""),
        details={"forced": reason},
    )


@transaction.atomic
def password_set_by_operator(*, user, new_password: str) -> None:
    """A password set from the server's command line (`manage.py set_password`): not the
    person's own, so the next sign-in must change it (no PasswordRecord: ChangeReason.NOT_OWN),
    except the demo's shared password under DEMO_MODE. Logged like an administrator's reset."""
    user.set_password(new_password)
    user.save(update_fields=["password"])
    log_event(
        Kind.ADMIN,
        username="manage.py",
        target=user,
        summary=f"在服务器命令行为「{user}」设置临时密码",
        details={"command": "set_password"},
    )


# ---- second factor ------------------------------------------------------------------------------


def _recovery_codes_new(user) -> list[str]:
    """Replace the person's recovery codes with RECOVERY_CODES new ones; returned once."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="恢复码")
    codes = [StaticToken.random_token() for _ in range(second_factor.RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@transaction.atomic
def second_factor_enrol(*, request, device: TOTPDevice, code: str) -> list[str]:
    """The first code from the app proves the key is on the phone: the key replaces any earlier
    one, recovery codes are made, and this session counts as verified. Returns the codes."""
    user = request.user
    if device.user_id != user.pk or device.confirmed:
        raise NotAllowed(_("该密钥已失效，请重新扫描二维码。"))
    if not device.verify_token(second_factor.normalise_code(code)):
        raise InvalidInput(_("动态口令不正确，请核对手机时间后输入应用上当前显示的 6 位数字。"))
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _recovery_codes_new(user)
    signin.mark_verified(request, device)
    log_event(
        Kind.SECOND_FACTOR,
        user=user,
        request=request,
        target=device,
        summary="绑定动态口令并生成恢复码",
        details={"result": "enrolled", "recovery_codes": len(codes)},
    )
    return codes


@transaction.atomic
def recovery_codes_renew(*, request) -> list[str]:
    """New recovery codes for a verified session; the old ones stop working."""
    user = request.user
    if not signin.is_verified(user):
        raise NotAllowed(_("请先验证动态口令。"))
    codes = _recovery_codes_new(user)
    log_event(
        Kind.SECOND_FACTOR,
        user=user,
        request=request,
        summary="重新生成恢复码",
        details={"result": "recovery_codes_renewed", "recovery_codes": len(codes)},
    )
    return codes


@transaction.atomic
def second_factor_remove(*, request) -> None:
    """The person turns their optional second factor off (never one their role requires)."""
    user = request.user
    if second_factor.required(user):
        raise NotAllowed(_("您的角色必须使用动态口令，不能停用。"))
    if not signin.is_verified(user):
        raise NotAllowed(_("请先验证动态口令。"))
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    log_event(Kind.SECOND_FACTOR, user=user, request=request, summary="停用动态口令", details={"result": "removed"})


@transaction.atomic
def second_factor_reset(*, actor, user, request) -> None:
    """The security administrator removes a person's authenticator and recovery codes (a lost
    phone): at the next sign-in they enrol again if their role requires it."""
    if not access.can_manage_lockouts(actor):
        raise NotAllowed(_("只有安全管理员可以重置双因素认证。"))
    removed = TOTPDevice.objects.filter(user=user).delete()[0] + StaticDevice.objects.filter(user=user).delete()[0]
    log_event(
        Kind.SECOND_FACTOR,
        user=actor,
        request=request,
        target=user,
        summary=f"安全管理员重置了 {user.get_username()} 的双因素认证",
        details={"result": "reset", "username": user.get_username(), "rows_removed": removed},
    )


# ---- lockouts -----------------------------------------------------------------------------------


def lockout_release(*, actor, scope: str, key: str, request) -> int:
    """The security administrator unlocks an account, an address or a token; logged."""
    if not access.can_manage_lockouts(actor):
        raise NotAllowed(_("只有安全管理员可以解除锁定。"))
    cleared = lockout.release(scope=scope, key=key)
    what = {
        lockout.Scope.ACCOUNT: f"账号 {key}",
        lockout.Scope.TOKEN: f"接口令牌 {key.removeprefix(lockout.TOKEN_PREFIX)}…",
    }.get(scope, f"地址 {key}")
    log_event(
        Kind.UNLOCK,
        user=actor,
        request=request,
        summary=f"安全管理员解除了{what}的锁定",
        details={"scope": scope, "key": key, "attempts_cleared": cleared},
    )
    return cleared
