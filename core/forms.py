"""Form pieces every app's forms share: the edge every input goes through (`Form`, `ModelForm`),
several files in one field and reading them out, the filters of a list."""

import datetime as dt
import math

from django import forms
from django.utils.translation import gettext as _

from core import text


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


class EdgeMixin:
    """Every field of the form goes through the edge (core/text.py) when the form is cleaned.
    Applied at cleaning time, not in __init__, so fields a form adds or replaces after its own
    __init__ are covered too. tests/test_edge.py fails on a form class without it."""

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


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (photos from the phone's camera, evidence), each checked as a
    FileField would; cleaned to a list, empty when none was chosen."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def uploaded_files(form, field: str = "files") -> list[tuple[str, bytes]]:
    """A bound form's uploads as (name, bytes) pairs, the shape every storing service takes."""
    return [(f.name, f.read()) for f in form.cleaned_data.get(field) or []]


def with_seen_version(obj, data):
    """The object as the person saw it: its `version` from the form's hidden field, so the state
    machine refuses (StaleObject) if someone acted since the page was drawn. A form without the
    field counts as stale: acting blind is what the version exists to prevent."""
    try:
        obj.version = int(data.get("version", ""))
    except (TypeError, ValueError):
        obj.version = -1
    return obj
