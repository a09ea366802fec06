import re

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts import lockout, second_factor
from core.forms import Form
from organisation.models import User


class CodeForm(Form):
    """A code from the authenticator app, or (with `recovery`) one of the recovery codes."""

    code = forms.CharField(label=_("动态口令"), max_length=32)

    def __init__(self, *args, recovery: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.recovery = recovery
        widget = self.fields["code"].widget
        widget.attrs.update({"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"})
        if recovery:
            self.fields["code"].label = _("恢复码")
            widget.attrs.update({"autocomplete": "off", "autocapitalize": "off"})
        else:
            widget.attrs.update({"inputmode": "numeric", "maxlength": "6"})

    def clean_code(self) -> str:
        code = second_factor.normalise_code(self.cleaned_data["code"])
        if not self.recovery and not re.fullmatch(r"\d{6}", code):
            raise forms.ValidationError(_("请输入手机应用上显示的 6 位数字。"))
        return code


class UnlockForm(Form):
    scope = forms.ChoiceField(choices=[(scope, scope) for scope in lockout.Scope.ALL])
    key = forms.CharField(max_length=255)


class SecondFactorResetForm(Form):
    username = forms.CharField(label=_("用户名"), max_length=150)

    def clean_username(self):
        user = User.objects.filter(username=self.cleaned_data["username"].strip()).first()
        if user is None:
            raise forms.ValidationError(_("没有这个用户名。"))
        return user
