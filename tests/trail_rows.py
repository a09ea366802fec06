"""One row of every append-only table, written by the services that write them in real use, for
the tests of the trail (core/tests/test_trail.py, core/tests/test_chain.py, audit/tests/test_chain.py).

A new append-only model needs a line here: `test_every_append_only_model_is_covered` fails until
it has one, so the triggers and the chain are tested on its table too."""

import datetime as dt

from bulletins import services as bulletins
from bulletins.models import Accountability, AccountabilityEvent, BulletinEvent
from campaigns import services as ledger
from campaigns.models import LedgerEvent
from core.models import SecurityEvent
from core.security import log_event
from dossier import services as dossier
from dossier.models import Material, MaterialEvent, SubmissionEvent
from inspections import services as inspections
from inspections.models import CovertReadLog, PlanEvent, SampleDraw
from inspections.tests.helpers import drawn_plan, with_checklist
from problems.models import ProblemEvent
from problems.tests.helpers import submitted_problem
from public import services as public
from public.models import ReportEvent
from public.tests.helpers import report
from tests.factories import jpeg_bytes

PDF = b"%PDF-1.4\n% trail test\n%%EOF\n"


def one_row_each(world) -> dict:
    """{model: its latest row}, for every append-only model. The problem event is an evidence
    submission, so it links a photo."""
    log_event(SecurityEvent.Kind.LOGIN, user=world.office, summary="王芳登录", details={"方式": "密码"})
    submitted_problem(world)
    ledger.task_create(
        actor=world.office,
        campaign=world.campaign,
        criterion=world.criterion,
        milestone=world.covert,
        title="清理背街小巷",
        lead_unit=world.unit_a,
        responsible=world.liaison_a,
        target_quantity=37,
        target_measure="条",
        deadline=dt.date(2026, 6, 20),
    )
    with_checklist(world)
    plan = drawn_plan(world)
    inspections.covert_reads_record(user=world.office, plans=[plan], surface="plan", path="/inspections/plans/")
    bulletins.bulletin_create(
        actor=world.office, campaign=world.campaign, period_start=dt.date(2026, 5, 1), period_end=dt.date(2026, 5, 31)
    )
    bulletins.accountability_record(
        actor=world.office,
        campaign=world.campaign,
        unit=world.unit_a,
        measure=Accountability.Measure.CRITICISM,
        reason="逾期未整改",
        decided_on=dt.date(2026, 5, 12),
    )
    world.criterion.required_materials = ["保洁制度"]
    world.criterion.save()
    dossier.dossier_prepare(actor=world.office, campaign=world.campaign)
    material = Material.objects.get()
    dossier.material_assign(actor=world.office, material=material, unit=world.unit_a)
    dossier.submission_upload(actor=world.liaison_a, material=material, name="制度.pdf", data=PDF)
    # A citizen's report with a photo (its first event links the clean copy), then a question.
    public.report_ask(actor=world.office, report=report(world, photos=[("a.jpg", jpeg_bytes())]), question="楼号？")
    models = [
        SecurityEvent,
        ProblemEvent,
        LedgerEvent,
        SampleDraw,
        PlanEvent,
        CovertReadLog,
        BulletinEvent,
        AccountabilityEvent,
        MaterialEvent,
        SubmissionEvent,
        ReportEvent,
    ]
    return {model: model.objects.order_by("chain_seq").last() for model in models}
