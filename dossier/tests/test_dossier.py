import io
import re
import subprocess
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from core.errors import IllegalTransition, InvalidInput, NotAllowed, StaleObject
from core.models import Attachment, GeneratedFile
from core.worker import run_pending
from dossier import export, selectors, services
from dossier.models import Material, Submission, SubmissionEvent

PDF = b"%PDF-1.4\n% dossier test\n%%EOF\n"


@pytest.fixture
def dossier(world):
    world.criterion.required_materials = ["保洁制度", "保洁台账"]
    world.criterion.save()
    services.dossier_prepare(actor=world.office, campaign=world.campaign)
    rules, ledger = Material.objects.order_by("position")
    services.material_assign(actor=world.office, material=rules, unit=world.unit_a)
    services.material_assign(actor=world.office, material=ledger, unit=world.unit_b)
    world.rules, world.ledger = rules, ledger
    return world


def test_prepare_creates_materials_from_the_standard_and_is_idempotent(world):
    world.criterion.required_materials = ["保洁制度", "保洁台账"]
    world.criterion.save()
    assert services.dossier_prepare(actor=world.office, campaign=world.campaign) == 2
    assert services.dossier_prepare(actor=world.office, campaign=world.campaign) == 0
    assert list(Material.objects.values_list("criterion__code", "name", "position")) == [
        ("3.2", "保洁制度", 0),
        ("3.2", "保洁台账", 1),
    ]
    with pytest.raises(NotAllowed):
        services.dossier_prepare(actor=world.head_a, campaign=world.campaign)


@pytest.mark.parametrize("who", ["head_a", "deputy_a", "liaison_a", "office"])
def test_upload_by_the_responsible_unit_or_the_office(dossier, who):
    submission = services.submission_upload(
        actor=getattr(dossier, who), material=dossier.rules, name="制度.pdf", data=PDF
    )
    assert submission.status == Submission.Status.SUBMITTED
    assert submission.unit == dossier.unit_a
    assert submission.attachment.sha256 == Attachment.hash_of(PDF)
    assert list(submission.events.values_list("action", "to_status")) == [("submit", "submitted")]


@pytest.mark.parametrize("who", ["viewer_a", "liaison_b", "inspector", "leader", "office_viewer", "outsider"])
def test_upload_refused_for_others_writes_nothing(dossier, who):
    with pytest.raises(NotAllowed):
        services.submission_upload(actor=getattr(dossier, who), material=dossier.rules, name="制度.pdf", data=PDF)
    assert not Submission.objects.exists()
    assert not Attachment.objects.exists()
    assert not SubmissionEvent.objects.exists()


def test_accept_and_return_with_rights_and_states(dossier):
    first = services.submission_upload(actor=dossier.liaison_a, material=dossier.rules, name="a.pdf", data=PDF)
    for who in ("liaison_a", "head_a", "leader", "office_viewer", "inspector"):
        with pytest.raises(NotAllowed):
            services.submission_transition(actor=getattr(dossier, who), submission=first, action="accept")
    with pytest.raises(InvalidInput, match="退回须填写理由"):
        services.submission_transition(actor=dossier.office, submission=first, action="return", reason="  ")
    services.submission_transition(actor=dossier.office, submission=first, action="return", reason="缺少盖章")
    first.refresh_from_db()
    assert (first.status, first.review_reason, first.reviewer) == ("returned", "缺少盖章", dossier.office)
    events = SubmissionEvent.objects.count()
    with pytest.raises(IllegalTransition):
        services.submission_transition(actor=dossier.office, submission=first, action="accept")
    first.refresh_from_db()
    assert first.status == "returned" and SubmissionEvent.objects.count() == events

    second = services.submission_upload(actor=dossier.liaison_a, material=dossier.rules, name="b.pdf", data=PDF)
    second = services.submission_transition(actor=dossier.office, submission=second, action="accept")
    with pytest.raises(IllegalTransition):
        services.submission_transition(actor=dossier.office, submission=second, action="return", reason="再看看")
    second.refresh_from_db()
    assert second.status == "accepted"
    assert list(second.events.values_list("action", "from_status", "to_status")) == [
        ("submit", "", "submitted"),
        ("accept", "submitted", "accepted"),
    ]


def test_a_review_from_a_page_drawn_before_another_reviewer_decided_is_refused(dossier):
    upload = services.submission_upload(actor=dossier.liaison_a, material=dossier.rules, name="a.pdf", data=PDF)
    seen_by_second_reviewer = Submission.objects.get(pk=upload.pk)
    services.submission_transition(actor=dossier.office, submission=upload, action="accept")
    with pytest.raises(StaleObject, match="该材料已被他人审核（现为「已通过」），请刷新后重试"):
        services.submission_transition(
            actor=dossier.office, submission=seen_by_second_reviewer, action="return", reason="缺少盖章"
        )
    upload.refresh_from_db()
    assert (upload.status, upload.version, upload.events.count()) == ("accepted", 2, 2)


def test_giving_a_material_to_a_unit_is_in_its_trail_and_the_same_unit_again_writes_nothing(dossier):
    from dossier.models import MaterialEvent

    services.material_assign(actor=dossier.office, material=dossier.rules, unit=dossier.unit_b)
    services.material_assign(actor=dossier.office, material=dossier.rules, unit=dossier.unit_b)
    services.material_assign(actor=dossier.office, material=dossier.rules, unit=None)
    trail = MaterialEvent.objects.filter(material=dossier.rules).values_list("from_unit", "to_unit", "actor")
    assert list(trail) == [
        (None, dossier.unit_a.pk, dossier.office.pk),  # the fixture's assignment
        (dossier.unit_a.pk, dossier.unit_b.pk, dossier.office.pk),
        (dossier.unit_b.pk, None, dossier.office.pk),
    ]
    with pytest.raises(NotAllowed):
        services.material_assign(actor=dossier.liaison_a, material=dossier.rules, unit=dossier.unit_a)
    assert MaterialEvent.objects.filter(material=dossier.rules).count() == 3


def test_completeness_figures(dossier):
    from standard.models import Criterion
    from tests.factories import CriterionFactory

    other = CriterionFactory(
        standard=dossier.campaign.standard,
        level=Criterion.Level.CRITERION,
        code="3.3",
        name="垃圾分类",
        parent=dossier.category,
        required_materials=["分类方案", "宣传记录", "考核记录"],
    )
    services.dossier_prepare(actor=dossier.office, campaign=dossier.campaign)
    sub = services.submission_upload(actor=dossier.liaison_a, material=dossier.rules, name="a.pdf", data=PDF)
    services.submission_transition(actor=dossier.office, submission=sub, action="accept")
    # a pending and a returned submission do not count
    services.submission_upload(actor=dossier.liaison_b, material=dossier.ledger, name="b.pdf", data=PDF)
    first_other = Material.objects.get(criterion=other, name="分类方案")
    returned = services.submission_upload(actor=dossier.office, material=first_other, name="c.pdf", data=PDF)
    services.submission_transition(actor=dossier.office, submission=returned, action="return", reason="不全")
    again = services.submission_upload(actor=dossier.office, material=first_other, name="d.pdf", data=PDF)
    services.submission_transition(actor=dossier.office, submission=again, action="accept")

    figures = selectors.completeness(Material.objects.filter(campaign=dossier.campaign))
    assert figures["criteria"][dossier.criterion.pk] == selectors.Figure(2, 1)
    assert figures["criteria"][other.pk] == selectors.Figure(3, 1)
    assert figures["categories"][dossier.category.pk] == selectors.Figure(5, 2)
    assert figures["overall"] == selectors.Figure(5, 2)
    assert figures["overall"].percent == 40
    states = dict(selectors.materials_with_state(Material.objects.all()).values_list("name", "state"))
    assert states == {
        "保洁制度": "accepted",
        "保洁台账": "submitted",
        "分类方案": "accepted",
        "宣传记录": "missing",
        "考核记录": "missing",
    }


def test_deadline_is_the_dossier_milestone_else_the_first(dossier):
    from tests.factories import MilestoneFactory

    assert selectors.dossier_deadline(dossier.campaign) == dossier.mobilisation
    import datetime as dt

    milestone = MilestoneFactory(campaign=dossier.campaign, name="资料申报截止", due_on=dt.date(2026, 5, 20))
    assert selectors.dossier_deadline(dossier.campaign) == milestone
    assert selectors.days_left(milestone) == 8


def test_unit_people_see_only_their_materials(dossier, client):
    client.force_login(dossier.liaison_a)
    page = client.get(reverse("dossier:index"))
    assert page.status_code == 200
    assert "保洁制度" in page.content.decode() and "保洁台账" not in page.content.decode()
    assert client.get(reverse("dossier:material", args=[dossier.rules.uuid])).status_code == 200
    assert client.get(reverse("dossier:material", args=[dossier.ledger.uuid])).status_code == 404
    sub = services.submission_upload(actor=dossier.liaison_b, material=dossier.ledger, name="b.pdf", data=PDF)
    assert client.get(reverse("dossier:file", args=[sub.uuid])).status_code == 404
    assert client.post(reverse("dossier:review", args=[sub.uuid]), {"action": "accept"}).status_code == 404
    assert client.get(reverse("dossier:export")).status_code == 403

    client.force_login(dossier.outsider)
    assert client.get(reverse("dossier:index")).status_code == 404
    assert client.get(reverse("dossier:material", args=[dossier.rules.uuid])).status_code == 404
    assert client.get(reverse("dossier:export")).status_code == 404

    client.force_login(dossier.leader)
    page = client.get(reverse("dossier:index")).content.decode()
    assert "保洁制度" in page and "保洁台账" in page


def test_upload_and_review_through_the_screens(dossier, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(dossier.liaison_a)
    url = reverse("dossier:material", args=[dossier.rules.uuid])
    response = client.post(url, {"file": SimpleUploadedFile("制度.pdf", PDF), "note": "第一版"})
    assert response.status_code == 302
    sub = Submission.objects.get()
    assert client.get(reverse("dossier:file", args=[sub.uuid])).status_code == 200
    assert client.post(reverse("dossier:review", args=[sub.uuid]), {"action": "accept"}).status_code == 403
    client.force_login(dossier.liaison_b)
    assert client.post(url, {"file": SimpleUploadedFile("x.pdf", PDF)}).status_code == 404
    client.force_login(dossier.office)
    client.post(reverse("dossier:review", args=[sub.uuid]), {"action": "return", "reason": "", "version": 1})
    sub.refresh_from_db()
    assert sub.status == "submitted"
    client.post(reverse("dossier:review", args=[sub.uuid]), {"action": "accept", "version": 1})
    sub.refresh_from_db()
    assert sub.status == "accepted"
    page = client.get(reverse("dossier:index")).content.decode()
    assert "1 / 2" in page


def test_export_zip_has_accepted_files_in_the_tree_and_an_index(dossier, client, tmp_path):
    accepted = services.submission_upload(actor=dossier.liaison_a, material=dossier.rules, name="制度.pdf", data=PDF)
    services.submission_transition(actor=dossier.office, submission=accepted, action="accept")
    services.submission_upload(actor=dossier.liaison_b, material=dossier.ledger, name="台账.pdf", data=PDF)

    client.force_login(dossier.office)
    response = client.get(reverse("dossier:export"))
    job = GeneratedFile.objects.get()
    assert response.url == reverse("download", args=[job.uuid])
    run_pending()
    response = client.get(reverse("download_file", args=[job.uuid]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''" + quote("资料申报_2026.zip")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    path = "3 市容环境卫生/3.2 背街小巷保洁/保洁制度/制度.pdf"
    assert sorted(archive.namelist()) == sorted([path, "目录.xlsx", "目录.pdf"])
    assert archive.read(path) == PDF

    sheet = load_workbook(io.BytesIO(archive.read("目录.xlsx"))).active
    rows = list(sheet.iter_rows(values_only=True))
    # A title block, then the header, then the accepted files only, numbered.
    assert [row[0] for row in rows[:4]] == [
        "资料申报目录",
        "创卫工作：省级卫生城市届满复审",
        "申报地区：示范区",
        "编制日期：2026年5月12日　　共 1 份材料",
    ]
    assert rows[4] == ("序号", "指标编号", "指标", "资料名称", "责任单位", "文件", "SHA-256")
    assert rows[5] == (1, "3.2", "背街小巷保洁", "保洁制度", "东城街道", path, Attachment.hash_of(PDF))
    assert len(rows) == 6  # 保洁台账 is still under review: not in the examiners' 目录
    assert sheet.print_title_rows == "$5:$5" and sheet.freeze_panes == "A6"

    pdf = tmp_path / "index.pdf"
    pdf.write_bytes(archive.read("目录.pdf"))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True).stdout.decode()
    assert "资料申报目录" in text
    assert "保洁制度" in text
    assert "保洁台账" not in text


# ---- names an examiner's Windows PC unpacks -------------------------------------------------


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("CON.txt", "_CON.txt"),
        ("con", "_con"),
        ("Com1.tar.gz", "_Com1.tar.gz"),
        ("lpt9.PDF", "_lpt9.PDF"),
        ("nul .pdf", "_nul .pdf"),
        ("console.pdf", "console.pdf"),  # only the exact device names
        ("COM10.pdf", "COM10.pdf"),
        ('a<b>c:d"e/f\\g|h?i*j.pdf', "a_b_c_d_e_f_g_h_i_j.pdf"),
        ("制度\x07草稿.pdf", "制度_草稿.pdf"),
        ("制度. . .", "制度"),
        ("", "_"),
    ],
)
def test_names_are_made_safe_for_windows(name, safe):
    assert export._safe(name) == safe


def test_a_long_name_is_shortened_keeping_its_extension_and_every_path_fits_windows(dossier):
    long_name = "关于背街小巷保洁" * 37 + ".pdf"  # 300 characters
    assert len(long_name) == 300
    for name in (long_name, "CON.pdf"):
        submission = services.submission_upload(actor=dossier.liaison_a, material=dossier.rules, name=name, data=PDF)
        services.submission_transition(actor=dossier.office, submission=submission, action="accept")
    dossier.rules.name = "保洁制度" * 30  # a material with a long name: its folder is shortened too
    dossier.rules.save()
    buffer = io.BytesIO()
    export.build_zip(dossier.campaign, buffer)
    names = zipfile.ZipFile(buffer).namelist()
    shipped = [name for name in names if not name.startswith("目录")]
    assert len(shipped) == 2
    folder = "3 市容环境卫生/3.2 背街小巷保洁/" + ("保洁制度" * 10)
    assert f"{folder}/_CON.pdf" in shipped
    long_path = next(name for name in shipped if "关于" in name)
    assert long_path.endswith(".pdf") and "/关于背街小巷保洁关于" in long_path
    assert len(long_path.rsplit("/", 1)[1]) == export.NAME_MAX
    # Unpacked under a folder of 80 characters, every path is within Windows' 260.
    assert all(len(name) + 80 <= 260 for name in names)
    assert max(len(name) for name in names) <= export.PATH_MAX


def test_the_index_pdf_has_the_official_fonts_a_title_block_and_page_numbers(dossier, tmp_path):
    """Renders 目录.pdf to PNG (test-artifacts/dossier-index-*.png) to be looked at."""
    for index in range(40):
        submission = services.submission_upload(
            actor=dossier.liaison_a, material=dossier.rules, name=f"保洁制度第{index + 1}号.pdf", data=PDF
        )
        services.submission_transition(actor=dossier.office, submission=submission, action="accept")
    buffer = io.BytesIO()
    export.build_zip(dossier.campaign, buffer)
    pdf = tmp_path / "index.pdf"
    pdf.write_bytes(zipfile.ZipFile(buffer).read("目录.pdf"))
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, check=True, text=True).stdout
    assert "Serif" in fonts or "Fandol" in fonts
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, text=True).stdout
    pages = text.split("\f")
    assert len([page for page in pages if page.strip()]) >= 2
    # The header row is repeated on the second page, and each page has its number.
    assert "序号" in pages[1] and "资料名称" in pages[1]
    assert re.search(r"—\s*1\s*—", pages[0]) and re.search(r"—\s*2\s*—", pages[1])
    assert "申报地区：示范区" in pages[0]
    artifacts = Path("test-artifacts")
    artifacts.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(artifacts / "dossier-index")], check=True)
