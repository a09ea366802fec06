"""Pages and exports never fail on stored data: a photo row whose file is a document, a damaged
image, a pixel bomb or a lost file; a zip bomb accepted into the dossier by an older version is
never shipped to the examiners. Rows are written directly (tests/stored.py)."""

import pytest
from django.urls import reverse

from dossier import export, services
from dossier.models import Material, Submission
from problems import services as problem_services
from problems.tests.helpers import recorded_problem
from tests.factories import jpeg_bytes, pdf_bytes
from tests.stored import stored_directly, zip_bomb

PIXEL_BOMB = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\xc3P\x00\x00\xc3P\x08\x02\x00\x00\x00"


@pytest.mark.parametrize(
    ("data", "content_type", "lose_file", "status"),
    [
        (pdf_bytes(), "image/jpeg", False, 200),
        (jpeg_bytes()[:60], "image/jpeg", False, 200),
        (PIXEL_BOMB, "image/png", False, 200),
        (jpeg_bytes(), "image/jpeg", True, 404),
    ],
    ids=["pdf-as-jpeg", "truncated", "pixel-bomb", "missing"],
)
def test_a_problem_page_and_its_thumbnails_survive_any_stored_photo(
    client, world, data, content_type, lose_file, status
):
    problem = recorded_problem(world)
    bad = stored_directly("现场.jpg", data, content_type, lose_file=lose_file)
    problem.photos.add(bad)
    client.force_login(world.office)

    assert client.get(reverse("problems:detail", args=[problem.uuid])).status_code == 200
    thumbnail = client.get(reverse("attachment", args=[bad.uuid]) + "?thumb=1")
    assert thumbnail.status_code == status
    if status == 200:  # no thumbnail can be made: the file as it is, under its recorded type, never sniffed
        assert thumbnail["Content-Type"] == content_type
        assert thumbnail["X-Content-Type-Options"] == "nosniff"


def test_a_document_among_the_photos_is_a_link_not_a_thumbnail(client, world):
    problem = recorded_problem(world)
    document = stored_directly("整改报告.pdf", pdf_bytes(), "application/pdf")
    problem.photos.add(document)
    client.force_login(world.office)
    page = client.get(reverse("problems:detail", args=[problem.uuid])).content.decode()
    assert f'<a href="/files/{document.uuid}">整改报告.pdf</a>' in page
    assert f"/files/{document.uuid}?thumb=1" not in page


@pytest.fixture
def accepted(world):
    """Three accepted files of one material: a good PDF, a zip bomb named .xlsx stored by an older
    version, and a file lost from disk."""
    world.criterion.required_materials = ["保洁台账"]
    world.criterion.save()
    services.dossier_prepare(actor=world.office, campaign=world.campaign)
    material = Material.objects.get()
    services.material_assign(actor=world.office, material=material, unit=world.unit_a)
    good = services.submission_upload(actor=world.liaison_a, material=material, name="台账.pdf", data=pdf_bytes())
    services.submission_transition(actor=world.office, submission=good, action="accept")
    for attachment in (
        stored_directly("台账.xlsx", zip_bomb(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        stored_directly("照片.jpg", jpeg_bytes(), "image/jpeg", lose_file=True),
    ):
        Submission.objects.create(
            material=material,
            unit=world.unit_a,
            attachment=attachment,
            submitted_by=world.liaison_a,
            submitted_at=attachment.uploaded_at,
            status=Submission.Status.ACCEPTED,
        )
    return world


def test_the_dossier_export_never_ships_a_zip_bomb_or_a_lost_file(accepted):
    rows = export.index_rows(accepted.campaign)
    shipped = [row[4] for row in rows if row[-1] is not None]
    assert [name.rsplit("/", 1)[-1] for name in shipped] == ["台账.pdf"]
    assert [row[5] for row in rows] == ["已通过", export.NOT_SHIPPED, export.NOT_SHIPPED]


def test_a_zip_bomb_is_refused_as_rectification_document(world):
    from core.errors import InvalidInput
    from problems.tests.helpers import assigned_problem

    problem = assigned_problem(world)
    with pytest.raises(InvalidInput) as refused:
        problem_services.problem_submit_evidence(
            actor=world.liaison_a, problem=problem, note="已整改", documents=[("台账.xlsx", zip_bomb())]
        )
    assert refused.value.message == "文件「台账.xlsx」解压后过大或结构异常，无法接收"
