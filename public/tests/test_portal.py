"""The portal: its figures from published data only, published bulletins and their PDF without
signing in, a sub-district's page, and pages a cache may keep (Cache-Control, ETag)."""

import datetime as dt

from django.test import Client
from django.urls import reverse

from core.services import DOCUMENT, attachment_store
from inspections.tests.helpers import drawn_plan, record_finding, submit, with_checklist
from problems.models import Problem
from problems.states import Status
from problems.tests.helpers import assigned_problem, closed_problem
from tests.factories import PublishedBulletinFactory, pdf_bytes


def covert_finding(world) -> Problem:
    """A problem an unpublished covert inspection found, put with a unit by hand as an older
    version or a mistake could (the assign service refuses it): it must count nowhere public."""
    with_checklist(world)
    plan = drawn_plan(world)
    finding = record_finding(world, submit(world, plan))
    Problem.objects.filter(pk=finding.problem_id).update(
        status=Status.ASSIGNED, assigned_unit=world.unit_a, deadline=dt.date(2026, 5, 1)
    )
    return Problem.objects.get(pk=finding.problem_id)


def published_bulletin(world, **fields):
    bulletin = PublishedBulletinFactory(campaign=world.campaign, created_by=world.office, **fields)
    bulletin.pdf = attachment_store(actor=world.office, name="通报.pdf", data=pdf_bytes(), kind=DOCUMENT)
    bulletin.save(update_fields=["pdf"])
    return bulletin


def test_the_home_page_shows_the_figures_without_the_covert_finding(world):
    covert_finding(world)  # first: a later finding at the same place would join an open problem
    assigned_problem(world)
    closed_problem(world)
    page = Client().get(reverse("public:home"))
    html = page.content.decode()
    assert page.status_code == 200
    # Two problems with 东城街道, one closed on time; the covert one (overdue) is not counted.
    assert 'data-testid="found">2<' in html
    assert 'data-testid="closed">1<' in html
    assert 'data-testid="on_time_rate">100.0%<' in html
    assert "通过省级暗访" in html  # the milestones
    assert reverse("public:subdistrict", args=["SD01"]) in html


def test_a_subdistricts_page(world):
    closed_problem(world)
    page = Client().get(reverse("public:subdistrict", args=["SD01"]))
    assert page.status_code == 200 and "东城街道办事处" in page.content.decode()
    # A department is no sub-district page; an unknown code neither.
    assert Client().get(reverse("public:subdistrict", args=["DP01"])).status_code == 404
    assert Client().get(reverse("public:subdistrict", args=["XX"])).status_code == 404


def test_published_bulletins_and_their_pdf_without_signing_in_drafts_never(world):
    published = published_bulletin(world, title="五月督查通报", number=5, year=2026)
    draft = PublishedBulletinFactory(campaign=world.campaign, created_by=world.office, title="内部草稿", status="draft")
    draft.pdf = attachment_store(actor=world.office, name="草稿.pdf", data=pdf_bytes(), kind=DOCUMENT)
    draft.save(update_fields=["pdf"])
    html = Client().get(reverse("public:bulletins")).content.decode()
    assert "五月督查通报" in html and "内部草稿" not in html
    pdf = Client().get(reverse("public:bulletin_pdf", args=[published.uuid]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert Client().get(reverse("public:bulletin_pdf", args=[draft.uuid])).status_code == 404


def test_portal_pages_are_cacheable_with_an_etag_and_the_form_is_not(world):
    client = Client()
    home = client.get(reverse("public:home"))
    assert "public" in home["Cache-Control"] and "max-age=60" in home["Cache-Control"]
    assert "no-store" not in home["Cache-Control"]
    again = client.get(reverse("public:home"), HTTP_IF_NONE_MATCH=home["ETag"])
    assert again.status_code == 304
    # A step of any problem changes the figures, so the ETag.
    assigned_problem(world)
    assert client.get(reverse("public:home"), HTTP_IF_NONE_MATCH=home["ETag"]).status_code == 200
    # The form carries a CSRF token and the status page a person's report: never kept.
    assert "no-store" in client.get(reverse("public:report"))["Cache-Control"]
    assert "no-store" in client.get(reverse("public:lookup"))["Cache-Control"]


def test_a_signed_in_person_sees_the_same_portal_with_no_name_on_it(world):
    client = Client()
    client.force_login(world.office)
    html = client.get(reverse("public:home")).content.decode()
    assert "王芳" not in html and "退出" not in html


def test_the_portal_is_in_chinese_for_a_staff_member_who_chose_english(world, settings):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "全区整改情况" in client.get(reverse("public:home")).content.decode()
