"""Citizen reports (随手拍): the form with no account, photos and their EXIF, the bounds, the
status machine and the status page, as a citizen and the office would check them."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from core.errors import IllegalTransition, InvalidInput, NotAllowed, StaleObject
from core.models import Attachment
from inspections.photos import capture
from problems.tests.helpers import photo
from public import services
from public.models import CitizenReport, ReportEvent
from public.services import RateLimited
from public.states import REPORT_MACHINE, ReportStatus
from public.tests.helpers import EXIF_LAT, EXIF_LNG, category, gps_jpeg, report
from tests.factories import jpeg_bytes


def _form(world, **extra):
    data = {
        "category": category(world).pk,
        "description": "幸福巷口垃圾堆了三天没人清运",
        "latitude": "",
        "longitude": "",
        "address": "",
        "name": "张大爷",
        "phone": "138 0013 8000",
    }
    data.update(extra)
    return data


def _exif(data: bytes) -> dict:
    with Image.open(io.BytesIO(data)) as image:
        return dict(image.getexif())


def test_a_citizen_reports_with_a_phone_photo_and_the_place_comes_from_its_exif(world):
    client = Client()
    upload = SimpleUploadedFile("IMG_0001.jpg", gps_jpeg(), content_type="image/jpeg")
    answer = client.post(reverse("public:report"), {**_form(world), "photos": [upload]})

    report = CitizenReport.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == f"/public/r/{report.code}/?new=1"
    assert len(report.code) == 10 and set(report.code) <= set("23456789ABCDEFGHJKMNPQRSTUVWXYZ")
    assert (float(report.latitude), float(report.longitude)) == (EXIF_LAT, EXIF_LNG)
    assert report.location_source == CitizenReport.LocationSource.PHOTO
    assert report.phone == "13800138000"
    assert report.status == ReportStatus.RECEIVED
    # The original is kept as sent, for the office; what is shown has no metadata at all.
    original, shown = report.originals.get(), report.photos.get()
    assert capture(original.file.read()).latitude == pytest.approx(EXIF_LAT)
    assert _exif(shown.file.read()) == {}
    assert [(e.seq, e.action, e.from_status, e.to_status, e.actor_id) for e in report.events.all()] == [
        (1, "submit", "", "received", None)
    ]

    page = client.get(answer["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert report.code in html and "已收到" in html and "提交成功" in html
    assert "张大爷" not in html and "13800138000" not in html and "138 0013 8000" not in html
    served = client.get(reverse("public:photo", args=[report.code, shown.uuid]))
    body = b"".join(served.streaming_content) if served.streaming else served.content
    assert served["Content-Type"] == "image/jpeg"
    assert _exif(body) == {}
    assert b"TestPhoneMaker" not in body and b"Model-X" not in body
    # The original is nowhere public, even with the report's code.
    assert client.get(reverse("public:photo", args=[report.code, original.uuid])).status_code == 404


def test_a_map_tap_wins_over_the_photo_position(world):
    upload = SimpleUploadedFile("a.jpg", gps_jpeg(), content_type="image/jpeg")
    Client().post(
        reverse("public:report"), {**_form(world, latitude="34.750000", longitude="113.660000"), "photos": [upload]}
    )
    report = CitizenReport.objects.get()
    assert (str(report.latitude), str(report.longitude), report.location_source) == ("34.750000", "113.660000", "map")


def test_without_a_place_the_report_is_refused_in_chinese_and_nothing_is_stored(world):
    answer = Client().post(reverse("public:report"), _form(world))
    assert answer.status_code == 400
    assert "请在地图上点选问题位置，或填写详细地址" in answer.content.decode()
    assert CitizenReport.objects.count() == 0


def test_a_typed_address_is_enough(world):
    Client().post(reverse("public:report"), _form(world, address="幸福巷 12 号楼东侧"))
    report = CitizenReport.objects.get()
    assert (report.latitude, report.address, report.location_source) == (None, "幸福巷 12 号楼东侧", "address")


def test_a_file_that_is_not_a_photo_is_refused_with_the_staff_sides_checks(world):
    fake = SimpleUploadedFile("假照片.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")
    answer = Client().post(reverse("public:report"), {**_form(world, address="幸福巷"), "photos": [fake]})
    assert answer.status_code == 400
    assert "不是有效的图片或已损坏" in answer.content.decode()
    assert (CitizenReport.objects.count(), Attachment.objects.count()) == (0, 0)


def test_too_many_photos_and_too_large_a_photo_are_refused(world, settings):
    settings.PUBLIC_REPORT_MAX_PHOTOS = 2
    settings.PUBLIC_REPORT_PHOTO_MB = 1
    three = [SimpleUploadedFile(f"{n}.jpg", jpeg_bytes(), content_type="image/jpeg") for n in range(3)]
    answer = Client().post(reverse("public:report"), {**_form(world, address="幸福巷"), "photos": three})
    assert "最多上传 2 张照片" in answer.content.decode()
    big = SimpleUploadedFile("大.jpg", b"\xff\xd8" + b"0" * (1024 * 1024 + 1), content_type="image/jpeg")
    answer = Client().post(reverse("public:report"), {**_form(world, address="幸福巷"), "photos": [big]})
    assert "超过 1 MB" in answer.content.decode()
    assert CitizenReport.objects.count() == 0


def test_a_bad_phone_number_is_refused(world):
    answer = Client().post(reverse("public:report"), _form(world, address="幸福巷", phone="12345"))
    assert "电话号码格式不正确" in answer.content.decode()
    assert CitizenReport.objects.count() == 0


def test_the_same_form_sent_twice_stores_one_report(world):
    client = Client()
    data = _form(world, address="幸福巷", submit_key="6f1c2b9e-5d43-4a51-9a7e-0c8e2f4b1a20")
    first = client.post(reverse("public:report"), data)
    second = client.post(reverse("public:report"), data)
    assert CitizenReport.objects.count() == 1
    assert first["Location"] == second["Location"]


# ---- the bounds ------------------------------------------------------------------------------


def test_one_address_may_send_so_many_reports_an_hour(world, settings, frozen_today):
    settings.PUBLIC_REPORTS_PER_IP_HOUR = 2
    client = Client(REMOTE_ADDR="198.51.100.7")
    for n in range(2):
        assert client.post(reverse("public:report"), _form(world, address=f"幸福巷{n}", phone="")).status_code == 302
    refused = client.post(reverse("public:report"), _form(world, address="幸福巷", phone=""))
    assert refused.status_code == 400
    assert "同一网络每小时最多提交 2 条反映" in refused.content.decode()
    assert CitizenReport.objects.count() == 2
    # Another address is not held back, and the next hour this one may report again.
    assert (
        Client(REMOTE_ADDR="198.51.100.8")
        .post(reverse("public:report"), _form(world, address="x", phone=""))
        .status_code
        == 302
    )
    frozen_today.shift(3600)
    assert client.post(reverse("public:report"), _form(world, address="幸福巷", phone="")).status_code == 302


def test_one_phone_may_send_so_many_reports_a_day(world, settings, frozen_today):
    settings.PUBLIC_REPORTS_PER_PHONE_DAY = 2
    report(world, phone="13800138000", ip="203.0.113.1")
    report(world, phone="13800138000", ip="203.0.113.2")
    with pytest.raises(RateLimited, match="同一手机号每天最多提交 2 条反映"):
        report(world, phone="138-0013-8000", ip="203.0.113.3")
    frozen_today.shift(86400 + 1)
    assert report(world, phone="13800138000", ip="203.0.113.4").status == ReportStatus.RECEIVED


# ---- the machine -----------------------------------------------------------------------------


def test_the_office_asks_the_reporter_answers_and_the_report_is_back_in_the_queue(world):
    the_report = report(world)
    asked = services.report_ask(actor=world.office, report=the_report, question="请说明具体楼号")
    assert (asked.status, asked.reply) == (ReportStatus.MORE_INFO, "请说明具体楼号")
    page = Client().get(reverse("public:status", args=[the_report.code])).content.decode()
    assert "需要补充信息" in page and "请说明具体楼号" in page
    answer = Client().post(
        reverse("public:supplement", args=[the_report.code]), {"answer": "12 号楼东侧", "version": asked.version}
    )
    assert answer.status_code == 302
    back = CitizenReport.objects.get()
    assert back.status == ReportStatus.RECEIVED
    assert back.description.endswith("【补充】12 号楼东侧")
    assert [(e.action, e.from_status, e.to_status, e.note) for e in back.events.all()] == [
        ("submit", "", "received", ""),
        ("ask", "received", "more_info", "请说明具体楼号"),
        ("supplement", "more_info", "received", "12 号楼东侧"),
    ]
    assert REPORT_MACHINE.replay([e.action for e in back.events.all()]) == back.status


def test_a_refusal_needs_a_reason_and_the_reporter_reads_it(world):
    the_report = report(world)
    with pytest.raises(InvalidInput, match="不予受理须填写理由"):
        services.report_refuse(actor=world.office, report=the_report, reason="  ")
    refused = services.report_refuse(actor=world.office, report=the_report, reason="该处不属于本区管辖")
    assert refused.status == ReportStatus.REFUSED
    page = Client().get(reverse("public:status", args=[the_report.code])).content.decode()
    assert "不予受理" in page and "该处不属于本区管辖" in page


def test_an_illegal_or_stale_step_writes_nothing(world):
    the_report = report(world)
    refused = services.report_refuse(actor=world.office, report=the_report, reason="重复反映")
    with pytest.raises(IllegalTransition):
        services.report_ask(actor=world.office, report=refused, question="?")
    with pytest.raises(StaleObject):
        services.report_refuse(actor=world.office, report=the_report, reason="又一次")  # the old copy
    assert ReportEvent.objects.count() == 2


@pytest.mark.parametrize("persona", ["leader", "inspector", "liaison_a", "head_a", "office_viewer", "outsider"])
def test_only_the_office_triages(world, persona):
    the_report = report(world)
    with pytest.raises(NotAllowed):
        services.report_refuse(actor=getattr(world, persona), report=the_report, reason="不予受理")
    with pytest.raises(NotAllowed):
        services.report_accept(actor=getattr(world, persona), report=the_report, site=world.site)
    assert CitizenReport.objects.get().status == ReportStatus.RECEIVED


def test_a_code_typed_in_lower_case_with_spaces_finds_the_report(world):
    the_report = report(world)
    typed = " ".join([the_report.code[:5].lower(), the_report.code[5:]])
    answer = Client().get(reverse("public:lookup"), {"code": typed})
    assert answer["Location"] == reverse("public:status", args=[the_report.code])
    missing = Client().get(reverse("public:lookup"), {"code": "ZZZZZZZZZZ"})
    assert "没有找到这个查询码" in missing.content.decode()


def test_a_status_page_of_an_unknown_code_is_404(world):
    assert Client().get(reverse("public:status", args=["ABCDEFGHJK"])).status_code == 404


def test_photos_carried_on_a_report_are_the_clean_copies(world):
    the_report = report(world, photos=[("x.jpg", gps_jpeg()), photo()])
    assert the_report.photos.count() == 2 and the_report.originals.count() == 2
    for shown in the_report.photos.all():
        assert _exif(shown.file.read()) == {}
