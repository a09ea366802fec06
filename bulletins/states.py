"""A bulletin's life as data: a draft is edited, then published once (numbered and frozen).

bulletins.services enforces the table through core.states.transition; the detail page shows the
edit form and the publish button only where `allowed_from` has them."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.states import StateMachine


class BulletinStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已印发")


class BulletinAction(models.TextChoices):
    CREATE = "create", pgettext_lazy("bulletin event", "起草")
    EDIT = "edit", pgettext_lazy("bulletin event", "修改")
    PUBLISH = "publish", pgettext_lazy("bulletin event", "印发")
    RENDER = "render", pgettext_lazy("bulletin event", "重新生成文件")


class RenderState(models.TextChoices):
    """The Word and PDF files of a published bulletin, made by the worker after publication."""

    PENDING = "pending", _("排队生成")
    RENDERING = "rendering", _("正在生成")
    READY = "ready", _("已生成")
    FAILED = "failed", _("生成失败")


# action -> (states it may start from, state it leads to). None is "not yet created".
BULLETIN_TRANSITIONS: dict[str, tuple[frozenset, str]] = {
    BulletinAction.CREATE: (frozenset({None}), BulletinStatus.DRAFT),
    BulletinAction.EDIT: (frozenset({BulletinStatus.DRAFT}), BulletinStatus.DRAFT),
    BulletinAction.PUBLISH: (frozenset({BulletinStatus.DRAFT}), BulletinStatus.PUBLISHED),
    # Make the files again after a failed or interrupted rendering: the bulletin stays published,
    # its number and snapshot untouched (bulletins.services.bulletin_render_again checks the rest).
    BulletinAction.RENDER: (frozenset({BulletinStatus.PUBLISHED}), BulletinStatus.PUBLISHED),
}

BULLETIN_MACHINE = StateMachine(
    statuses=BulletinStatus,
    actions=BulletinAction,
    transitions=BULLETIN_TRANSITIONS,
    not_allowed=_("只有爱卫办可以编辑和印发通报"),
    stale=_("通报「%(title)s」已被他人修改（现为「%(status)s」），请刷新后重试"),
    illegal=_("通报%(issue)s已印发"),
    illegal_by_action={
        BulletinAction.EDIT: _("通报%(issue)s已印发，不能修改"),
        BulletinAction.RENDER: _("通报尚未印发，没有可生成的文件"),
    },
    describe=lambda bulletin: {"issue": bulletin.issue_label, "title": bulletin.title},
)

allowed_from = BULLETIN_MACHINE.allowed_from
