from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Standard(models.Model):
    """A hygienic-city standard as a scored tree (category -> criterion -> checkpoint)."""

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)

    class Meta:
        verbose_name = _("标准")
        verbose_name_plural = pgettext_lazy("plural", "标准")

    def __str__(self) -> str:
        return self.name


class CriterionQuerySet(models.QuerySet):
    def categories(self):
        return self.filter(level=Criterion.Level.CATEGORY)

    def criteria(self):
        return self.filter(level=Criterion.Level.CRITERION)

    def checkpoints(self):
        return self.filter(level=Criterion.Level.CHECKPOINT)


class Criterion(models.Model):
    """One node of the standard's tree. Weights are points; a node's weight is the sum of its
    children's (checked by the loader and by audit_check)."""

    class Level(models.TextChoices):
        CATEGORY = "category", _("类别")
        CRITERION = "criterion", _("指标")
        CHECKPOINT = "checkpoint", _("检查要点")

    standard = models.ForeignKey(Standard, on_delete=models.CASCADE, related_name="criteria", verbose_name=_("标准"))
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
        verbose_name=_("上级"),
    )
    level = models.CharField(_("层级"), max_length=16, choices=Level.choices)
    code = models.CharField(_("编号"), max_length=20)
    name = models.CharField(_("内容"), max_length=300)
    weight = models.DecimalField(_("分值"), max_digits=6, decimal_places=2, default=0)
    on_site = models.BooleanField(_("现场检查"), default=False)
    required_materials = models.JSONField(_("申报资料"), default=list, blank=True)
    # What 交办 proposes as the deadline for a problem under this checkpoint (or criterion):
    # today + these days. Empty: the checkpoint's criterion's, else the office's general default.
    fix_days = models.PositiveSmallIntegerField(
        _("默认整改期限（天）"),
        null=True,
        blank=True,
        help_text=_("交办此类问题时建议的整改天数；不填则用上级指标的，再不填则用系统默认"),
    )
    position = models.PositiveIntegerField(default=0, verbose_name=_("排序"))

    objects = CriterionQuerySet.as_manager()

    class Meta:
        verbose_name = _("标准条目")
        verbose_name_plural = pgettext_lazy("plural", "标准条目")
        ordering = ["standard", "position"]
        constraints = [models.UniqueConstraint(fields=["standard", "code"], name="criterion_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class SiteType(models.Model):
    """A kind of place (back street, farmers' market...) with the checklist inspectors use there."""

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    checkpoints = models.ManyToManyField(
        Criterion,
        blank=True,
        related_name="site_types",
        verbose_name=_("检查清单"),
        limit_choices_to={"level": Criterion.Level.CHECKPOINT},
    )

    class Meta:
        verbose_name = _("点位类型")
        verbose_name_plural = pgettext_lazy("plural", "点位类型")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name
