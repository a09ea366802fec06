"""The oversight pages' filters (GET: a filtered view can be shared by its link)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign
from core.forms import Form
from organisation.models import Area, Unit
from oversight import trends
from standard.models import Criterion, SiteType


class TrendFilterForm(Form):
    period = forms.ChoiceField(
        label=_("周期"), choices=[(trends.MONTH, _("按月")), (trends.WEEK, _("按周"))], required=False
    )
    unit = forms.ModelChoiceField(
        label=_("责任单位"), queryset=Unit.objects.none(), required=False, empty_label=_("全部")
    )
    area = forms.ModelChoiceField(label=_("街道"), queryset=Area.objects.none(), required=False, empty_label=_("全部"))
    site_type = forms.ModelChoiceField(
        label=_("点位类型"), queryset=SiteType.objects.all(), required=False, empty_label=_("全部")
    )
    criterion = forms.ModelChoiceField(
        label=_("标准条目"), queryset=Criterion.objects.none(), required=False, empty_label=_("全部")
    )
    compare = forms.ModelChoiceField(
        label=_("同期对比"), queryset=Campaign.objects.none(), required=False, empty_label=_("不对比")
    )

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(
            kind__in=[Unit.Kind.SUBDISTRICT, Unit.Kind.DEPARTMENT], is_active=True
        )
        self.fields["area"].queryset = Area.objects.filter(kind=Area.Kind.SUBDISTRICT)
        # As the problem list offers them, so that a period's link opens the same problems there.
        self.fields["criterion"].queryset = Criterion.objects.filter(standard_id=campaign.standard_id).exclude(
            level=Criterion.Level.CATEGORY
        )
        # Earlier campaigns only: the same months of an earlier year beside this one's.
        self.fields["compare"].queryset = Campaign.objects.filter(starts_on__lt=campaign.starts_on).order_by(
            "-starts_on"
        )
