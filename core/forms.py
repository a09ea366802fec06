"""Form pieces every app's forms share: files in a field that knows what it takes, and reading
them out."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

from core import services
from core.errors import InvalidInput

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
