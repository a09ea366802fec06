"""The JSON API the phone uses, under /api/v1/ (schema: /api/schema/).

Thin like the views: every endpoint scopes its reads through access and writes through
inspections.services, so the web screens and the API can never disagree. Writes are idempotent on
the phone's ids: the first call answers 201, every repeat 200 with the same record."""

import datetime as dt
from typing import Literal
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

import access
from core import geo
from core.errors import InvalidInput
from core.schema import AccuracyM, DateTime, Id, Latitude, Longitude, Text
from core.services import MAX_FILE_BYTES
from inspections import selectors, services
from inspections.models import Finding, Inspection, InspectionPhoto, InspectionPlan
from inspections.selectors import navigation_links
from problems.models import Problem
from sites.models import Site

router = Router(tags=["inspections"])

# The most items one request may list (checklist results, ids to look up): a checklist has a few
# dozen checkpoints, a phone's queue a few hundred records; more is not a phone talking.
MAX_ITEMS = 1000


def record_covert_reads(request: HttpRequest, plans, surface: str) -> None:
    services.covert_reads_record(user=request.auth, plans=plans, surface=surface, path=request.path)


class Error(Schema):
    detail: str  # in the reader's language (Chinese by default)
    code: str | None = None  # a word for programs where one matters: "maker" (another person's record)
    errors: list[dict] | None = None  # 422 only: where and what, as pydantic reports it


class SiteOut(Schema):
    code: str
    name: str
    address: str
    site_type: str
    area: str
    latitude: float | None
    longitude: float | None
    map_latitude: float | None  # in the datum of the configured tiles (MAP_TILE_COORDINATES)
    map_longitude: float | None
    navigation: dict[str, str]


def site_out(site: Site) -> SiteOut:
    lat = float(site.latitude) if site.latitude is not None else None
    lng = float(site.longitude) if site.longitude is not None else None
    map_lat, map_lng = geo.for_display(lat, lng, settings.MAP_TILE_COORDINATES) if lat is not None else (None, None)
    return SiteOut(
        code=site.code,
        name=site.name,
        address=site.address,
        site_type=site.site_type.name,
        area=site.area.name,
        latitude=lat,
        longitude=lng,
        map_latitude=map_lat,
        map_longitude=map_lng,
        navigation=navigation_links(site),
    )


class PlanOut(Schema):
    uuid: UUID
    name: str
    kind: str
    mode: str
    status: str
    starts_on: dt.date
    ends_on: dt.date
    published_at: dt.datetime | None
    member: bool


class PlanDetailOut(PlanOut):
    sites: list[SiteOut]


def plan_out(plan: InspectionPlan, **extra) -> dict:
    """A plan from selectors.plan_list or get_plan, which annotate `is_member`."""
    return {
        "uuid": plan.uuid,
        "name": plan.name,
        "kind": plan.kind,
        "mode": plan.mode,
        "status": plan.status,
        "starts_on": plan.starts_on,
        "ends_on": plan.ends_on,
        "published_at": plan.published_at,
        "member": plan.is_member,
        **extra,
    }


class TodayOut(Schema):
    plan: UUID
    plan_name: str
    mode: str
    site: SiteOut
    done: bool
    checklist_url: str


class CheckpointOut(Schema):
    id: int
    code: str
    name: str
    weight: float


class ResultIn(Schema):
    checkpoint: Id
    result: Literal["pass", "fail", "na"]
    note: Text = ""


class InspectionIn(Schema):
    client_id: UUID
    plan: UUID
    site: Text  # the site's code
    started_at: DateTime
    submitted_at: DateTime
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    accuracy_m: AccuracyM | None = None
    note: Text = ""
    results: list[ResultIn] = Field(max_length=MAX_ITEMS)
    maker: Text = ""  # the username of who recorded it on the phone (refused unless the signed-in one)
    phone_time: DateTime | None = None  # the phone's clock when it sent this (its skew is corrected)


class InspectionOut(Schema):
    client_id: UUID
    plan: UUID
    site: str
    inspector: str
    submitted_at: dt.datetime
    received_at: dt.datetime
    points: float
    max_points: float
    score: float | None
    url: str


def inspection_out(inspection: Inspection) -> dict:
    return {
        "client_id": inspection.client_id,
        "plan": inspection.plan.uuid,
        "site": inspection.site.code,
        "inspector": inspection.inspector.get_full_name(),
        "submitted_at": timezone.localtime(inspection.submitted_at),
        "received_at": timezone.localtime(inspection.received_at),
        "points": float(inspection.points),
        "max_points": float(inspection.max_points),
        "score": float(inspection.score) if inspection.score is not None else None,
        "url": reverse("inspections:inspection", args=[inspection.client_id]),
    }


class ProblemIn(Schema):
    client_id: UUID
    inspection: UUID
    checkpoint: Id
    description: Text = ""
    severity: Literal["minor", "major", "serious"] = "minor"
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    found_at: DateTime | None = None  # when the phone recorded it: the problem's 发现时间, year and number
    maker: Text = ""
    phone_time: DateTime | None = None
    # The inspector chose 仍然新建: a new problem even though the site has this one open (it is
    # recorded as resembling it). By default the finding is linked to the open one (再次发现).
    new_problem: bool = False


class ProblemOut(Schema):
    client_id: UUID
    inspection: UUID
    checkpoint: int
    number: str
    url: str
    linked: bool  # true: the site had this problem open already (another phone's); linked to it
    resembles: str | None = None  # a new problem recorded beside a similar open one: that one's number


def problem_out(finding: Finding) -> dict:
    return {
        "client_id": finding.client_id,
        "inspection": finding.inspection.client_id,
        "checkpoint": finding.checkpoint_id,
        "number": finding.problem.number,
        "url": reverse("problems:detail", args=[finding.problem.uuid]),
        "linked": finding.problem.recorded_by_id != finding.inspection.inspector_id
        or Finding.objects.filter(problem_id=finding.problem_id, pk__lt=finding.pk).exists(),
        "resembles": finding.problem.resembles.number if finding.problem.resembles_id else None,
    }


class PhotoOut(Schema):
    client_id: UUID
    inspection: UUID
    problem: UUID | None
    sha256: str
    url: str
    original_url: str


def photo_out(photo: InspectionPhoto) -> dict:
    return {
        "client_id": photo.client_id,
        "inspection": photo.inspection.client_id,
        "problem": photo.finding.client_id if photo.finding else None,
        "sha256": photo.sha256,
        "url": reverse("attachment", args=[photo.display.uuid]),
        "original_url": reverse("attachment", args=[photo.original.uuid]),
    }


class SyncIn(Schema):
    inspections: list[Text] = Field([], max_length=MAX_ITEMS)
    problems: list[Text] = Field([], max_length=MAX_ITEMS)
    photos: list[Text] = Field([], max_length=MAX_ITEMS)


class SyncOut(Schema):
    inspections: list[str]
    problems: list[str]
    photos: list[str]


class MeOut(Schema):
    username: str
    full_name: str
    office: bool
    inspector: bool
    sees_all: bool


# Every operation declares what it may answer, so that a generated client knows each answer's
# shape: 400 a refusal (a service's, or NUL in the query), 401 not signed in, 403 not allowed (or
# CSRF), 404 not found or not visible, 422 input refused by the schema (core/schema.py), 429
# locked out, 503 storage failed or database unreachable; writes also 409 (stale, a client id
# reused) and 413 (body too large).
READ_ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 422: Error, 429: Error, 503: Error}
ERRORS = {**READ_ERRORS, 409: Error, 413: Error}


# ---- reads --------------------------------------------------------------------------------------


@router.get("/me", response={200: MeOut, **READ_ERRORS}, summary="The signed-in person")
def me(request: HttpRequest):
    actor = access.actor_for(request.auth)
    return MeOut(
        username=request.auth.username,
        full_name=request.auth.get_full_name(),
        office=actor.office,
        inspector=actor.inspector,
        sees_all=actor.sees_all,
    )


# Plans accumulate over the years: a page at a time, newest first.
PLANS_LIMIT = 100


@router.get(
    "/plans",
    response={200: list[PlanOut], **READ_ERRORS},
    summary="Plans I may see, newest first (member: whether I am on the team)",
    description="`limit` plans (at most 500) from `offset`; the `X-Total-Count` header gives how many there are and "
    'a `Link: <...>; rel="next"` header the next page while there is one.',
)
def plans(
    request: HttpRequest,
    response: HttpResponse,
    limit: int = Query(PLANS_LIMIT, ge=1, le=500),
    offset: int = Query(0, ge=0, le=1_000_000),
):
    visible = selectors.plan_list(user=request.auth)
    total = visible.count()
    rows = list(visible[offset : offset + limit])
    record_covert_reads(request, rows, "api:plans")
    response["X-Total-Count"] = str(total)
    if offset + limit < total:
        following = request.build_absolute_uri(f"{request.path}?limit={limit}&offset={offset + limit}")
        response["Link"] = f'<{following}>; rel="next"'
    return [plan_out(plan) for plan in rows]


@router.get("/plans/{uuid}", response={200: PlanDetailOut, **READ_ERRORS}, summary="A plan and the sites I may see")
def plan_detail(request: HttpRequest, uuid: UUID):
    plan = selectors.get_plan(user=request.auth, plan_uuid=uuid)
    record_covert_reads(request, [plan], "api:plan")
    targets = selectors.plan_targets(user=request.auth, plan=plan)
    return plan_out(plan, sites=[site_out(t.site) for t in targets])


@router.get("/today", response={200: list[TodayOut], **READ_ERRORS}, summary="Today's sites of the plans I am on")
def today(request: HttpRequest):
    rows = selectors.today_sites(user=request.auth)
    record_covert_reads(request, {row.plan.pk: row.plan for row in rows}.values(), "api:today")
    return [
        TodayOut(
            plan=row.plan.uuid,
            plan_name=row.plan.name,
            mode=row.plan.mode,
            site=site_out(row.site),
            done=row.done,
            checklist_url=reverse("inspections:checklist", args=[row.plan.uuid, row.site.code]),
        )
        for row in rows
    ]


@router.get("/sites/{code}/checklist", response={200: list[CheckpointOut], **READ_ERRORS}, summary="A site's checklist")
def site_checklist(request: HttpRequest, code: Text):
    site = access.get_visible_or_404(access.sites_visible_to(request.auth).select_related("site_type"), code=code)
    return [CheckpointOut(id=c.pk, code=c.code, name=c.name, weight=float(c.weight)) for c in services.checklist(site)]


@router.get("/inspections/{client_id}", response={200: InspectionOut, **READ_ERRORS}, summary="One inspection")
def inspection_get(request: HttpRequest, client_id: UUID):
    inspection = selectors.inspection_detail(user=request.auth, client_id=client_id)
    record_covert_reads(request, [inspection.plan], "api:inspection")
    return inspection_out(inspection)


@router.get(
    "/sync/status",
    response={200: SyncOut, **READ_ERRORS},
    summary="Which of the phone's ids the server holds (ids in the query)",
)
def sync_status_get(
    request: HttpRequest,
    inspections: list[Text] = Query([], max_length=MAX_ITEMS),
    problems: list[Text] = Query([], max_length=MAX_ITEMS),
    photos: list[Text] = Query([], max_length=MAX_ITEMS),
):
    return services.sync_status(actor=request.auth, inspections=inspections, problems=problems, photos=photos)


@router.post("/sync/status", response={200: SyncOut, **ERRORS}, summary="The same, for more ids than fit in a URL")
def sync_status(request: HttpRequest, payload: SyncIn):
    return services.sync_status(
        actor=request.auth, inspections=payload.inspections, problems=payload.problems, photos=payload.photos
    )


# ---- writes (idempotent on the phone's ids) -----------------------------------------------------


@router.post(
    "/inspections",
    response={200: InspectionOut, 201: InspectionOut, **ERRORS},
    summary="Store an inspection (201 the first time, 200 when it is already stored)",
)
def inspection_post(request: HttpRequest, payload: InspectionIn):
    plan = get_object_or_404(access.inspection_plans_visible_to(request.auth), uuid=payload.plan)
    site = get_object_or_404(access.sites_visible_to(request.auth).select_related("site_type"), code=payload.site)
    inspection, created = services.inspection_submit(
        actor=request.auth,
        client_id=payload.client_id,
        plan=plan,
        site=site,
        started_at=payload.started_at,
        submitted_at=payload.submitted_at,
        results=[(r.checkpoint, r.result, r.note) for r in payload.results],
        latitude=payload.latitude,
        longitude=payload.longitude,
        accuracy_m=payload.accuracy_m,
        note=payload.note,
        maker=payload.maker,
        phone_time=payload.phone_time,
    )
    return Status(201 if created else 200, inspection_out(inspection))


@router.post(
    "/problems",
    response={200: ProblemOut, 201: ProblemOut, **ERRORS},
    summary="Record a problem from a failed checkpoint (201 the first time, 200 after)",
)
def problem_post(request: HttpRequest, payload: ProblemIn):
    finding, created = services.finding_record(
        actor=request.auth,
        client_id=payload.client_id,
        inspection_client_id=payload.inspection,
        checkpoint_id=payload.checkpoint,
        description=payload.description,
        severity=payload.severity or Problem.Severity.MINOR,
        latitude=payload.latitude,
        longitude=payload.longitude,
        found_at=payload.found_at,
        maker=payload.maker,
        phone_time=payload.phone_time,
        new_problem=payload.new_problem,
    )
    return Status(201 if created else 200, problem_out(finding))


@router.post(
    "/photos",
    response={200: PhotoOut, 201: PhotoOut, **ERRORS},
    summary="Upload a photo with the SHA-256 the phone computed (refused if the bytes do not match)",
)
def photo_post(
    request: HttpRequest,
    client_id: UUID = Form(...),
    inspection: UUID = Form(...),
    sha256: Text = Form(...),
    problem: UUID | None = Form(None),
    taken_at: DateTime | None = Form(None),
    latitude: Latitude | None = Form(None),
    longitude: Longitude | None = Form(None),
    maker: Text = Form(""),
    phone_time: DateTime | None = Form(None),
    file: UploadedFile = File(...),
):
    if file.size > MAX_FILE_BYTES:
        raise InvalidInput(_("照片超过 %(mb)d MB") % {"mb": MAX_FILE_BYTES // 1024 // 1024})
    photo, created = services.photo_store(
        actor=request.auth,
        client_id=client_id,
        inspection_client_id=inspection,
        problem_client_id=problem,
        sha256=sha256,
        name=file.name,
        data=file.read(),
        taken_at=taken_at,
        latitude=latitude,
        longitude=longitude,
        maker=maker,
        phone_time=phone_time,
    )
    return Status(201 if created else 200, photo_out(photo))
