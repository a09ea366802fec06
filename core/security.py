"""Writing the security log (core.models.SecurityEvent). Every app that sees a security event
calls `log_event` once, where the event happens (a sign-in, an export, a refusal, a change of
role); it never raises into the caller's work for a logging reason it could survive."""

import functools
import ipaddress

from django.conf import settings
from django.db.models import Model
from django.utils import translation

from core import clock
from core.models import SecurityEvent

Kind = SecurityEvent.Kind


@functools.lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(network) for network in trusted)


def _address(text: str):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def is_trusted_proxy(address: str | None) -> bool:
    """Whether `address` is one of settings.TRUSTED_PROXIES (addresses or networks)."""
    ip = _address(address or "")
    return ip is not None and any(ip in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def zh(text) -> str:
    """A lazy label (a model's verbose name, a choice's label) in Chinese: the log is stored, and
    stays in Chinese whatever the language of the screen it was written from."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(text)


def client_ip(request) -> str | None:
    """The address of the person's device. Straight from the peer (REMOTE_ADDR) unless the peer is
    a trusted proxy (settings.TRUSTED_PROXIES): then from X-Forwarded-For, read from the right,
    where each proxy appended the address it saw, skipping the trusted proxies; the first other
    address is the client. Whatever a client writes into the header itself stands to the left of
    that and is never reached, and from an untrusted peer the header is not read at all."""
    if request is None:
        return None
    peer = request.META.get("REMOTE_ADDR") or None
    if not is_trusted_proxy(peer):
        return peer
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        ip = _address(hop)
        if ip is None:
            return peer  # not an address, so not written by our proxy: believe nothing further left
        if not is_trusted_proxy(str(ip)):
            return str(ip)
    # Only proxies on the way (or no header): the request started at the leftmost of them.
    return str(_address(hops[0])) if hops else peer


def target_of(obj: Model | None) -> str:
    """ "app.model:pk", so the log names what was touched without a foreign key to every table."""
    if obj is None:
        return ""
    return f"{obj._meta.app_label}.{obj._meta.model_name}:{obj.pk}"


def log_event(
    kind: str,
    *,
    user=None,
    username: str = "",
    request=None,
    target: Model | str | None = None,
    summary: str = "",
    details: dict | None = None,
) -> SecurityEvent:
    """Append one row to the security log. `user` is who acted (None for an unknown name at a
    failed sign-in, given as `username`); `request` supplies the address and the path."""
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    if user is not None and not username:
        username = user.get_username()
    return SecurityEvent.objects.create(
        at=clock.now(),
        kind=kind,
        user=user,
        username=username[:150],
        ip=client_ip(request),
        path=(request.get_full_path()[:300] if request is not None else ""),
        target=target if isinstance(target, str) else target_of(target),
        summary=summary,
        details=details or {},
    )


def export_logged(request, what: str):
    """The security log's row for an export (`what`: 问题清单, 趋势…), written once its size is
    known: pass the result as documents.xlsx.xlsx_response's on_written."""

    def written(rows: int) -> None:
        log_event(
            Kind.EXPORT,
            user=request.user,
            request=request,
            target=what,
            summary=f"导出{what} {rows} 行",
            details={"rows": rows, "filters": request.GET.dict()},
        )

    return written
