"""Form pieces every app's forms share: the edge every input goes through (`Form`, `ModelForm`),
files in a field that knows what it takes and reading them out, the filters of a list."""

import datetime as dt
import math

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import services, text
from core.errors import InvalidInput


def _edge_clean(field, original):
    """The field's clean, with the edge's rules around it: text normalised (or refused) before
    the field parses it, so the field's own checks (length, choices, a database lookup) see what
    will be stored; dates and numbers checked once parsed (core/text.py says why)."""

    # A password is compared, not read: it is refused for NUL like any text but never changed,
    # or the person could not sign in with what they typed before.
    secret = isinstance(field.widget, forms.PasswordInput)

    def clean(value, *args):
        try:
            cleaned_text = text.deep(value)
            value = value if secret else cleaned_text
        except text.Refused as refused:
            raise forms.ValidationError(refused.message, code=refused.code) from None
        cleaned = original(value, *args)
        try:
            if isinstance(cleaned, dt.date):
                text.date(cleaned)
        except text.Refused as refused:
            raise forms.ValidationError(refused.message, code=refused.code) from None
        if isinstance(cleaned, float) and not math.isfinite(cleaned):
            raise forms.ValidationError(_("请输入一个有效的数字"), code="invalid")
        if isinstance(field, forms.IntegerField) and isinstance(cleaned, int) and abs(cleaned) > text.MAX_INT:
            raise forms.ValidationError(_("数值超出允许范围"), code="max_value")
        return cleaned

    clean.edge = True
    return clean


class ListedChoiceIterator(forms.models.ModelChoiceIterator):
    """A model select's options read with one plain query. Django's own iterator reads them with
    QuerySet.iterator(), which on PostgreSQL opens a server-side cursor: DECLARE, FETCH and CLOSE
    for a list of a few hundred units or criteria, about 5 ms of a problem page's three selects
    (issue 14). Server-side cursors stay for what needs them (exports of a million rows)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset.all():
            yield self.choice(obj)


class EdgeMixin:
    """Every field of the form goes through the edge (core/text.py) when the form is cleaned.
    Applied at cleaning time, not in __init__, so fields a form adds or replaces after its own
    __init__ are covered too. tests/test_edge.py fails on a form class without it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField) and field.iterator is forms.models.ModelChoiceIterator:
                field.iterator = ListedChoiceIterator

    def full_clean(self):
        for field in self.fields.values():
            if not getattr(field.clean, "edge", False):
                field.clean = _edge_clean(field, field.clean)
        super().full_clean()


class Form(EdgeMixin, forms.Form):
    pass


class ModelForm(EdgeMixin, forms.ModelForm):
    pass


def with_edge(form_class):
    """The form class with the edge, for forms made elsewhere (the admin's ModelForms, formsets)."""
    if issubclass(form_class, EdgeMixin):
        return form_class
    return type(form_class.__name__, (EdgeMixin, form_class), {"__module__": form_class.__module__})


def applicable_filters(form) -> dict:
    """A list's filters: the values that are valid, so that one bad value (a date that does not
    exist) is reported on the form and the others still apply. Django leaves only the valid
    fields in cleaned_data when a form is invalid; an unbound form filters nothing."""
    if not form.is_bound:
        return {}
    form.is_valid()
    return dict(form.cleaned_data)


# What the file picker offers; the server decides (attachment_store looks inside every file).
# Photos keep "image/*": phones open the camera for it, and iPhones hand over a JPEG, not HEIC.
ACCEPT = {
    services.PHOTO: "image/*",
    services.DOCUMENT: ".pdf,.docx,.xlsx",
    services.EVIDENCE: "image/*,.pdf,.docx,.xlsx",
}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


def check_upload(upload, kind: str) -> None:
    """Refuse by the declared size and the name's suffix, before a byte is read: an 800 MB file
    was read whole into memory by the old check. The size of an upload is what the request
    streamed to disk (FILE_UPLOAD_MAX_MEMORY_SIZE), not a claim of the browser's."""
    name = upload.name or ""
    refusal = services.size_refusal(name, upload.size or 0) or services.kind_refusal(
        name, services.suffix_of(name), kind
    )
    if refusal:
        raise ValidationError(refusal)


class KindFileField(forms.FileField):
    """One file of a kind (services.PHOTO, DOCUMENT, EVIDENCE), checked by size and suffix here,
    by content when stored (core.services.attachment_store)."""

    default_error_messages = {
        "invalid": gettext_lazy("没有收到文件，请检查表单的编码类型"),
        "missing": gettext_lazy("没有收到文件"),
        "empty": gettext_lazy("上传的文件是空的"),
        "max_length": gettext_lazy("文件名过长"),
        "contradiction": gettext_lazy("请选择上传文件或勾选清除，不能同时进行"),
    }

    def __init__(self, *, kind: str, **kwargs):
        self.kind = kind
        kwargs.setdefault("widget", self.widget(attrs={"accept": ACCEPT[kind]}))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload:
            check_upload(upload, self.kind)
        return upload


class MultipleFileField(KindFileField):
    """Several files in one field (photos from the phone's camera, evidence), each checked as a
    KindFileField would; cleaned to a list, empty when none was chosen."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def uploaded_files(form, field: str = "files") -> list[tuple[str, bytes]]:
    """A bound form's uploads as (name, bytes) pairs, the shape every storing service takes. The
    field has refused oversized files already; the check is repeated here so that no caller
    reads an unbounded file whatever field it used."""
    return [(upload.name, upload_bytes(upload)) for upload in form.cleaned_data.get(field) or []]


def upload_bytes(upload) -> bytes:
    """One upload's bytes, after the size check (see uploaded_files)."""
    if refusal := services.size_refusal(upload.name or "", upload.size or 0):
        raise InvalidInput(refusal)
    return upload.read()


def with_seen_version(obj, data):
    """The object as the person saw it: its `version` from the form's hidden field, so the state
    machine refuses (StaleObject) if someone acted since the page was drawn. A form without the
    field counts as stale: acting blind is what the version exists to prevent."""
    try:
        obj.version = int(data.get("version", ""))
    except (TypeError, ValueError):
        obj.version = -1
    return obj


def described_filters(form) -> list[tuple[str, str]]:
    """A list's filters in words, for an export's 导出说明: each field given, with its label and
    the value as the screen shows it; a value that was refused is named with its error, so a
    reader knows it was not applied."""
    if not form.is_bound:
        return []
    form.is_valid()
    lines = []
    for name, field in form.fields.items():
        if name in form.errors:
            raw = form.data.getlist(name) if hasattr(form.data, "getlist") else [form.data.get(name)]
            shown = "、".join(str(value) for value in raw if value)
            reason = "；".join(str(error) for error in form.errors[name])
            lines.append(
                (str(field.label), _("「%(value)s」无效，未使用（%(reason)s）") % {"value": shown, "reason": reason})
            )
            continue
        value = form.cleaned_data.get(name)
        if value in (None, "", [], False):
            continue
        lines.append((str(field.label), _described_value(field, value)))
    return lines


def _described_value(field, value) -> str:
    if value is True:
        return _("是")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(field, forms.ModelChoiceField):
        return str(value)
    choices = {str(key): str(label) for key, label in getattr(field, "choices", []) if key != ""}
    if isinstance(value, list | tuple):
        return "、".join(choices.get(str(item), str(item)) for item in value)
    return choices.get(str(value), str(value))
