"""Writes and checks of sign-in credentials."""

import datetime as dt
import secrets

from accounts.models import ApiToken
from core import clock


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


def token_user(key: str):
    """The active user a key belongs to, or None."""
    if not key:
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=ApiToken.hash_of(key), is_active=True).first()
    if token is None or not token.user.is_active:
        return None
    now = clock.now()
    # Written at most every five minutes: enough to tell a key in use from a forgotten one,
    # without a write on every call of a phone that syncs.
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
