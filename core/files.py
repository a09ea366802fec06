"""Files written inside a database transaction that then rolls back: removed, by one mechanism.

A rolled-back transaction drops an Attachment's row but not its bytes on disk. Every service that
stores files runs in `atomic_with_files()` (core.states.transition does), and the storing code
(core.services.attachment_store) registers each file it writes with `remember_stored()`."""

import contextlib
import contextvars

from django.db import transaction

# The files stored inside the innermost atomic_with_files() block of this thread, if any.
_stored_here: contextvars.ContextVar[list | None] = contextvars.ContextVar("stored_here", default=None)


@contextlib.contextmanager
def atomic_with_files():
    """transaction.atomic() that also removes, if it rolls back, the files stored inside it.

    A rolled-back transaction drops an Attachment's row but not its bytes on disk. Every service
    that stores files runs in one of these (core.states.transition does), and attachment_store
    registers each file on the innermost one. When a block commits, its files pass to the block
    around it, so a later rollback further out removes them too; when it rolls back, they are
    deleted. (A plain transaction.atomic() between two of these that rolls back while the outer
    one commits would leave its files behind; `manage.py attachments_orphans` finds such bytes.)"""
    outer = _stored_here.get()
    mine: list = []
    token = _stored_here.set(mine)
    try:
        with transaction.atomic():
            yield
    except BaseException:
        _stored_here.reset(token)
        for stored in mine:
            stored.storage.delete(stored.name)
        raise
    _stored_here.reset(token)
    if outer is not None:
        outer.extend(mine)


def remember_stored(fieldfile) -> None:
    """Register a file just written, so that the innermost atomic_with_files() removes it if it
    rolls back. Outside any such block there is nothing to undo it with: the caller commits."""
    stored = _stored_here.get()
    if stored is not None:
        stored.append(fieldfile)
