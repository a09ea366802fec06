"""Writes for inspections, in two parts: plans (set-up, draw, steps, covert reads) and sync (what
the phone sends, and the checklist page without JavaScript). Web screens, the API and the demo
loader all come through here; the names below are the whole public surface."""

from inspections.services.plans import (
    covert_reads_record,
    plan_create,
    plan_publish,
    plan_transition,
    sample_draw,
)
from inspections.services.sync import (
    ClientIdConflict,
    checklist,
    checklist_store,
    finding_record,
    inspection_submit,
    photo_store,
    score_of,
    sync_status,
)

__all__ = [
    "ClientIdConflict",
    "checklist",
    "checklist_store",
    "covert_reads_record",
    "finding_record",
    "inspection_submit",
    "photo_store",
    "plan_create",
    "plan_publish",
    "plan_transition",
    "sample_draw",
    "score_of",
    "sync_status",
]
