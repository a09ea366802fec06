"""The rules: who hears what, when, through which channels. The defaults live here, in one
place; the office changes timing, channels or switches a rule off (RuleSetting rows), and the
screens show what is in force (`effective`). Callers name a rule when they write messages; the
reminder and escalation sweep reads the timings from here."""

from dataclasses import dataclass, replace

from django.utils.translation import gettext_lazy as _

from notifications.models import Channel, RuleSetting

ALL = (Channel.WECOM, Channel.DINGTALK, Channel.SMS, Channel.EMAIL)


@dataclass(frozen=True)
class Rule:
    key: str
    label: str
    audience: str
    days: int | None = None  # the timing, where the rule has one (days before or after the deadline)
    channels: tuple = ALL
    enabled: bool = True
    quiet_hours_apply: bool = True


DEFAULTS = {
    rule.key: rule
    for rule in [
        Rule("assigned", _("交办"), _("责任单位联络员、单位群机器人")),
        Rule("due_soon", _("到期提醒"), _("联络员（截止前 N 天仍未提交整改）"), days=2),
        Rule("overdue", _("逾期催办"), _("联络员、分管领导（逾期第 N 天）"), days=1),
        Rule(
            "overdue_head", _("逾期升级"), _("一把手、分管领导、爱卫办（逾期 N 天）"), days=3, quiet_hours_apply=False
        ),
        Rule("supervised", _("督办"), _("分管区领导、爱卫办（逾期 N 天，标记督办）"), days=7, quiet_hours_apply=False),
        Rule("returned", _("退回返工"), _("联络员（附退回理由）")),
        Rule("submitted", _("待复核"), _("督导组成员")),
        Rule("bulletin", _("通报印发"), _("通报点名单位的一把手")),
        Rule("material_returned", _("资料退回"), _("单位联络员（附退回理由）")),
        Rule("hotspot", _("反弹热点"), _("点位责任单位一把手（每个点位每个统计窗口一次）")),
        Rule("digest_daily", _("每日摘要"), _("各单位一把手"), channels=(Channel.EMAIL, Channel.SMS)),
        Rule("digest_weekly", _("每周摘要"), _("区领导"), channels=(Channel.EMAIL, Channel.SMS)),
        Rule("test", _("测试消息"), _("发送测试的人")),
    ]
}


def effective(key: str) -> Rule:
    """The rule as it runs now: the defaults with the office's changes."""
    rule = DEFAULTS[key]
    setting = RuleSetting.objects.filter(rule=key).first()
    if setting is None:
        return rule
    return replace(
        rule,
        enabled=setting.enabled,
        days=setting.days if (rule.days is not None and setting.days is not None) else rule.days,
        channels=tuple(Channel(c) for c in setting.channels if c in Channel.values and c != Channel.INBOX),
        quiet_hours_apply=setting.quiet_hours_apply,
    )


def all_effective() -> list[Rule]:
    settings = {s.rule: s for s in RuleSetting.objects.all()}
    return [effective(key) if key in settings else rule for key, rule in DEFAULTS.items()]
