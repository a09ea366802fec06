from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import Form
from core.models import SecurityEvent

DATE = {"type": "date"}


class SecurityLogFilterForm(Form):
    """The security log's filters, kept in the URL (GET) so a view of it can be shared."""

    kind = forms.MultipleChoiceField(label=_("类型"), choices=SecurityEvent.Kind.choices, required=False)
    username = forms.CharField(label=_("用户名"), required=False, max_length=150)
    ip = forms.GenericIPAddressField(label=_("IP 地址"), required=False)
    q = forms.CharField(label=_("摘要或对象包含"), required=False, max_length=100)
    date_from = forms.DateField(label=_("日期从"), required=False, widget=forms.DateInput(attrs=DATE))
    date_to = forms.DateField(label=_("至"), required=False, widget=forms.DateInput(attrs=DATE))
