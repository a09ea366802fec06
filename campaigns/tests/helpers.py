"""A task of the ledger as most tests need one: unit_a's, with its liaison responsible, towards the
covert-visit milestone. Built through the service, like every task people make."""

import datetime as dt

from campaigns import services
from campaigns.models import Task


def ledger_task(world, **changes) -> Task:
    fields = {
        "criterion": world.criterion,
        "milestone": world.covert,
        "title": "清理背街小巷卫生死角",
        "lead_unit": world.unit_a,
        "responsible": world.liaison_a,
        "target_quantity": 37,
        "target_measure": "条",
        "deadline": dt.date(2026, 6, 20),
    }
    actor = changes.pop("actor", world.office)
    return services.task_create(actor=actor, campaign=world.campaign, **{**fields, **changes})
