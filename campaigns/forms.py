from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from campaigns.models import FiveInPlace, Milestone, Task
from core.forms import ACCEPT, Form, MultipleFileField, MultipleFileInput
from core.once import OnceForm
from core.services import EVIDENCE
from organisation.models import Membership, Unit, User
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


def owner_choices(unit_id=None) -> list[tuple]:
    """The people who may own a task, each with their unit, by unit then name: one row per
    (unit, person), so a person in two units shows under each (issue 12: a bare list of names
    gave no clue who belongs where). Only the chosen unit's people once a unit is chosen."""
    memberships = (
        Membership.objects.filter(
            unit__is_active=True,
            user__is_active=True,
            unit__kind__in=[Unit.Kind.SUBDISTRICT, Unit.Kind.DEPARTMENT, Unit.Kind.PHC_OFFICE],
        )
        .exclude(role=Membership.Role.VIEWER)
        .select_related("user", "unit")
        .order_by("unit__code", "user__full_name", "user__username")
    )
    if unit_id:
        memberships = memberships.filter(unit_id=unit_id)
    seen = set()
    choices = [("", "---------")]
    for m in memberships:
        if (m.unit_id, m.user_id) in seen:
            continue
        seen.add((m.unit_id, m.user_id))
        choices.append((m.user_id, f"{m.user.get_full_name()}（{m.unit}）"))
    return choices


def _chosen_unit(form) -> int | None:
    raw = form.data.get("lead_unit") if form.is_bound else form.initial.get("lead_unit")
    raw = getattr(raw, "pk", raw)
    return int(raw) if str(raw or "").isdigit() else None


class OwnerFieldsMixin:
    """责任单位 and 责任人 together: the person list follows the unit, on the server for a page
    drawn with a unit, and by htmx (GET campaigns:task_owners) when the unit changes."""

    def _owner_fields(self):
        self.fields["lead_unit"].queryset = Unit.objects.filter(
            is_active=True, kind__in=[Unit.Kind.SUBDISTRICT, Unit.Kind.DEPARTMENT, Unit.Kind.PHC_OFFICE]
        )
        self.fields["lead_unit"].widget.attrs.update(
            {
                "hx-get": reverse_lazy("campaigns:task_owners"),
                "hx-target": "#id_responsible",
                "hx-trigger": "change",
            }
        )
        # Anyone with a role in a unit; the service checks the person belongs to the chosen unit.
        self.fields["responsible"].queryset = User.objects.filter(memberships__isnull=False).distinct()
        self.fields["responsible"].choices = owner_choices(_chosen_unit(self))


class TaskForm(OwnerFieldsMixin, OnceForm):
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
        self._owner_fields()


class TaskEditForm(OwnerFieldsMixin, Form):
    """Change a task: what it asks (text, target, criterion, milestone) and who owns it. The
    deadline has its own form: it only moves earlier."""

    title = forms.CharField(label=_("任务内容"), max_length=200)
    criterion = forms.ModelChoiceField(label=_("标准指标"), queryset=Criterion.objects.none())
    milestone = forms.ModelChoiceField(label=_("时间节点"), queryset=Milestone.objects.none())
    lead_unit = forms.ModelChoiceField(label=_("责任单位"), queryset=Unit.objects.none())
    responsible = forms.ModelChoiceField(label=_("责任人"), queryset=User.objects.none())
    target_quantity = forms.DecimalField(label=_("目标数量"), max_digits=12, decimal_places=2)
    target_measure = forms.CharField(label=_("计量单位"), max_length=20)
    description = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    reason = forms.CharField(label=_("修改理由"), required=False, help_text=_("更换责任单位或责任人时必填"))

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["criterion"].queryset = Criterion.objects.filter(standard=campaign.standard).exclude(
            level=Criterion.Level.CATEGORY
        )
        self.fields["milestone"].queryset = campaign.milestones.all()
        self._owner_fields()


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
