from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import ACCEPT, Form, MultipleFileField, MultipleFileInput
from core.once import OnceForm
from core.services import DOCUMENT, PHOTO
from organisation.models import Area, Unit
from problems.models import Problem
from problems.states import Status
from sites.models import Site
from standard.models import Criterion, SiteType

SORTS = {
    "-recorded": ("-recorded_at", _("最新发现")),
    "recorded": ("recorded_at", _("最早发现")),
    "deadline": ("deadline", _("期限最近")),
    "-deadline": ("-deadline", _("期限最远")),
    "number": ("sequence", _("编号")),
}


class ProblemFilterForm(Form):
    """The problem list's filters. They live in the URL (GET), so a filtered list can be shared."""

    q = forms.CharField(label=_("搜索"), required=False, widget=forms.TextInput(attrs={"placeholder": _("编号或描述")}))
    # Checkboxes, not a multiple <select> (which needs Ctrl-click on a desktop and is clumsy on a
    # phone); several statuses stay in the URL as ?status=a&status=b, a single one as before.
    status = forms.MultipleChoiceField(
        label=_("状态"), choices=Status.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    unit = forms.ModelChoiceField(label=_("责任单位"), queryset=Unit.objects.none(), required=False)
    area = forms.ModelChoiceField(label=_("区域"), queryset=Area.objects.none(), required=False)
    site_type = forms.ModelChoiceField(label=_("点位类型"), queryset=SiteType.objects.all(), required=False)
    criterion = forms.ModelChoiceField(label=_("标准条目"), queryset=Criterion.objects.none(), required=False)
    source = forms.ChoiceField(label=_("来源"), choices=[("", _("全部")), *Problem.Source.choices], required=False)
    overdue = forms.BooleanField(label=_("只看逾期"), required=False)
    rebound = forms.BooleanField(label=_("只看反弹"), required=False)
    resembles = forms.BooleanField(label=_("疑似重复"), required=False)
    date_from = forms.DateField(
        label=_("发现日期从"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("不是有效的日期，请按 2026-05-12 的格式填写")},
    )
    date_to = forms.DateField(
        label=_("至"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("不是有效的日期，请按 2026-05-12 的格式填写")},
    )
    sort = forms.ChoiceField(
        label=_("排序"), choices=[(k, v[1]) for k, v in SORTS.items()], required=False, initial="-recorded"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(
            kind__in=[Unit.Kind.SUBDISTRICT, Unit.Kind.DEPARTMENT], is_active=True
        )
        self.fields["area"].queryset = Area.objects.exclude(kind=Area.Kind.GRID)
        self.fields["criterion"].queryset = Criterion.objects.exclude(level=Criterion.Level.CATEGORY)


class AssignForm(Form):
    unit = forms.ModelChoiceField(label=_("责任单位"), queryset=Unit.objects.none())
    # ISO format: a date input shows nothing for the locale's 2026/05/19 (the proposed deadline).
    deadline = forms.DateField(label=_("整改期限"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    note = forms.CharField(label=_("交办意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(
            kind__in=[Unit.Kind.SUBDISTRICT, Unit.Kind.DEPARTMENT], is_active=True
        )


class ReassignForm(AssignForm):
    deadline = forms.DateField(
        label=_("新整改期限（可不填）"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=_("改派理由"), widget=forms.Textarea(attrs={"rows": 2}))


class SubmitForm(Form):
    note = forms.CharField(label=_("整改情况"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    files = MultipleFileField(
        kind=PHOTO,
        label=_("整改照片"),
        required=False,
        # No capture=: it forced the camera, and a liaison often sends the photo a colleague took
        # earlier; without it the phone offers the camera and the gallery both.
        widget=MultipleFileInput(attrs={"accept": ACCEPT[PHOTO]}),
    )
    # Rectification evidence may be a document too (a contract, a report); it is kept apart from
    # the photos, which the bulletin prints as "after".
    documents = MultipleFileField(
        kind=DOCUMENT,
        label=_("整改文件（PDF、Word、Excel，可不填）"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": ACCEPT[DOCUMENT]}),
    )


class VerifyForm(Form):
    note = forms.CharField(label=_("复核意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    files = MultipleFileField(
        kind=PHOTO, label=_("复核照片"), required=False, widget=MultipleFileInput(attrs={"accept": ACCEPT[PHOTO]})
    )


class ReasonForm(Form):
    note = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 2}))
    files = MultipleFileField(
        kind=PHOTO, label=_("照片"), required=False, widget=MultipleFileInput(attrs={"accept": ACCEPT[PHOTO]})
    )


# The record form's answer to the possible duplicates it showed: this value, or a candidate's uuid.
NEW = "new"


class RecordForm(OnceForm):
    """The office's (or an inspector's) record form: a problem found outside a checklist (a
    leader's instruction, a citizen's call, a walk through the district). Site and criterion
    drawn, the open problems that may be the same are shown (`duplicate`: a candidate's uuid to
    link the report to it, or NEW to record a new problem all the same)."""

    site = forms.ModelChoiceField(label=_("点位"), queryset=Site.objects.none())
    criterion = forms.ModelChoiceField(label=_("标准条目"), queryset=Criterion.objects.none())
    description = forms.CharField(label=_("问题描述"), widget=forms.Textarea(attrs={"rows": 3}))
    severity = forms.ChoiceField(label=_("严重程度"), choices=Problem.Severity.choices, initial=Problem.Severity.MINOR)
    source = forms.ChoiceField(label=_("来源"), choices=Problem.Source.choices, initial=Problem.Source.LEADER)
    photos = MultipleFileField(
        kind=PHOTO,
        label=_("问题照片"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": ACCEPT[PHOTO]}),
    )
    # Drawn by the candidates' fragment as radio buttons; empty until some were shown.
    duplicate = forms.CharField(required=False, max_length=36, widget=forms.HiddenInput)

    def __init__(self, *args, sites=None, campaign=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites if sites is not None else Site.objects.none()
        criteria = Criterion.objects.exclude(level=Criterion.Level.CATEGORY)
        if campaign is not None:
            criteria = criteria.filter(standard_id=campaign.standard_id)
        self.fields["criterion"].queryset = criteria


class MergeForm(Form):
    """合并: the survivor by its number (2026-000601), and the reason."""

    into = forms.CharField(
        label=_("合并到问题（编号）"),
        max_length=20,
        widget=forms.TextInput(attrs={"placeholder": _("例如 2026-000601"), "inputmode": "numeric"}),
    )
    note = forms.CharField(label=_("合并理由"), widget=forms.Textarea(attrs={"rows": 2}))

    def clean_into(self) -> tuple[int, int]:
        parts = self.cleaned_data["into"].strip().split("-")
        if len(parts) != 2 or not all(part.isdigit() and len(part) <= 9 for part in parts):
            raise forms.ValidationError(_("请按 2026-000601 的格式填写问题编号"))
        return int(parts[0]), int(parts[1])
