"""Reaching people: the outbox of messages, the channels they go through, people's choices and
the rules' settings. A message is a row written in the transaction of the fact that causes it;
the worker delivers it (notifications/delivery.py). Nothing here reads a domain app: callers
(problems, bulletins, dossier, oversight) say whom to tell and what."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from organisation.models import Unit


class Channel(models.TextChoices):
    INBOX = "inbox", _("站内信")
    WECOM = "wecom", _("企业微信群机器人")
    DINGTALK = "dingtalk", _("钉钉群机器人")
    SMS = "sms", _("短信")
    EMAIL = "email", _("电子邮件")


ROBOTS = frozenset({Channel.WECOM, Channel.DINGTALK})
# What a person may choose to receive besides the notification centre, which is always on.
PERSONAL = (Channel.SMS, Channel.EMAIL)


class Endpoint(models.Model):
    """A configured way out: a unit's group robot (WeCom, DingTalk) or the SMS gateway. The URL of
    a robot carries its key and DingTalk's signing secret is a password: both are shown back
    only masked (`masked_url`) and never written to a log."""

    kind = models.CharField(_("渠道"), max_length=10, choices=[c for c in Channel.choices if c[0] in ROBOTS | {"sms"}])
    unit = models.ForeignKey(
        Unit, verbose_name=_("单位"), null=True, blank=True, on_delete=models.CASCADE, related_name="endpoints"
    )
    name = models.CharField(_("名称"), max_length=100)
    url = models.URLField(_("地址"), max_length=500)
    secret = models.CharField(_("加签密钥"), max_length=200, blank=True)
    # SMS gateways differ by province: the form fields of the request, with {mobile}, {text} and
    # {msgid} replaced, e.g. {"account": "cw", "phones": "{mobile}", "content": "{text}"}.
    parameters = models.JSONField(_("请求参数"), default=dict, blank=True)
    max_length = models.PositiveIntegerField(_("最大字数"), default=300)
    per_minute = models.PositiveIntegerField(_("每分钟最多条数"), default=20)
    enabled = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("发送渠道")
        verbose_name_plural = pgettext_lazy("plural", "发送渠道")
        ordering = ["kind", "unit__code", "name"]
        # One name per unit (and among the unit-less gateways): a form sent twice finds the first
        # channel instead of making a second one that would send everything twice.
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "name"],
                name="endpoint_name_per_unit",
                violation_error_message=_("该单位已有同名的发送渠道"),
            ),
            models.UniqueConstraint(
                fields=["name"],
                condition=models.Q(unit__isnull=True),
                name="endpoint_name_without_unit",
                violation_error_message=_("已有同名的发送渠道"),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.name}"

    @property
    def masked_url(self) -> str:
        """Enough to recognise the robot, not enough to post to it."""
        head, _sep, _rest = self.url.partition("?")
        return (head[:40] + "…") if len(head) > 40 else head + ("?…" if _rest else "")


class Preference(models.Model):
    """The channels a person wants besides the notification centre."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notice_preference")
    channels = models.JSONField(default=list)

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = pgettext_lazy("plural", "通知偏好")


class RuleSetting(models.Model):
    """The office's changes to a rule's defaults (notifications/rules.py): on or off, its timing in
    days, the channels it uses. A rule without a row runs with its defaults."""

    rule = models.CharField(max_length=30, unique=True)
    enabled = models.BooleanField(default=True)
    days = models.IntegerField(null=True, blank=True)
    channels = models.JSONField(default=list)
    quiet_hours_apply = models.BooleanField(default=True)
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")


class Message(models.Model):
    """One message to one person (or one group robot) through one channel: the outbox row.

    `key` (the causing fact + recipient + channel) is unique: writing the same message twice
    writes it once, and it travels with the message (msgid) so that a receiver can recognise a
    resend after a crash. States: pending -> sending (claimed by a worker until `claimed_until`)
    -> sent; or -> failed (another try at `next_attempt_at`) -> ... -> dead after MAX_ATTEMPTS,
    shown to the office, who can resend. The notification centre's messages are born sent."""

    class State(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("待重试")
        DEAD = "dead", _("发送失败")

    key = models.CharField(max_length=200, unique=True)
    rule = models.CharField(_("规则"), max_length=30)
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="messages", verbose_name=_("接收人")
    )
    endpoint = models.ForeignKey(Endpoint, null=True, on_delete=models.SET_NULL, related_name="messages")
    address = models.CharField(_("地址"), max_length=200, blank=True)  # mobile or e-mail at writing time
    unit = models.ForeignKey(Unit, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("相关单位"))
    source = models.CharField(max_length=100)  # what caused it: "problem:12", "bulletin:3"...
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"))
    link = models.CharField(max_length=300, blank=True)
    mentions = models.JSONField(default=list, blank=True)  # mobiles a robot @-mentions
    urgent = models.BooleanField(default=False)  # escalations to heads: not held by quiet hours
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    created_at = models.DateTimeField(_("生成时间"))
    sent_at = models.DateTimeField(_("发送时间"), null=True)
    read_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("消息")
        verbose_name_plural = pgettext_lazy("plural", "消息")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The worker's question: what is due now?
            models.Index(fields=["state", "next_attempt_at"], name="message_due"),
            # The navigation's question on every page: how many unread?
            models.Index(fields=["recipient", "channel", "read_at"], name="message_inbox"),
            # A robot's rate: what it was sent in the last minute (delivery._throttled).
            models.Index(fields=["endpoint", "sent_at"], name="message_endpoint_sent"),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} · {self.subject}"
