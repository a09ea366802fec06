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

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext

from organisation.models import Membership, Unit, User

Role = Membership.Role


@dataclass(frozen=True)
class Actor:
    """What one signed-in person may do, computed once per request from their memberships."""

    user: object
    roles: dict[int, frozenset[str]] = field(default_factory=dict)  # unit id -> roles
    office: bool = False  # PHC office staff who act
    sees_all: bool = False  # office staff, office viewers, district leaders
    inspector: bool = False
    admin_role: str = ""  # system / security / audit administrator (三员分立), else ""

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
    if getattr(user, "admin_role", ""):
        # An administrator runs the system, not the campaign: whatever memberships the account
        # may have been given, it sees no campaign data through them (三员分立).
        actor = Actor(user=user, admin_role=user.admin_role)
        user._chuangwei_actor = actor
        return actor
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


def led_unit(user) -> Unit | None:
    """The first active unit (by code) this person leads as 一把手 or 分管领导, else None."""
    actor = actor_for(user)
    led = [u for u, roles in actor.roles.items() if roles & {Role.HEAD, Role.DEPUTY}]
    return Unit.objects.filter(pk__in=led, is_active=True).order_by("code").first() if led else None


def forget_actor(user) -> None:
    """Drop the cached Actor after memberships change (tests, admin)."""
    if hasattr(user, "_chuangwei_actor"):
        del user._chuangwei_actor


# ---- administrators (三员分立) ------------------------------------------------------------------
#
# Three administrators, one role per account, none of them a campaign role: the system
# administrator keeps users, units, areas, sites, the standard and campaigns' set-up; the security
# administrator grants roles (memberships and anything that makes a person see everything or
# verify), unlocks accounts, revokes API tokens; the audit administrator reads and exports the
# security log and nothing else. The Django superuser is for installation only.


def is_administrator(user, role: str) -> bool:
    actor = actor_for(user)
    return actor.is_authenticated and actor.admin_role == role


def grants_oversight(unit_kind: str, role: str) -> bool:
    """Does a membership make its holder see everything (PHC office, leadership) or verify other
    units' work (inspector)? Such grants are the security administrator's, never an import's."""
    return unit_kind in (Unit.Kind.PHC_OFFICE, Unit.Kind.LEADERSHIP) or role == Role.INSPECTOR


def can_read_security_log(user) -> bool:
    return is_administrator(user, User.AdminRole.AUDIT)


# ---- signing in ----------------------------------------------------------------------------


def second_factor_required(user) -> bool:
    """Who must sign in with a second factor (TOTP): the administrators (系统/安全/审计管理员, and
    anyone who can open /admin/) and the PHC office staff who run the campaign. Everyone else may
    add one. (accounts waives it in the demo, see DEMO_MODE.)"""
    if user is None or not user.is_authenticated:
        return False
    if user.admin_role or user.is_superuser or user.is_staff:
        return True
    return actor_for(user).office


def can_manage_lockouts(user) -> bool:
    """Unlocking accounts and addresses, and resetting a person's second factor: the security
    administrator's (安全管理员) alone."""
    return is_administrator(user, User.AdminRole.SECURITY)


# ---- seeing ------------------------------------------------------------------------------


def _all_or_own_units(user, qs: QuerySet, unit_field: str) -> QuerySet:
    """The common rule: those who see all see everything; others the rows of their own units
    (`unit_field` names the row's unit); the signed-out nothing."""
    actor = actor_for(user)
    if not actor.is_authenticated:
        return qs.none()
    if actor.sees_all:
        return qs
    return qs.filter(**{f"{unit_field}__in": actor.unit_ids})


def problems_visible_to(user, queryset: QuerySet | None = None) -> QuerySet:
    from problems.models import Problem

    qs = Problem.objects.all() if queryset is None else queryset
    actor = actor_for(user)
    if not actor.is_authenticated:
        return qs.none()
    if actor.sees_all or actor.inspector:
        return qs
    # What an unpublished covert inspection found stays with the office and the team.
    return qs.filter(assigned_unit_id__in=actor.unit_ids).exclude(pk__in=secret_problem_ids())


def tasks_visible_to(user, queryset: QuerySet | None = None) -> QuerySet:
    from campaigns.models import Task

    qs = Task.objects.all() if queryset is None else queryset
    return _all_or_own_units(user, qs, "lead_unit_id")


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
    return _all_or_own_units(user, qs, "unit_id")


def units_visible_to(user, queryset: QuerySet | None = None) -> QuerySet:
    """The units whose pages a person may open: all for those who see all, else their own."""
    qs = Unit.objects.all() if queryset is None else queryset
    return _all_or_own_units(user, qs, "pk")


def get_visible_or_404(scoped: QuerySet, **lookup):
    """Fetch one object from an already scoped queryset; outsiders get 404, never 403. A malformed
    id ("abc" for a number: ValueError, "not-a-uuid" for a UUID: ValidationError) is 404 too."""
    try:
        return scoped.get(**lookup)
    except (scoped.model.DoesNotExist, ValueError, ValidationError):
        raise Http404 from None


def get_for_action_or_403(user, scoped: QuerySet, can, **lookup):
    """One object for a person about to act on it: from the already scoped queryset (not visible:
    404, an outsider learns nothing), then `can(user, obj)` (visible but not allowed: 403).
    Rights that do not depend on the object take it as an ignored second argument."""
    obj = get_visible_or_404(scoped, **lookup)
    if not can(user, obj):
        raise PermissionDenied
    return obj


# ---- doing: problems -------------------------------------------------------------------------


def can_problem_action(user, action: str, problem) -> bool:
    """May this person take this action on this problem, whatever its state? The state machine
    decides the rest (problems.states.TRANSITIONS)."""
    from problems.states import Action

    actor = actor_for(user)
    if not actor.is_authenticated:
        return False
    if action in (Action.RECORD, Action.FOUND_AGAIN):
        # Linking a new finding to an open problem is recording it, without a second number.
        return actor.office or actor.inspector
    if action in (Action.ASSIGN, Action.REASSIGN, Action.CANCEL, Action.MERGE):
        # Merging closes a problem as another's duplicate: the office's call, like cancelling.
        return actor.office
    if action == Action.SUBMIT:
        return problem.assigned_unit_id in actor.acting_unit_ids
    if action in (Action.CLOSE, Action.RETURN):
        # Nothing closes on the word of the unit that fixed it.
        if problem.assigned_unit_id in actor.unit_ids:
            return False
        return actor.office or actor.inspector
    return False


def problem_actions_withheld(user, problem) -> str:
    """Why an inspector sees no verification buttons on a problem waiting for verification: it
    is their own unit's (nothing closes on the word of the unit that fixed it). Empty otherwise.
    The page says it instead of showing no buttons without a word (issue 12)."""
    from problems.states import Action, allowed_from

    actor = actor_for(user)
    if not actor.is_authenticated or actor.office or not actor.inspector:
        return ""
    verifying = {Action.CLOSE, Action.RETURN} & set(allowed_from(problem.status))
    if verifying and problem.assigned_unit_id in actor.unit_ids:
        return gettext("本问题由您所在单位整改，须由其他单位的督导组成员或爱卫办复核，以免自己复核自己。")
    return ""


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


def can_manage_campaign(user, _target=None) -> bool:
    """Create and change tasks and milestones: PHC office staff only."""
    return actor_for(user).office


def can_manage_notifications(user, _target=None) -> bool:
    """The delivery log, the channels and the rules of notifications: PHC office staff only."""
    return actor_for(user).office


def can_import(user) -> bool:
    """Bulk-load units, people, sites and tasks from Excel: PHC office staff only (the same people
    who set up the campaign)."""
    return actor_for(user).office


def can_export(user) -> bool:
    """Download a list as Excel. Anyone who sees something may export it, and the export holds
    exactly what the screen shows them (the rows come through the `*_visible_to` scopes);
    someone who belongs to no unit sees nothing and gets 404."""
    actor = actor_for(user)
    return actor.is_authenticated and bool(actor.sees_all or actor.inspector or actor.unit_ids)


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
    inspections = inspections_visible_to(user)
    visible = (
        Q(problems__in=problems)
        | Q(problem_events__problem__in=problems)
        | Q(progress_reports__task__in=tasks_visible_to(user))
        | Q(five_in_place__in=five_in_place_visible_to(user))
        | Q(inspection_display__inspection__in=inspections)
    )
    if actor.inspector:
        # The untouched original (with the phone's GPS metadata) is evidence for the team only;
        # everyone else sees the stamped copy without metadata.
        visible |= Q(inspection_original__inspection__in=inspections)
    return qs.filter(visible).distinct()


# ---- inspections -----------------------------------------------------------------------------
#
# Covert plans (暗访) and what they found are secret from the inspected units until the office
# publishes the results: PHC office staff, leaders and the supervision team see them; a unit's
# people see a plan only once it is announced (open and drawn) or published, and only when it
# visits one of their sites. Reads of a covert plan are logged (inspections.models.CovertReadLog).


def secret_problem_ids() -> QuerySet:
    """Problems raised by covert plans whose results are not yet published."""
    from inspections.models import Finding, InspectionPlan

    return Finding.objects.filter(
        inspection__plan__mode=InspectionPlan.Mode.COVERT, inspection__plan__published_at__isnull=True
    ).values("problem_id")


def _announced_plans(unit_ids) -> QuerySet:
    """Plans a unit may know of: open ones once drawn, covert ones once published, that visit
    one of the unit's sites."""
    from inspections.models import InspectionPlan, PlanSite
    from inspections.states import PlanStatus

    return (
        InspectionPlan.objects.filter(
            Q(mode=InspectionPlan.Mode.OPEN) | Q(mode=InspectionPlan.Mode.COVERT, published_at__isnull=False)
        )
        .exclude(status=PlanStatus.DRAFT)
        .filter(pk__in=PlanSite.objects.filter(site__owner_unit_id__in=unit_ids).values("plan_id"))
    )


def inspection_plans_visible_to(user, queryset: QuerySet | None = None) -> QuerySet:
    from inspections.models import InspectionPlan

    qs = InspectionPlan.objects.all() if queryset is None else queryset
    actor = actor_for(user)
    if not actor.is_authenticated:
        return qs.none()
    if actor.sees_all or actor.inspector:
        return qs
    return qs.filter(pk__in=_announced_plans(actor.unit_ids).values("pk"))


def inspections_visible_to(user, queryset: QuerySet | None = None) -> QuerySet:
    """Inspections: the office, leaders and the team see all; a unit sees those at its own sites
    in plans it may know of."""
    from inspections.models import Inspection

    qs = Inspection.objects.all() if queryset is None else queryset
    actor = actor_for(user)
    if not actor.is_authenticated:
        return qs.none()
    if actor.sees_all or actor.inspector:
        return qs
    return qs.filter(site__owner_unit_id__in=actor.unit_ids, plan__in=_announced_plans(actor.unit_ids))


def can_see_whole_plan(user, _plan=None) -> bool:
    """The draw record of a plan (every stratum's candidates and drawn sites): the office, leaders
    and the team. An inspected unit sees only its own drawn sites (`sites_visible_to`): another
    sub-district's list is not its business, and before a visit it is a warning."""
    actor = actor_for(user)
    return actor.sees_all or actor.inspector


def can_manage_inspections(user, _target=None) -> bool:
    """Create plans, draw their sites, publish their results: PHC office staff."""
    return actor_for(user).office


def can_inspect(user, plan) -> bool:
    """Record inspections, problems and photos for a plan: the members of its team."""
    from inspections.models import PlanMember

    actor = actor_for(user)
    if not (actor.inspector or actor.office):
        return False
    return PlanMember.objects.filter(plan=plan, user=user).exists()


# ---- documents made by the worker --------------------------------------------------------------


def generated_files_visible_to(user, queryset: QuerySet | None = None) -> QuerySet:
    """A file the worker made (a large export, the dossier ZIP) is its requester's alone: it holds
    what their own lists showed them, so nobody else, the office included, may fetch it."""
    from core.models import GeneratedFile

    qs = GeneratedFile.objects.all() if queryset is None else queryset
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    return qs.filter(requested_by=user)


# ---- bulletins and accountability --------------------------------------------------------------


def bulletins_visible_to(user, queryset: QuerySet | None = None) -> QuerySet:
    """Drafts are the PHC office's (and the leaders'); a published bulletin is for every member
    of staff (and, through the public portal, for everyone)."""
    from bulletins.models import Bulletin

    qs = Bulletin.objects.all() if queryset is None else queryset
    actor = actor_for(user)
    if not actor.is_authenticated:
        return qs.none()
    if actor.sees_all:
        return qs
    if not actor.roles:
        return qs.none()
    return qs.filter(status=Bulletin.Status.PUBLISHED)


def accountabilities_visible_to(user, queryset: QuerySet | None = None) -> QuerySet:
    """Records about one's own units (all for those who see all), with the problems they cite
    limited to those the person may see: the office may cite an unpublished covert finding, and
    its number must not reach the inspected unit through the record."""
    from bulletins.models import Accountability

    qs = Accountability.objects.all() if queryset is None else queryset
    cited = Prefetch("problems", queryset=problems_visible_to(user).order_by("year", "sequence"))
    return _all_or_own_units(user, qs, "unit_id").prefetch_related(cited)


# ---- declaration dossier (资料申报) ------------------------------------------------------------


def dossier_materials_visible_to(user, queryset: QuerySet | None = None) -> QuerySet:
    """The office and the leaders see every material; a unit's people see the materials assigned
    to their unit; everyone else sees none."""
    from dossier.models import Material

    qs = Material.objects.all() if queryset is None else queryset
    return _all_or_own_units(user, qs, "responsible_unit_id")


def dossier_submissions_visible_to(user, queryset: QuerySet | None = None) -> QuerySet:
    from dossier.models import Submission

    qs = Submission.objects.all() if queryset is None else queryset
    return qs.filter(material__in=dossier_materials_visible_to(user))


def can_see_dossier(user) -> bool:
    actor = actor_for(user)
    return actor.is_authenticated and bool(actor.sees_all or actor.unit_ids)


def can_manage_dossier(user, _target=None) -> bool:
    """Prepare the dossier, assign materials to units, review submissions, export: PHC office staff."""
    return actor_for(user).office


def can_submit_material(user, material) -> bool:
    """Upload a file for a material: the head, deputy or liaison of its responsible unit, or the office."""
    actor = actor_for(user)
    if not actor.is_authenticated:
        return False
    return actor.office or (
        material.responsible_unit_id is not None and material.responsible_unit_id in actor.acting_unit_ids
    )


# ---- the public side: citizen reports (随手拍) and the portal ---------------------------------
#
# A report carries the reporter's name and phone: the PHC office's staff who act read and triage
# reports, nobody else on the staff side (leaders and units see the problem a report became).
# The public sees a report only through its tracking code, and the portal only what is published.


def can_triage_reports(user, _target=None) -> bool:
    """Accept a citizen report into a problem, refuse it, ask the reporter for more: the office."""
    return actor_for(user).office


def citizen_reports_visible_to(user, queryset: QuerySet | None = None) -> QuerySet:
    from public.models import CitizenReport

    qs = CitizenReport.objects.all() if queryset is None else queryset
    return qs if actor_for(user).office else qs.none()


def problems_public(queryset: QuerySet | None = None) -> QuerySet:
    """The problems the portal's figures may count: none found by a covert inspection whose
    results are not yet published (a bulletin counts the same way)."""
    from problems.models import Problem

    qs = Problem.objects.all() if queryset is None else queryset
    return qs.exclude(pk__in=secret_problem_ids())


def bulletins_public(queryset: QuerySet | None = None) -> QuerySet:
    """Published bulletins, for everyone: drafts never leave the office."""
    from bulletins.models import Bulletin

    qs = Bulletin.objects.all() if queryset is None else queryset
    return qs.filter(status=Bulletin.Status.PUBLISHED, published_at__isnull=False)
