"""The oversight pages' filters (GET: a filtered view can be shared by its link)."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign
from core.forms import Form
from core.once import OnceForm
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


class ScoreMonthForm(Form):
    """Which month the scores page shows (GET)."""

    month = forms.ChoiceField(label=_("月份"), required=False)
    unit = forms.ModelChoiceField(
        label=_("单位逐月得分"), queryset=Unit.objects.none(), required=False, empty_label=_("不看")
    )

    def __init__(self, *args, months, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["month"].choices = [
            (f"{m:%Y-%m}", gettext("%(year)s年%(month)s月") % {"year": m.year, "month": m.month}) for m in months
        ]
        self.fields["unit"].queryset = Unit.objects.filter(
            kind__in=[Unit.Kind.SUBDISTRICT, Unit.Kind.DEPARTMENT], is_active=True
        ).order_by("kind", "code")


class ScoreWeightsForm(OnceForm):
    """A new version of the score's weights, in force from a month on (oversight.services)."""

    effective_from = forms.DateField(
        label=_("自哪月起生效"),
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
        error_messages={"invalid": _("请按 2026-12 的格式选择月份")},
    )
    closure = forms.DecimalField(label=_("结案率权重"), min_value=0, max_value=100, decimal_places=1)
    on_time = forms.DecimalField(label=_("按期结案率权重"), min_value=0, max_value=100, decimal_places=1)
    rework = forms.DecimalField(label=_("返工率权重"), min_value=0, max_value=100, decimal_places=1)
    rebound = forms.DecimalField(label=_("反弹率权重"), min_value=0, max_value=100, decimal_places=1)
    per_reassign = forms.DecimalField(label=_("每次推诿扣分"), min_value=0, max_value=100, decimal_places=1)
    per_overdue = forms.DecimalField(label=_("每件超期未结扣分"), min_value=0, max_value=100, decimal_places=1)
