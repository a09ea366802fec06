"""Writing the security log (core.models.SecurityEvent). Every app that sees a security event
calls `log_event` once, where the event happens (a sign-in, an export, a refusal, a change of
role); it never raises into the caller's work for a logging reason it could survive."""

from django.conf import settings
from django.db.models import Model
from django.utils import translation

from core import clock
from core.models import SecurityEvent

Kind = SecurityEvent.Kind


def zh(text) -> str:
    """A lazy label (a model's verbose name, a choice's label) in Chinese: the log is stored, and
    stays in Chinese whatever the language of the screen it was written from."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(text)


def client_ip(request) -> str | None:
    """The address the request came from, as the web server saw it. Behind a reverse proxy the
    proxy must pass the client's address on (see the deployment notes)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


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
