"""One shape for every state machine: the table as data, and the one way a row changes state.

Each app keeps its machine in its own `states.py` (a `StateMachine` of its statuses and actions)
and its transition service calls `transition()`, which does the same steps for all of them:

1. lock the row (`select_for_update`), so two people acting at once queue up;
2. ask the caller's rights check on the locked row: someone who may not act learns nothing of
   the current state;
3. compare the row's `version` with the caller's copy: someone acted meanwhile -> StaleObject,
   rather than acting on what the caller did not see;
4. check the table: the current status must be one the action may start from;
5. save the new status, the changed fields and the bumped version (only those columns);
6. append the typed audit event (the caller's `record` writes it: each machine has its table);
7. queue the side effects (notifications, documents) for after the commit.

Any refusal raises a DomainError with a message in the reader's language and writes nothing."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.db import models, transaction
from django.utils.functional import Promise

from core import clock
from core.errors import IllegalTransition, NotAllowed, StaleObject
from core.files import atomic_with_files


@dataclass(frozen=True)
class StateMachine:
    """A machine as data: action -> (the states it may start from, the state it leads to).
    None as a source is "not yet created". Screens ask `allowed_from` which buttons to show;
    audit checks replay a trail with `replay`."""

    statuses: type[models.TextChoices]
    actions: type[models.TextChoices]
    transitions: Mapping[str, tuple[frozenset, str]]
    # Refusals, each a gettext_lazy text with named placeholders: %(action)s, %(status)s and
    # whatever `describe` gives for the object (a problem's number, a bulletin's issue).
    not_allowed: Promise
    illegal: Promise
    stale: Promise | None = None
    illegal_by_action: Mapping[str, Promise] = field(default_factory=dict)
    describe: Callable[[models.Model], dict] = lambda obj: {}
    # Actions that are recorded in the trail without moving the state (a reminder, an
    # escalation): `replay` passes over them; their event's from and to are the state they met.
    notes: frozenset = frozenset()

    def allowed_from(self, status: str | None) -> list[str]:
        """The actions the table allows from a state, in table order."""
        return [action for action, (sources, _target) in self.transitions.items() if status in sources]

    def target(self, action: str) -> str:
        return self.transitions[action][1]

    def replay(self, actions: list[str]) -> str | None:
        """The state a sequence of actions leads to; ValueError at the first illegal step."""
        status = None
        for index, action in enumerate(actions):
            if action in self.notes:
                continue
            sources, target = self.transitions[action]
            if status not in sources:
                raise ValueError(f"step {index + 1}: {action} is not allowed from {status}")
            status = target
        return status

    def message(self, text: Promise, obj, action: str) -> str:
        params = {"action": self.actions(action).label, "status": obj.get_status_display(), **self.describe(obj)}
        return str(text) % params


def transition(
    obj: models.Model,
    *,
    machine: StateMachine,
    action: str,
    actor,
    may: Callable[[models.Model], bool],
    record: Callable[..., models.Model],
    changes: dict | Callable[[models.Model], dict] | None = None,
    after_commit: Callable[[models.Model, models.Model], None] | None = None,
    queryset: models.QuerySet | None = None,
    at=None,
):
    """Move `obj` one step through `machine` (the steps are in the module's docstring).

    `may(locked)` is the rights check; `record(locked, previous=..., at=...)` writes and returns
    the audit event; `changes` are the other fields the step sets; `at` is the moment of the step
    (now unless given, so that a field the step sets, a closure's time say, equals its event's);
    `after_commit(locked, event)` runs once the step is committed. Returns the locked, updated
    copy: the caller's copy is stale now and would be refused next time."""
    sources, target = machine.transitions[action]
    # atomic_with_files: a step that stores evidence and then fails leaves no file behind.
    with atomic_with_files():
        rows = queryset if queryset is not None else type(obj).objects.all()
        current = rows.select_for_update(of=("self",)).get(pk=obj.pk)
        if not may(current):
            raise NotAllowed(machine.message(machine.not_allowed, current, action))
        if machine.stale is not None and current.version != obj.version:
            raise StaleObject(machine.message(machine.stale, current, action))
        if current.status not in sources:
            illegal = machine.illegal_by_action.get(action, machine.illegal)
            raise IllegalTransition(machine.message(illegal, current, action))
        previous = current.status
        fields = ["status"]
        # A callable computes its fields only once the step is allowed (a bulletin's number and
        # documents are not made for a refused publication).
        for name, value in ((changes(current) if callable(changes) else changes) or {}).items():
            setattr(current, name, value)
            fields.append(name)
        current.status = target
        if machine.stale is not None:
            current.version += 1
            fields.append("version")
        current.save(update_fields=fields)
        event = record(current, previous=previous, at=at or clock.now())
        if after_commit is not None:
            transaction.on_commit(lambda: after_commit(current, event))
    return current
