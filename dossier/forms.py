from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import Form, KindFileField
from core.once import OnceForm
from core.services import EVIDENCE
from dossier.selectors import ACCEPTED, MISSING, PENDING, RETURNED
from organisation.models import Unit

STATE_CHOICES = [
    ("", _("全部状态")),
    (MISSING, _("未报送")),
    (PENDING, _("待审核")),
    (RETURNED, _("已退回")),
    (ACCEPTED, _("已通过")),
]


class FilterForm(Form):
    unit = forms.ModelChoiceField(
        label=_("责任单位"), queryset=Unit.objects.filter(is_active=True), required=False, empty_label=_("全部单位")
    )
    state = forms.ChoiceField(label=_("状态"), choices=STATE_CHOICES, required=False)


class UploadForm(OnceForm):
    file = KindFileField(kind=EVIDENCE, label=_("文件"))
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReviewForm(Form):
    action = forms.ChoiceField(choices=[("accept", _("通过")), ("return", _("退回"))])
    reason = forms.CharField(label=_("理由"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class AssignForm(Form):
    unit = forms.ModelChoiceField(
        label=_("责任单位"), queryset=Unit.objects.filter(is_active=True), required=False, empty_label=_("未指定")
    )
