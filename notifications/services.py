"""Writes of the notifications: the outbox (`notify`), reading, preferences, the office's rule
settings, resending dead letters, test sends.

`notify` is called inside the caller's transaction, next to the event that causes the message:
the messages commit with the fact or not at all (never "the problem was assigned but nobody was
told because the process died before on_commit"). The worker delivers them afterwards."""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

import access
from core import clock
from core.errors import InvalidInput, NotAllowed
from core.security import log_event
from notifications import rules
from notifications.models import PERSONAL, ROBOTS, Channel, Endpoint, Message, Preference, RuleSetting
from notifications.tasks import deliver_soon
from organisation.models import Unit, User


def wanted_channels(user: User) -> set[str]:
    """What a person receives besides the notification centre: their choice, else whatever
    they have an address for."""
    try:
        preference = user.notice_preference
    except Preference.DoesNotExist:
        preference = None
    if preference is not None:
        return set(preference.channels) & set(PERSONAL)
    return {c for c, address in ((Channel.SMS, user.phone), (Channel.EMAIL, user.email)) if address}


def _address(user: User, channel: str) -> str:
    return user.phone if channel == Channel.SMS else user.email if channel == Channel.EMAIL else ""


def in_quiet_hours(at: dt.datetime) -> dt.datetime | None:
    """The end of the SMS quiet hours when `at` falls inside them, else None."""
    start, end = settings.SMS_QUIET_HOURS
    if start == end:
        return None
    local = timezone.localtime(at)
    t = local.time()
    inside = (start <= t or t < end) if start > end else (start <= t < end)
    if not inside:
        return None
    wake = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    return wake if wake > local else wake + dt.timedelta(days=1)


def notify(
    *,
    rule: str,
    source: str,
    recipients,
    subject: str,
    body: str,
    link: str = "",
    unit: Unit | None = None,
    robots: bool = False,
    urgent: bool = False,
) -> list[Message]:
    """Write the messages of one firing of `rule` about `source` (e.g. "problem:12:assign:3"):
    the notification centre for every recipient, their chosen channels where the rule allows,
    and, with `robots`, the unit's group robots @-mentioning the recipients. Writing the same
    firing twice writes nothing more (the key is unique). Returns the messages written now."""
    effective = rules.effective(rule)
    if not effective.enabled:
        return []
    now = clock.now()
    people = list({user.pk: user for user in recipients if user is not None and user.is_active}.values())
    sms_gateway = Endpoint.objects.filter(kind=Channel.SMS, enabled=True).order_by("pk").first()
    quiet_until = in_quiet_hours(now) if (effective.quiet_hours_apply and not urgent) else None
    rows = []

    def add(key, channel, **fields):
        due = quiet_until if (channel == Channel.SMS and quiet_until) else now
        rows.append(
            Message(
                key=f"{source}:{rule}:{key}:{channel}"[:200],
                rule=rule,
                channel=channel,
                unit=unit,
                source=source[:100],
                subject=subject[:200],
                body=body,
                link=link,
                urgent=urgent,
                created_at=now,
                next_attempt_at=due,
                **fields,
            )
        )

    for user in people:
        add(f"u{user.pk}", Channel.INBOX, recipient=user, state=Message.State.SENT, sent_at=now)
        for channel in sorted(wanted_channels(user) & set(effective.channels)):
            if channel == Channel.SMS and sms_gateway is None:
                continue
            add(
                f"u{user.pk}",
                channel,
                recipient=user,
                address=_address(user, channel),
                endpoint=sms_gateway if channel == Channel.SMS else None,
            )
    if robots and unit is not None:
        mentions = [user.phone for user in people if user.phone]
        for endpoint in Endpoint.objects.filter(unit=unit, enabled=True, kind__in=ROBOTS & set(effective.channels)):
            add(f"e{endpoint.pk}", endpoint.kind, endpoint=endpoint, mentions=mentions)
    if not rows:
        return []
    keys = [row.key for row in rows]
    existing = set(Message.objects.filter(key__in=keys).values_list("key", flat=True))
    fresh = [row for row in rows if row.key not in existing]
    # ignore_conflicts: a concurrent writer of the same firing wins the race, we write nothing.
    Message.objects.bulk_create(fresh, ignore_conflicts=True)
    if any(row.channel != Channel.INBOX for row in fresh):
        deliver_soon()
    return fresh


# The navigation's badge counts unread messages up to this many and shows "99+" beyond: a person
# with a hundred thousand unread (a year of reminders never opened) made every page count them
# all (70 ms at a million problems' worth of reminders).
UNREAD_SHOWN = 99


def unread_count(user: User) -> int:
    """Unread messages in the person's notification centre, counted up to UNREAD_SHOWN + 1."""
    unread = Message.objects.filter(recipient=user, channel=Channel.INBOX, read_at__isnull=True)
    # No order: the model's newest-first order made the database sort every unread row first.
    return unread.order_by()[: UNREAD_SHOWN + 1].count()


def messages_mark_read(*, actor: User, ids=None) -> int:
    """Mark the actor's own messages read (all of them when `ids` is None)."""
    mine = Message.objects.filter(recipient=actor, channel=Channel.INBOX, read_at__isnull=True)
    if ids is not None:
        mine = mine.filter(pk__in=ids)
    return mine.update(read_at=clock.now())


def preference_set(*, actor: User, channels) -> Preference:
    chosen = sorted(set(channels) & set(PERSONAL))
    if Channel.SMS in chosen and not actor.phone:
        raise InvalidInput(gettext("您的账号没有手机号，不能选择短信，请联系系统管理员补充"))
    if Channel.EMAIL in chosen and not actor.email:
        raise InvalidInput(gettext("您的账号没有电子邮箱，不能选择电子邮件，请联系系统管理员补充"))
    preference, _created = Preference.objects.update_or_create(user=actor, defaults={"channels": chosen})
    return preference


def _office_only(actor: User) -> None:
    if not access.can_manage_notifications(actor):
        raise NotAllowed(gettext("只有爱卫办工作人员可以管理消息通知"))


def rule_set(
    *, actor: User, rule: str, enabled: bool, days: int | None, channels, quiet_hours_apply: bool
) -> RuleSetting:
    _office_only(actor)
    if rule not in rules.DEFAULTS:
        raise InvalidInput(gettext("没有这条规则"))
    default = rules.DEFAULTS[rule]
    if default.days is not None and (days is None or not 0 <= days <= 60):
        raise InvalidInput(gettext("天数应在 0 到 60 之间"))
    before = rules.effective(rule)
    with transaction.atomic():
        setting, _created = RuleSetting.objects.update_or_create(
            rule=rule,
            defaults={
                "enabled": enabled,
                "days": days if default.days is not None else None,
                "channels": sorted(set(channels) & set(rules.ALL)),
                "quiet_hours_apply": quiet_hours_apply,
                "changed_at": clock.now(),
                "changed_by": actor,
            },
        )
        after = rules.effective(rule)
        log_event(
            "change",
            user=actor,
            target=f"通知规则 {rule}",
            summary=gettext("修改通知规则「%(rule)s」") % {"rule": before.label},
            details={
                "before": {"enabled": before.enabled, "days": before.days, "channels": list(before.channels)},
                "after": {"enabled": after.enabled, "days": after.days, "channels": list(after.channels)},
            },
        )
    return setting


def message_resend(*, actor: User, message: Message) -> Message:
    """Send a dead (or waiting) message again, from its first try."""
    _office_only(actor)
    with transaction.atomic():
        locked = Message.objects.select_for_update().get(pk=message.pk)
        if locked.channel == Channel.INBOX or locked.state not in (Message.State.DEAD, Message.State.FAILED):
            raise InvalidInput(gettext("只有发送失败或待重试的消息可以重发"))
        locked.state = Message.State.PENDING
        locked.attempts = 0
        locked.next_attempt_at = clock.now()
        locked.claimed_until = None
        locked.save(update_fields=["state", "attempts", "next_attempt_at", "claimed_until"])
        deliver_soon()
    return locked


def endpoint_test(*, actor: User, endpoint: Endpoint) -> Message:
    """A test message through one endpoint, written to the outbox like any other: the delivery
    log then shows whether it went, and why not."""
    _office_only(actor)
    now = clock.now()
    with transaction.atomic():
        message = Message.objects.create(
            key=f"test:{endpoint.pk}:{now.isoformat()}",
            rule="test",
            channel=endpoint.kind,
            endpoint=endpoint,
            recipient=actor if endpoint.kind == Channel.SMS else None,
            address=actor.phone if endpoint.kind == Channel.SMS else "",
            unit=endpoint.unit,
            source=f"endpoint:{endpoint.pk}",
            subject=gettext("测试消息"),
            body=gettext("这是一条来自创卫督查的测试消息，由 %(name)s 发送。")
            % {"name": actor.get_full_name() or actor.username},
            mentions=[actor.phone] if actor.phone else [],
            urgent=True,
            created_at=now,
            next_attempt_at=now,
        )
        deliver_soon()
    return message
