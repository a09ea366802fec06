from django import forms
from django.utils.translation import gettext_lazy as _

from bulletins.models import Accountability
from core.forms import Form
from core.once import OnceForm
from organisation.models import Unit, User

DATE = {"type": "date"}


class BulletinCreateForm(OnceForm):
    period_start = forms.DateField(label=_("统计起始日期"), widget=forms.DateInput(attrs=DATE))
    period_end = forms.DateField(label=_("统计截止日期"), widget=forms.DateInput(attrs=DATE))
    title = forms.CharField(label=_("标题（可不填，自动生成）"), required=False, max_length=200)
    criticise_overdue_at = forms.IntegerField(label=_("逾期问题达到几个即通报批评"), min_value=1, initial=3)


class BulletinEditForm(Form):
    title = forms.CharField(label=_("标题"), max_length=200)
    addressee = forms.CharField(label=_("主送机关"), max_length=300, required=False)
    lead = forms.CharField(label=_("导语"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    overview = forms.CharField(
        label=_("督查概况（按本期督查计划生成，可修改）"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    closing = forms.CharField(label=_("下步要求"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    criticise_overdue_at = forms.IntegerField(label=_("逾期问题达到几个即通报批评"), min_value=1)


class AccountabilityForm(OnceForm):
    unit = forms.ModelChoiceField(label=_("单位"), queryset=Unit.objects.filter(is_active=True))
    person = forms.ModelChoiceField(label=_("责任人（可不填）"), queryset=User.objects.none(), required=False)
    measure = forms.ChoiceField(label=_("处理措施"), choices=Accountability.Measure.choices)
    reason = forms.CharField(label=_("事由"), widget=forms.Textarea(attrs={"rows": 3}))
    decided_on = forms.DateField(label=_("决定日期"), widget=forms.DateInput(attrs=DATE))
    problem_numbers = forms.CharField(
        label=_("相关问题编号（可不填，逗号分隔）"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "2026-000123, 2026-000124"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = User.objects.filter(memberships__isnull=False).distinct()
        self.fields["person"].label_from_instance = lambda user: user.get_full_name()

    def clean_problem_numbers(self) -> list[tuple[int, int]]:
        numbers = []
        for part in self.cleaned_data["problem_numbers"].replace("，", ",").split(","):
            part = part.strip()
            if not part:
                continue
            year, _dash, sequence = part.partition("-")
            if not (year.isdigit() and sequence.isdigit()):
                raise forms.ValidationError(
                    _("问题编号「%(number)s」格式不对，应如 2026-000123"), code="invalid", params={"number": part}
                )
            number = (int(year), int(sequence))
            if number not in numbers:  # typed twice, it is still one problem, not a missing one
                numbers.append(number)
        return numbers


class AccountabilityFromBulletinForm(OnceForm):
    """The confirm form on a draft: one accountability record for each unit it criticises."""

    measure = forms.ChoiceField(
        label=_("处理措施"), choices=Accountability.Measure.choices, initial=Accountability.Measure.CRITICISM
    )
    # ISO in the value, as <input type="date"> needs, so that today is filled in.
    decided_on = forms.DateField(label=_("决定日期"), widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))
    confirm = forms.BooleanField(label=_("确认为以上每个单位各记录一条问责"))
