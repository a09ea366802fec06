"""Every hostile file through every upload field of the screens and the API's photo upload.

A photo field (corpus: PHOTO) takes only pictures; a document field (DOCUMENT) takes pictures
and documents (pdf, docx, xlsx). Every case goes through every field, with the memory of each
request measured (harness.MEMORY_BOUND). The 36-megapixel picture (a few hundred KB that decode
to about 108 MB) goes through the photo fields only."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import Attachment
from inspections.tests.helpers import drawn_plan, submit
from tests.hostile.corpus import ACCEPT, DENSE, REFUSE, Case, file_cases, png_dense
from tests.hostile.harness import findings
from tests.hostile.posting import post_form
from tests.hostile.surfaces import FORMS, PHOTO

UPLOAD_SURFACES = [s for s in FORMS if s.files and "workbook" not in s.files.values()]


def expectation(case: Case, kind: str) -> str:
    if case.document and not case.image:
        return ACCEPT if kind != PHOTO else REFUSE
    return case.expect


def _file(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


@pytest.mark.parametrize("surface", UPLOAD_SURFACES, ids=lambda s: s.name)
def test_hostile_files_are_refused_and_leave_nothing(hostile, probes, surface):
    cases = file_cases()
    if PHOTO in surface.files.values():
        cases.append(Case(DENSE.name, ("现场.png", png_dense()), expect=ACCEPT, image=True))
    with findings() as found:
        for field, kind in surface.files.items():
            for case in cases:
                name, data = case.value
                post_form(
                    probes,
                    hostile,
                    surface,
                    field,
                    _file(name, data),
                    case=case.name,
                    expect=expectation(case, kind),
                    found=found,
                    picture=case.image,
                )


def test_hostile_files_through_the_api_photo_upload(hostile, probes):
    """POST /api/v1/photos (multipart, with the SHA-256 the phone computed)."""
    w = hostile
    plan = drawn_plan(w, count=10)
    inspection = submit(w, plan)
    cases = [*file_cases(), Case(DENSE.name, ("现场.png", png_dense()), expect=ACCEPT, image=True)]
    with findings() as found:
        for case in cases:
            name, data = case.value
            answer = probes["inspector"].send(
                "api.photos.file",
                case.name,
                "post",
                "/api/v1/photos",
                data={
                    "client_id": str(uuid.uuid4()),
                    "inspection": str(inspection.client_id),
                    "sha256": Attachment.hash_of(data),
                    "file": _file(name, data),
                },
            )
            found.judge(answer, expect=expectation(case, PHOTO), picture=case.image)
