"""The server's half of the phone's protocol (issue 18): a record is stored under its maker only,
the phone's clock skew is corrected and kept, a problem's year, number and 发现时间 follow its
finding time, a second open problem for the same site and checkpoint is linked to the first, and
a photo is stamped with its own capture time and place."""

import datetime as dt
import io
import uuid

import pytest
import time_machine
from PIL import Image

from audit.checks import audit
from conftest import SHANGHAI, TODAY
from core.models import Attachment
from inspections import photos as stamping
from inspections import services
from inspections.models import Finding, Inspection, InspectionPhoto
from inspections.tests.helpers import drawn_plan, submit, with_checklist
from inspections.tests.test_api import inspection_body, post_json, session_client, token_client
from organisation.models import Membership
from problems import services as problem_services
from problems.models import Problem
from tests.factories import MembershipFactory, UserFactory


@pytest.fixture
def plan(world):
    with_checklist(world)
    world.hanjing = UserFactory(username="hanjing", full_name="韩静")
    MembershipFactory(user=world.hanjing, unit=world.unit_c, role=Membership.Role.INSPECTOR)
    return drawn_plan(world, members=[world.inspector, world.hanjing, world.office])


def test_a_record_made_by_someone_else_is_refused_with_a_code_the_phone_knows(world, plan):
    client = session_client(world.inspector)
    response = post_json(client, "/api/v1/inspections", inspection_body(world, plan, maker="hanjing"))
    assert response.status_code == 403
    assert response.json() == {
        "detail": "这条记录是 hanjing 在手机上记录的，当前登录的是 liqiang：请 hanjing 本人登录后同步",
        "code": "maker",
    }
    assert Inspection.objects.count() == 0
    # Its maker sends it: stored under her.
    response = post_json(
        session_client(world.hanjing), "/api/v1/inspections", inspection_body(world, plan, maker="hanjing")
    )
    assert response.status_code == 201
    assert Inspection.objects.get().inspector == world.hanjing


def test_a_phone_clock_a_day_ahead_is_corrected_and_the_skew_kept(world, plan):
    ahead = dt.timedelta(days=1)
    body = inspection_body(world, plan)
    for key in ("started_at", "submitted_at"):
        body[key] = (dt.datetime.fromisoformat(body[key]) + ahead).isoformat()
    body["phone_time"] = (TODAY + ahead).isoformat()
    response = post_json(token_client(world.inspector), "/api/v1/inspections", body)
    assert response.status_code == 201
    inspection = Inspection.objects.get()
    assert (inspection.submitted_at, inspection.clock_skew_s) == (TODAY, 86400)
    page = session_client(world.office).get(f"/inspections/records/{inspection.client_id}/")
    assert "手机时钟偏差 86400 秒，以上时间已按服务器时间校正" in page.content.decode()


def test_a_clock_within_two_minutes_is_left_alone(world, plan):
    body = inspection_body(world, plan, phone_time=(TODAY + dt.timedelta(seconds=90)).isoformat())
    assert post_json(token_client(world.inspector), "/api/v1/inspections", body).status_code == 201
    assert (Inspection.objects.get().submitted_at, Inspection.objects.get().clock_skew_s) == (TODAY, None)


def test_a_problem_found_on_new_years_eve_and_synced_after_midnight_keeps_the_old_year(world):
    with_checklist(world)
    eve = dt.datetime(2026, 12, 31, 23, 50, tzinfo=SHANGHAI)
    with time_machine.travel(eve, tick=False):
        plan = drawn_plan(world, starts_on=eve.date(), ends_on=eve.date() + dt.timedelta(days=2))
        inspection = submit(world, plan, at=eve + dt.timedelta(minutes=5))
    with time_machine.travel(eve + dt.timedelta(minutes=20), tick=False):
        finding, _created = services.finding_record(
            actor=world.inspector,
            client_id=uuid.uuid4(),
            inspection_client_id=inspection.client_id,
            checkpoint_id=world.checkpoint.pk,
            found_at=eve,
        )
    assert (finding.problem.number, finding.problem.recorded_at) == ("2026-000001", eve)


def test_problems_are_numbered_in_the_order_found(world, plan):
    first = submit(world, plan, at=TODAY - dt.timedelta(hours=2))
    second = submit(world, plan, site=world.site_b, at=TODAY - dt.timedelta(hours=1))
    for inspection in (first, second):
        services.finding_record(
            actor=world.inspector,
            client_id=uuid.uuid4(),
            inspection_client_id=inspection.client_id,
            checkpoint_id=world.checkpoint.pk,
            found_at=inspection.submitted_at,
        )
    numbers = dict(Problem.objects.values_list("site__code", "sequence"))
    assert numbers == {"BS-0001": 1, "BS-0002": 2}


def test_a_second_open_problem_for_the_same_site_and_checkpoint_is_linked_to_the_first(world, plan):
    mine = submit(world, plan)
    hers = submit(world, plan, actor=world.hanjing)
    answers = []
    for inspection, person in ((mine, world.inspector), (hers, world.hanjing)):
        body = {
            "client_id": str(uuid.uuid4()),
            "inspection": str(inspection.client_id),
            "checkpoint": world.checkpoint.pk,
        }
        answers.append(post_json(session_client(person), "/api/v1/problems", body).json())
    problem = Problem.objects.get()
    assert [(a["number"], a["linked"]) for a in answers] == [("2026-000001", False), ("2026-000001", True)]
    assert Finding.objects.filter(problem=problem).count() == 2
    # The problem's timeline says it was found again, by whom, and nothing moved.
    again = problem.events.get(action="found_again")
    assert (again.actor, again.from_status, again.to_status) == (world.hanjing, "recorded", "recorded")
    assert again.note.startswith(f"检查「{plan.name}」再次发现此问题（")
    assert [line for line in audit() if line.startswith("问题")] == []  # the trail replays
    # Once it is cancelled, the next finding opens a new problem.
    problem_services.problem_cancel(actor=world.office, problem=problem, reason="重复登记")
    third = submit(world, plan, actor=world.hanjing)
    services.finding_record(
        actor=world.hanjing,
        client_id=uuid.uuid4(),
        inspection_client_id=third.client_id,
        checkpoint_id=world.checkpoint.pk,
    )
    assert Problem.objects.count() == 2


def _photo_taken(at: str, lat=None) -> bytes:
    exif = Image.Exif()
    exif.get_ifd(stamping.EXIF_IFD)[stamping.DATETIME_ORIGINAL] = at
    if lat is not None:
        gps = exif.get_ifd(stamping.GPS_IFD)
        gps[1], gps[2], gps[3], gps[4] = "N", (lat, 0.0, 0.0), "E", (113.0, 39.0, 54.72)
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 120, 80)).save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def test_a_gallery_photo_is_stamped_with_its_own_time_and_place_and_marked(world, plan):
    inspection = submit(world, plan)
    data = _photo_taken("2026:05:10 08:30:00", lat=35.0)
    assert stamping.capture(data) == stamping.Capture(
        at=dt.datetime(2026, 5, 10, 8, 30, tzinfo=SHANGHAI), latitude=35.0, longitude=113.0 + 39 / 60 + 54.72 / 3600
    )
    photo, _created = services.photo_store(
        actor=world.inspector,
        client_id=uuid.uuid4(),
        inspection_client_id=inspection.client_id,
        sha256=Attachment.hash_of(data),
        name="old.jpg",
        data=data,
        taken_at=TODAY,
        latitude="34.757100",
        longitude="113.665200",
    )
    photo = InspectionPhoto.objects.get(pk=photo.pk)
    assert photo.taken_at == dt.datetime(2026, 5, 10, 8, 30, tzinfo=SHANGHAI)
    assert float(photo.latitude) == 35.0
    world.site.latitude, world.site.longitude = "34.757100", "113.665200"
    stamp = services.sync._stamp(inspection, world.inspector, photo.taken_at, photo.latitude, photo.longitude)
    assert stamp.time == "拍摄于 2026年5月10日 08:30（非现场即时拍摄；拍摄位置距点位 27.0 公里）"
