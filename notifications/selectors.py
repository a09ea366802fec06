"""Reads of the notifications: a person's own messages, the office's delivery log."""

from django.db.models import QuerySet

from notifications.models import Channel, Message


def inbox(user) -> QuerySet:
    return Message.objects.filter(recipient=user, channel=Channel.INBOX).order_by("-created_at", "-pk")


def delivery_log(filters: dict) -> QuerySet:
    rows = Message.objects.exclude(channel=Channel.INBOX).select_related("recipient", "endpoint", "unit")
    for field in ("state", "channel", "rule", "unit"):
        if filters.get(field):
            rows = rows.filter(**{field: filters[field]})
    return rows.order_by("-created_at", "-pk")
