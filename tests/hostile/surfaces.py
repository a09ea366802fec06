"""The map of every surface that takes input, and how to reach each one as the right persona.

- FORMS: every screen form that is posted, with its valid data (so that one field at a time can
  be made hostile), its free-text, date, number and file fields, and the persona who may post it.
  A surface's `prepare(world)` makes fresh objects for each request (a problem in the right
  state, a new plan...): an accepted input moves its object on, and the next input must not be
  refused for that reason.
- FILTERS: every GET form (lists, exports, the map's data, the readiness page) and its URLs.
- API_WRITES: every POST operation of the JSON API.
- IMPORT_KINDS: the four Excel imports.
- PATHS: every URL pattern with a path parameter and a valid value for it.
- NOT_SURFACES: forms not in FORMS or FILTERS, each with the reason.

test_map.py fails when a form class, a URL pattern, an API operation or an import kind of the
app is in none of these, so that a new surface cannot be forgotten silently.
"""

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.urls import reverse

from accounts.forms import CodeForm, SecondFactorResetForm, UnlockForm
from audit.forms import SecurityLogFilterForm
from bulletins import services as bulletin_services
from bulletins.forms import (
    AccountabilityForm,
    AccountabilityFromBulletinForm,
    BulletinCreateForm,
    BulletinEditForm,
)
from campaigns.forms import DeadlineForm, FiveInPlaceForm, ProgressForm, TaskEditForm, TaskFilterForm, TaskForm
from campaigns.tests.helpers import ledger_task
from conftest import TODAY
from core.downloads import generated_file_request
from dossier import services as dossier_services
from dossier.forms import AssignForm as MaterialAssignForm
from dossier.forms import FilterForm as DossierFilterForm
from dossier.forms import ReviewForm, UploadForm
from dossier.models import Material
from exchange.forms import ImportForm
from inspections.forms import ChecklistForm, DrawForm, PlanForm, ReadinessForm, ScheduleForm
from inspections.services import routine as routine_services
from inspections.tests.helpers import drawn_plan, make_plan, record_finding, submit, with_checklist
from notifications.forms import EndpointForm, RuleForm
from notifications.models import Channel, Endpoint, Message
from notifications.services import endpoint_test
from oversight.forms import ScoreMonthForm, ScoreWeightsForm, TrendFilterForm
from problems.forms import (
    AssignForm,
    MergeForm,
    ProblemFilterForm,
    ReasonForm,
    ReassignForm,
    RecordForm,
    SubmitForm,
    VerifyForm,
)
from problems.models import Problem
from problems.tests.helpers import assigned_problem, recorded_problem, submitted_problem
from public import services as public_services
from public.forms import AcceptForm, ReplyForm, ReportForm, SupplementForm
from public.tests.helpers import category as report_category
from public.tests.helpers import report as citizen_report
from tests.factories import PublishedBulletinFactory, jpeg_bytes

PDF = b"%PDF-1.4\n% evidence\n%%EOF\n"
PHOTO, DOCUMENT = "photo", "document"  # what a file field should take: pictures only, or documents too


def stage(world) -> SimpleNamespace:
    """What every surface needs once per world: a two-point checklist for back streets, a material
    of the dossier given to unit_a, and the API's inspector. Returns the world."""
    if getattr(world, "staged", False):
        return world
    with_checklist(world)
    world.criterion.required_materials = ["保洁制度"]
    world.criterion.save(update_fields=["required_materials"])
    dossier_services.dossier_prepare(actor=world.office, campaign=world.campaign)
    world.material = Material.objects.get(criterion=world.criterion)
    dossier_services.material_assign(actor=world.office, material=world.material, unit=world.unit_a)
    world.staged = True
    return world


def task(world):
    return ledger_task(world, target_quantity=10, deadline=dt.date(2026, 6, 1))


def draft(world):
    return bulletin_services.bulletin_create(
        actor=world.office, campaign=world.campaign, period_start=dt.date(2026, 4, 1), period_end=TODAY.date()
    )


def criticising_draft(world):
    """A draft that criticises unit_a: one overdue problem, criticised from the first one."""
    problem = assigned_problem(world)
    # Overdue by a day: the assign service takes no deadline in the past.
    Problem.objects.filter(pk=problem.pk).update(deadline=TODAY.date() - dt.timedelta(days=1))
    return bulletin_services.bulletin_create(
        actor=world.office,
        campaign=world.campaign,
        period_start=dt.date(2026, 4, 1),
        period_end=TODAY.date(),
        criticise_overdue_at=1,
    )


def submission(world):
    return dossier_services.submission_upload(actor=world.liaison_a, material=world.material, name="制度.pdf", data=PDF)


def _schedule_valid(world) -> dict:
    return {
        "name": "每周背街小巷暗访",
        "period": "weekly",
        "rule": "sample",
        "count": "2",
        "interval_weeks": "",
        "mode": "covert",
        "window_days": "5",
        "is_active": "on",
        "site_types": [world.site.site_type.pk],
        "areas": [world.east.pk],
        "members": [world.inspector.pk, world.office.pk],
    }


def _schedule(world):
    return routine_services.schedule_create(
        actor=world.office,
        campaign=world.campaign,
        name="每周背街小巷暗访",
        period="weekly",
        rule="sample",
        count=2,
        interval_weeks=None,
        mode="covert",
        window_days=5,
        is_active=True,
        site_types=[world.site.site_type],
        areas=[world.east],
        members=[world.inspector, world.office],
    )


def _ns(**kwargs):
    return SimpleNamespace(**kwargs)


@dataclass(frozen=True)
class FormSurface:
    name: str
    form: type
    persona: str
    url: Callable  # (world, ctx) -> str
    valid: Callable  # (world, ctx) -> dict of a POST that is accepted
    prepare: Callable = lambda world: _ns()  # (world) -> ctx: fresh objects for one request
    text: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()
    datetimes: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()
    files: dict = field(default_factory=dict)  # field -> PHOTO or DOCUMENT
    stores: bool = True  # False: a sign-in or administration form that keeps nothing it is given
    # Text fields with a format of their own (a code, a seed, a list of numbers): refusing a
    # hostile value there is right, as long as the message is Chinese.
    structured: tuple[str, ...] = ()

    def field(self, name: str, ctx) -> str:
        return name.format(cp=getattr(ctx, "cp", ""))

    def expect(self, name: str, value, expect: str) -> str:
        """The case's expectation on this field: a value its own rules may refuse (too long for
        it, or a field with a format) may be refused, in Chinese."""
        from tests.hostile.corpus import ACCEPT, EITHER

        if expect != ACCEPT:
            return expect
        if name in self.structured or not self.stores:
            return EITHER
        max_length = getattr(self.form.base_fields.get(name), "max_length", None)
        if max_length and isinstance(value, str) and len(value) > max_length:
            return EITHER
        return expect


def _no_channels(world):
    """A channel's name is unique per unit: two hostile names that clean to the same text would
    meet the first one's channel. Each request starts from none."""
    Endpoint.objects.filter(unit=world.unit_a).delete()
    return _ns(n=uuid.uuid4().hex[:8])


def _act(action):
    return lambda w, c: reverse("problems:act", args=[c.problem.uuid, action])


def _problem(builder):
    return lambda w: _ns(problem=builder(w))


def _v(obj) -> str:
    return str(obj.version)


def _checklist_ctx(w):
    plan = drawn_plan(w, count=10)
    return _ns(plan=plan, cp=w.checkpoint.pk, cp2=w.checkpoint_2.pk)


def _checklist_valid(w, c):
    return {
        "client_id": str(uuid.uuid4()),
        "started_at": (TODAY - dt.timedelta(minutes=10)).isoformat(),
        "latitude": "34.757100",
        "longitude": "113.665200",
        "note": "",
        f"result_{c.cp}": "fail",
        f"note_{c.cp}": "路面有垃圾",
        f"result_{c.cp2}": "pass",
        f"note_{c.cp2}": "",
        f"photos_{c.cp}": _photo(),
    }


def _photo():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("现场.jpg", jpeg_bytes(64, 48), content_type="image/jpeg")


def _reporting(w):
    """A visitor's report: the category, and the bounds' counts of earlier requests forgotten (a
    corpus posts far more than a citizen may in an hour)."""
    from django.core.cache import cache

    cache.clear()
    return _ns(category=report_category(w))


def _report(w):
    # Each from an address of its own: the corpus makes far more reports than one may send an hour.
    return _ns(report=citizen_report(w, ip=f"corpus-{uuid.uuid4()}"))


def _asked_report(w):
    report = citizen_report(w, ip=f"corpus-{uuid.uuid4()}")
    return _ns(report=public_services.report_ask(actor=w.office, report=report, question="请补充楼号"))


FORMS = [
    FormSurface(
        "citizen_report",
        ReportForm,
        "anonymous",
        lambda w, c: reverse("public:report"),
        lambda w, c: {
            "category": c.category.pk,
            "description": "巷口垃圾堆放三天",
            "latitude": "34.757100",
            "longitude": "113.665100",
            "address": "幸福巷 12 号",
            "name": "张大爷",
            "phone": "",
            "photos": _photo(),
        },
        _reporting,
        text=("description", "address", "name"),
        numbers=("latitude", "longitude"),
        files={"photos": PHOTO},
        structured=("phone",),
    ),
    FormSurface(
        "report_supplement",
        SupplementForm,
        "anonymous",
        lambda w, c: reverse("public:supplement", args=[c.report.code]),
        lambda w, c: {"answer": "12 号楼东侧", "version": _v(c.report)},
        _asked_report,
        text=("answer",),
    ),
    FormSurface(
        "report_accept",
        AcceptForm,
        "office",
        lambda w, c: reverse("triage:act", args=[c.report.code, "accept"]),
        lambda w, c: {
            "site": w.site.code,
            "site_code": "",
            "severity": "minor",
            "note": "属实",
            "version": _v(c.report),
        },
        _report,
        text=("note",),
        structured=("site", "site_code"),
    ),
    FormSurface(
        "report_refuse",
        ReplyForm,
        "office",
        lambda w, c: reverse("triage:act", args=[c.report.code, "refuse"]),
        lambda w, c: {"note": "不属本区管辖", "version": _v(c.report)},
        _report,
        text=("note",),
    ),
    FormSurface(
        "problem_assign",
        AssignForm,
        "office",
        _act("assign"),
        lambda w, c: {"unit": w.unit_a.pk, "deadline": "2026-05-20", "note": "请尽快整改", "version": _v(c.problem)},
        _problem(recorded_problem),
        text=("note",),
        dates=("deadline",),
    ),
    FormSurface(
        "problem_reassign",
        ReassignForm,
        "office",
        _act("reassign"),
        lambda w, c: {"unit": w.unit_b.pk, "deadline": "", "note": "属地调整", "version": _v(c.problem)},
        _problem(assigned_problem),
        text=("note",),
        dates=("deadline",),
    ),
    FormSurface(
        "problem_submit",
        SubmitForm,
        "liaison_a",
        _act("submit"),
        lambda w, c: {"note": "已清运", "version": _v(c.problem)},
        _problem(assigned_problem),
        text=("note",),
        files={"files": PHOTO},
    ),
    FormSurface(
        "problem_close",
        VerifyForm,
        "office",
        _act("close"),
        lambda w, c: {"note": "复核合格", "version": _v(c.problem)},
        _problem(submitted_problem),
        text=("note",),
        files={"files": PHOTO},
    ),
    FormSurface(
        "problem_return",
        ReasonForm,
        "office",
        _act("return"),
        lambda w, c: {"note": "仍有积水", "version": _v(c.problem)},
        _problem(submitted_problem),
        text=("note",),
        files={"files": PHOTO},
    ),
    FormSurface(
        "problem_cancel",
        ReasonForm,
        "office",
        _act("cancel"),
        lambda w, c: {"note": "重复登记", "version": _v(c.problem)},
        _problem(assigned_problem),
        text=("note",),
    ),
    FormSurface(
        "problem_merge",
        MergeForm,
        "office",
        _act("merge"),
        lambda w, c: {"into": c.survivor.number, "note": "重复登记", "version": _v(c.problem)},
        lambda w: _ns(survivor=assigned_problem(w), problem=recorded_problem(w)),
        text=("note",),
        structured=("into",),
    ),
    FormSurface(
        "problem_record",
        RecordForm,
        "office",
        lambda w, c: reverse("problems:new"),
        lambda w, c: {
            "site": w.site.pk,
            "criterion": w.checkpoint.pk,
            "description": "巷口垃圾堆积",
            "severity": "minor",
            "source": "leader",
            "duplicate": "new",
        },
        text=("description",),
        files={"photos": PHOTO},
        structured=("duplicate",),
    ),
    FormSurface(
        "task_create",
        TaskForm,
        "office",
        lambda w, c: reverse("campaigns:task_create"),
        lambda w, c: {
            "title": "清理卫生死角",
            "criterion": w.criterion.pk,
            "milestone": w.covert.pk,
            "lead_unit": w.unit_a.pk,
            "responsible": w.liaison_a.pk,
            "target_quantity": "10",
            "target_measure": "条",
            "deadline": "2026-06-01",
            "description": "",
        },
        text=("title", "target_measure", "description"),
        dates=("deadline",),
        numbers=("target_quantity",),
    ),
    FormSurface(
        "task_update",
        TaskEditForm,
        "office",
        lambda w, c: reverse("campaigns:task_update", args=[c.task.uuid]),
        lambda w, c: {
            "title": "清理卫生死角",
            "criterion": w.criterion.pk,
            "milestone": w.covert.pk,
            "lead_unit": w.unit_a.pk,
            "responsible": w.liaison_a.pk,
            "target_quantity": "12",
            "target_measure": "条",
            "description": "",
            "reason": "",
        },
        lambda w: _ns(task=task(w)),
        text=("title", "target_measure", "description", "reason"),
        numbers=("target_quantity",),
    ),
    FormSurface(
        "task_deadline",
        DeadlineForm,
        "office",
        lambda w, c: reverse("campaigns:task_deadline", args=[c.task.uuid]),
        lambda w, c: {"deadline": "2026-05-30", "reason": "提前完成"},
        lambda w: _ns(task=task(w)),
        text=("reason",),
        dates=("deadline",),
    ),
    FormSurface(
        "task_progress",
        ProgressForm,
        "liaison_a",
        lambda w, c: reverse("campaigns:task_progress", args=[c.task.uuid]),
        lambda w, c: {"quantity_done": "3", "text": "已清理 3 条"},
        lambda w: _ns(task=task(w)),
        text=("text",),
        numbers=("quantity_done",),
        files={"files": DOCUMENT},
    ),
    FormSurface(
        "five_in_place",
        FiveInPlaceForm,
        "office",
        lambda w, c: reverse("campaigns:five_in_place_unit", args=[w.unit_a.code]),
        lambda w, c: {"item": "leadership", "status": "in_place", "note": "已成立领导小组"},
        text=("note",),
        files={"files": DOCUMENT},
    ),
    FormSurface(
        "bulletin_create",
        BulletinCreateForm,
        "office",
        lambda w, c: reverse("bulletins:create"),
        lambda w, c: {
            "period_start": "2026-04-01",
            "period_end": "2026-04-30",
            "title": "",
            "criticise_overdue_at": "3",
        },
        text=("title",),
        dates=("period_start", "period_end"),
        numbers=("criticise_overdue_at",),
    ),
    FormSurface(
        "bulletin_edit",
        BulletinEditForm,
        "office",
        lambda w, c: reverse("bulletins:detail", args=[c.bulletin.uuid]),
        lambda w, c: {
            "title": "督查通报",
            "lead": "现将督查情况通报如下。",
            "closing": "请各单位抓紧整改。",
            "criticise_overdue_at": "3",
            "version": _v(c.bulletin),
        },
        lambda w: _ns(bulletin=draft(w)),
        text=("title", "lead", "closing", "overview"),
        numbers=("criticise_overdue_at",),
    ),
    FormSurface(
        "accountability_from_bulletin",
        AccountabilityFromBulletinForm,
        "office",
        lambda w, c: reverse("bulletins:accountability_from", args=[c.bulletin.uuid]),
        lambda w, c: {"measure": "criticism", "decided_on": "2026-05-12", "confirm": "on"},
        lambda w: _ns(bulletin=criticising_draft(w)),
        dates=("decided_on",),
    ),
    FormSurface(
        "accountability",
        AccountabilityForm,
        "office",
        lambda w, c: reverse("bulletins:accountability"),
        lambda w, c: {
            "unit": w.unit_a.pk,
            "person": "",
            "measure": "interview",
            "reason": "逾期未整改",
            "decided_on": "2026-05-12",
            "problem_numbers": "",
        },
        text=("reason", "problem_numbers"),
        dates=("decided_on",),
        structured=("problem_numbers",),
    ),
    FormSurface(
        "dossier_upload",
        UploadForm,
        "liaison_a",
        lambda w, c: reverse("dossier:material", args=[w.material.uuid]),
        lambda w, c: {"note": "保洁制度", "file": _document()},
        text=("note",),
        files={"file": DOCUMENT},
    ),
    FormSurface(
        "dossier_review",
        ReviewForm,
        "office",
        lambda w, c: reverse("dossier:review", args=[c.submission.uuid]),
        lambda w, c: {"action": "return", "reason": "缺少盖章", "version": _v(c.submission)},
        lambda w: _ns(submission=submission(w)),
        text=("reason",),
    ),
    FormSurface(
        "dossier_assign",
        MaterialAssignForm,
        "office",
        lambda w, c: reverse("dossier:assign", args=[w.material.uuid]),
        lambda w, c: {"unit": w.unit_a.pk},
    ),
    FormSurface(
        "plan_create",
        PlanForm,
        "office",
        lambda w, c: reverse("inspections:plan_create"),
        lambda w, c: {
            "name": "五月暗访",
            "kind": "spot_check",
            "mode": "covert",
            "starts_on": "2026-05-12",
            "ends_on": "2026-05-18",
            "areas": [w.east.pk],
            "members": [w.inspector.pk, w.office.pk],
            "exclude_recent_days": "0",
            f"count_{w.site.site_type.code}": "2",
        },
        text=("name",),
        dates=("starts_on", "ends_on"),
        numbers=("exclude_recent_days", "count_back_street"),
    ),
    FormSurface(
        "schedule_create",
        ScheduleForm,
        "office",
        lambda w, c: reverse("inspections:schedule_create"),
        lambda w, c: _schedule_valid(w),
        text=("name",),
        numbers=("count", "interval_weeks", "window_days"),
    ),
    FormSurface(
        "schedule_edit",
        ScheduleForm,
        "office",
        lambda w, c: reverse("inspections:schedule_edit", args=[c.schedule.uuid]),
        lambda w, c: _schedule_valid(w),
        lambda w: _ns(schedule=_schedule(w)),
        text=("name",),
        numbers=("count", "interval_weeks", "window_days"),
    ),
    FormSurface(
        "score_weights",
        ScoreWeightsForm,
        "office",
        lambda w, c: reverse("oversight:scores"),
        lambda w, c: {
            "effective_from": "2026-06",
            "closure": "30",
            "on_time": "40",
            "rework": "15",
            "rebound": "15",
            "per_reassign": "1",
            "per_overdue": "0.5",
        },
        dates=("effective_from",),
        numbers=("closure", "on_time", "rework", "rebound", "per_reassign", "per_overdue"),
    ),
    FormSurface(
        "plan_draw",
        DrawForm,
        "office",
        lambda w, c: reverse("inspections:plan_draw", args=[c.plan.uuid]),
        lambda w, c: {"seed": "20260512", "version": _v(c.plan)},
        lambda w: _ns(plan=make_plan(w)),
        text=("seed",),
        structured=("seed",),
    ),
    FormSurface(
        "checklist",
        ChecklistForm,
        "inspector",
        lambda w, c: reverse("inspections:checklist", args=[c.plan.uuid, w.site.code]),
        _checklist_valid,
        _checklist_ctx,
        text=("note", "note_{cp}"),
        datetimes=("started_at",),
        numbers=("latitude", "longitude"),
        files={"photos_{cp}": PHOTO},
    ),
    FormSurface(
        "import",
        ImportForm,
        "office",
        lambda w, c: reverse("exchange:imports"),
        lambda w, c: {"kind": "units"},
        files={"file": "workbook"},  # tests/hostile/test_imports.py
    ),
    # Sign-in and the security administrator's forms keep nothing they are given, but they read
    # the database with it (NUL reaches PostgreSQL through a query as well as through an insert).
    FormSurface(
        "second_factor_reset",
        SecondFactorResetForm,
        "security_admin",
        lambda w, c: reverse("second_factor_reset"),
        lambda w, c: {"username": "liaison_a"},
        text=("username",),
        stores=False,
        structured=("username",),
    ),
    FormSurface(
        "lockout_release",
        UnlockForm,
        "security_admin",
        lambda w, c: reverse("lockout_release"),
        lambda w, c: {"scope": "username", "key": "liaison_a"},
        text=("key",),
        stores=False,
        structured=("key",),
    ),
    FormSurface(
        "second_factor_verify",
        CodeForm,
        "office_unverified",
        lambda w, c: reverse("second_factor_verify"),
        lambda w, c: {"code": "123456"},
        text=("code",),
        stores=False,
        structured=("code",),
    ),
    FormSurface(
        "notification_endpoint",
        EndpointForm,
        "office",
        lambda w, c: reverse("notifications:endpoints"),
        lambda w, c: {
            "kind": "wecom",
            "unit": w.unit_a.pk,
            "name": f"东城群{c.n}",
            "url": "https://qyapi.example.gov.cn/webhook/send?key=K",
            "parameters": "{}",
            "max_length": "300",
            "per_minute": "20",
            "enabled": "on",
        },
        _no_channels,
        text=("name",),
        numbers=("max_length", "per_minute"),
        structured=("url", "parameters", "secret"),
    ),
    FormSurface(
        "notification_rule",
        RuleForm,
        "office",
        lambda w, c: reverse("notifications:rules"),
        lambda w, c: {"rule": "overdue", "overdue-enabled": "on", "overdue-days": "2", "overdue-channels": ["sms"]},
        numbers=("overdue-days",),
        structured=("rule",),
    ),
]


def _document():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("制度.pdf", PDF, content_type="application/pdf")


@dataclass(frozen=True)
class FilterSurface:
    """A GET form and the URLs that read it. `valid` is a filter that narrows the rows (so that a
    hostile value beside it shows whether the valid one still applies); `count(response)` reads
    how many rows the answer holds (None: the answer does not list rows)."""

    name: str
    form: type
    persona: str
    routes: tuple[str, ...]
    valid: dict
    text: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()


FILTERS = [
    FilterSurface(
        "problem_filters",
        ProblemFilterForm,
        "office",
        ("problems:list", "problems:map", "problems:map_data", "exchange:problems_xlsx"),
        {"status": "assigned"},
        text=("q",),
        dates=("date_from", "date_to"),
        choices=("status", "unit", "area", "site_type", "criterion", "source", "sort", "page"),
    ),
    FilterSurface(
        "ledger_filters",
        TaskFilterForm,
        "office",
        ("campaigns:ledger", "exchange:ledger_xlsx"),
        {"state": "on_track"},
        choices=("unit", "criterion", "milestone", "state", "page"),
    ),
    FilterSurface(
        "dossier_filters",
        DossierFilterForm,
        "office",
        ("dossier:index",),
        {"state": "missing"},
        choices=("unit", "state"),
    ),
    FilterSurface(
        "security_log_filters",
        SecurityLogFilterForm,
        "auditor",
        ("audit:log", "audit:log_xlsx"),
        {"kind": "login"},
        text=("username", "q", "ip"),
        dates=("date_from", "date_to"),
        choices=("kind", "page"),
    ),
    FilterSurface("readiness", ReadinessForm, "office", ("inspections:readiness",), {}, dates=("since",), choices=()),
    FilterSurface(
        "score_filters",
        ScoreMonthForm,
        "office",
        ("oversight:scores",),
        {"month": "2026-05"},
        choices=("month", "unit"),
    ),
    FilterSurface(
        "trend_filters",
        TrendFilterForm,
        "office",
        ("oversight:trends",),
        {"period": "week"},
        choices=("period", "unit", "area", "site_type", "criterion", "compare", "format"),
    ),
]

# The JSON API's writes (method, path): tests/hostile/test_api.py sends the corpus through each.
API_WRITES = {
    ("post", "/api/v1/inspections"),
    ("post", "/api/v1/problems"),
    ("post", "/api/v1/photos"),
    ("post", "/api/v1/sync/status"),
}

IMPORT_KINDS = ("units", "people", "sites", "tasks")

# Forms that are neither posted with free text nor read as filters, and why.
NOT_SURFACES = {
    "MembershipForm": "organisation/admin.py: the admin's membership inline (a user, a unit, a role: choices only)",
    "Form": "core/forms.py: the edge's base of every form, not a screen",
    "ModelForm": "core/forms.py: the edge's base of every model form, not a screen",
    "OnceForm": "core/once.py: the base of every creating form (a hidden key), not a screen",
    "LookupForm": "public: the tracking code's lookup (GET) keeps only the code's own characters before any query",
    "PreferenceForm": "notifications: a person's channels, choices only",
    "LogFilterForm": "notifications: the delivery log's filter, choices only (state, channel, rule, unit)",
}


# Every URL with a path parameter: route -> (kwargs of a valid object, persona). Made by
# path_objects(world) once staged; test_map.py checks that every such pattern of the URLconf is
# here, and test_paths.py makes each parameter hostile in turn.
def path_objects(world) -> dict[str, tuple[dict, str]]:
    w = stage(world)
    problem = assigned_problem(w)
    plan = drawn_plan(w, count=10)
    inspection = submit(w, plan)
    record_finding(w, inspection)
    the_task = task(w)
    bulletin = draft(w)
    sub = submission(w)
    attachment = sub.attachment
    job = generated_file_request(
        actor=w.office,
        title="问题清单",
        filename="问题清单.xlsx",
        builder="exchange.downloads.problems_xlsx",
        parameters={"query": ""},
    )
    endpoint = Endpoint.objects.get_or_create(
        kind=Channel.WECOM, unit=w.unit_a, name="东城群", defaults={"url": "http://127.0.0.1:9/hook"}
    )[0]
    message = Message.objects.exclude(channel=Channel.INBOX).first() or endpoint_test(actor=w.office, endpoint=endpoint)
    the_report = citizen_report(w, photos=[("现场.jpg", jpeg_bytes())], ip="198.51.100.250")
    bulletin_published = PublishedBulletinFactory(campaign=w.campaign, created_by=w.office, number=9, year=2026)
    bulletin_published.pdf = attachment
    bulletin_published.save(update_fields=["pdf"])
    return {
        "public:status": ({"code": the_report.code}, "anonymous"),
        "public:supplement": ({"code": the_report.code}, "anonymous"),
        "public:photo": ({"code": the_report.code, "attachment_uuid": the_report.photos.get().uuid}, "anonymous"),
        "public:bulletin_pdf": ({"bulletin_uuid": bulletin_published.uuid}, "anonymous"),
        "public:subdistrict": ({"unit_code": w.unit_a.code}, "anonymous"),
        "triage:detail": ({"code": the_report.code}, "office"),
        "triage:act": ({"code": the_report.code, "action": "refuse"}, "office"),
        "problems:detail": ({"problem_uuid": problem.uuid}, "office"),
        "problems:act": ({"problem_uuid": problem.uuid, "action": "assign"}, "office"),
        "campaigns:task": ({"task_uuid": the_task.uuid}, "office"),
        "campaigns:task_progress": ({"task_uuid": the_task.uuid}, "liaison_a"),
        "campaigns:task_deadline": ({"task_uuid": the_task.uuid}, "office"),
        "campaigns:task_update": ({"task_uuid": the_task.uuid}, "office"),
        "campaigns:five_in_place_unit": ({"unit_code": w.unit_a.code}, "office"),
        "oversight:unit": ({"unit_code": w.unit_a.code}, "office"),
        "inspections:plan": ({"plan_uuid": plan.uuid}, "office"),
        "inspections:schedule_edit": ({"schedule_uuid": _schedule(w).uuid}, "office"),
        "inspections:plan_draw": ({"plan_uuid": plan.uuid}, "office"),
        "inspections:plan_publish": ({"plan_uuid": plan.uuid}, "office"),
        "inspections:checklist": ({"plan_uuid": plan.uuid, "site_code": w.site.code}, "inspector"),
        "inspections:inspection": ({"client_id": inspection.client_id}, "office"),
        "bulletins:detail": ({"bulletin_uuid": bulletin.uuid}, "office"),
        "bulletins:publish": ({"bulletin_uuid": bulletin.uuid}, "office"),
        "bulletins:accountability_from": ({"bulletin_uuid": bulletin.uuid}, "office"),
        "bulletins:file": ({"bulletin_uuid": bulletin.uuid, "kind": "docx"}, "office"),
        "bulletins:files": ({"bulletin_uuid": bulletin.uuid}, "office"),
        "bulletins:render": ({"bulletin_uuid": bulletin.uuid}, "office"),
        "download": ({"file_uuid": job.uuid}, "office"),
        "download_file": ({"file_uuid": job.uuid}, "office"),
        "download_again": ({"file_uuid": job.uuid}, "office"),
        "notifications:resend": ({"message_id": message.pk}, "office"),
        "notifications:endpoint": ({"endpoint_id": endpoint.pk}, "office"),
        "notifications:endpoint_test": ({"endpoint_id": endpoint.pk}, "office"),
        "dossier:material": ({"material_uuid": w.material.uuid}, "office"),
        "dossier:assign": ({"material_uuid": w.material.uuid}, "office"),
        "dossier:review": ({"submission_uuid": sub.uuid}, "office"),
        "dossier:file": ({"submission_uuid": sub.uuid}, "office"),
        "exchange:template": ({"kind": "units"}, "office"),
        "attachment": ({"attachment_uuid": attachment.uuid}, "office"),
        "GET /api/v1/plans/{uuid}": ({"uuid": plan.uuid}, "inspector"),
        "GET /api/v1/sites/{code}/checklist": ({"code": w.site.code}, "inspector"),
        "GET /api/v1/inspections/{client_id}": ({"client_id": inspection.client_id}, "inspector"),
    }
