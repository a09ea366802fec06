"""Plans, and what the phone sends: inspections, problems from failed checkpoints, photos.

Each phone record is stored once per phone id; a refusal writes nothing (no row, no file)."""

import datetime as dt
import io
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image

from conftest import TODAY
from core.errors import IllegalTransition, InvalidInput, NotAllowed
from core.models import Attachment
from core.tests.test_attachments import blank_png, image_bytes, pdf_bytes
from inspections import photos as stamping
from inspections import services
from inspections.models import CheckResult, Finding, Inspection, InspectionPhoto, InspectionPlan, PlanMember
from inspections.services import ClientIdConflict, sync
from inspections.tests.helpers import (
    drawn_plan,
    jpeg_with_gps,
    make_plan,
    record_finding,
    results,
    submit,
    upload,
    with_checklist,
)
from organisation.models import Membership
from problems.models import Problem, ProblemEvent
from tests.factories import MembershipFactory, UnitFactory, UserFactory, jpeg_bytes


@pytest.fixture
def plan(world):
    with_checklist(world)
    return drawn_plan(world)


def files_under(root) -> list[Path]:
    root = Path(root)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


# ---- plans ---------------------------------------------------------------------------------------


def test_the_office_makes_a_plan_with_a_team_from_two_units(world):
    plan = make_plan(world, count=5)
    assert (plan.status, plan.mode, plan.kind, plan.created_by) == ("draft", "covert", "spot_check", world.office)
    assert sorted(PlanMember.objects.filter(plan=plan).values_list("user__username", "unit__code")) == [
        ("liqiang", "DP01"),
        ("wangfang", "PHC"),
    ]
    assert list(plan.strata.values_list("area__code", "site_type__code", "count")) == [("D01-01", "back_street", 5)]
    assert list(plan.events.values_list("action", "to_status", "actor")) == [("create", "draft", world.office.pk)]


def test_a_team_of_several_must_come_from_at_least_two_units(world):
    colleague = UserFactory(username="colleague", full_name="城管同事")
    MembershipFactory(user=colleague, unit=world.unit_b, role=Membership.Role.INSPECTOR)
    with pytest.raises(InvalidInput, match="至少两个单位"):
        make_plan(world, members=[world.inspector, colleague])
    assert InspectionPlan.objects.count() == 0


def test_a_team_member_who_is_both_in_a_unit_and_an_inspector_counts_for_the_inspector_unit(world):
    other = UnitFactory(code="DP09", name="区卫健委", short_name="卫健委")
    MembershipFactory(user=world.inspector, unit=other, role=Membership.Role.LIAISON)
    plan = make_plan(world)
    assert PlanMember.objects.get(plan=plan, user=world.inspector).unit == world.unit_b


@pytest.mark.parametrize("persona", ["liaison_a", "head_a", "leader", "office_viewer", "outsider"])
def test_only_inspectors_and_office_staff_join_a_team(world, persona):
    with pytest.raises(InvalidInput, match="不是督导组成员"):
        make_plan(world, members=[world.inspector, getattr(world, persona)])
    assert InspectionPlan.objects.count() == 0


@pytest.mark.parametrize("persona", ["inspector", "leader", "office_viewer", "head_a", "outsider"])
def test_only_the_office_makes_plans(world, persona):
    with pytest.raises(NotAllowed):
        services.plan_create(
            actor=getattr(world, persona),
            campaign=world.campaign,
            name="计划",
            kind="scheduled",
            mode="open",
            starts_on=TODAY.date(),
            ends_on=TODAY.date(),
            areas=[world.east],
            counts={world.site.site_type: 1},
            members=[world.inspector],
        )
    assert InspectionPlan.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ends_on": TODAY.date() - dt.timedelta(days=1)}, "结束日期不能早于开始日期"),
        ({"areas": []}, "街道"),
        ({"counts": {}}, "抽取数量"),
        ({"members": []}, "检查组成员"),
        ({"name": "  "}, "计划名称"),
        ({"mode": "secret"}, "方式无效"),
    ],
)
def test_a_plan_needs_a_window_scope_counts_team_and_name(world, change, message):
    arguments = {
        "actor": world.office,
        "campaign": world.campaign,
        "name": "计划",
        "kind": "scheduled",
        "mode": "open",
        "starts_on": TODAY.date(),
        "ends_on": TODAY.date(),
        "areas": [world.east],
        "counts": {world.site.site_type: 1},
        "members": [world.inspector],
    }
    with pytest.raises(InvalidInput, match=message):
        services.plan_create(**{**arguments, **change})
    assert InspectionPlan.objects.count() == 0


def test_the_scope_is_sub_districts_only(world):
    with pytest.raises(InvalidInput, match="街道"):
        services.plan_create(
            actor=world.office,
            campaign=world.campaign,
            name="计划",
            kind="scheduled",
            mode="open",
            starts_on=TODAY.date(),
            ends_on=TODAY.date(),
            areas=[world.community],
            counts={world.site.site_type: 1},
            members=[world.inspector],
        )


def test_publishing_records_the_time_and_is_the_office_s(world, plan):
    with pytest.raises(NotAllowed):
        services.plan_publish(actor=world.inspector, plan=plan)
    published = services.plan_publish(actor=world.office, plan=plan)
    assert (published.status, published.published_at) == ("published", TODAY)
    with pytest.raises(IllegalTransition):
        services.plan_publish(actor=world.office, plan=published)
    assert list(published.events.values_list("action", flat=True)) == ["create", "draw", "publish"]


# ---- inspections -----------------------------------------------------------------------------


def test_an_inspection_is_scored_from_its_checklist_and_starts_the_plan(world, plan):
    inspection = submit(world, plan, first="fail", second="pass")
    # 3.2.1 (1 point) failed, 3.2.2 (2 points) passed: 2 of 3 points
    assert (inspection.points, inspection.max_points, inspection.score) == (Decimal(2), Decimal(3), Decimal("66.7"))
    assert list(inspection.results.order_by("checkpoint__code").values_list("checkpoint__code", "result", "note")) == [
        ("3.2.1", "fail", "垃圾堆积"),
        ("3.2.2", "pass", ""),
    ]
    assert (inspection.latitude, inspection.longitude) == (Decimal("34.757100"), Decimal("113.665200"))
    assert (inspection.received_at, inspection.inspector) == (TODAY, world.inspector)
    plan.refresh_from_db()
    assert plan.status == "in_progress"
    assert list(plan.events.values_list("action", "actor")) == [
        ("create", world.office.pk),
        ("draw", world.office.pk),
        ("start", world.inspector.pk),
    ]


@pytest.mark.parametrize(
    ("first", "second", "score"),
    [("pass", "pass", Decimal("100.0")), ("na", "fail", Decimal("0.0")), ("na", "pass", Decimal("100.0"))],
)
def test_not_applicable_checkpoints_count_for_nothing(world, plan, first, second, score):
    assert submit(world, plan, first=first, second=second).score == score


def test_all_not_applicable_has_no_score(world, plan):
    inspection = submit(world, plan, first="na", second="na")
    assert (inspection.points, inspection.max_points, inspection.score) == (0, 0, None)


def test_the_same_inspection_sent_twice_is_stored_once(world, plan):
    client_id = uuid.uuid4()
    first = submit(world, plan, client_id=client_id)
    again, created = services.inspection_submit(
        actor=world.inspector,
        client_id=client_id,
        plan=plan,
        site=world.site,
        started_at=TODAY - dt.timedelta(minutes=15),
        submitted_at=TODAY,
        results=results(world),
    )
    assert (again.pk, created) == (first.pk, False)
    assert (Inspection.objects.count(), CheckResult.objects.count()) == (1, 2)


def test_an_id_reused_for_another_site_is_refused(world, plan):
    client_id = uuid.uuid4()
    submit(world, plan, client_id=client_id)
    with pytest.raises(ClientIdConflict, match="已用于另一条检查记录"):
        submit(world, plan, client_id=client_id, site=world.site_b)
    assert Inspection.objects.count() == 1


@pytest.mark.parametrize(
    ("mutate", "error", "message"),
    [
        (lambda w, r: r[:1], InvalidInput, "还有 1 项检查要点未判定"),
        (lambda w, r: [*r, r[0]], InvalidInput, "重复"),
        (lambda w, r: [(w.criterion.pk, "pass", ""), *r], InvalidInput, "不属于该点位类型的检查清单"),
        (lambda w, r: [(r[0][0], "maybe", ""), r[1]], InvalidInput, "合格、不合格或不适用"),
    ],
)
def test_a_checklist_must_be_answered_once_per_checkpoint(world, plan, mutate, error, message):
    with pytest.raises(error, match=message):
        services.inspection_submit(
            actor=world.inspector,
            client_id=uuid.uuid4(),
            plan=plan,
            site=world.site,
            started_at=TODAY,
            submitted_at=TODAY,
            results=mutate(world, results(world)),
        )
    assert Inspection.objects.count() == CheckResult.objects.count() == 0


@pytest.mark.parametrize("persona", ["office_viewer", "leader", "liaison_a", "liaison_b", "outsider"])
def test_only_the_team_records_inspections(world, plan, persona):
    with pytest.raises(NotAllowed, match="检查组成员"):
        submit(world, plan, actor=getattr(world, persona))
    assert Inspection.objects.count() == 0


def test_an_inspector_outside_the_team_may_not_record(world, plan):
    stranger = UserFactory(username="stranger", full_name="外组督导")
    MembershipFactory(user=stranger, unit=world.unit_c, role=Membership.Role.INSPECTOR)
    with pytest.raises(NotAllowed):
        submit(world, plan, actor=stranger)


def test_only_drawn_sites_of_a_drawn_plan_are_inspected(world):
    with_checklist(world)
    draft = make_plan(world)
    with pytest.raises(IllegalTransition, match="尚未抽样"):
        submit(world, draft)
    small = drawn_plan(world, count=1, seed="1")
    (drawn,) = small.targets.values_list("site_id", flat=True)
    other = world.site if drawn != world.site.pk else world.site_b
    with pytest.raises(InvalidInput, match="不在该检查计划的抽中点位中"):
        submit(world, small, site=other)
    assert Inspection.objects.count() == 0


def test_a_phone_clock_far_ahead_is_refused(world, plan):
    with pytest.raises(InvalidInput, match="请检查手机时间"):
        submit(world, plan, at=TODAY + dt.timedelta(days=1))


def test_an_inspection_recorded_offline_days_ago_keeps_its_phone_time(world, plan):
    inspection = submit(world, plan, at=TODAY - dt.timedelta(days=2))
    assert (inspection.submitted_at, inspection.received_at) == (TODAY - dt.timedelta(days=2), TODAY)


# ---- problems from failed checkpoints ------------------------------------------------------------


def test_a_failed_checkpoint_becomes_a_problem_through_the_closed_loop(world, plan):
    inspection = submit(world, plan)
    finding = record_finding(world, inspection)
    problem = finding.problem
    assert (problem.number, problem.site, problem.criterion, problem.source, problem.status) == (
        "2026-000001",
        world.site,
        world.checkpoint,
        Problem.Source.INSPECTION,
        "recorded",
    )
    assert (problem.description, problem.recorded_by, problem.campaign) == (
        "巷口垃圾堆积未清运",
        world.inspector,
        world.campaign,
    )
    assert list(ProblemEvent.objects.filter(problem=problem).values_list("action", "actor")) == [
        ("record", world.inspector.pk)
    ]
    assert (finding.latitude, finding.longitude) == (Decimal("34.757100"), Decimal("113.665200"))


def test_without_a_description_the_problem_says_which_checkpoint_failed(world, plan):
    inspection = submit(world, plan)
    finding, _ = services.finding_record(
        actor=world.inspector, client_id=uuid.uuid4(), inspection_client_id=inspection.client_id,
        checkpoint_id=world.checkpoint.pk,
    )  # fmt: skip
    assert finding.problem.description == "垃圾堆积"  # the checkpoint's note from the checklist
    second = submit(world, plan, site=world.site_b)
    CheckResult.objects.filter(inspection=second).update(note="")
    finding, _ = services.finding_record(
        actor=world.inspector, client_id=uuid.uuid4(), inspection_client_id=second.client_id,
        checkpoint_id=world.checkpoint.pk,
    )  # fmt: skip
    assert finding.problem.description == "3.2.1 路面无垃圾、无积水：不合格"


def test_the_same_problem_sent_twice_is_recorded_once(world, plan):
    inspection = submit(world, plan)
    client_id = uuid.uuid4()
    first = record_finding(world, inspection, client_id=client_id)
    again, created = services.finding_record(
        actor=world.inspector, client_id=client_id, inspection_client_id=inspection.client_id,
        checkpoint_id=world.checkpoint.pk,
    )  # fmt: skip
    assert (again.pk, again.problem_id, created) == (first.pk, first.problem_id, False)
    assert (Problem.objects.count(), Finding.objects.count()) == (1, 1)


def test_one_problem_per_failed_checkpoint(world, plan):
    inspection = submit(world, plan)
    first = record_finding(world, inspection)
    with pytest.raises(ClientIdConflict, match=f"已登记为问题 {first.problem.number}"):
        record_finding(world, inspection)
    assert Problem.objects.count() == 1


def test_only_failed_checkpoints_become_problems(world, plan):
    inspection = submit(world, plan)
    with pytest.raises(InvalidInput, match="不合格"):
        services.finding_record(
            actor=world.inspector, client_id=uuid.uuid4(), inspection_client_id=inspection.client_id,
            checkpoint_id=world.checkpoint_2.pk,
        )  # fmt: skip
    assert Problem.objects.count() == 0


def test_a_problem_needs_its_inspection_on_the_server_first(world, plan):
    with pytest.raises(InvalidInput, match="请先同步检查记录"):
        services.finding_record(
            actor=world.inspector, client_id=uuid.uuid4(), inspection_client_id=uuid.uuid4(),
            checkpoint_id=world.checkpoint.pk,
        )  # fmt: skip


def test_only_the_inspector_who_made_the_inspection_adds_to_it(world, plan):
    inspection = submit(world, plan)
    with pytest.raises(NotAllowed, match="自己的检查记录"):
        record_finding(world, inspection, actor=world.office)
    with pytest.raises(InvalidInput, match="找不到该检查记录"):  # cannot even see it
        record_finding(world, inspection, actor=world.liaison_a)
    assert Problem.objects.count() == 0


# ---- photos --------------------------------------------------------------------------------------


def test_a_photo_keeps_its_original_and_gets_a_stamped_copy_without_gps(world, plan, settings):
    inspection = submit(world, plan)
    finding = record_finding(world, inspection)
    original_bytes = jpeg_with_gps()

    photo, created = upload(world, inspection, finding, data=original_bytes, name="IMG_0001.jpg")

    assert created
    # the original, byte for byte, with its hash: the evidence
    assert photo.original.file.read() == original_bytes
    assert photo.original.sha256 == photo.sha256 == Attachment.hash_of(original_bytes)
    assert (photo.original.original_name, photo.original.content_type) == ("IMG_0001.jpg", "image/jpeg")
    with Image.open(io.BytesIO(original_bytes)) as source:
        assert source.getexif().get_ifd(0x8825)  # the phone's GPS position is in the original
    # the copy people see: stamped, no EXIF at all (no GPS, no phone model)
    with photo.display.file.open("rb") as handle, Image.open(handle) as shown:
        assert shown.format == "JPEG"
        assert shown.size == (800, 600)
        assert dict(shown.getexif()) == {}
        assert shown.info.get("exif") is None
        band = shown.crop((0, 520, 800, 600)).convert("L").getextrema()
        top = shown.crop((0, 0, 800, 400)).convert("L").getextrema()
    assert top[1] - top[0] < 10  # the photo itself is one colour
    assert band[1] - band[0] > 150  # white text on a dark band
    # the problem shows the stamped copy
    assert list(finding.problem.photos.all()) == [photo.display]
    assert (photo.taken_at, photo.latitude, photo.uploaded_by) == (TODAY, Decimal("34.757100"), world.inspector)


def test_the_stamp_says_when_where_what_and_who(world, plan):
    inspection = submit(world, plan)
    stamp = sync._stamp(inspection, world.inspector, TODAY, Decimal("34.757100"), Decimal("113.665200"))
    assert stamp.lines(cjk=True) == [
        "2026年5月12日 10:00",
        "位置 34.757100, 113.665200",
        "幸福巷（BS-0001）",
        "检查人：李强",
    ]
    assert stamp.lines(cjk=False) == ["2026-05-12 10:00", "34.757100, 113.665200", "BS-0001", "inspector liqiang"]


def test_a_server_with_chinese_fonts_stamps_in_chinese():
    """`make system-packages` (part of `make run` and `make test`) installs Debian's fonts-noto-cjk."""
    path = stamping.cjk_font_path()
    assert path, "no font with Chinese glyphs: run `make system-packages`"
    font, cjk = stamping._font(20)
    assert cjk and "CJK" in font.getname()[0]


def test_large_photos_are_shown_at_a_bounded_size(world, plan):
    inspection = submit(world, plan)
    photo, _ = upload(world, inspection, data=jpeg_bytes(4000, 3000))
    with photo.display.file.open("rb") as handle, Image.open(handle) as shown:
        assert shown.size == (1600, 1200)
    assert photo.original.size > 0 and photo.finding is None


def test_the_same_photo_sent_twice_is_stored_once(world, plan, settings):
    inspection = submit(world, plan)
    finding = record_finding(world, inspection)
    client_id = uuid.uuid4()
    data = jpeg_bytes(320, 240)
    first, created = upload(world, inspection, finding, data=data, client_id=client_id)
    stored = files_under(settings.MEDIA_ROOT)
    again, created_again = upload(world, inspection, finding, data=data, client_id=client_id)
    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert (InspectionPhoto.objects.count(), Attachment.objects.count()) == (1, 2)
    assert files_under(settings.MEDIA_ROOT) == stored
    assert finding.problem.photos.count() == 1


def test_a_photo_id_reused_for_other_bytes_is_refused(world, plan):
    inspection = submit(world, plan)
    client_id = uuid.uuid4()
    upload(world, inspection, data=jpeg_bytes(320, 240), client_id=client_id)
    with pytest.raises(ClientIdConflict, match="已用于另一条照片"):
        upload(world, inspection, data=jpeg_bytes(320, 240, (0, 0, 255)), client_id=client_id)
    assert InspectionPhoto.objects.count() == 1


def test_a_photo_whose_bytes_do_not_match_its_hash_is_refused_and_nothing_is_kept(world, plan, settings):
    inspection = submit(world, plan)
    data = jpeg_bytes(320, 240)
    with pytest.raises(InvalidInput, match="校验值不符，传输不完整"):
        upload(world, inspection, data=data[: len(data) // 2], sha256=Attachment.hash_of(data))
    assert (InspectionPhoto.objects.count(), Attachment.objects.count()) == (0, 0)
    assert files_under(settings.MEDIA_ROOT) == []


def _truncated_jpeg() -> bytes:
    data = jpeg_bytes(640, 480)
    return data[: len(data) * 2 // 3]


REFUSED = [
    ("a text file", "notes.txt", lambda: "不是照片".encode(), "不是照片，只接受 jpeg、jpg、png、webp"),
    ("a PDF", "scan.pdf", pdf_bytes, "不是照片"),
    ("text named .jpg", "photo.jpg", lambda: b"hello, this is not an image" * 10, "不是有效的图片或已损坏"),
    ("a truncated JPEG", "photo.jpg", _truncated_jpeg, "不是有效的图片或已损坏"),
    ("a PNG named .jpg", "photo.jpg", lambda: image_bytes("PNG"), "扩展名与内容不符（实际为 PNG 格式）"),
    ("a JPEG named .png", "photo.png", lambda: jpeg_bytes(), "扩展名与内容不符（实际为 JPEG 格式）"),
    ("50 megapixels", "huge.png", lambda: blank_png(10_000, 5_000), "像素过大"),
    ("200 megapixels", "bomb.png", lambda: blank_png(20_000, 10_000), "像素过大"),
    ("an empty file", "photo.jpg", lambda: b"", "是空的"),
    ("no extension", "photo", lambda: jpeg_bytes(), "不是照片"),
]


@pytest.mark.parametrize(("what", "name", "make", "message"), REFUSED, ids=[r[0] for r in REFUSED])
def test_what_is_not_a_whole_real_photo_is_refused_and_nothing_half_stored_remains(
    world, plan, settings, what, name, make, message
):
    inspection = submit(world, plan)
    finding = record_finding(world, inspection)
    with pytest.raises(InvalidInput, match=message):
        upload(world, inspection, finding, data=make(), name=name)
    assert (InspectionPhoto.objects.count(), Attachment.objects.count(), finding.problem.photos.count()) == (0, 0, 0)
    assert files_under(settings.MEDIA_ROOT) == []


def test_a_photo_of_a_problem_not_yet_synced_waits(world, plan):
    inspection = submit(world, plan)
    with pytest.raises(InvalidInput, match="请先同步问题"):
        services.photo_store(
            actor=world.inspector,
            client_id=uuid.uuid4(),
            inspection_client_id=inspection.client_id,
            problem_client_id=uuid.uuid4(),
            sha256=Attachment.hash_of(jpeg_bytes()),
            name="a.jpg",
            data=jpeg_bytes(),
        )
    assert Attachment.objects.count() == 0


def test_the_sync_status_names_the_ids_the_server_holds(world, plan):
    inspection = submit(world, plan)
    finding = record_finding(world, inspection)
    photo, _ = upload(world, inspection, finding)
    unknown = str(uuid.uuid4())
    status = services.sync_status(
        actor=world.inspector,
        inspections=[str(inspection.client_id), unknown, "garbage"],
        problems=[str(finding.client_id), unknown],
        photos=[str(photo.client_id)],
    )
    assert status == {
        "inspections": [str(inspection.client_id)],
        "problems": [str(finding.client_id)],
        "photos": [str(photo.client_id)],
    }
    # someone else's phone learns nothing about these ids
    assert services.sync_status(actor=world.office, inspections=[str(inspection.client_id)]) == {
        "inspections": [],
        "problems": [],
        "photos": [],
    }
