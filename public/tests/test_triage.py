"""The office's triage: accept into a problem (photos carried over, both trails written), refuse,
ask; who may; and the status page that follows the problem through the closed loop."""

import io

import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image

from problems import services as problem_services
from problems.models import Problem, ProblemEvent
from problems.tests.helpers import DEADLINE
from public import services
from public.models import CitizenReport
from public.states import ReportStatus
from public.tests.helpers import gps_jpeg, report
from tests.factories import SiteFactory


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_queue_lists_waiting_reports_oldest_first_for_the_office(world, frozen_today):
    first = report(world, description="第一条")
    frozen_today.shift(60)
    second = report(world, description="第二条")
    services.report_refuse(actor=world.office, report=report(world, description="已拒"), reason="重复")
    page = _signed_in(world.office).get(reverse("triage:queue"))
    html = page.content.decode()
    assert page.status_code == 200
    assert html.index(first.code) < html.index(second.code)
    assert "已拒" not in html


def test_accepting_records_a_problem_with_the_reports_photos_and_both_trails(world):
    near = SiteFactory(
        code="BS-0009",
        name="近处巷",
        site_type=world.site.site_type,
        area=world.community,
        owner_unit=world.unit_a,
        latitude="34.757150",
        longitude="113.665150",
    )
    the_report = report(world, photos=[("现场.jpg", gps_jpeg())], name="张大爷", phone="13800138000")
    client = _signed_in(world.office)
    detail = client.get(reverse("triage:detail", args=[the_report.code])).content.decode()
    # The nearest site of the category's type first, with its distance.
    assert detail.index("近处巷（BS-0009）") < detail.index("幸福巷（BS-0001）")
    assert "约 7 米" in detail

    answer = client.post(
        reverse("triage:act", args=[the_report.code, "accept"]),
        {"site": "BS-0009", "severity": "major", "note": "属实", "version": the_report.version},
    )
    accepted = CitizenReport.objects.get()
    problem = accepted.problem
    assert answer.status_code == 302 and answer["Location"] == reverse("problems:detail", args=[problem.uuid])
    assert (accepted.status, problem.site, problem.criterion, problem.source, problem.severity) == (
        ReportStatus.ACCEPTED,
        near,
        world.checkpoint,
        Problem.Source.CITIZEN,
        "major",
    )
    assert problem.recorded_at == the_report.submitted_at
    assert list(problem.photos.all()) == list(the_report.photos.all())
    assert the_report.code in problem.description
    assert "张大爷" not in problem.description and "13800138000" not in problem.description
    assert [(e.action, e.from_status, e.to_status, e.actor, e.problem_id, e.note) for e in accepted.events.all()] == [
        ("submit", "", "received", None, None, ""),
        ("accept", "received", "accepted", world.office, problem.pk, "属实"),
    ]
    assert [(e.action, e.actor) for e in ProblemEvent.objects.filter(problem=problem)] == [("record", world.office)]


def test_a_failed_accept_leaves_the_report_and_records_no_problem(world):
    the_report = report(world)
    answer = _signed_in(world.office).post(
        reverse("triage:act", args=[the_report.code, "accept"]),
        {"site_code": "NOPE", "severity": "minor", "version": 1},
    )
    assert answer.status_code == 400
    assert "没有编码为「NOPE」的在用点位" in answer.content.decode()
    assert (Problem.objects.count(), CitizenReport.objects.get().status) == (0, ReportStatus.RECEIVED)


def test_refuse_and_ask_from_the_screen(world):
    client = _signed_in(world.office)
    one, two = report(world), report(world, description="另一条")
    client.post(reverse("triage:act", args=[one.code, "refuse"]), {"note": "非本区", "version": 1})
    client.post(reverse("triage:act", args=[two.code, "ask"]), {"note": "请补充照片", "version": 1})
    assert dict(CitizenReport.objects.values_list("code", "status")) == {one.code: "refused", two.code: "more_info"}
    empty = client.post(reverse("triage:act", args=[two.code, "refuse"]), {"note": "", "version": 2})
    assert empty.status_code == 400
    assert "请填写告知反映人的内容" in empty.content.decode()


@pytest.mark.parametrize("persona", ["leader", "office_viewer", "inspector", "liaison_a", "outsider"])
def test_the_triage_pages_are_the_offices_alone(world, persona):
    the_report = report(world)
    client = _signed_in(getattr(world, persona))
    assert client.get(reverse("triage:queue")).status_code == 404
    assert client.get(reverse("triage:detail", args=[the_report.code])).status_code == 404
    answer = client.post(reverse("triage:act", args=[the_report.code, "refuse"]), {"note": "x", "version": 1})
    assert answer.status_code == 404
    assert CitizenReport.objects.get().status == ReportStatus.RECEIVED


def test_the_triage_pages_ask_a_visitor_to_sign_in(world):
    the_report = report(world)
    assert Client().get(reverse("triage:queue"))["Location"].startswith("/accounts/login/")
    assert Client().get(reverse("triage:detail", args=[the_report.code]))["Location"].startswith("/accounts/login/")


def test_the_status_page_follows_the_problem_to_the_after_photo(world):
    the_report = report(world)
    status_url = reverse("public:status", args=[the_report.code])
    accepted = services.report_accept(actor=world.office, report=the_report, site=world.site)
    problem = accepted.problem
    page = Client().get(status_url).content.decode()
    assert "已受理" in page and f"问题 {problem.number}" in page

    problem = problem_services.problem_assign(actor=world.office, problem=problem, unit=world.unit_a, deadline=DEADLINE)
    assert "整改中" in Client().get(status_url).content.decode()
    problem = problem_services.problem_submit_evidence(
        actor=world.liaison_a, problem=problem, note="已清运", files=[("整改后.jpg", gps_jpeg(size=(80, 60)))]
    )
    page = Client().get(status_url).content.decode()
    assert "整改中" in page and "after-photo" not in page  # not yet verified: no after photo
    problem_services.problem_close(actor=world.inspector, problem=problem, note="复核通过")
    page = Client().get(status_url).content.decode()
    assert "已整改" in page and 'data-testid="after-photo"' in page
    after = ProblemEvent.objects.get(problem=problem, action="submit").attachments.get()
    served = Client().get(reverse("public:photo", args=[the_report.code, after.uuid]))
    assert served.status_code == 200
    with Image.open(io.BytesIO(served.content)) as image:
        assert dict(image.getexif()) == {}
    assert b"TestPhoneMaker" not in served.content


def test_a_report_whose_problem_was_merged_follows_the_one_that_stood(world):
    """The office merges the report's problem into an earlier open one at the same place: the
    reporter is told so, then sees that problem's stage to its after photo."""
    earlier = problem_services.problem_record(
        actor=world.office, campaign=world.campaign, site=world.site, criterion=world.checkpoint, description="垃圾堆积"
    )
    earlier = problem_services.problem_assign(actor=world.office, problem=earlier, unit=world.unit_a, deadline=DEADLINE)
    the_report = report(world)
    status_url = reverse("public:status", args=[the_report.code])
    accepted = services.report_accept(actor=world.office, report=the_report, site=world.site)
    problem_services.problem_merge(actor=world.office, problem=accepted.problem, into=earlier, reason="同一处垃圾")
    page = Client().get(status_url).content.decode()
    assert f"与问题 {earlier.number} 为同一问题，已合并处理" in page
    assert "整改中" in page and "即将交责任单位整改" not in page

    earlier = problem_services.problem_submit_evidence(
        actor=world.liaison_a, problem=Problem.objects.get(pk=earlier.pk), note="已清运",
        files=[("整改后.jpg", gps_jpeg(size=(80, 60)))],
    )  # fmt: skip
    problem_services.problem_close(actor=world.inspector, problem=earlier, note="复核通过")
    page = Client().get(status_url).content.decode()
    assert "已整改" in page and 'data-testid="after-photo"' in page
    after = ProblemEvent.objects.get(problem=earlier, action="submit").attachments.get()
    assert Client().get(reverse("public:photo", args=[the_report.code, after.uuid])).status_code == 200
