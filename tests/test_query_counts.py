"""Every list, dashboard, export and API endpoint runs a number of queries that does not grow with
the data (STYLE habit 7): measured for the PHC office, a unit's liaison and an inspector on a
district with N rows of every kind, then on one with ten times as many.

- ENDPOINTS is the table of what is measured: a route (a URL name, or "GET /api/v1/..." for an
  operation of the API's schema), who is measured, and the objects in its URL.
- EXEMPT names the GET endpoints left out, each with its reason; POST_ONLY the screens' writes
  (the API's writes are known from its schema). A new URL that is in none of them fails
  `test_every_get_endpoint_is_measured_or_exempt`.
- District builds the data through the real services (factories only for the rows that have no
  service: units, people, sites, areas, checkpoints, and published bulletins, see
  tests.factories.PublishedBulletinFactory), and counts what each persona should find in the
  Excel exports, which are opened with openpyxl: a flat query count is worth nothing if the
  workbook is empty.
"""

import datetime as dt
import io
import itertools
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import openpyxl
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter, StringConverter, UUIDConverter

from bulletins import services as bulletin_services
from bulletins.models import Accountability
from campaigns import services as campaign_services
from campaigns.models import FiveInPlace
from config.api import api
from conftest import TODAY
from core import clock
from core.models import Attachment, SecurityEvent
from core.security import log_event
from dossier import services as dossier_services
from dossier.models import Material
from inspections import services as inspection_services
from inspections.models import Inspection, InspectionPlan
from organisation.models import Area, Membership, Unit
from problems import services
from problems.models import Problem
from problems.tests.helpers import DEADLINE, photo
from public.tests.helpers import report as citizen_report
from standard.models import Criterion
from tests.factories import (
    AreaFactory,
    CriterionFactory,
    MembershipFactory,
    PublishedBulletinFactory,
    SiteFactory,
    SiteTypeFactory,
    UnitFactory,
    UserFactory,
    jpeg_bytes,
)

N = 3  # rows of each kind in the small district; the large one has ten times as many

PDF = b"%PDF-1.4\n% query counts\n%%EOF\n"
SQUARE = {"type": "Polygon", "coordinates": [[[113.6, 34.7], [113.7, 34.7], [113.7, 34.8], [113.6, 34.7]]]}


# ---- the data ------------------------------------------------------------------------------------


class District:
    """The conftest world plus `grow(n)`: n more rows of every kind that some endpoint lists, in
    every state, spread over unit_a (东城街道, the liaison's unit), unit_b (城管局, the inspector's)
    and new units. Also the objects whose pages are measured (`problem`, `task`, `plan`, ...),
    chosen so that what those pages list grows too."""

    def __init__(self, world):
        self.world = world
        self.serial = itertools.count(1)
        self.expected = Counter()  # (what, persona) -> data rows that persona's export should hold
        w = world
        self.back_street = w.site.site_type
        self.market = SiteTypeFactory(code="market", name="农贸市场")
        self.checkpoints = [w.checkpoint]
        self._set_checklists()
        for item in FiveInPlace.Item:  # unit_a's five items: the unit's own page has a fixed shape
            campaign_services.five_in_place_update(
                actor=w.office, campaign=w.campaign, unit=w.unit_a, item=item, status="partial", note="推进中"
            )
        # The pages of one object whose rows grow with every call of grow().
        self.problem = self._problem(w.unit_a, w.site, "assigned")
        self.task = self._task(w.unit_a, w.liaison_a)
        self.draft = bulletin_services.bulletin_create(
            actor=w.office, campaign=w.campaign, period_start=dt.date(2026, 3, 1), period_end=TODAY.date()
        )
        w.criterion.required_materials = ["保洁制度"]
        w.criterion.save(update_fields=["required_materials"])
        dossier_services.dossier_prepare(actor=w.office, campaign=w.campaign)
        self.material = Material.objects.get(criterion=w.criterion)
        dossier_services.material_assign(actor=w.office, material=self.material, unit=w.unit_a)
        self.accepted_files = {self.material.pk: 0}  # material -> its accepted files
        self.plan = self.inspection = None
        self.liaison_of = {w.unit_a.pk: w.liaison_a, w.unit_b.pk: w.liaison_b}
        w.auditor = UserFactory(username="auditor", is_staff=True, admin_role="audit")

    # -- one call adds n of everything --

    def grow(self, n: int) -> None:
        w = self.world
        for _ in range(n):
            i = next(self.serial)
            unit = UnitFactory(kind=Unit.Kind.SUBDISTRICT, name=f"新单位{i}")
            liaison = UserFactory(full_name=f"联络员{i}")
            MembershipFactory(user=liaison, unit=unit, role=Membership.Role.LIAISON)
            self.liaison_of[unit.pk] = liaison
            log_event(SecurityEvent.Kind.LOGIN, user=liaison, summary="登录")  # the security log grows too
            community = AreaFactory(parent=w.east, kind=Area.Kind.COMMUNITY, boundary=SQUARE)
            own_street = SiteFactory(area=community, owner_unit=w.unit_a, site_type=self.back_street)
            SiteFactory(area=community, owner_unit=unit, site_type=self.back_street)
            SiteFactory(area=community, owner_unit=w.unit_a, site_type=self.market)
            criterion = CriterionFactory(
                standard=w.campaign.standard,
                level=Criterion.Level.CRITERION,
                code=f"3.{i + 2}",
                parent=w.category,
                required_materials=[f"制度{i}", f"台账{i}"],
            )
            self.checkpoints.append(
                CriterionFactory(standard=w.campaign.standard, code=f"3.{i + 2}.1", parent=criterion)
            )
            self._set_checklists()

            for state in PROBLEM_STATES:
                self._problem(w.unit_a, own_street, state)
            for state in ("submitted", "closed"):
                self._problem(unit, w.site_b, state)
            self._problem(w.unit_b, w.site_b, "submitted")
            self._problem_round_trip()
            # A citizen's report with a photo waits in the office's queue (each from its own address).
            report = citizen_report(w, photos=[("现场.jpg", jpeg_bytes())], ip=f"10.0.{i // 250}.{i % 250}")
            self.report = getattr(self, "report", None) or report

            for lead, person in ((w.unit_a, w.liaison_a), (unit, liaison), (w.unit_b, w.liaison_b)):
                self._task(lead, person)
            campaign_services.task_report_progress(
                actor=w.liaison_a, task=self.task, quantity_done=i, text=f"第{i}次进展", files=[photo()]
            )
            for item in (FiveInPlace.Item.LEADERSHIP, FiveInPlace.Item.FUNDING):
                campaign_services.five_in_place_update(
                    actor=w.office, campaign=w.campaign, unit=unit, item=item, status="in_place"
                )

            for target, person in ((w.unit_a, w.liaison_a), (unit, liaison), (w.unit_b, None)):
                bulletin_services.accountability_record(
                    actor=w.office,
                    campaign=w.campaign,
                    unit=target,
                    person=person,
                    measure=Accountability.Measure.INTERVIEW,
                    reason=f"逾期未整改{i}",
                    decided_on=TODAY.date(),
                    problems=list(target.problems.all()[:2]),
                )
            bulletin_services.bulletin_create(
                actor=w.office, campaign=w.campaign, period_start=dt.date(2026, 4, 1), period_end=TODAY.date()
            )
            PublishedBulletinFactory(campaign=w.campaign, created_by=w.office, published_by=w.office)

            self._dossier()
            self._small_plans(i)
        self._big_plan(n)

    # -- the kinds --

    def _set_checklists(self):
        self.back_street.checkpoints.set(self.checkpoints)
        self.market.checkpoints.set(self.checkpoints)

    def _problem(self, unit, site, state):
        """A problem of `unit` at `site`, walked through the services into `state`."""
        w = self.world
        # Overdue and closed-late problems were assigned a month ago with a deadline long past.
        days_ago = {"overdue": 30, "closed_late": 30}.get(state, 0)
        with clock.frozen_at(TODAY - dt.timedelta(days=days_ago)):
            problem = services.problem_record(
                actor=w.inspector,
                campaign=w.campaign,
                site=site,
                criterion=w.checkpoint,
                description=f"问题（{state}）",
                photos=[photo("整改前.jpg")] if state == "closed" else (),
            )
            self._seen(problem_unit=None if state == "recorded" else unit)
            if state == "recorded":
                return problem
            deadline = TODAY.date() - dt.timedelta(days=20) if days_ago else DEADLINE
            if state == "reassigned":
                other = w.unit_b if unit != w.unit_b else w.unit_a
                problem = services.problem_assign(actor=w.office, problem=problem, unit=other, deadline=deadline)
                return services.problem_reassign(actor=w.office, problem=problem, unit=unit, reason="属地调整")
            problem = services.problem_assign(actor=w.office, problem=problem, unit=unit, deadline=deadline)
            if state == "cancelled":
                return services.problem_cancel(actor=w.office, problem=problem, reason="重复登记")
        if state in ("assigned", "overdue"):
            return problem
        liaison = self.liaison_of[unit.pk]
        with clock.frozen_at(TODAY - dt.timedelta(days=5 if days_ago else 0)):
            problem = services.problem_submit_evidence(actor=liaison, problem=problem, note="已整改", files=[photo()])
            if state == "returned":
                return services.problem_return(actor=w.office, problem=problem, reason="仍有积水")
            if state in ("closed", "closed_late"):
                return services.problem_close(actor=w.office, problem=problem, note="复核合格")
        return problem

    def _seen(self, *, problem_unit):
        self.expected["problems", "office"] += 1
        self.expected["problems", "inspector"] += 1
        if problem_unit == self.world.unit_a:
            self.expected["problems", "liaison"] += 1

    def _problem_round_trip(self):
        """The measured problem goes round once more: evidence with a photo, returned."""
        w = self.world
        self.problem = services.problem_submit_evidence(
            actor=w.liaison_a, problem=self.problem, note="再次整改", files=[photo()]
        )
        self.problem = services.problem_return(actor=w.office, problem=self.problem, reason="仍未达标")

    def _task(self, unit, person):
        w = self.world
        task = campaign_services.task_create(
            actor=w.office,
            campaign=w.campaign,
            criterion=w.criterion,
            milestone=w.covert,
            title=f"任务{next(self.serial)}",
            lead_unit=unit,
            responsible=person,
            target_quantity=10,
            target_measure="条",
            deadline=dt.date(2026, 6, 1),
        )
        self.expected["tasks", "office"] += 1
        persona = {w.unit_a.pk: "liaison", w.unit_b.pk: "inspector"}.get(unit.pk)
        if persona:
            self.expected["tasks", persona] += 1
        return task

    def _dossier(self):
        """The new criterion's two materials, one for unit_a (accepted) and one for unit_b (waiting),
        and one more submission for the measured material, accepted and returned in turn."""
        w = self.world
        dossier_services.dossier_prepare(actor=w.office, campaign=w.campaign)
        mine, theirs = Material.objects.filter(responsible_unit__isnull=True).order_by("position")
        dossier_services.material_assign(actor=w.office, material=mine, unit=w.unit_a)
        dossier_services.material_assign(actor=w.office, material=theirs, unit=w.unit_b)
        accepted = dossier_services.submission_upload(actor=w.liaison_a, material=mine, name="制度.pdf", data=PDF)
        dossier_services.submission_transition(actor=w.office, submission=accepted, action="accept")
        dossier_services.submission_upload(actor=w.liaison_b, material=theirs, name="台账.pdf", data=PDF)
        again = dossier_services.submission_upload(actor=w.liaison_a, material=self.material, name="制度.pdf", data=PDF)
        action = "accept" if self.accepted_files[self.material.pk] % 2 == 0 else "return"
        dossier_services.submission_transition(actor=w.office, submission=again, action=action, reason="缺少盖章")
        self.accepted_files[mine.pk] = 1
        self.accepted_files[theirs.pk] = 0
        self.accepted_files[self.material.pk] += action == "accept"
        # The index of the export: a row per accepted file, and one per material still without one.
        self.expected["dossier", "office"] = sum(max(1, files) for files in self.accepted_files.values())

    def _plan(self, name, *, mode, counts, draw=True, members=None):
        w = self.world
        plan = inspection_services.plan_create(
            actor=w.office,
            campaign=w.campaign,
            name=name,
            kind=InspectionPlan.Kind.SPOT_CHECK,
            mode=mode,
            starts_on=TODAY.date(),
            ends_on=TODAY.date() + dt.timedelta(days=6),
            areas=[w.east],
            counts=counts,
            members=members or [w.inspector, w.office],
        )
        if draw:
            inspection_services.sample_draw(actor=w.office, plan=plan, seed=f"seed-{plan.pk}")
            plan.refresh_from_db()
        return plan

    def _inspect(self, plan, site, *, fail=()):
        """The inspector's record of `site`: every checkpoint answered, those in `fail` failed with
        a problem and a photo each."""
        w = self.world
        inspection, _created = inspection_services.inspection_submit(
            actor=w.inspector,
            client_id=uuid.uuid4(),
            plan=plan,
            site=site,
            started_at=TODAY - dt.timedelta(minutes=20),
            submitted_at=TODAY,
            results=[(c.pk, "fail" if c in fail else "pass", "不合格" if c in fail else "") for c in self.checkpoints],
            latitude="34.757100",
            longitude="113.665200",
        )
        for checkpoint in fail:
            before = Problem.objects.count()
            finding, _created = inspection_services.finding_record(
                actor=w.inspector,
                client_id=uuid.uuid4(),
                inspection_client_id=inspection.client_id,
                checkpoint_id=checkpoint.pk,
                description="现场发现问题",
            )
            # A finding where the site has that problem open already is linked to it (issue 18).
            if Problem.objects.count() > before:
                self._seen(problem_unit=None)
            data = jpeg_bytes(64, 48)
            inspection_services.photo_store(
                actor=w.inspector,
                client_id=uuid.uuid4(),
                inspection_client_id=inspection.client_id,
                problem_client_id=finding.client_id,
                sha256=Attachment.hash_of(data),
                name="现场.jpg",
                data=data,
            )
        return inspection

    def _small_plans(self, i):
        """Four plans, each drawing one market (all are unit_a's): open and inspected, covert and
        published, covert and secret with a finding, and a draft of the office's alone."""
        w = self.world
        one_market = {self.market: 1}
        open_plan = self._plan(f"明查{i}", mode=InspectionPlan.Mode.OPEN, counts=one_market)
        self._inspect(open_plan, open_plan.targets.first().site)
        published = self._plan(f"暗访{i}", mode=InspectionPlan.Mode.COVERT, counts=one_market)
        self._inspect(published, published.targets.first().site, fail=[self.checkpoints[-1]])
        published.refresh_from_db()  # the first inspection started it
        inspection_services.plan_publish(actor=w.office, plan=published)
        secret = self._plan(f"暗访（未公布）{i}", mode=InspectionPlan.Mode.COVERT, counts=one_market)
        self._inspect(secret, secret.targets.first().site, fail=[self.checkpoints[-1]])
        self._plan(f"草稿{i}", mode=InspectionPlan.Mode.OPEN, counts=one_market, draw=False, members=[w.office])

    def _big_plan(self, n):
        """The measured plan: every back street drawn, n of them inspected, and the measured
        inspection at 幸福巷 failing every other checkpoint."""
        w = self.world
        self.plan = self._plan(
            f"全面检查{next(self.serial)}", mode=InspectionPlan.Mode.OPEN, counts={self.back_street: 1000}
        )
        self.inspection = self._inspect(self.plan, w.site, fail=self.checkpoints[::2])
        for target in self.plan.targets.exclude(site=w.site).select_related("site")[: n - 1]:
            self._inspect(self.plan, target.site)

    def sync_ids(self):
        """The phone's question to /sync/status: every id the inspector's phone made."""
        inspections = Inspection.objects.filter(inspector=self.world.inspector)
        return {
            "inspections": [str(i) for i in inspections.values_list("client_id", flat=True)],
            "problems": [str(i) for i in inspections.values_list("findings__client_id", flat=True) if i],
            "photos": [str(i) for i in inspections.values_list("photos__client_id", flat=True) if i],
        }


# Each problem state the builder makes, for unit_a; new units get a submitted and a closed one.
PROBLEM_STATES = [
    "recorded",
    "assigned",
    "overdue",
    "reassigned",
    "submitted",
    "returned",
    "closed",
    "closed_late",
    "cancelled",
]


# ---- the table -------------------------------------------------------------------------------

PERSONAS = {"office": "office", "liaison": "liaison_a", "inspector": "inspector", "auditor": "auditor"}
ALL = ("office", "liaison", "inspector")
OFFICE = ("office",)
TEAM = ("office", "inspector")  # on every plan's team


def none(_d: District) -> dict:
    return {}


@dataclass(frozen=True)
class Endpoint:
    route: str  # a URL name, or "GET /api/v1/..." (a path of the API's schema)
    who: tuple[str, ...]
    kwargs: Callable[[District], dict] = none  # the objects in the URL
    query: Callable[[District], dict] = none  # the query string
    sheet: str | None = None  # an Excel export: the key of District.expected its rows must match
    paged: bool = False  # a paginated list whose page the small district does not fill
    label: str = ""  # tells apart two entries of one route

    def url(self, d: District) -> str:
        if self.route.startswith("GET "):
            return self.route.removeprefix("GET ").format(**self.kwargs(d))
        return reverse(self.route, kwargs=self.kwargs(d))


def q(**params):
    return lambda _d: params


SD01 = q(unit_code="SD01")  # unit_a, the liaison's
DP01 = q(unit_code="DP01")  # unit_b, the inspector's

ENDPOINTS = [
    # problems
    # A paginated list shows one page however many rows there are (STYLE habit 15), so a query per
    # row shows only while the page is not full: `paged` entries are filtered to keep the small
    # district's page short, and the test checks that they do.
    Endpoint("problems:list", ALL),
    Endpoint("problems:list", ALL, query=q(status="submitted"), paged=True, label="submitted"),
    Endpoint("problems:list", ALL, query=q(overdue="on", sort="deadline"), paged=True, label="overdue"),
    Endpoint("problems:list", OFFICE, query=q(status="submitted", q="问题", page="2"), paged=True, label="page 2"),
    Endpoint("problems:detail", ALL, kwargs=lambda d: {"problem_uuid": d.problem.uuid}),
    Endpoint("problems:mine", ("liaison",)),
    Endpoint("problems:verify", TEAM),
    Endpoint("problems:map", ALL),
    Endpoint("problems:map_data", ALL),
    Endpoint("problems:areas", ALL),
    Endpoint("problems:new", TEAM),
    # The candidates grow with the open problems at the site: bounded (DUPLICATES_SHOWN), their
    # rows read with their site and unit in the same query.
    Endpoint(
        "problems:duplicates",
        TEAM,
        query=lambda d: {"site": d.problem.site_id, "criterion": d.problem.criterion_id},
    ),
    # notifications: every step of the closed loop above writes messages, so these grow too
    # The liaison's inbox fills its first page at the small size already (every step tells them);
    # its rows read no relation (subject, body, link, time), so a full page hides nothing.
    Endpoint("notifications:inbox", ALL),
    Endpoint("notifications:preferences", ALL),
    Endpoint("notifications:log", OFFICE, paged=True),
    Endpoint("notifications:endpoints", OFFICE),
    Endpoint("notifications:rules", OFFICE),
    # the ledger, five-in-place, the dashboards
    Endpoint("oversight:overview", OFFICE),
    Endpoint("oversight:trends", ALL),
    Endpoint("oversight:scores", ALL),
    Endpoint("oversight:wall", OFFICE),
    Endpoint("oversight:wall_data", OFFICE),
    Endpoint("oversight:trends", OFFICE, query=q(period="week", compare=""), label="weekly"),
    Endpoint("campaigns:ledger", ALL, paged=True),
    Endpoint("campaigns:task", ("office", "liaison"), kwargs=lambda d: {"task_uuid": d.task.uuid}),
    Endpoint("campaigns:task_create", OFFICE),
    Endpoint("campaigns:task_update", OFFICE, kwargs=lambda d: {"task_uuid": d.task.uuid}),
    Endpoint("campaigns:task_owners", OFFICE),
    Endpoint("oversight:unit", ("office", "liaison"), kwargs=SD01),
    Endpoint("oversight:unit", ("inspector",), kwargs=DP01, label="own unit"),
    Endpoint("campaigns:five_in_place", ALL),
    Endpoint("campaigns:five_in_place_unit", ("office", "liaison"), kwargs=SD01),
    # inspections
    Endpoint("inspections:plans", ALL),
    Endpoint("inspections:plan_create", OFFICE),
    Endpoint("inspections:readiness", OFFICE),
    Endpoint("inspections:schedules", OFFICE),
    Endpoint("inspections:schedule_create", OFFICE),
    Endpoint("inspections:coverage", OFFICE),
    Endpoint("inspections:today", TEAM),
    Endpoint("inspections:plan", ALL, kwargs=lambda d: {"plan_uuid": d.plan.uuid}),
    Endpoint(
        "inspections:checklist", TEAM, kwargs=lambda d: {"plan_uuid": d.plan.uuid, "site_code": d.world.site.code}
    ),
    Endpoint("inspections:inspection", ALL, kwargs=lambda d: {"client_id": d.inspection.client_id}),
    # Excel
    Endpoint("exchange:imports", OFFICE),
    *(
        Endpoint("exchange:template", OFFICE, kwargs=q(kind=kind), label=kind)
        for kind in ("units", "people", "sites", "tasks")
    ),
    Endpoint("exchange:problems_xlsx", ALL, sheet="problems"),
    Endpoint("exchange:ledger_xlsx", ALL, sheet="tasks"),
    # bulletins and accountability
    Endpoint("bulletins:list", ALL),
    Endpoint("audit:log", ("auditor",), query=q(kind="login"), paged=True),
    Endpoint("audit:log_xlsx", ("auditor",), query=q(kind="login")),
    Endpoint("bulletins:accountability", ALL),
    Endpoint("bulletins:detail", OFFICE, kwargs=lambda d: {"bulletin_uuid": d.draft.uuid}),
    Endpoint("bulletins:file", OFFICE, kwargs=lambda d: {"bulletin_uuid": d.draft.uuid, "kind": "docx"}),
    # the declaration dossier
    Endpoint("dossier:index", ALL),
    Endpoint("dossier:material", ("office", "liaison"), kwargs=lambda d: {"material_uuid": d.material.uuid}),
    # the API
    Endpoint("GET /api/v1/me", ALL),
    Endpoint("GET /api/v1/plans", ALL),
    Endpoint("GET /api/v1/plans/{uuid}", ALL, kwargs=lambda d: {"uuid": d.plan.uuid}),
    Endpoint("GET /api/v1/today", TEAM),
    Endpoint("GET /api/v1/sites/{code}/checklist", ALL, kwargs=lambda d: {"code": d.world.site.code}),
    Endpoint("GET /api/v1/inspections/{client_id}", ALL, kwargs=lambda d: {"client_id": d.inspection.client_id}),
    Endpoint("GET /api/v1/sync/status", ("inspector",), query=lambda d: d.sync_ids()),
    # the public side: the portal's pages are the same for everyone (measured as the office),
    # the triage queue is the office's
    Endpoint("public:home", OFFICE),
    Endpoint("public:guide", OFFICE),
    Endpoint("public:bulletins", OFFICE),
    Endpoint("public:subdistrict", OFFICE, kwargs=SD01),
    Endpoint("public:report", OFFICE),
    Endpoint("public:lookup", OFFICE),
    Endpoint("public:status", OFFICE, kwargs=lambda d: {"code": d.report.code}),
    Endpoint("triage:queue", OFFICE, paged=True),
    Endpoint("triage:detail", OFFICE, kwargs=lambda d: {"code": d.report.code}),
]

# GET endpoints that are not measured, and why.
SIGN_IN = "the sign-in steps (password, second factor, new password): a form, no data of ours"
ONE_FILE = "serves one stored file found by its id: a fixed number of queries, nothing listed"
EXEMPT = {
    "home": "redirects by role; reads only the person's memberships",
    "healthz": "one query that the database answers; lists nothing",
    "set_language": "Django's language switch: sets a cookie and redirects",
    "service_worker": "static JavaScript with a version hash: no database",
    "manifest": "the web app manifest: no database",
    "attachment": ONE_FILE,
    "dossier:file": ONE_FILE,
    "download_file": ONE_FILE,
    "download": "one document the worker makes for its requester, found by its id: nothing listed",
    "bulletins:files": "one published bulletin's file box, found by its id: nothing listed",
    "dossier:export": "asks the worker for the ZIP (one row, one task) and redirects to its progress page; "
    "the ZIP is made by the worker (exchange/tests/test_large_exports.py, dossier/tests/test_dossier.py)",
    "api:openapi-json": "the API's schema, built from the code: no database",
    "api:api-root": "django-ninja's root of the API: lists nothing",
    **dict.fromkeys(["login", "logout", "password_change", "second_factor_verify", "second_factor_setup"], SIGN_IN),
    "account_security": "the person's own password and second factor: a fixed number of queries, nothing listed",
    "lockouts": "the security administrator's: four grouped queries, at most 200 rows of each (test_lockout.py)",
    "notifications:endpoint": "one channel's form: a fixed number of queries, at most 500 channels beside it",
    "inspections:schedule_edit": "one recurring rule's form: the same fields and choices as schedule_create, measured",
    "public:photo": ONE_FILE,
    "public:bulletin_pdf": ONE_FILE,
}
# The system administrator's configuration screen: Django's admin, paginated by Django.
EXEMPT_NAMESPACES = {"admin"}

# The screens' writes: they answer a GET with 405 (checked below), so they list nothing.
POST_ONLY = {
    "problems:act",
    "campaigns:task_progress",
    "campaigns:task_deadline",
    "inspections:plan_draw",
    "inspections:plan_publish",
    "bulletins:create",
    "bulletins:publish",
    "bulletins:accountability_from",
    "bulletins:render",
    "download_again",
    "dossier:prepare",
    "dossier:assign",
    "dossier:review",
    "recovery_codes",
    "second_factor_remove",
    "lockout_release",
    "second_factor_reset",
    "notifications:resend",
    "notifications:endpoint_test",
    "oversight:enter_routine",
    "public:supplement",
    "triage:act",
}


# ---- measuring -------------------------------------------------------------------------------


def _data_rows(endpoint: Endpoint, response) -> int:
    """The data rows of an export's workbook (the header row left out)."""
    content = b"".join(response.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    return sum(1 for row in sheet.iter_rows(min_row=2, values_only=True) if any(v is not None for v in row))


def _measure(d: District, clients: dict[str, Client]) -> tuple[dict[str, int], list[str]]:
    """Queries per endpoint and persona, and the `paged` entries whose page is full."""
    counts, full = {}, []
    for endpoint in ENDPOINTS:
        for persona in endpoint.who:
            key = f"{persona:9} {endpoint.route} {endpoint.label}".strip()
            with CaptureQueriesContext(connection) as queries:
                response = clients[persona].get(endpoint.url(d), endpoint.query(d))
                assert response.status_code == 200, key
                if endpoint.sheet:
                    assert _data_rows(endpoint, response) == d.expected[endpoint.sheet, persona], key
            counts[key] = len(queries)
            if endpoint.paged:
                page = response.context["page"]
                if len(page) == page.paginator.per_page:
                    full.append(key)
    return counts, full


def test_every_endpoint_runs_the_same_number_of_queries_at_ten_times_the_data(world):
    d = District(world)
    clients = {persona: Client() for persona in PERSONAS}
    for persona, name in PERSONAS.items():
        clients[persona].force_login(getattr(world, name))
    d.grow(N)
    small, full = _measure(d, clients)
    assert full == [], "a full page would hide a query per row: filter these further"
    d.grow(9 * N)
    large, _full = _measure(d, clients)
    assert large == small


# ---- coverage of the URL table ---------------------------------------------------------------


def _web_routes(patterns=None, prefix="", namespace=None):
    """Every named URL outside /api/v1/ (the API's operations are read from its schema, which
    knows each one's method)."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(filter(None, [namespace, entry.namespace])) or None
            yield from _web_routes(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif entry.name and not (prefix + str(entry.pattern)).startswith("api/v1/"):
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield name, entry


def _api_gets():
    """The API's GET operations. Its POSTs are writes, but for POST /sync/status: the same read as
    GET /sync/status, for more ids than fit in a URL."""
    paths = api.get_openapi_schema()["paths"]
    return {f"GET {path}" for path, operations in paths.items() if "get" in operations}


def test_every_get_endpoint_is_measured_or_exempt():
    routes = {name for name, _entry in _web_routes() if name.split(":")[0] not in EXEMPT_NAMESPACES}
    routes |= _api_gets()
    measured = {endpoint.route for endpoint in ENDPOINTS}
    listed = measured | set(EXEMPT) | POST_ONLY
    assert not measured & (set(EXEMPT) | POST_ONLY), "measured and exempt at once"
    assert sorted(routes - listed) == [], "measure these in ENDPOINTS, or give the reason in EXEMPT"
    assert sorted(listed - routes) == [], "these routes are gone: drop them from the tables"


MADE_UP = {UUIDConverter: uuid.uuid4(), StringConverter: "x", IntConverter: 1}


def _any_url(name: str) -> str:
    """The URL with made-up values for its parameters (a POST-only view refuses before it looks)."""
    converters = dict(_web_routes())[name].pattern.converters
    return reverse(name, kwargs={parameter: MADE_UP[type(c)] for parameter, c in converters.items()})


@pytest.mark.parametrize("name", sorted(POST_ONLY))
def test_the_screens_writes_refuse_a_get(client, world, name):
    client.force_login(world.office)
    assert client.get(_any_url(name)).status_code == 405
