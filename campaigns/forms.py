from django import forms
from django.utils.translation import gettext_lazy as _

from campaigns.models import FiveInPlace, Milestone, Task
from core.forms import ACCEPT, Form, MultipleFileField, MultipleFileInput
from core.once import OnceForm
from core.services import EVIDENCE
from organisation.models import Unit, User
from standard.models import Criterion

DATE = {"type": "date"}


class TaskFilterForm(Form):
    unit = forms.ModelChoiceField(label=_("责任单位"), queryset=Unit.objects.none(), required=False)
    criterion = forms.ModelChoiceField(label=_("标准指标"), queryset=Criterion.objects.none(), required=False)
    milestone = forms.ModelChoiceField(label=_("时间节点"), queryset=Milestone.objects.none(), required=False)
    state = forms.ChoiceField(label=_("进度"), choices=[("", _("全部")), *Task.State.choices], required=False)

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(is_active=True).exclude(kind=Unit.Kind.LEADERSHIP)
        self.fields["criterion"].queryset = Criterion.objects.filter(
            standard=campaign.standard, level=Criterion.Level.CRITERION
        )
        self.fields["milestone"].queryset = campaign.milestones.all()


class TaskForm(OnceForm):
    title = forms.CharField(label=_("任务内容"), max_length=200)
    criterion = forms.ModelChoiceField(label=_("标准指标"), queryset=Criterion.objects.none())
    milestone = forms.ModelChoiceField(label=_("时间节点"), queryset=Milestone.objects.none())
    lead_unit = forms.ModelChoiceField(label=_("责任单位"), queryset=Unit.objects.none())
    responsible = forms.ModelChoiceField(label=_("责任人"), queryset=User.objects.none())
    target_quantity = forms.DecimalField(label=_("目标数量"), max_digits=12, decimal_places=2)
    target_measure = forms.CharField(label=_("计量单位"), max_length=20)
    deadline = forms.DateField(label=_("完成期限"), widget=forms.DateInput(attrs=DATE))
    description = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["criterion"].queryset = Criterion.objects.filter(standard=campaign.standard).exclude(
            level=Criterion.Level.CATEGORY
        )
        self.fields["milestone"].queryset = campaign.milestones.all()
        self.fields["lead_unit"].queryset = Unit.objects.filter(
            is_active=True, kind__in=[Unit.Kind.SUBDISTRICT, Unit.Kind.DEPARTMENT, Unit.Kind.PHC_OFFICE]
        )
        # Anyone with a role in a unit; the service checks the person belongs to the chosen unit.
        self.fields["responsible"].queryset = User.objects.filter(memberships__isnull=False).distinct()
        self.fields["responsible"].label_from_instance = lambda user: user.get_full_name()


class DeadlineForm(Form):
    deadline = forms.DateField(label=_("新的完成期限"), widget=forms.DateInput(attrs=DATE))
    reason = forms.CharField(label=_("理由"), required=False)


class ProgressForm(OnceForm):
    quantity_done = forms.DecimalField(label=_("累计完成数量"), max_digits=12, decimal_places=2, min_value=0)
    text = forms.CharField(label=_("进展情况"), widget=forms.Textarea(attrs={"rows": 3}))
    files = MultipleFileField(
        kind=EVIDENCE,
        label=_("佐证材料"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": ACCEPT[EVIDENCE]}),
    )


class FiveInPlaceForm(OnceForm):
    status = forms.ChoiceField(label=_("状态"), choices=FiveInPlace.Status.choices)
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    files = MultipleFileField(
        kind=EVIDENCE,
        label=_("佐证材料"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": ACCEPT[EVIDENCE]}),
    )
