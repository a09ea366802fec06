"""Form pieces every app's forms share: several files in one field, and reading them out."""

from django import forms


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
