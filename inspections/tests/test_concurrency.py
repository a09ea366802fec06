"""Five copies of the same record sent at the same moment (a phone retrying while its first sync
is still in flight, a double tap, two tabs) store it once, and every caller gets that one row.

Real threads, each with its own database connection, released together by a barrier. On
PostgreSQL the writers queue on the row lock of the plan or inspection and the unique constraint
stands behind it; on SQLite the write lock taken at BEGIN (transaction_mode IMMEDIATE) queues them."""

import threading
import uuid

import pytest
from django.db import connection

from core.models import Attachment
from inspections import services
from inspections.models import CheckResult, Finding, Inspection, InspectionPhoto
from inspections.tests.helpers import TODAY, drawn_plan, record_finding, results, submit, with_checklist
from problems.models import Problem, ProblemEvent
from tests.factories import jpeg_bytes

COPIES = 5


def at_once(work):
    """Run `work` in COPIES threads released at the same instant; return what each returned."""
    barrier = threading.Barrier(COPIES)
    answers, errors = [None] * COPIES, []

    def run(index):
        try:
            barrier.wait(timeout=10)
            answers[index] = work()
        except Exception as error:  # surfaced below, with the thread's own traceback
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(COPIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return answers


@pytest.fixture
def plan(transactional_db, world):
    with_checklist(world)
    return drawn_plan(world)


def test_five_concurrent_submissions_of_one_inspection_store_one(world, plan):
    client_id = uuid.uuid4()

    def send():
        inspection, created = services.inspection_submit(
            actor=world.inspector,
            client_id=client_id,
            plan=plan,
            site=world.site,
            started_at=TODAY,
            submitted_at=TODAY,
            results=results(world),
        )
        return inspection.pk, created

    answers = at_once(send)

    assert Inspection.objects.count() == 1
    assert CheckResult.objects.count() == 2
    stored = Inspection.objects.get().pk
    assert sorted(answers) == [(stored, False)] * (COPIES - 1) + [(stored, True)]
    assert list(plan.events.values_list("action", flat=True)) == ["create", "draw", "start"]


def test_five_concurrent_submissions_of_one_problem_record_one(world, plan):
    inspection = submit(world, plan)
    client_id = uuid.uuid4()

    def send():
        finding, created = services.finding_record(
            actor=world.inspector,
            client_id=client_id,
            inspection_client_id=inspection.client_id,
            checkpoint_id=world.checkpoint.pk,
            description="巷口垃圾堆积",
        )
        return finding.problem_id, created

    answers = at_once(send)

    assert (Finding.objects.count(), Problem.objects.count(), ProblemEvent.objects.count()) == (1, 1, 1)
    problem = Problem.objects.get()
    assert problem.number == "2026-000001"
    assert sorted(answers) == [(problem.pk, False)] * (COPIES - 1) + [(problem.pk, True)]


def test_five_concurrent_uploads_of_one_photo_store_one(world, plan, settings):
    inspection = submit(world, plan)
    finding = record_finding(world, inspection)
    client_id, data = uuid.uuid4(), jpeg_bytes(1200, 900)

    def send():
        photo, created = services.photo_store(
            actor=world.inspector,
            client_id=client_id,
            inspection_client_id=inspection.client_id,
            problem_client_id=finding.client_id,
            sha256=Attachment.hash_of(data),
            name="现场.jpg",
            data=data,
        )
        return photo.pk, created

    answers = at_once(send)

    assert (InspectionPhoto.objects.count(), Attachment.objects.count(), finding.problem.photos.count()) == (1, 2, 1)
    stored = InspectionPhoto.objects.get().pk
    assert sorted(answers) == [(stored, False)] * (COPIES - 1) + [(stored, True)]
    media = [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()]
    assert len(media) == 2  # the original and the stamped copy; no orphan from a losing thread


def test_five_phones_finding_the_same_checkpoint_at_once_make_one_problem(world, plan):
    """Five inspections of one site, each failing the same checkpoint, synced at the same instant:
    the site's lock in finding_record lets one open the problem and links the other four to it."""
    inspections = iter([submit(world, plan) for _ in range(COPIES)])
    lock = threading.Lock()

    def send():
        with lock:
            inspection = next(inspections)
        finding, _created = services.finding_record(
            actor=world.inspector,
            client_id=uuid.uuid4(),
            inspection_client_id=inspection.client_id,
            checkpoint_id=world.checkpoint.pk,
        )
        return finding.problem_id

    answers = at_once(send)

    problem = Problem.objects.get()
    assert answers == [problem.pk] * COPIES
    assert Finding.objects.filter(problem=problem).count() == COPIES
    assert problem.number == "2026-000001"
