"""The steps of a sign-in, and the session's life after it.

A sign-in on the form (`start`):
1. the password is checked by Django's backends behind axes (a locked account or address never
   reaches them; each failure is counted and logged by accounts.lockout);
2. the session begins (its start and last request are kept in it for the timeouts);
3. what the sign-in still owes is read from the person and the session (`pending_step`), in
   this order: the second factor if they have one (`VERIFY`), a new password if this one was
   set by someone else, is the demo's published one or has expired (`PASSWORD`), enrolling a
   second factor if their role requires one and they have none yet (`SETUP`);
4. SignInMiddleware sends every other request to the step's page until none is owed; the
   account's failure count is cleared once the whole sign-in has succeeded.

Every step writes the security log: the sign-in, the second factor, a timeout, a sign-out.
"""

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.utils.translation import gettext as _

from accounts import lockout, passwords, second_factor
from core import clock
from core.security import Kind, log_event

SIGNED_IN_AT = "cw_signed_in_at"
SEEN_AT = "cw_seen_at"
PASSWORD_CHANGE = "cw_password_change"
# The last request is written to the session at most once a minute, not on every request.
SEEN_RESOLUTION_SECONDS = 60


class Step:
    VERIFY = "verify"
    PASSWORD = "password"
    SETUP = "setup"


# The page of each step (URL names); during a step only these and the ones below open.
STEP_PAGES = {
    Step.VERIFY: "second_factor_verify",
    Step.PASSWORD: "password_change",
    Step.SETUP: "second_factor_setup",
}
ALWAYS_OPEN = {"logout", "set_language", "healthz", "service_worker", "manifest"}


def is_verified(user) -> bool:
    """Whether this session passed a second factor (django-otp's OTPMiddleware sets otp_device)."""
    return getattr(user, "otp_device", None) is not None


def pending_step(request) -> str | None:
    user = request.user
    verified = is_verified(user)
    if not verified and second_factor.has_totp(user):
        return Step.VERIFY
    if request.session.get(PASSWORD_CHANGE):
        return Step.PASSWORD
    if not verified and second_factor.required(user):
        return Step.SETUP
    return None


def stamp(session) -> None:
    now = clock.now().timestamp()
    session[SIGNED_IN_AT] = now
    session[SEEN_AT] = now


def start(request, user, raw_password: str) -> str | None:
    """The password was right: begin the session and note what it still owes. Returns the
    pending step."""
    auth_login(request, user)
    user.otp_device = None  # a new session has passed no second factor yet
    stamp(request.session)
    reason = passwords.change_reason(user, raw_password)
    if reason:
        request.session[PASSWORD_CHANGE] = reason
    step = pending_step(request)
    log_event(
        Kind.LOGIN,
        user=user,
        request=request,
        summary="密码验证通过，待验证动态口令" if step == Step.VERIFY else "登录成功",
        details={"pending": step, "password_change": reason, "second_factor_required": second_factor.required(user)},
    )
    if step != Step.VERIFY:
        lockout.account_reset(request, user.get_username())
    return step


def mark_verified(request, device) -> None:
    """The session passed the second factor: the sign-in is complete, its failures cleared."""
    django_otp.login(request, device)
    lockout.account_reset(request, request.user.get_username())


def second_factor_passed(request, device, *, method: str) -> None:
    """A right code (or recovery code) at sign-in."""
    mark_verified(request, device)
    left = second_factor.recovery_codes_left(request.user)
    log_event(
        Kind.SECOND_FACTOR,
        user=request.user,
        request=request,
        target=device,
        summary="动态口令验证通过" if method == "totp" else f"使用恢复码验证通过（剩余 {left} 个）",
        details={"result": "passed", "method": method, "recovery_codes_left": left},
    )


def signing_out(request) -> None:
    """Log a sign-out the person asked for (the view then ends the session)."""
    if request.user.is_authenticated:
        log_event(Kind.LOGOUT, user=request.user, request=request, summary="退出登录")


def locked_out(request) -> None:
    """Wrong codes locked the account in the middle of a sign-in: the half-made session ends."""
    log_event(Kind.LOGOUT, user=request.user, request=request, summary="账号被锁定，登录中止")
    auth_logout(request)


# ---- timeouts ---------------------------------------------------------------------------------


def expiry(request) -> str | None:
    """'idle' or 'absolute' if this signed-in session has timed out; otherwise notes the request.
    A session that carries no start (made before these rules) counts as expired."""
    idle, absolute = settings.SESSION_IDLE_TIMEOUT, settings.SESSION_ABSOLUTE_TIMEOUT
    if not idle and not absolute:
        return None
    session = request.session
    now = clock.now().timestamp()
    signed_in_at, seen_at = session.get(SIGNED_IN_AT), session.get(SEEN_AT)
    if signed_in_at is None or seen_at is None:
        return "absolute"
    if absolute and now - signed_in_at > absolute.total_seconds():
        return "absolute"
    if idle and now - seen_at > idle.total_seconds():
        return "idle"
    if now - seen_at >= SEEN_RESOLUTION_SECONDS:
        session[SEEN_AT] = now
    return None


def expire(request, reason: str) -> None:
    """End a timed-out session, say why on the sign-in page, and log it."""
    idle_minutes = int(settings.SESSION_IDLE_TIMEOUT.total_seconds() // 60) if settings.SESSION_IDLE_TIMEOUT else 0
    max_hours = (
        int(settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds() // 3600) if settings.SESSION_ABSOLUTE_TIMEOUT else 0
    )
    log_event(
        Kind.SESSION_EXPIRED,
        user=request.user,
        request=request,
        summary=f"超过 {idle_minutes} 分钟未操作，会话结束"
        if reason == "idle"
        else f"登录已满 {max_hours} 小时，会话结束",
        details={"reason": reason, "idle_minutes": idle_minutes, "max_hours": max_hours},
    )
    auth_logout(request)
    if reason == "idle":
        message = _("您已超过 %(minutes)d 分钟未操作，为安全起见已自动退出，请重新登录。") % {"minutes": idle_minutes}
    else:
        message = _("本次登录已满 %(hours)d 小时，为安全起见已自动退出，请重新登录。") % {"hours": max_hours}
    messages.info(request, message)
