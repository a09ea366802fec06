"""Domain errors. Each carries a message in Chinese that a view can show to the user as is."""

from django.core.exceptions import BadRequest


class DomainError(Exception):
    """A rule of the campaign refused the change. Nothing was written."""

    def __init__(self, message: str, *, code: str = ""):
        super().__init__(message)
        self.message = message
        # A word a program can test (the phone's offline layer), where the message is for people.
        self.code = code


class NotAllowed(DomainError):
    """The actor may not do this (to this object)."""


class IllegalTransition(DomainError):
    """The object's current state does not allow the action."""


class StaleObject(DomainError):
    """Someone else changed the object between the moment the actor saw it and now."""


class InvalidInput(DomainError):
    """An argument breaks a rule (a deadline too late, a person outside the unit...)."""


def page_status(error: DomainError) -> int:
    """The HTTP status a page answers a refusal with: a bad input (a wrong file, a missing
    reason) is the request's fault, 400; a state that moved on is a conflict, 409; a file the
    server could not write, 503."""
    if isinstance(error, InvalidInput):
        return 400
    if isinstance(error, NotAllowed):
        return 403
    if isinstance(error, StorageFailed):
        return 503
    return 409


class StorageFailed(DomainError):
    """A file could not be written (disk full, read-only, no permission): the server's fault, not
    the input's. Nothing was written; the API answers 503 so that a phone keeps the file and
    sends it again later."""


class InputRefused(BadRequest):
    """A request the edge refuses before any view (core.middleware.NulRefusedMiddleware): a 400
    whose message, in the reader's language, the error page shows (core.views.bad_request)."""
