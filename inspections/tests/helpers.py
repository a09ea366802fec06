"""Builders for inspection tests. Plans, draws and inspections go through the services, so what
is built here has the same trail as what people make on screens and phones.

The conftest world has one sub-district (东城街道) with two back streets: 幸福巷 (BS-0001, owned by
东城街道, unit_a) and 建设路农贸市场 (BS-0002, owned by 城管局, unit_b). `with_checklist` gives the
back-street type a checklist of two checkpoints: 3.2.1 (1 point) and 3.2.2 (2 points)."""

import datetime as dt
import io
import uuid

from PIL import Image

from conftest import TODAY
from core.models import Attachment
from inspections import services
from inspections.models import InspectionPlan
from tests.factories import CriterionFactory, jpeg_bytes

DAY = TODAY.date()
SEED = "20260512"


def with_checklist(world):
    world.checkpoint_2 = CriterionFactory(
        standard=world.campaign.standard,
        code="3.2.2",
        name="垃圾桶无满溢",
        parent=world.criterion,
        weight=2,
        position=2,
    )
    world.checkpoint.position = 1
    world.checkpoint.save(update_fields=["position"])
    world.site.site_type.checkpoints.set([world.checkpoint, world.checkpoint_2])
    return world


def make_plan(
    world,
    *,
    mode=InspectionPlan.Mode.COVERT,
    kind=InspectionPlan.Kind.SPOT_CHECK,
    count=2,
    members=None,
    exclude_recent_days=0,
    starts_on=DAY,
    ends_on=DAY + dt.timedelta(days=6),
    name="五月暗访",
    areas=None,
) -> InspectionPlan:
    return services.plan_create(
        actor=world.office,
        campaign=world.campaign,
        name=name,
        kind=kind,
        mode=mode,
        starts_on=starts_on,
        ends_on=ends_on,
        areas=areas or [world.east],
        counts={world.site.site_type: count},
        members=members if members is not None else [world.inspector, world.office],
        exclude_recent_days=exclude_recent_days,
    )


def drawn_plan(world, seed=SEED, **options) -> InspectionPlan:
    plan = make_plan(world, **options)
    services.sample_draw(actor=world.office, plan=plan, seed=seed)
    plan.refresh_from_db()
    return plan


def results(world, first="fail", second="pass"):
    return [(world.checkpoint.pk, first, "垃圾堆积" if first == "fail" else ""), (world.checkpoint_2.pk, second, "")]


def submit(world, plan, *, site=None, actor=None, client_id=None, first="fail", second="pass", at=None):
    at = at or TODAY
    inspection, _created = services.inspection_submit(
        actor=actor or world.inspector,
        client_id=client_id or uuid.uuid4(),
        plan=plan,
        site=site or world.site,
        started_at=at - dt.timedelta(minutes=15),
        submitted_at=at,
        results=results(world, first, second),
        latitude="34.757100",
        longitude="113.665200",
    )
    return inspection


def record_finding(world, inspection, *, client_id=None, actor=None):
    finding, _created = services.finding_record(
        actor=actor or world.inspector,
        client_id=client_id or uuid.uuid4(),
        inspection_client_id=inspection.client_id,
        checkpoint_id=world.checkpoint.pk,
        description="巷口垃圾堆积未清运",
        latitude="34.757100",
        longitude="113.665200",
    )
    return finding


def upload(world, inspection, finding=None, *, data=None, name="现场.jpg", client_id=None, sha256=None, actor=None):
    data = jpeg_bytes(640, 480) if data is None else data
    return services.photo_store(
        actor=actor or world.inspector,
        client_id=client_id or uuid.uuid4(),
        inspection_client_id=inspection.client_id,
        problem_client_id=finding.client_id if finding else None,
        sha256=sha256 or Attachment.hash_of(data),
        name=name,
        data=data,
        taken_at=TODAY,
        latitude="34.757100",
        longitude="113.665200",
    )


def jpeg_with_gps(width=800, height=600) -> bytes:
    """A phone photo: JPEG with an EXIF block holding a GPS position and the phone's model."""
    exif = Image.Exif()
    exif[0x0110] = "PhoneModel X"  # Model
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (34.0, 45.0, 25.56)
    gps[3], gps[4] = "E", (113.0, 39.0, 54.72)
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (90, 120, 80)).save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def inspection_body(world, plan, client_id=None, /, **change):
    """A valid POST /api/v1/inspections body for `with_checklist(world)`; `change` overrides."""
    return {
        "client_id": str(client_id or uuid.uuid4()),
        "plan": str(plan.uuid),
        "site": world.site.code,
        "started_at": (TODAY - dt.timedelta(minutes=20)).isoformat(),
        "submitted_at": TODAY.isoformat(),
        "latitude": 34.7571,
        "longitude": 113.6652,
        "accuracy_m": 8,
        "note": "",
        "results": [
            {"checkpoint": world.checkpoint.pk, "result": "fail", "note": "垃圾堆积"},
            {"checkpoint": world.checkpoint_2.pk, "result": "pass"},
        ],
        **change,
    }
