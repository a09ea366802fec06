"""The public side's forms: a citizen's report (no account), the reporter's answer, the tracking
code's lookup, and the office's triage steps."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.forms import Form, MultipleFileField
from core.once import OnceForm
from core.services import PHOTO
from problems.models import Problem
from public.models import CODE_ALPHABET, ReportCategory, normalise_code


class ReportForm(OnceForm):
    """随手拍: what, where (a tap on the map fills the two hidden fields; or an address), photos,
    and optionally who (never shown publicly)."""

    category = forms.ModelChoiceField(
        label=_("问题类别"),
        queryset=ReportCategory.objects.none(),
        empty_label=_("请选择"),
        error_messages={"required": _("请选择问题类别"), "invalid_choice": _("请选择问题类别")},
    )
    description = forms.CharField(
        label=_("问题描述"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("例如：小区门口垃圾堆放三天无人清运")}),
        error_messages={"required": _("请描述您看到的问题"), "max_length": _("问题描述请不超过 %(limit_value)d 字")},
    )
    photos = MultipleFileField(kind=PHOTO, label=_("现场照片（可选）"), required=False)
    latitude = forms.DecimalField(
        required=False,
        max_digits=9,
        decimal_places=6,
        widget=forms.HiddenInput,
        error_messages={"invalid": _("位置坐标无效，请在地图上重新点选")},
    )
    longitude = forms.DecimalField(
        required=False,
        max_digits=9,
        decimal_places=6,
        widget=forms.HiddenInput,
        error_messages={"invalid": _("位置坐标无效，请在地图上重新点选")},
    )
    address = forms.CharField(
        label=_("详细地址（未在地图上选点时必填）"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("例如：幸福巷 12 号楼东侧")}),
    )
    name = forms.CharField(label=_("您的称呼（可选，不公开）"), max_length=40, required=False)
    phone = forms.CharField(
        label=_("联系电话（可选，不公开，仅用于核实）"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = ReportCategory.objects.filter(is_active=True)
        self.fields["photos"].help_text = _(
            "最多 %(count)s 张，每张不超过 %(size)s MB；照片中的位置信息仅用于定位，不会公开"
        ) % {
            "count": settings.PUBLIC_REPORT_MAX_PHOTOS,
            "size": settings.PUBLIC_REPORT_PHOTO_MB,
        }

    def clean_photos(self):
        photos = self.cleaned_data.get("photos") or []
        if len(photos) > settings.PUBLIC_REPORT_MAX_PHOTOS:
            raise forms.ValidationError(_("最多上传 %(count)s 张照片") % {"count": settings.PUBLIC_REPORT_MAX_PHOTOS})
        limit = settings.PUBLIC_REPORT_PHOTO_MB * 1024 * 1024
        for photo in photos:
            if (photo.size or 0) > limit:
                raise forms.ValidationError(
                    _("照片「%(name)s」超过 %(size)s MB，请压缩后再上传")
                    % {"name": photo.name, "size": settings.PUBLIC_REPORT_PHOTO_MB}
                )
        return photos


class LookupForm(Form):
    """The tracking code as typed: only the code's own characters are kept, so nothing else
    reaches a query."""

    code = forms.CharField(
        label=_("查询码"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )

    def clean_code(self):
        code = "".join(ch for ch in normalise_code(self.cleaned_data["code"]) if ch in CODE_ALPHABET)
        if not code:
            raise forms.ValidationError(_("请输入查询码"))
        return code


class SupplementForm(Form):
    """The reporter's answer to the office's question."""

    answer = forms.CharField(
        label=_("补充信息"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写补充的信息")},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class AcceptForm(Form):
    """受理: the site (one of the nearest, or any by its code), how serious, a note."""

    site = forms.ChoiceField(label=_("点位（按距离推荐）"), required=False, widget=forms.RadioSelect)
    site_code = forms.CharField(label=_("或输入点位编码"), max_length=32, required=False)
    severity = forms.ChoiceField(label=_("严重程度"), choices=Problem.Severity.choices, initial=Problem.Severity.MINOR)
    note = forms.CharField(
        label=_("受理意见（可选）"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, site_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].choices = list(site_choices)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("site") and not cleaned.get("site_code"):
            raise forms.ValidationError(_("请选择问题所在的点位"))
        return cleaned


class ReplyForm(Form):
    """不予受理 (the reason) or 请补充信息 (the question): what the reporter will read."""

    note = forms.CharField(
        label=_("告知反映人的内容"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("请填写告知反映人的内容（理由或需要补充的信息）")},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
