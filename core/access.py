"""Who sees what and who may do what. The one place that decides it.

Every list, detail, export, file and API endpoint scopes its query through the `*_visible_to`
functions here, and every service asks `can_*` before it writes. Views turn the answers into
HTTP: not visible -> 404 (an outsider must not learn that the object exists), visible but not
allowed -> 403.

The rules, in the campaign's words:
- PHC office staff see everything and run the campaign (assign, reassign, cancel, set up tasks).
- District leaders, and anyone with the viewer role in the PHC office, see everything, read-only.
- Supervision team members (inspectors) see all sites and problems; they record problems and
  verify rectification, but never the rectification of their own unit.
- A unit's people see only their unit's tasks, problems and sites; heads, deputies and liaisons
  report progress and submit rectification evidence, viewers only read.
- Everyone else sees nothing.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404

from organisation.models import Membership, Unit

Role = Membership.Role


@dataclass(frozen=True)
class Actor:
    """What one signed-in person may do, computed once per request from their memberships."""

    user: object
    roles: dict[int, frozenset[str]] = field(default_factory=dict)  # unit id -> roles
    office: bool = False  # PHC office staff who act
    sees_all: bool = False  # office staff, office viewers, district leaders
    inspector: bool = False

    @property
    def unit_ids(self) -> frozenset[int]:
        return frozenset(self.roles)

    @property
    def acting_unit_ids(self) -> frozenset[int]:
        """Units for which this person does the unit's own work."""
        return frozenset(u for u, roles in self.roles.items() if roles & Membership.ACTING_ROLES)

    @property
    def is_authenticated(self) -> bool:
        return self.user is not None and self.user.is_authenticated


def actor_for(user) -> Actor:
    """The Actor for a user, cached on the user object for the length of a request."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Actor(user=user)
    cached = getattr(user, "_chuangwei_actor", None)
    if cached is not None:
        return cached
    roles: dict[int, set[str]] = {}
    office = sees_all = inspector = False
    for unit_id, unit_kind, role in Membership.objects.filter(user=user, unit__is_active=True).values_list(
        "unit_id", "unit__kind", "role"
    ):
        roles.setdefault(unit_id, set()).add(role)
        if unit_kind == Unit.Kind.PHC_OFFICE:
            sees_all = True
            office = office or role != Role.VIEWER
        elif unit_kind == Unit.Kind.LEADERSHIP:
            sees_all = True
        if role == Role.INSPECTOR:
            inspector = True
    actor = Actor(
        user=user,
        roles={unit: frozenset(r) for unit, r in roles.items()},
        office=office,
        sees_all=sees_all,
        inspector=inspector,
    )
    user._chuangwei_actor = actor
    return actor


def forget_actor(user) -> None:
    """Drop the cached Actor after memberships change (tests, admin)."""
    if hasattr(user, "_chuangwei_actor"):
        del user._chuangwei_actor


# ---- seeing ------------------------------------------------------------------------------


def problems_visible_to(user, queryset: QuerySet | None = None) -> QuerySet:
    from problems.models import Problem

    qs = Problem.objects.all() if queryset is None else queryset
    actor = actor_for(user)
    if not actor.is_authenticated:
        return qs.none()
    if actor.sees_all or actor.inspector:
        return qs
    return qs.filter(assigned_unit_id__in=actor.unit_ids)


def tasks_visible_to(user, queryset: QuerySet | None = None) -> QuerySet:
    from campaigns.models import Task

    qs = Task.objects.all() if queryset is None else queryset
    actor = actor_for(user)
    if not actor.is_authenticated:
        return qs.none()
    if actor.sees_all:
        return qs
    return qs.filter(lead_unit_id__in=actor.unit_ids)


def sites_visible_to(user, queryset: QuerySet | None = None) -> QuerySet:
    from sites.models import Site

    qs = Site.objects.all() if queryset is None else queryset
    actor = actor_for(user)
    if not actor.is_authenticated:
        return qs.none()
    if actor.sees_all or actor.inspector:
        return qs
    return qs.filter(owner_unit_id__in=actor.unit_ids)


def five_in_place_visible_to(user, queryset: QuerySet | None = None) -> QuerySet:
    from campaigns.models import FiveInPlace

    qs = FiveInPlace.objects.all() if queryset is None else queryset
    actor = actor_for(user)
    if not actor.is_authenticated:
        return qs.none()
    if actor.sees_all:
        return qs
    return qs.filter(unit_id__in=actor.unit_ids)


def get_visible_or_404(scoped: QuerySet, **lookup):
    """Fetch one object from an already scoped queryset; outsiders get 404, never 403. A malformed
    id ("abc" for a number: ValueError, "not-a-uuid" for a UUID: ValidationError) is 404 too."""
    try:
        return scoped.get(**lookup)
    except (scoped.model.DoesNotExist, ValueError, ValidationError):
        raise Http404 from None


# ---- doing: problems -------------------------------------------------------------------------


def can_problem_action(user, action: str, problem) -> bool:
    """May this person take this action on this problem, whatever its state? The state machine
    decides the rest (problems.states.TRANSITIONS)."""
    from problems.states import Action

    actor = actor_for(user)
    if not actor.is_authenticated:
        return False
    if action == Action.RECORD:
        return actor.office or actor.inspector
    if action in (Action.ASSIGN, Action.REASSIGN, Action.CANCEL):
        return actor.office
    if action == Action.SUBMIT:
        return problem.assigned_unit_id in actor.acting_unit_ids
    if action in (Action.CLOSE, Action.RETURN):
        # Nothing closes on the word of the unit that fixed it.
        if problem.assigned_unit_id in actor.unit_ids:
            return False
        return actor.office or actor.inspector
    return False


def problem_actions_for(user, problem) -> list[str]:
    """The actions to offer this person on this problem now: allowed by both the state machine
    and the person's role. Screens show exactly these buttons."""
    from problems.states import Action, allowed_from

    return [
        action
        for action in allowed_from(problem.status)
        if action != Action.RECORD and can_problem_action(user, action, problem)
    ]


# ---- doing: the ledger -----------------------------------------------------------------------


def can_manage_campaign(user) -> bool:
    """Create and change tasks and milestones: PHC office staff only."""
    return actor_for(user).office


def can_report_progress(user, task) -> bool:
    actor = actor_for(user)
    return actor.office or task.lead_unit_id in actor.acting_unit_ids


def can_update_five_in_place(user, unit_id: int) -> bool:
    actor = actor_for(user)
    return actor.office or unit_id in actor.acting_unit_ids


def attachments_visible_to(user, queryset: QuerySet | None = None) -> QuerySet:
    """A file is visible to whoever may see one of the things it is evidence for."""
    from django.db.models import Q

    from core.models import Attachment

    qs = Attachment.objects.all() if queryset is None else queryset
    actor = actor_for(user)
    if not actor.is_authenticated:
        return qs.none()
    if actor.sees_all:
        return qs
    problems = problems_visible_to(user)
    return qs.filter(
        Q(problems__in=problems)
        | Q(problem_events__problem__in=problems)
        | Q(progress_reports__task__in=tasks_visible_to(user))
        | Q(five_in_place__in=five_in_place_visible_to(user))
    ).distinct()
