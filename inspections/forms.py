from django import forms
from django.db.models import Prefetch, Q
from django.utils.translation import gettext_lazy as _

from core.forms import ACCEPT, Form, MultipleFileField, MultipleFileInput
from core.once import OnceForm
from core.services import PHOTO
from inspections.models import CheckResult, InspectionPlan, InspectionSchedule
from organisation.models import Area, Membership, Unit, User
from standard.models import SiteType

CHECKBOXES = forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"})


class TeamChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user):
        units = "、".join(sorted({str(m.unit) for m in user.team_memberships}))
        return f"{user.get_full_name()}（{units}）"


def team_candidates():
    """Who may be on a team: inspectors and the PHC office's acting staff, with the units they
    come from (for the label)."""
    team = Membership.objects.filter(unit__is_active=True).filter(
        Q(role=Membership.Role.INSPECTOR) | (Q(unit__kind=Unit.Kind.PHC_OFFICE) & ~Q(role=Membership.Role.VIEWER))
    )
    return (
        User.objects.filter(is_active=True, pk__in=team.values("user_id"))
        .prefetch_related(Prefetch("memberships", queryset=team.select_related("unit"), to_attr="team_memberships"))
        .order_by("username")
    )


class PlanForm(OnceForm):
    """A new plan. Besides these fields, one "count_<site type code>" field per site type: how
    many sites of that type to draw in each chosen sub-district."""

    name = forms.CharField(label=_("计划名称"), max_length=100)
    kind = forms.ChoiceField(label=_("类型"), choices=InspectionPlan.Kind.choices)
    mode = forms.ChoiceField(label=_("方式"), choices=InspectionPlan.Mode.choices)
    starts_on = forms.DateField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"}))
    areas = forms.ModelMultipleChoiceField(label=_("检查范围（街道）"), queryset=Area.objects.none(), widget=CHECKBOXES)
    exclude_recent_days = forms.IntegerField(
        label=_("排除近 N 天内已检查的点位"), min_value=0, max_value=365, initial=0, required=False
    )
    members = TeamChoiceField(
        label=_("检查组成员（来自至少两个单位）"), queryset=User.objects.none(), widget=CHECKBOXES
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["areas"].queryset = Area.objects.filter(kind=Area.Kind.SUBDISTRICT).order_by("code")
        self.fields["members"].queryset = team_candidates()
        self.site_types = list(SiteType.objects.order_by("id"))
        for site_type in self.site_types:
            self.fields[f"count_{site_type.code}"] = forms.IntegerField(
                label=site_type.name, min_value=0, max_value=500, initial=0, required=False
            )

    def count_fields(self):
        return [self[f"count_{site_type.code}"] for site_type in self.site_types]

    def counts(self) -> dict:
        return {t: self.cleaned_data.get(f"count_{t.code}") or 0 for t in self.site_types}


class ScheduleForm(OnceForm):
    """A recurring inspection rule (长效管理), new or changed. The key only matters for a new one."""

    name = forms.CharField(label=_("规则名称"), max_length=100)
    period = forms.ChoiceField(label=_("周期"), choices=InspectionSchedule.Period.choices)
    rule = forms.ChoiceField(
        label=_("规则"),
        choices=InspectionSchedule.Rule.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    count = forms.IntegerField(
        label=_("每街道每类抽取数量"),
        min_value=0,
        max_value=500,
        required=False,
        help_text=_("按数量抽取：每个周期在每个街道抽取每类点位的数量"),
    )
    interval_weeks = forms.IntegerField(
        label=_("覆盖周期（周）"),
        min_value=1,
        max_value=104,
        required=False,
        help_text=_("定期全覆盖：每个点位至少每 N 周检查一次"),
    )
    mode = forms.ChoiceField(label=_("方式"), choices=InspectionPlan.Mode.choices)
    window_days = forms.IntegerField(label=_("检查时限（天）"), min_value=1, max_value=31, initial=5)
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)
    site_types = forms.ModelMultipleChoiceField(
        label=_("点位类型"), queryset=SiteType.objects.none(), widget=CHECKBOXES
    )
    areas = forms.ModelMultipleChoiceField(label=_("检查范围（街道）"), queryset=Area.objects.none(), widget=CHECKBOXES)
    members = TeamChoiceField(
        label=_("检查组成员（来自至少两个单位）"), queryset=User.objects.none(), widget=CHECKBOXES
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site_types"].queryset = SiteType.objects.order_by("id")
        self.fields["areas"].queryset = Area.objects.filter(kind=Area.Kind.SUBDISTRICT).order_by("code")
        self.fields["members"].queryset = team_candidates()

    @staticmethod
    def initial_of(schedule: InspectionSchedule) -> dict:
        return {
            "name": schedule.name,
            "period": schedule.period,
            "rule": schedule.rule,
            "count": schedule.count or None,
            "interval_weeks": schedule.interval_weeks,
            "mode": schedule.mode,
            "window_days": schedule.window_days,
            "is_active": schedule.is_active,
            "site_types": list(schedule.site_types.all()),
            "areas": list(schedule.areas.all()),
            "members": list(schedule.members.all()),
        }

    def values(self) -> dict:
        """The service's keyword arguments."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "period": data["period"],
            "rule": data["rule"],
            "count": data.get("count") or 0,
            "interval_weeks": data.get("interval_weeks"),
            "mode": data["mode"],
            "window_days": data["window_days"],
            "is_active": bool(data.get("is_active")),
            "site_types": data["site_types"],
            "areas": data["areas"],
            "members": data["members"],
        }


class DrawForm(Form):
    seed = forms.CharField(
        label=_("随机种子（可不填）"),
        max_length=64,
        required=False,
        help_text=_("留空则由系统生成；也可当场公开产生一个数字填入，任何人可据此复核抽样结果"),
    )


class ReadinessForm(Form):
    since = forms.DateField(
        label=_("统计起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class ChecklistForm(Form):
    """The checklist of one site, for phones without JavaScript. The offline layer
    (static/js/inspect-offline.js) reads the same page and sends the same data through the API."""

    client_id = forms.UUIDField(widget=forms.HiddenInput)
    started_at = forms.DateTimeField(widget=forms.HiddenInput)
    latitude = forms.DecimalField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    longitude = forms.DecimalField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)
    note = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, checkpoints, **kwargs):
        super().__init__(*args, **kwargs)
        self.checkpoints = checkpoints
        for checkpoint in checkpoints:
            self.fields[f"result_{checkpoint.pk}"] = forms.ChoiceField(
                label=f"{checkpoint.code} {checkpoint.name}",
                choices=CheckResult.Result.choices,
                widget=forms.RadioSelect(attrs={"class": "btn-check", "autocomplete": "off"}),
            )
            self.fields[f"note_{checkpoint.pk}"] = forms.CharField(
                label=_("问题描述"), required=False, widget=forms.Textarea(attrs={"rows": 2})
            )
            self.fields[f"photos_{checkpoint.pk}"] = MultipleFileField(
                kind=PHOTO,
                label=_("拍照"),
                required=False,
                widget=MultipleFileInput(attrs={"accept": ACCEPT[PHOTO], "capture": "environment"}),
            )

    # The hidden fields are the page's, not the inspector's: their errors would show nowhere, and
    # the form came back with a bare 400. Said once at the top, with what to do.
    HIDDEN_MESSAGES = {
        "client_id": _("页面数据不完整（记录编号无效），请刷新页面后重新填写"),
        "started_at": _("页面数据不完整（开始时间无效），请刷新页面后重新填写"),
        "latitude": _("手机位置数据无效，请刷新页面后重新提交"),
        "longitude": _("手机位置数据无效，请刷新页面后重新提交"),
    }

    def full_clean(self):
        super().full_clean()
        if not self.is_bound:
            return
        for name, message in self.HIDDEN_MESSAGES.items():
            if name in self._errors:
                del self._errors[name]
                if message not in self.non_field_errors():
                    self.add_error(None, message)

    def clean(self):
        """A failed checkpoint becomes a problem: it needs at least a description or a photo."""
        cleaned = super().clean()
        for checkpoint in self.checkpoints:
            failed = cleaned.get(f"result_{checkpoint.pk}") == CheckResult.Result.FAIL
            described = (cleaned.get(f"note_{checkpoint.pk}") or "").strip()
            if failed and not described and not cleaned.get(f"photos_{checkpoint.pk}"):
                self.add_error(f"note_{checkpoint.pk}", _("不合格的检查要点须填写问题描述或拍照"))
        return cleaned

    def rows(self):
        """(checkpoint, result field, note field, photos field) for the template."""
        return [(c, self[f"result_{c.pk}"], self[f"note_{c.pk}"], self[f"photos_{c.pk}"]) for c in self.checkpoints]
