"""Lockout after failed attempts (django-axes): per account and per address, for the sign-in
form, the second factor and the API's bearer tokens.

axes records each failure as an `AccessAttempt` row (username, address, browser, count, time of
the last failure) and asks its handler whether a request is locked. We keep axes' storage, hooks
and middleware and decide the lock here, because axes applies one limit to all its parameters and
an office behind one NAT address needs two:

- an account (a username as typed, known or not) is locked after LOGIN_FAILURE_LIMIT failures;
- an address after LOGIN_IP_FAILURE_LIMIT failures from it, whatever the usernames;
- API tokens count apart: a bad key counts against its first eight characters
  ("api-token:abcd1234", locked after LOGIN_FAILURE_LIMIT) and against the address in a budget of
  its own, so that a phone still syncing with a revoked key never locks its colleagues' sign-in.

Failures count for LOGIN_LOCKOUT_MINUTES (axes' cool-off): axes keeps one row per username,
address and browser, timed by its last failure, so trying on from the same place keeps a lock
while an old row stops counting. With 0 minutes they count until the security administrator
unlocks (`accounts.services.lockout_release`).
A wrong second-factor code counts against the account like a wrong password. The account's count
is cleared when a whole sign-in succeeds (`account_reset`), the address's only by time or by the
administrator. Every failure and every lock goes to the security log here.
"""

import datetime as dt
from dataclasses import dataclass

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core import clock
from core.errors import DomainError

# axes reads the client's address through core.security.client_ip (settings.AXES_CLIENT_IP_CALLABLE
# names it here), so that the lockout and the security log agree on it, proxies included.
from core.security import Kind, client_ip, log_event
from organisation.models import User

TOKEN_PREFIX = "api-token:"


class Scope:
    ACCOUNT = "account"
    ADDRESS = "ip"
    TOKEN = "token"
    TOKEN_ADDRESS = "token_ip"
    ALL = (ACCOUNT, ADDRESS, TOKEN, TOKEN_ADDRESS)


class Channel:
    PASSWORD = "password"
    SECOND_FACTOR = "second_factor"
    API_TOKEN = "api_token"


class LockedOut(DomainError):
    """Too many failures: the account, the address or the token is locked for now."""


def _sum(attempts) -> int:
    return attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0


def _active(attempts, request=None):
    """The attempts that still count: those whose last failure is within the cool-off."""
    if settings.AXES_COOLOFF_TIME is None:
        return attempts
    if request is None:
        return attempts.filter(attempt_time__gte=clock.now() - settings.AXES_COOLOFF_TIME)
    return attempts.filter(attempt_time__gte=get_cool_off_threshold(request))


def _is_token(username: str | None) -> bool:
    return bool(username) and username.startswith(TOKEN_PREFIX)


def _by_channel(attempts, token: bool):
    return (
        attempts.filter(username__startswith=TOKEN_PREFIX)
        if token
        else attempts.exclude(username__startswith=TOKEN_PREFIX)
    )


class LockoutHandler(AxesDatabaseHandler):
    """axes' database handler with our two limits and the security log (settings.AXES_HANDLER)."""

    def failure_counts(self, request, credentials=None) -> tuple[int, int]:
        """(failures of the account or token, failures from the address in the same channel)."""
        username = get_client_username(request, credentials)
        attempts = _active(AccessAttempt.objects.all(), request)
        account = _sum(attempts.filter(username=username)) if username else 0
        address = request.axes_ip_address
        by_address = _sum(_by_channel(attempts.filter(ip_address=address), _is_token(username))) if address else 0
        return account, by_address

    def lock_scope(self, request, credentials=None) -> str | None:
        account, by_address = self.failure_counts(request, credentials)
        token = _is_token(get_client_username(request, credentials))
        request.cw_failures = (account, by_address)
        if account >= settings.LOGIN_FAILURE_LIMIT:
            return Scope.TOKEN if token else Scope.ACCOUNT
        if by_address >= settings.LOGIN_IP_FAILURE_LIMIT:
            return Scope.TOKEN_ADDRESS if token else Scope.ADDRESS
        return None

    def get_failures(self, request, credentials=None) -> int:
        # axes compares this with AXES_FAILURE_LIMIT (1): locked or not, by either limit.
        request.cw_lock = self.lock_scope(request, credentials)
        return int(request.cw_lock is not None)

    def reset_user_attempts(self, request, credentials=None) -> int:
        """Only the account's count: a success from an address must not clear the failures that
        others made from it."""
        username = get_client_username(request, credentials)
        return AccessAttempt.objects.filter(username=username).delete()[0] if username else 0

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        if request is None:
            return super().user_login_failed(sender, credentials, request, **kwargs)
        before = request.cw_lock if hasattr(request, "cw_lock") else self.lock_scope(request, credentials)
        super().user_login_failed(sender, credentials, request, **kwargs)
        _log_failure(request, credentials or {}, before=before, after=getattr(request, "cw_lock", None))


def _log_failure(request, credentials: dict, *, before: str | None, after: str | None) -> None:
    username = credentials.get("username") or ""
    channel = credentials.get("cw_channel") or (Channel.API_TOKEN if _is_token(username) else Channel.PASSWORD)
    account_failures, address_failures = getattr(request, "cw_failures", (0, 0))
    person = None if channel == Channel.API_TOKEN else User.objects.filter(username=username).first()
    if before is not None:
        summary = "锁定期间的尝试，已拒绝"
    else:
        summary = {
            Channel.PASSWORD: "用户名或密码错误",
            Channel.SECOND_FACTOR: "动态口令或恢复码错误",
            Channel.API_TOKEN: "接口令牌无效",
        }[channel]
    details = {
        "channel": channel,
        "known_user": person is not None,
        "account_failures": account_failures,
        "address_failures": address_failures,
    }
    acting = getattr(request, "user", None) if channel == Channel.SECOND_FACTOR else None
    log_event(
        Kind.LOGIN_FAILED,
        user=acting,
        username=username,
        request=request,
        target=person,
        summary=summary,
        details=details,
    )
    if before is None and after is not None:
        log_event(
            Kind.LOCKOUT,
            user=acting,
            username=username,
            request=request,
            target=person,
            summary=_lock_summary(after, username, client_ip(request)),
            details={**details, "scope": after, "minutes": lockout_minutes()},
        )


def _lock_summary(scope: str, username: str, address: str | None) -> str:
    """Stored in the log, so always in Chinese."""
    if scope == Scope.ACCOUNT:
        return f"账号 {username} 连续失败 {settings.LOGIN_FAILURE_LIMIT} 次，已锁定"
    if scope == Scope.TOKEN:
        return f"接口令牌 {username.removeprefix(TOKEN_PREFIX)}… 连续失败 {settings.LOGIN_FAILURE_LIMIT} 次，已锁定"
    return f"地址 {address} 失败 {settings.LOGIN_IP_FAILURE_LIMIT} 次，已锁定"


def lockout_minutes() -> int:
    """LOGIN_LOCKOUT_MINUTES, as axes applies it (0: until unlocked)."""
    cooloff = settings.AXES_COOLOFF_TIME
    return int(cooloff.total_seconds() // 60) if cooloff else 0


def lockout_message(scope: str | None) -> str:
    minutes = lockout_minutes()
    if scope in (Scope.ADDRESS, Scope.TOKEN_ADDRESS):
        what = _("来自您所在网络地址的失败次数过多，已暂停从该地址登录。")
    elif scope == Scope.TOKEN:
        what = _("接口令牌验证失败次数过多，已暂停使用。")
    else:
        what = _("登录失败次数过多，账号已被锁定。")
    if minutes:
        return _("%(what)s请 %(minutes)d 分钟后再试，或联系安全管理员解除锁定。") % {"what": what, "minutes": minutes}
    return _("%(what)s请联系安全管理员解除锁定。") % {"what": what}


def lockout_response(request, original_response=None, credentials=None):
    """What a locked request gets (settings.AXES_LOCKOUT_CALLABLE): a page in Chinese, or the
    API's JSON, with 429."""
    scope = getattr(request, "cw_lock", None)
    message = lockout_message(scope)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=429)
    return render(request, "accounts/locked.html", {"message": message, "scope": scope}, status=429)


# ---- the sign-in steps and the API ---------------------------------------------------------------


def remaining_attempts(request, username: str) -> int:
    """How many more wrong passwords the account takes before it locks (shown on the form)."""
    account, _address = LockoutHandler().failure_counts(request, {"username": username})
    return max(settings.LOGIN_FAILURE_LIMIT - account, 0)


def account_reset(request, username: str) -> None:
    """A whole sign-in succeeded (password, and the second factor if any): the account's failures
    no longer count."""
    AxesProxyHandler.update_request(request)
    LockoutHandler().reset_user_attempts(request, {"username": username})


def second_factor_failed(request, user) -> bool:
    """Count a wrong code against the account; True if that locked it."""
    AxesProxyHandler.user_login_failed(
        sender=second_factor_failed,
        credentials={"username": user.get_username(), "cw_channel": Channel.SECOND_FACTOR},
        request=request,
    )
    return bool(request.axes_locked_out)


def _token_credentials(key: str) -> dict:
    return {"username": TOKEN_PREFIX + key[:8], "cw_channel": Channel.API_TOKEN}


def token_check(request, key: str) -> None:
    """Refuse a bearer token from a locked address, or a locked key, before looking at it."""
    if not AxesProxyHandler.is_allowed(request, _token_credentials(key)):
        raise LockedOut(lockout_message(getattr(request, "cw_lock", None)))


def token_failed(request, key: str) -> None:
    AxesProxyHandler.user_login_failed(sender=token_failed, credentials=_token_credentials(key), request=request)


# ---- the security administrator's screen --------------------------------------------------------


@dataclass(frozen=True)
class Lock:
    scope: str
    key: str  # the username, the address or the token's "api-token:abcd1234"
    failures: int
    last_failure: dt.datetime
    until: dt.datetime | None  # None: until unlocked

    @property
    def label(self) -> str:
        return {
            Scope.ACCOUNT: pgettext("lockout", "账号"),
            Scope.ADDRESS: _("网络地址（登录）"),
            Scope.TOKEN: _("接口令牌"),
            Scope.TOKEN_ADDRESS: _("网络地址（接口令牌）"),
        }[self.scope]

    @property
    def shown(self) -> str:
        return self.key.removeprefix(TOKEN_PREFIX) + ("…" if self.scope == Scope.TOKEN else "")


def current_locks(limit: int = 200) -> list[Lock]:
    """What is locked now, newest failure first: at most `limit` of each kind (four grouped
    queries whatever the number of attempts)."""
    attempts = _active(AccessAttempt.objects.all())
    wanted = [
        (Scope.ACCOUNT, "username", _by_channel(attempts, token=False), settings.LOGIN_FAILURE_LIMIT),
        (Scope.TOKEN, "username", _by_channel(attempts, token=True), settings.LOGIN_FAILURE_LIMIT),
        (Scope.ADDRESS, "ip_address", _by_channel(attempts, token=False), settings.LOGIN_IP_FAILURE_LIMIT),
        (Scope.TOKEN_ADDRESS, "ip_address", _by_channel(attempts, token=True), settings.LOGIN_IP_FAILURE_LIMIT),
    ]
    locks = []
    for scope, field, rows, threshold in wanted:
        grouped = (
            rows.exclude(**{f"{field}__isnull": True})
            .values(field)
            .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
            .filter(failures__gte=threshold)
            .order_by("-last")[:limit]
        )
        for row in grouped:
            cooloff = settings.AXES_COOLOFF_TIME
            locks.append(
                Lock(scope, row[field], row["failures"], row["last"], row["last"] + cooloff if cooloff else None)
            )
    return sorted(locks, key=lambda lock: lock.last_failure, reverse=True)


def release(*, scope: str, key: str) -> int:
    """Clear the failures behind a lock; the number of attempt rows removed."""
    if scope in (Scope.ACCOUNT, Scope.TOKEN):
        return AxesProxyHandler.reset_attempts(username=key)
    return AxesProxyHandler.reset_attempts(ip_address=key)


def account_locked(request, username: str) -> str | None:
    """The lock that refuses this account (or address) now, if any."""
    if AxesProxyHandler.is_allowed(request, {"username": username}):
        return None
    return getattr(request, "cw_lock", None) or Scope.ACCOUNT
