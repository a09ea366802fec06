from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import Form
from exchange.imports import KINDS

MAX_UPLOAD_BYTES = 30 * 1024 * 1024


class ImportForm(Form):
    kind = forms.ChoiceField(label=_("导入内容"), choices=[(kind, cls.label) for kind, cls in KINDS.items()])
    file = forms.FileField(
        label=_("Excel 文件（.xlsx）"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("文件超过 %(mb)s MB，请分成几个文件导入") % {"mb": MAX_UPLOAD_BYTES // 1024 // 1024}
            )
        return upload
