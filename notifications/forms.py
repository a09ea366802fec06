from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import Form, ModelForm
from notifications import rules
from notifications.models import PERSONAL, ROBOTS, Channel, Endpoint, Message
from organisation.models import Unit


class PreferenceForm(Form):
    channels = forms.MultipleChoiceField(
        label=_("除站内信外，还通过以下方式通知我"),
        choices=[(c.value, c.label) for c in PERSONAL],
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )


class LogFilterForm(Form):
    state = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部"))] + Message.State.choices)
    channel = forms.ChoiceField(
        label=_("渠道"), required=False, choices=[("", _("全部"))] + [c for c in Channel.choices if c[0] != "inbox"]
    )
    rule = forms.ChoiceField(
        label=_("规则"), required=False, choices=[("", _("全部"))] + [(k, r.label) for k, r in rules.DEFAULTS.items()]
    )
    unit = forms.ModelChoiceField(
        label=_("相关单位"), required=False, queryset=Unit.objects.filter(is_active=True), empty_label=_("全部单位")
    )


class EndpointForm(ModelForm):
    """The secret parts (a robot's URL with its key, DingTalk's signing secret) are never drawn
    back into the page: left empty on an edit, they keep their stored value."""

    url = forms.URLField(
        label=_("地址"),
        max_length=500,
        required=False,
        assume_scheme="https",
        widget=forms.PasswordInput(render_value=False),
    )
    secret = forms.CharField(label=_("加签密钥"), max_length=200, required=False, widget=forms.PasswordInput)

    class Meta:
        model = Endpoint
        fields = ["kind", "unit", "name", "url", "secret", "parameters", "max_length", "per_minute", "enabled"]
        help_texts = {
            "url": _("企业微信、钉钉群机器人的 Webhook 地址，或短信网关的接口地址"),
            "parameters": _(
                "短信网关的请求参数（JSON），可用 {mobile}、{text}、{msgid}，"
                '如 {"phones": "{mobile}", "content": "{text}"}'
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(is_active=True)
        self.fields["unit"].required = False
        if self.instance.pk:
            self.fields["url"].help_text = _("当前：%(url)s（留空则不修改）") % {"url": self.instance.masked_url}
            self.fields["secret"].help_text = _("留空则不修改")

    def clean_url(self):
        url = self.cleaned_data["url"]
        if not url and self.instance.pk:
            return self.instance.url
        if not url:
            raise forms.ValidationError(_("请填写地址"))
        return url

    def clean_secret(self):
        secret = self.cleaned_data["secret"]
        return secret or (self.instance.secret if self.instance.pk else "")

    def clean(self):
        data = super().clean()
        kind, unit = data.get("kind"), data.get("unit")
        if kind in ROBOTS and unit is None:
            self.add_error("unit", _("群机器人须属于一个单位"))
        if kind == Channel.SMS and not isinstance(data.get("parameters") or {}, dict):
            self.add_error("parameters", _("请求参数须为 JSON 对象"))
        return data


CHECK = forms.CheckboxInput(attrs={"class": "form-check-input"})


class RuleForm(Form):
    enabled = forms.BooleanField(label=_("启用"), required=False, widget=CHECK)
    days = forms.IntegerField(
        label=_("天数"),
        required=False,
        min_value=0,
        max_value=60,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm w-auto"}),
    )
    channels = forms.MultipleChoiceField(
        label=_("渠道"),
        required=False,
        choices=[(c.value, c.label) for c in rules.ALL],
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    quiet_hours_apply = forms.BooleanField(label=_("夜间不发短信"), required=False, widget=CHECK)
