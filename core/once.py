"""One submit, one row: the idempotency of every creating form and of the phone's sync.

A creating form carries a one-time key, a UUID drawn with the page (`OnceForm`, hidden field
`submit_key`). The service stores it with the row it creates (`submit_key_field()`, unique), so
the same POST sent twice (a double click, a browser's resend, a retry after a lost answer) finds
the first row and answers with it (`once_per_key`): nothing is created twice and the person lands
where the first submit would have taken them, with no error to understand. The unique constraint
is the backstop when two copies arrive at the same moment.

The phone's records work the same way with the ids the phone makes (`client_id`, see
inspections/services/sync.py); both go through `stored_once`.

A POST without a key (a page drawn before keys existed, a script) is served as a new submit: the
key only tells repeats of one drawn form apart, it is not a permission (CSRF and `access` are), and
refusing would throw away what someone typed into a page opened before an upgrade. A malformed key
can only come from a tampered or broken page: it is refused with a message and the form drawn
again with a fresh key."""

import functools
import uuid

from django import forms
from django.db import IntegrityError, models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from core.files import atomic_with_files
from core.forms import Form

FIELD = "submit_key"


class KeyTaken(DomainError):
    """A one-time key already names another record (a bug or a forged request)."""


def submit_key_field():
    """The column that holds a row's one-time key: unique, empty for rows made without one (older
    rows, imports, commands, the demo), never shown or edited."""
    return models.UUIDField(_("提交编号"), null=True, blank=True, unique=True, editable=False)


def _key_or_none(value) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


class SubmitKeyField(forms.UUIDField):
    """The hidden one-time key. Drawn fresh with every unbound form; a form drawn again after a
    refusal keeps the posted key (nothing was stored under it), unless that key was malformed."""

    widget = forms.HiddenInput
    default_error_messages = {"invalid": _("页面已失效，请重新提交")}

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("initial", uuid.uuid4)  # called for every drawing of the form
        super().__init__(**kwargs)

    def bound_data(self, data, initial):
        value = super().bound_data(data, initial)
        if value in self.empty_values or _key_or_none(value) is not None:
            return value
        return uuid.uuid4()


class OnceForm(Form):
    """Base of every creating form: adds the hidden `submit_key`. Its error (a malformed key) is
    shown with the form's own errors, since a hidden field has no place of its own on the page."""

    submit_key = SubmitKeyField()

    def clean(self):
        cleaned = super().clean()
        if FIELD in self._errors:
            message = self._errors.pop(FIELD)
            self.add_error(None, message)
        return cleaned


def stored_once(*, find, create, same=lambda row: True, taken=None, lock=lambda: None):
    """Store one record under its one-time key, once. Returns (row, created).

    1. `lock()` locks the row the record hangs on, if any, so concurrent copies queue here;
    2. `find()` looks for the key: stored already -> that row, if `same(row)` (else the key
       names another record: `taken(row)`, a KeyTaken, is raised);
    3. otherwise `create(locked)` checks and stores it (files too: a refusal removes them);
    4. a copy that slipped past the lock hits the unique constraint: look it up again."""

    def answer(existing):
        if not same(existing):
            raise taken(existing) if taken else KeyTaken(gettext("该表单已由他人提交，请刷新页面后重新填写"))
        return existing, False

    try:
        with atomic_with_files():
            locked = lock()
            existing = find()
            if existing is not None:
                return answer(existing)
            return create(locked), True
    except IntegrityError:
        existing = find()
        if existing is None:
            raise
        return answer(existing)


def once_per_key(model, *, by: str, result=None):
    """Make a creating service idempotent on the caller's `submit_key`.

    `model` holds the key (its `submit_key` column) and `by` names its field of the acting
    person: a key found on a row of the same person answers with that row (`result(row)` turns
    it into what the service returns, when the key is kept on another row than the one it
    returns), a row of someone else is refused. Without a key the service simply runs. The
    service receives `submit_key` and stores it on the row it creates."""

    def decorate(service):
        @functools.wraps(service)
        def wrapper(*, actor, submit_key=None, **kwargs):
            if submit_key is None:
                return service(actor=actor, **kwargs)
            key = _key_or_none(submit_key)
            if key is None:
                raise KeyTaken(gettext("页面已失效，请重新提交"))
            row, created = stored_once(
                find=lambda: model._default_manager.filter(**{FIELD: key}).first(),
                same=lambda row: getattr(row, f"{by}_id") == actor.pk,
                create=lambda _locked: service(actor=actor, submit_key=key, **kwargs),
            )
            return row if created or result is None else result(row)

        return wrapper

    return decorate
