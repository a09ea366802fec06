from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class User(AbstractUser):
    """A person who signs in. Chinese names are not split into first and last name."""

    class AdminRole(models.TextChoices):
        """三员分立: the three administrators of classified protection level 3. An account holds at
        most one of them (one field), and none of them is also a campaign role's account."""

        NONE = "", _("无")
        SYSTEM = "system", _("系统管理员")  # users, units, configuration
        SECURITY = "security", _("安全管理员")  # roles, memberships, lockouts, policies
        AUDIT = "audit", _("审计管理员")  # reads and exports the security log, nothing else

    full_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    admin_role = models.CharField(_("管理员角色"), max_length=10, choices=AdminRole.choices, blank=True, default="")

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = pgettext_lazy("plural", "人员")

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.full_name or self.username


class Area(models.Model):
    """The area tree: district -> sub-district -> community (and grids, if an office uses them)."""

    class Kind(models.TextChoices):
        DISTRICT = "district", _("区")
        SUBDISTRICT = "subdistrict", _("街道")
        COMMUNITY = "community", _("社区")
        GRID = "grid", _("网格")

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("层级"), max_length=16, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("上级"),
    )
    boundary = models.JSONField(_("边界（GeoJSON 几何）"), null=True, blank=True)

    class Meta:
        verbose_name = _("区域")
        verbose_name_plural = pgettext_lazy("plural", "区域")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """A responsible unit: the PHC office, a sub-district office, or a functional department."""

    class Kind(models.TextChoices):
        PHC_OFFICE = "phc_office", _("爱卫办")
        LEADERSHIP = "leadership", _("区领导")
        SUBDISTRICT = "subdistrict", _("街道办事处")
        DEPARTMENT = "department", _("部门")

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100, unique=True)
    short_name = models.CharField(_("简称"), max_length=30, blank=True)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    area = models.ForeignKey(
        Area,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="units",
        verbose_name=_("辖区"),
        help_text=_("街道办事处负责其辖区内的一切"),
    )
    is_active = models.BooleanField(_("在用"), default=True)

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = pgettext_lazy("plural", "单位")
        ordering = ["kind", "code"]

    def __str__(self) -> str:
        return self.short_name or self.name


class Membership(models.Model):
    """A person's role in a unit. One person may hold roles in several units: an inspector drawn
    into the supervision team keeps their place in their own department."""

    class Role(models.TextChoices):
        HEAD = "head", _("一把手（第一责任人）")
        DEPUTY = "deputy", _("分管领导（直接责任人）")
        LIAISON = "liaison", _("联络员")
        INSPECTOR = "inspector", _("督导组成员")
        VIEWER = "viewer", _("只读")

    # Roles that do a unit's own work: report progress, submit rectification evidence.
    ACTING_ROLES = frozenset({Role.HEAD, Role.DEPUTY, Role.LIAISON})

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("人员"))
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("单位"))
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices)

    class Meta:
        verbose_name = _("任职")
        verbose_name_plural = pgettext_lazy("plural", "任职")
        constraints = [models.UniqueConstraint(fields=["user", "unit", "role"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.unit} · {self.get_role_display()}"
