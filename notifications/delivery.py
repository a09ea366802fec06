"""Delivering the outbox: claim, send, record; back off and retry; give up as `dead`.

Claiming is a conditional UPDATE (healthchecks' sendalerts does the same): a worker takes a
message only if it is still in the state it read it in, and holds it for LEASE. A worker killed
mid-send leaves the message `sending` with a lease in the past: the next run takes it again, so
a message is sent at least once and its row records one message (its key, sent with it, lets a
receiver drop a duplicate). A robot takes at most `per_minute` messages a minute: beyond that,
messages wait for the next minute (throttled, not dropped, no attempt counted)."""

import datetime as dt
import logging

from django.conf import settings
from django.db.models import Q

from core import clock
from notifications.channels import SENDERS, DeliveryFailed
from notifications.models import ROBOTS, Message

logger = logging.getLogger(__name__)


def lease() -> dt.timedelta:
    """How long a claimed message is a worker's own; after it, another worker sends it again."""
    return dt.timedelta(seconds=settings.NOTIFY_LEASE_SECONDS)


MAX_ATTEMPTS = 6
BACKOFF_BASE = dt.timedelta(minutes=1)  # 1, 2, 4, 8, 16 minutes between the six tries
BACKOFF_MAX = dt.timedelta(hours=1)
BATCH = 200


def backoff(attempts: int) -> dt.timedelta:
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def due(now: dt.datetime):
    waiting = Q(state__in=[Message.State.PENDING, Message.State.FAILED], next_attempt_at__lte=now)
    abandoned = Q(state=Message.State.SENDING, claimed_until__lt=now)
    return Message.objects.filter(waiting | abandoned).order_by("next_attempt_at", "pk")


def _claim(message: Message, now: dt.datetime) -> bool:
    """Take the message if nobody changed it since we read it."""
    return bool(
        Message.objects.filter(pk=message.pk, state=message.state, attempts=message.attempts).update(
            state=Message.State.SENDING,
            attempts=message.attempts + 1,
            claimed_until=now + lease(),
        )
    )


def _throttled(message: Message, now: dt.datetime) -> dt.datetime | None:
    """For a robot at its rate limit, the moment a slot frees up."""
    if message.channel not in ROBOTS or message.endpoint is None:
        return None
    window = now - dt.timedelta(minutes=1)
    recent = list(
        Message.objects.filter(endpoint=message.endpoint, sent_at__gt=window)
        .exclude(pk=message.pk)
        .order_by("sent_at")
        .values_list("sent_at", flat=True)[: message.endpoint.per_minute]
    )
    if len(recent) < message.endpoint.per_minute:
        return None
    return recent[0] + dt.timedelta(minutes=1)


def deliver_one(message: Message, now: dt.datetime | None = None) -> str:
    """Send one due message. Returns its new state."""
    now = now or clock.now()
    wait = _throttled(message, now)
    if wait is not None:
        Message.objects.filter(pk=message.pk, state=message.state).update(next_attempt_at=wait)
        return message.state
    if not _claim(message, now):
        return "taken"
    attempts = message.attempts + 1
    try:
        if message.endpoint_id is None and message.channel in ROBOTS:
            raise DeliveryFailed("渠道已删除")
        if message.endpoint is not None and not message.endpoint.enabled:
            raise DeliveryFailed("渠道已停用")
        SENDERS[message.channel](message)
    except DeliveryFailed as error:
        dead = attempts >= MAX_ATTEMPTS
        state = Message.State.DEAD if dead else Message.State.FAILED
        Message.objects.filter(pk=message.pk, state=Message.State.SENDING).update(
            state=state,
            last_error=str(error)[:1000],
            next_attempt_at=clock.now() + backoff(attempts),
            claimed_until=None,
        )
        # The reason, never the address: a robot's URL carries its key.
        logger.warning("message %s (%s) try %s failed: %s", message.pk, message.channel, attempts, error)
        return state
    Message.objects.filter(pk=message.pk).update(
        state=Message.State.SENT, sent_at=clock.now(), claimed_until=None, last_error=""
    )
    return Message.State.SENT


def deliver_due(*, limit: int | None = None) -> int:
    """Deliver what is due, batch after batch, until nothing is due (or `limit` tries). Returns
    the number sent."""
    sent = tried = 0
    while limit is None or tried < limit:
        now = clock.now()
        batch = list(due(now).select_related("endpoint")[:BATCH])
        if not batch:
            break
        progressed = False
        for message in batch:
            state = deliver_one(message, now)
            tried += 1
            progressed |= state != message.state or state == Message.State.SENT
            sent += state == Message.State.SENT
            if limit is not None and tried >= limit:
                break
        if not progressed:
            break  # everything left is throttled until later
    return sent
