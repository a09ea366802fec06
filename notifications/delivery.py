"""Delivering the outbox: claim, send, record; back off and retry; give up as `dead`.

A worker claims a batch of due messages at once: in one transaction it reads their ids (FOR
UPDATE SKIP LOCKED on PostgreSQL, so workers never take the same rows nor wait on each other;
SQLite's writers are one at a time anyway) and marks them `sending`, with a lease. Then it sends
them one by one and records each outcome, but only on a row still `sending` and still its own
(`claimed_until` unchanged): healthchecks' sendalerts claims the same way. A worker killed
mid-batch leaves its messages `sending` with a lease in the past: the next run takes them
again, so a message is sent at least once and its row records one message; its key travels with
it (msgid) so that a receiver can drop a duplicate. When more is due than one batch, the worker
asks for another delivery task, so idle workers join in.

A robot takes at most `per_minute` messages a minute: beyond that, a message goes back to
waiting until a slot frees up (throttled, not dropped, no attempt counted)."""

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q

from core import clock
from notifications.channels import SENDERS, DeliveryFailed
from notifications.models import ROBOTS, Message

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
BACKOFF_BASE = dt.timedelta(minutes=1)  # 1, 2, 4, 8, 16 minutes between the six tries
BACKOFF_MAX = dt.timedelta(hours=1)
BATCH = 50


def lease() -> dt.timedelta:
    """How long a claimed message is a worker's own; after it, another worker sends it again."""
    return dt.timedelta(seconds=settings.NOTIFY_LEASE_SECONDS)


def backoff(attempts: int) -> dt.timedelta:
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def due(now: dt.datetime):
    waiting = Q(state__in=[Message.State.PENDING, Message.State.FAILED], next_attempt_at__lte=now)
    abandoned = Q(state=Message.State.SENDING, claimed_until__lt=now)
    return Message.objects.filter(waiting | abandoned).order_by("next_attempt_at", "pk")


def claim_batch(now: dt.datetime, size: int = BATCH) -> list[Message]:
    """Take up to `size` due messages for this worker."""
    until = now + lease()
    with transaction.atomic():
        ids = list(due(now).select_for_update(skip_locked=True).values_list("pk", flat=True)[:size])
        Message.objects.filter(pk__in=ids).update(
            state=Message.State.SENDING, attempts=F("attempts") + 1, claimed_until=until
        )
    return list(Message.objects.filter(pk__in=ids, claimed_until=until).select_related("endpoint").order_by("pk"))


def _mine(message: Message):
    return Message.objects.filter(pk=message.pk, state=Message.State.SENDING, claimed_until=message.claimed_until)


def _throttled(message: Message, now: dt.datetime) -> dt.datetime | None:
    """For a robot at its rate limit, the moment a slot frees up."""
    if message.channel not in ROBOTS or message.endpoint is None:
        return None
    recent = list(
        Message.objects.filter(endpoint=message.endpoint, sent_at__gt=now - dt.timedelta(minutes=1))
        .order_by("sent_at")
        .values_list("sent_at", flat=True)[: message.endpoint.per_minute]
    )
    if len(recent) < message.endpoint.per_minute:
        return None
    return recent[0] + dt.timedelta(minutes=1)


def send_claimed(message: Message) -> str:
    """Send one claimed message and record the outcome. Returns its new state."""
    now = clock.now()
    wait = _throttled(message, now)
    if wait is not None:
        _mine(message).update(
            state=Message.State.PENDING if message.attempts == 1 else Message.State.FAILED,
            attempts=F("attempts") - 1,
            next_attempt_at=wait,
            claimed_until=None,
        )
        return "throttled"
    try:
        if message.endpoint_id is None and message.channel in ROBOTS:
            raise DeliveryFailed("渠道已删除")
        if message.endpoint is not None and not message.endpoint.enabled:
            raise DeliveryFailed("渠道已停用")
        SENDERS[message.channel](message)
    except DeliveryFailed as error:
        state = Message.State.DEAD if message.attempts >= MAX_ATTEMPTS else Message.State.FAILED
        _mine(message).update(
            state=state,
            last_error=str(error)[:1000],
            next_attempt_at=clock.now() + backoff(message.attempts),
            claimed_until=None,
        )
        # The reason, never the address: a robot's URL carries its key.
        logger.warning("message %s (%s) try %s failed: %s", message.pk, message.channel, message.attempts, error)
        return state
    _mine(message).update(state=Message.State.SENT, sent_at=clock.now(), claimed_until=None, last_error="")
    return Message.State.SENT


def deliver_due(*, limit: int | None = None) -> int:
    """Deliver what is due, batch after batch, until nothing is due (or about `limit` tries).
    Returns the number sent."""
    sent = tried = 0
    while limit is None or tried < limit:
        batch = claim_batch(clock.now(), BATCH if limit is None else min(BATCH, limit - tried))
        if not batch:
            break
        if len(batch) == BATCH:
            from notifications.tasks import deliver_soon  # tasks imports this module

            deliver_soon()
        for message in batch:
            sent += send_claimed(message) == Message.State.SENT
            tried += 1
    return sent
