from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A person who signs in. Chinese names are not split into first and last name."""

    full_name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("手机号", max_length=20, blank=True)

    class Meta:
        verbose_name = "人员"
        verbose_name_plural = "人员"

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.full_name or self.username


class Area(models.Model):
    """The area tree: district -> sub-district -> community (and grids, if an office uses them)."""

    class Kind(models.TextChoices):
        DISTRICT = "district", "区"
        SUBDISTRICT = "subdistrict", "街道"
        COMMUNITY = "community", "社区"
        GRID = "grid", "网格"

    code = models.CharField("编码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=100)
    kind = models.CharField("层级", max_length=16, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name="上级",
    )
    boundary = models.JSONField("边界（GeoJSON 几何）", null=True, blank=True)

    class Meta:
        verbose_name = "区域"
        verbose_name_plural = "区域"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """A responsible unit: the PHC office, a sub-district office, or a functional department."""

    class Kind(models.TextChoices):
        PHC_OFFICE = "phc_office", "爱卫办"
        LEADERSHIP = "leadership", "区领导"
        SUBDISTRICT = "subdistrict", "街道办事处"
        DEPARTMENT = "department", "部门"

    code = models.CharField("编码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=100, unique=True)
    short_name = models.CharField("简称", max_length=30, blank=True)
    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    area = models.ForeignKey(
        Area,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="units",
        verbose_name="辖区",
        help_text="街道办事处负责其辖区内的一切",
    )
    is_active = models.BooleanField("在用", default=True)

    class Meta:
        verbose_name = "单位"
        verbose_name_plural = "单位"
        ordering = ["kind", "code"]

    def __str__(self) -> str:
        return self.short_name or self.name


class Membership(models.Model):
    """A person's role in a unit. One person may hold roles in several units: an inspector drawn
    into the supervision team keeps their place in their own department."""

    class Role(models.TextChoices):
        HEAD = "head", "一把手（第一责任人）"
        DEPUTY = "deputy", "分管领导（直接责任人）"
        LIAISON = "liaison", "联络员"
        INSPECTOR = "inspector", "督导组成员"
        VIEWER = "viewer", "只读"

    # Roles that do a unit's own work: report progress, submit rectification evidence.
    ACTING_ROLES = frozenset({Role.HEAD, Role.DEPUTY, Role.LIAISON})

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField("角色", max_length=16, choices=Role.choices)

    class Meta:
        verbose_name = "任职"
        verbose_name_plural = "任职"
        constraints = [models.UniqueConstraint(fields=["user", "unit", "role"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.unit} · {self.get_role_display()}"
