"""Writes of the declaration dossier. Each checks access first and runs in a transaction."""

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext

import access
from campaigns.models import Campaign
from core import clock
from core.errors import InvalidInput, NotAllowed
from core.files import atomic_with_files
from core.once import once_per_key
from core.services import EVIDENCE, attachment_store
from core.states import transition
from dossier.models import Material, MaterialEvent, Submission, SubmissionEvent
from dossier.states import REVIEW_ACTIONS, SUBMISSION_MACHINE, SubmissionAction
from notifications.people import unit_people
from notifications.services import notify
from organisation.models import Membership, Unit
from standard.models import Criterion

Action = SubmissionAction


def dossier_prepare(*, actor, campaign: Campaign) -> int:
    """Create the campaign's materials from its standard: one per name in each criterion's
    required_materials. Idempotent: materials already there are left as they are (with their
    unit). Returns how many were created."""
    if not access.can_manage_dossier(actor):
        raise NotAllowed(gettext("只有爱卫办可以生成申报资料清单"))
    criteria = Criterion.objects.criteria().filter(standard=campaign.standard).order_by("position", "id")
    with transaction.atomic():
        existing = set(Material.objects.filter(campaign=campaign).values_list("criterion_id", "name"))
        new = []
        for criterion in criteria:
            for position, name in enumerate(criterion.required_materials or []):
                name = str(name).strip()
                if name and (criterion.id, name) not in existing:
                    existing.add((criterion.id, name))
                    new.append(Material(campaign=campaign, criterion=criterion, name=name, position=position))
        Material.objects.bulk_create(new)
    return len(new)


def material_assign(*, actor, material: Material, unit: Unit | None) -> Material:
    """Give a material to the unit that must file it (or take it back: None), with its event.
    Nothing is written when the unit does not change."""
    if not access.can_manage_dossier(actor):
        raise NotAllowed(gettext("只有爱卫办可以指定责任单位"))
    if unit is not None and not unit.is_active:
        raise InvalidInput(gettext("单位「%(unit)s」已停用") % {"unit": unit})
    with transaction.atomic():
        locked = Material.objects.select_for_update().get(pk=material.pk)
        if locked.responsible_unit_id == (unit.pk if unit else None):
            return locked
        previous = locked.responsible_unit_id
        locked.responsible_unit = unit
        locked.save(update_fields=["responsible_unit"])
        MaterialEvent.objects.create(
            material=locked,
            action=MaterialEvent.Action.ASSIGN,
            from_unit_id=previous,
            to_unit=unit,
            actor=actor,
            at=clock.now(),
        )
    material.responsible_unit = unit
    return material


def _event(submission, action, from_status, actor, at, note=""):
    SubmissionEvent.objects.create(
        submission=submission,
        action=action,
        from_status=from_status,
        to_status=submission.status,
        actor=actor,
        at=at,
        note=note,
    )


@once_per_key(Submission, by="submitted_by")
def submission_upload(
    *, actor, material: Material, name: str, data: bytes, note: str = "", submit_key=None
) -> Submission:
    """A file for a material, from its responsible unit (head, deputy, liaison) or the office
    (once per form: core.once)."""
    if not access.can_submit_material(actor, material):
        raise NotAllowed(gettext("只有责任单位或爱卫办可以报送「%(material)s」") % {"material": material.name})
    unit_id = material.responsible_unit_id
    if unit_id is None:
        # Only the office gets here: it files the material itself, under its own unit.
        office_units = Unit.objects.filter(pk__in=access.actor_for(actor).unit_ids, kind=Unit.Kind.PHC_OFFICE)
        unit_id = office_units.values_list("pk", flat=True).first()
    with atomic_with_files():
        attachment = attachment_store(actor=actor, name=name, data=data, kind=EVIDENCE)
        now = clock.now()
        submission = Submission.objects.create(
            material=material,
            unit_id=unit_id,
            attachment=attachment,
            note=note.strip(),
            submitted_by=actor,
            submitted_at=now,
            submit_key=submit_key,
        )
        _event(submission, Action.SUBMIT, "", actor, now, submission.note)
    return submission


def _tell_returned(submission: Submission, reason: str) -> None:
    """The unit's liaison hears of a returned material, with the reason, in the same transaction."""
    material = submission.material
    notify(
        rule="material_returned",
        source=f"submission:{submission.pk}:return{submission.version}",
        recipients=unit_people(submission.unit, Membership.Role.LIAISON),
        subject=gettext("申报资料「%(name)s」被退回") % {"name": material.name},
        body=gettext("退回理由：%(reason)s（%(criterion)s）")
        % {"reason": reason, "criterion": material.criterion.code},
        link=reverse("dossier:material", args=[material.uuid]),
        unit=submission.unit,
    )


def submission_transition(*, actor, submission: Submission, action: str, reason: str = "") -> Submission:
    """Accept or return a submission through core.states.transition: the office only, from the
    state the action allows, on the version the reviewer saw; a return needs a reason."""
    if action not in REVIEW_ACTIONS:
        raise InvalidInput(gettext("无效的操作"))
    reason = (reason or "").strip()
    if action == Action.RETURN and not reason:
        raise InvalidInput(gettext("退回须填写理由"))
    now = clock.now()

    def record(current: Submission, *, previous: str, at) -> SubmissionEvent:
        if action == Action.RETURN and current.unit_id is not None:
            _tell_returned(current, reason)
        return _event(current, action, previous, actor, at, reason)

    return transition(
        submission,
        machine=SUBMISSION_MACHINE,
        action=action,
        actor=actor,
        may=lambda current: access.can_manage_dossier(actor),
        record=record,
        changes={"reviewer": actor, "reviewed_at": now, "review_reason": reason},
        at=now,
    )
