from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from organisation.models import Area, Unit
from standard.models import SiteType


class SiteQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Site(models.Model):
    """A place that is inspected (点位). Coordinates are WGS-84, as a phone's GPS gives them;
    conversion for Chinese map providers happens only at display time."""

    code = models.CharField(_("点位编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    site_type = models.ForeignKey(SiteType, on_delete=models.PROTECT, verbose_name=_("类型"))
    area = models.ForeignKey(Area, on_delete=models.PROTECT, verbose_name=_("所在区域"))
    owner_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="sites", verbose_name=_("责任单位"))
    address = models.CharField(_("地址"), max_length=200, blank=True)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    area_m2 = models.PositiveIntegerField(_("面积（平方米）"), null=True, blank=True)
    is_active = models.BooleanField(_("在用"), default=True)

    objects = SiteQuerySet.as_manager()

    class Meta:
        verbose_name = _("点位")
        verbose_name_plural = pgettext_lazy("plural", "点位")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True) | models.Q(latitude__gte=-90, latitude__lte=90),
                name="site_latitude_range",
            ),
            models.CheckConstraint(
                condition=models.Q(longitude__isnull=True) | models.Q(longitude__gte=-180, longitude__lte=180),
                name="site_longitude_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"
