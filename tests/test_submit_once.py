"""One submit, one row (core.once): every creating form carries a one-time key drawn with the page,
so the same POST arriving twice (a double click, a resend after a lost answer, the back button's
"resubmit") stores one row, and the second answer leads where the first did, with no error.

Each creating form is in SURFACES; `test_every_form_is_known` fails for a new form that is
neither a OnceForm nor listed as creating nothing, so a new creating form cannot be forgotten."""

import importlib
import inspect
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from bulletins.models import Accountability, AccountabilityEvent, Bulletin, BulletinEvent
from campaigns.models import FiveInPlace, LedgerEvent, ProgressReport, Task
from campaigns.tests.helpers import ledger_task
from core.models import Attachment
from core.once import OnceForm
from dossier import services as dossier
from dossier.models import Material, Submission, SubmissionEvent
from inspections.models import Finding, Inspection, InspectionPhoto, InspectionPlan, InspectionSchedule, PlanEvent
from inspections.tests.helpers import drawn_plan, with_checklist
from oversight.models import ScoreWeights
from problems.models import Problem, ProblemEvent
from public.models import CitizenReport, ReportEvent
from public.tests.helpers import category as report_category
from tests.factories import jpeg_bytes

PDF = b"%PDF-1.4\n% once test\n%%EOF\n"


def _task(world) -> Task:
    return ledger_task(world)


def _criticising_draft(world) -> Bulletin:
    """A draft that criticises unit_a: one problem overdue by a day, criticised from one up."""
    from bulletins import services as bulletins
    from problems.tests.helpers import assigned_problem

    problem = assigned_problem(world)
    Problem.objects.filter(pk=problem.pk).update(deadline=problem.deadline.replace(day=11, month=5))
    return bulletins.bulletin_create(
        actor=world.office,
        campaign=world.campaign,
        period_start=problem.recorded_at.date().replace(day=1),
        period_end=problem.recorded_at.date(),
        criticise_overdue_at=1,
    )


def _material(world) -> Material:
    world.criterion.required_materials = ["保洁制度"]
    world.criterion.save()
    dossier.dossier_prepare(actor=world.office, campaign=world.campaign)
    material = Material.objects.get()
    dossier.material_assign(actor=world.office, material=material, unit=world.unit_a)
    return material


@dataclass
class Surface:
    persona: str
    prepare: Callable  # world -> the object the form hangs on (or None)
    url: Callable  # (world, parent) -> the page that draws the form
    data: Callable  # (world, parent) -> a valid POST, fresh files each time
    model: type  # where the key is stored
    location: Callable  # (row) -> where a successful submit leads
    says: str  # what the page after it says
    marker: str = ""  # a text inside the one form (of several on the page) that is sent
    post_url: Callable | None = None  # (world, parent) -> where the form posts, if not its page
    key: str = "submit_key"


SURFACES = {
    "problem record": Surface(
        persona="office",
        prepare=lambda world: None,
        url=lambda world, _: reverse("problems:new"),
        marker='name="description"',
        data=lambda world, _: {
            "site": world.site.pk,
            "criterion": world.checkpoint.pk,
            "description": "巷口垃圾堆积",
            "severity": "minor",
            "source": "leader",
            # Recorded anyway: from the second drawing on, the first is a possible duplicate.
            "duplicate": "new",
            "photos": [SimpleUploadedFile("现场.jpg", jpeg_bytes())],
        },
        model=Problem,
        location=lambda problem: reverse("problems:detail", args=[problem.uuid]),
        says="已登记问题 2026-000001",
    ),
    "task": Surface(
        persona="office",
        prepare=lambda world: None,
        url=lambda world, _: reverse("campaigns:task_create"),
        data=lambda world, _: {
            "title": "清理背街小巷卫生死角",
            "criterion": world.criterion.pk,
            "milestone": world.covert.pk,
            "lead_unit": world.unit_a.pk,
            "responsible": world.liaison_a.pk,
            "target_quantity": "37",
            "target_measure": "条",
            "deadline": "2026-06-28",  # a past deadline is refused (issue 12)
        },
        model=Task,
        location=lambda task: reverse("campaigns:task", args=[task.uuid]),
        says="已新建任务：清理背街小巷卫生死角",
    ),
    "progress report": Surface(
        persona="liaison_a",
        prepare=_task,
        url=lambda world, task: reverse("campaigns:task", args=[task.uuid]),
        post_url=lambda world, task: reverse("campaigns:task_progress", args=[task.uuid]),
        marker="/progress/",
        data=lambda world, _: {
            "quantity_done": "12",
            "text": "已清理12条",
            "files": [SimpleUploadedFile("现场.jpg", jpeg_bytes())],
        },
        model=ProgressReport,
        location=lambda report: reverse("campaigns:task", args=[report.task.uuid]),
        says="进展已报告",
    ),
    "five-in-place": Surface(
        persona="liaison_a",
        prepare=lambda world: None,
        url=lambda world, _: reverse("campaigns:five_in_place_unit", args=[world.unit_a.code]),
        marker='name="item" value="funding"',
        data=lambda world, _: {
            "item": "funding",
            "status": "in_place",
            "note": "专项经费50万元已拨付",
            "files": [SimpleUploadedFile("拨付单.jpg", jpeg_bytes())],
        },
        model=LedgerEvent,
        location=lambda event: reverse("campaigns:five_in_place_unit", args=[event.unit.code]),
        says="已更新：经费到位",
    ),
    "dossier upload": Surface(
        persona="liaison_a",
        prepare=_material,
        url=lambda world, material: reverse("dossier:material", args=[material.uuid]),
        marker='enctype="multipart/form-data"',
        data=lambda world, _: {"file": SimpleUploadedFile("制度.pdf", PDF), "note": "已盖章"},
        model=Submission,
        location=lambda submission: reverse("dossier:material", args=[submission.material.uuid]),
        says="材料已报送，等待爱卫办审核",
    ),
    # No account: a visitor's report (the outsider stands in; a session changes nothing here).
    "citizen report": Surface(
        persona="outsider",
        prepare=lambda world: report_category(world),
        url=lambda world, _: reverse("public:report"),
        data=lambda world, category: {
            "category": category.pk,
            "description": "巷口垃圾堆放",
            "address": "幸福巷 12 号",
            "photos": [SimpleUploadedFile("现场.jpg", jpeg_bytes())],
        },
        model=CitizenReport,
        location=lambda report: f"{reverse('public:status', args=[report.code])}?new=1",
        says="提交成功",
    ),
    "accountability from a draft": Surface(
        persona="office",
        prepare=_criticising_draft,
        url=lambda world, draft: reverse("bulletins:detail", args=[draft.uuid]),
        post_url=lambda world, draft: reverse("bulletins:accountability_from", args=[draft.uuid]),
        marker="/accountability/",
        data=lambda world, _: {"measure": "criticism", "decided_on": "2026-05-12", "confirm": "on"},
        model=Accountability,
        location=lambda record: reverse("bulletins:accountability"),
        says="已记录问责 1 条",
    ),
    "accountability": Surface(
        persona="office",
        prepare=lambda world: None,
        url=lambda world, _: reverse("bulletins:accountability"),
        data=lambda world, _: {
            "unit": world.unit_a.pk,
            "measure": "criticism",
            "reason": "背街小巷问题逾期未整改",
            "decided_on": "2026-05-10",
        },
        model=Accountability,
        location=lambda record: reverse("bulletins:accountability"),
        says="问责记录已保存",
    ),
    "bulletin draft": Surface(
        persona="office",
        prepare=lambda world: None,
        url=lambda world, _: reverse("bulletins:list"),
        post_url=lambda world, _: reverse("bulletins:create"),
        data=lambda world, _: {"period_start": "2026-05-01", "period_end": "2026-05-31", "criticise_overdue_at": "3"},
        model=Bulletin,
        location=lambda bulletin: reverse("bulletins:detail", args=[bulletin.uuid]),
        says="关于2026年5月省级卫生城市届满复审督查情况的通报",
    ),
    "inspection plan": Surface(
        persona="office",
        prepare=with_checklist,
        url=lambda world, _: reverse("inspections:plan_create"),
        data=lambda world, _: {
            "name": "六月明查",
            "kind": "scheduled",
            "mode": "open",
            "starts_on": "2026-06-01",
            "ends_on": "2026-06-05",
            "areas": [world.east.pk],
            "exclude_recent_days": "30",
            "members": [world.inspector.pk, world.office.pk],
            f"count_{world.site.site_type.code}": "2",
        },
        model=InspectionPlan,
        location=lambda plan: reverse("inspections:plan", args=[plan.uuid]),
        says="检查计划「六月明查」已制定，请随机抽样",
    ),
    "recurring inspection rule": Surface(
        persona="office",
        prepare=lambda world: None,
        url=lambda world, _: reverse("inspections:schedule_create"),
        data=lambda world, _: {
            "name": "每周背街小巷暗访",
            "period": "weekly",
            "rule": "sample",
            "count": "2",
            "mode": "covert",
            "window_days": "5",
            "is_active": "on",
            "site_types": [world.site.site_type.pk],
            "areas": [world.east.pk],
            "members": [world.inspector.pk, world.office.pk],
        },
        model=InspectionSchedule,
        location=lambda schedule: reverse("inspections:schedules"),
        says="常态检查规则「每周背街小巷暗访」已保存",
    ),
    "score weights": Surface(
        persona="office",
        prepare=lambda world: None,
        url=lambda world, _: reverse("oversight:scores"),
        data=lambda world, _: {
            "effective_from": "2026-06",
            "closure": "25",
            "on_time": "45",
            "rework": "15",
            "rebound": "15",
            "per_reassign": "1",
            "per_overdue": "0.5",
        },
        model=ScoreWeights,
        location=lambda weights: reverse("oversight:scores"),
        says="考核权重已调整，自所选月份起生效",
        marker="保存新权重",
    ),
    # The page without JavaScript: its key is the inspection's id, as the phone's would be.
    "inspection checklist": Surface(
        persona="inspector",
        prepare=lambda world: drawn_plan(with_checklist(world)),
        url=lambda world, plan: reverse("inspections:checklist", args=[plan.uuid, world.site.code]),
        data=lambda world, _: {
            "started_at": "2026-05-12 09:45:00",
            f"result_{world.checkpoint.pk}": "fail",
            f"note_{world.checkpoint.pk}": "巷口垃圾堆积",
            f"photos_{world.checkpoint.pk}": [SimpleUploadedFile("现场.jpg", jpeg_bytes())],
            f"result_{world.checkpoint_2.pk}": "pass",
        },
        model=Inspection,
        location=lambda inspection: reverse("inspections:inspection", args=[inspection.client_id]),
        says="「幸福巷」检查记录已提交",
        key="client_id",
    ),
}

# Everything a creating form could write, files on disk included: a repeat must change none of it.
WRITTEN = [
    Task,
    ProgressReport,
    LedgerEvent,
    FiveInPlace,
    Submission,
    SubmissionEvent,
    Accountability,
    AccountabilityEvent,
    Bulletin,
    BulletinEvent,
    InspectionPlan,
    InspectionSchedule,
    PlanEvent,
    Inspection,
    Finding,
    InspectionPhoto,
    Problem,
    ProblemEvent,
    CitizenReport,
    ReportEvent,
    ScoreWeights,
    Attachment,
]


def written() -> dict:
    counts = {model.__name__: model.objects.count() for model in WRITTEN}
    counts["links to evidence"] = sum(
        model.attachments.through.objects.count() for model in (ProgressReport, FiveInPlace)
    )
    counts["files"] = sum(1 for path in settings.MEDIA_ROOT.rglob("*") if path.is_file())
    return counts


def drawn_key(page: str, *, name: str = "submit_key", marker: str = "") -> str:
    """The one-time key of the form on the page (the one that contains `marker`)."""
    forms_ = [chunk.split("</form>")[0] for chunk in page.split("<form")[1:]]
    form = next(form for form in forms_ if marker in form and f'name="{name}"' in form)
    return re.search(rf'name="{name}" value="([^"]+)"', form).group(1)


def _open(client, world, name):
    surface = SURFACES[name]
    parent = surface.prepare(world)
    client.force_login(getattr(world, surface.persona))
    page = client.get(surface.url(world, parent))
    assert page.status_code == 200
    target = (surface.post_url or surface.url)(world, parent)
    return surface, parent, page.content.decode(), target


@pytest.mark.parametrize("name", SURFACES)
def test_the_same_post_twice_stores_one_row_and_both_answers_lead_to_it(client, world, name):
    surface, parent, page, target = _open(client, world, name)
    key = drawn_key(page, name=surface.key, marker=surface.marker)
    before = written()

    first = client.post(target, {**surface.data(world, parent), surface.key: key})
    assert first.status_code == 302
    after_first = written()
    second = client.post(target, {**surface.data(world, parent), surface.key: key})

    assert written() == after_first
    assert after_first[surface.model.__name__] == before[surface.model.__name__] + 1
    row = surface.model.objects.get(**{surface.key: key})
    assert second.status_code == 302
    assert first["Location"] == second["Location"] == surface.location(row)
    shown = client.get(second["Location"]).content.decode()
    assert surface.says in shown
    assert "alert-danger" not in shown


@pytest.mark.parametrize("name", [name for name, surface in SURFACES.items() if surface.key == "submit_key"])
def test_each_drawing_of_a_form_has_its_own_key_so_a_second_entry_is_a_second_row(client, world, name):
    surface, parent, page, target = _open(client, world, name)
    again = client.get(surface.url(world, parent)).content.decode()
    keys = {drawn_key(page, marker=surface.marker), drawn_key(again, marker=surface.marker)}
    assert len(keys) == 2 and all(uuid.UUID(key) for key in keys)
    for key in keys:
        assert client.post(target, {**surface.data(world, parent), "submit_key": key}).status_code == 302
    assert surface.model.objects.filter(submit_key__in=keys).count() == 2


def test_a_form_without_its_key_is_served_as_a_new_submit(client, world):
    """A page drawn before the keys existed, or a script: the key tells repeats of one drawn form
    apart and is no permission, so its absence refuses nothing (core.once explains why)."""
    surface, parent, _page, target = _open(client, world, "task")
    for _attempt in range(2):
        response = client.post(target, surface.data(world, parent))
        assert response.status_code == 302
    assert list(Task.objects.values_list("submit_key", flat=True)) == [None, None]


def test_a_malformed_key_is_refused_with_a_message_and_the_form_drawn_again_with_a_fresh_one(client, world):
    surface, parent, _page, target = _open(client, world, "task")
    before = written()
    response = client.post(target, {**surface.data(world, parent), "submit_key": "x' OR 1=1"})
    assert response.status_code == 400
    page = response.content.decode()
    assert '<div class="alert alert-danger py-2" role="alert">页面已失效，请重新提交</div>' in page
    assert uuid.UUID(drawn_key(page))
    assert "清理背街小巷卫生死角" in page  # what was typed is kept
    assert written() == before
    assert client.post(target, {**surface.data(world, parent), "submit_key": drawn_key(page)}).status_code == 302
    assert Task.objects.count() == 1


def test_a_refused_submit_keeps_its_key_for_the_corrected_one(client, world):
    surface, parent, page, target = _open(client, world, "task")
    key = drawn_key(page)
    refused = client.post(target, {**surface.data(world, parent), "deadline": "2026-07-03", "submit_key": key})
    assert refused.status_code == 400
    assert "只能提前，不能拖后" in refused.content.decode()
    assert drawn_key(refused.content.decode()) == key  # nothing was stored under it
    assert Task.objects.count() == 0
    assert client.post(target, {**surface.data(world, parent), "submit_key": key}).status_code == 302
    assert Task.objects.get().submit_key == uuid.UUID(key)


def test_a_key_someone_else_used_is_refused_and_stores_nothing(client, world):
    surface, parent, page, target = _open(client, world, "dossier upload")
    key = drawn_key(page, marker=surface.marker)
    assert client.post(target, {**surface.data(world, parent), "submit_key": key}).status_code == 302
    before = written()
    client.force_login(world.head_a)
    response = client.post(target, {**surface.data(world, parent), "submit_key": key})
    assert response.status_code == 400
    assert (
        '<div class="alert alert-danger py-2" role="alert">该表单已由他人提交，请刷新页面后重新填写</div>'
        in response.content.decode()
    )
    assert written() == before


def _module(name: str):
    """The module, imported here: a test run alone must not depend on what others imported."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError:
        return None


def test_every_form_is_known(world):
    """A creating form is a OnceForm and in SURFACES; any other form says why it needs no key."""
    creates_nothing = {
        # Filters and choices read, they do not write.
        "ProblemFilterForm",
        "TaskFilterForm",
        "FilterForm",
        "SecurityLogFilterForm",
        "ReadinessForm",
        # Steps of a state machine: the version the person saw refuses a repeat (core.states).
        "AssignForm",
        "ReassignForm",
        "SubmitForm",
        "VerifyForm",
        "ReasonForm",
        "MergeForm",
        "ReviewForm",
        "DrawForm",
        "BulletinEditForm",
        # Set a value: sending it again sets the same value and writes no second row.
        "DeadlineForm",
        "TaskEditForm",  # campaigns.services.task_edit writes nothing when nothing changed
        # An import is keyed by code/username: a second run updates nothing (exchange.imports).
        "ImportForm",
        # Signing in and the security administrator's actions: no row a repeat could double.
        "CodeForm",
        "UnlockForm",
        "SecondFactorResetForm",
        # The admin's own form for memberships: the admin is the system administrator's screen.
        "MembershipForm",
        # The checklist's key is the inspection's id (client_id), as in SURFACES.
        "ChecklistForm",
        # The edge's bases (core.forms), not forms of a screen.
        "Form",
        "ModelForm",
        # Notifications: a filter, a person's choice, a rule's setting (values set again); a
        # channel's name is unique per unit, so a channel form sent twice is refused the second
        # time (notifications.models.Endpoint) instead of making a second channel.
        "LogFilterForm",
        "PreferenceForm",
        "RuleForm",
        "EndpointForm",
        # The public side: the tracking code's lookup reads; the reporter's answer and the
        # office's triage steps are steps of the report's machine (the version refuses a repeat).
        "LookupForm",
        "SupplementForm",
        "AcceptForm",
        "ReplyForm",
        # Oversight: the trends' and the scores' filters, read only.
        "TrendFilterForm",
        "ScoreMonthForm",
    }
    ours = [
        cls
        for config in apps.get_app_configs()
        if config.path.startswith(str(settings.BASE_DIR)) and ".venv" not in config.path
        for module in [_module(f"{config.name}.forms"), _module(f"{config.name}.admin")]
        if module is not None
        for cls in vars(module).values()
        if inspect.isclass(cls) and issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__
    ]
    once = sorted(cls.__name__ for cls in ours if issubclass(cls, OnceForm))
    others = sorted(cls.__name__ for cls in ours if not issubclass(cls, OnceForm))
    assert once == [
        "AccountabilityForm",
        "AccountabilityFromBulletinForm",
        "BulletinCreateForm",
        "FiveInPlaceForm",
        "PlanForm",
        "ProgressForm",
        "RecordForm",
        "ReportForm",
        "ScheduleForm",
        "ScoreWeightsForm",
        "TaskForm",
        "UploadForm",
    ]
    assert set(others) <= creates_nothing, set(others) - creates_nothing


COPIES = 5


@pytest.mark.django_db(transaction=True)
def test_five_copies_at_the_same_moment_store_one_task(world):
    """Real threads released together (inspections/tests/test_concurrency.py does the same for the
    phone): the first stores, the others find its row, on either database."""
    key = uuid.uuid4()
    barrier = threading.Barrier(COPIES)
    answers, errors = [], []

    def send():
        try:
            barrier.wait(timeout=10)
            answers.append(ledger_task(world, submit_key=key).pk)
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(COPIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert Task.objects.count() == 1
    assert answers == [Task.objects.get().pk] * COPIES
    assert LedgerEvent.objects.filter(action=LedgerEvent.Action.TASK_CREATED).count() == 1
