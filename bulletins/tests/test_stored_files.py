"""Whatever is stored, a bulletin previews and publishes: a document among a problem's photos or
rectification files, a damaged image, a file lost from disk. Rows are written directly, as older
versions could have stored them."""

import datetime as dt
import io

import pytest
from docx import Document

from bulletins import services
from bulletins.render import render_docx
from problems import services as problem_services
from problems.models import Problem
from problems.tests.helpers import DEADLINE
from tests.factories import jpeg_bytes, pdf_bytes
from tests.stored import stored_directly

START, END = dt.date(2026, 5, 1), dt.date(2026, 5, 31)


@pytest.fixture
def problem(world, frozen_today):
    """A serious problem with a photo, whose rectification came with a photo and a document."""
    problem = problem_services.problem_record(
        actor=world.inspector,
        campaign=world.campaign,
        site=world.site,
        criterion=world.checkpoint,
        description="巷内垃圾桶满溢",
        severity=Problem.Severity.SERIOUS,
        photos=[("before.jpg", jpeg_bytes())],
    )
    problem = problem_services.problem_assign(actor=world.office, problem=problem, unit=world.unit_a, deadline=DEADLINE)
    return problem_services.problem_submit_evidence(
        actor=world.liaison_a,
        problem=problem,
        note="已清运",
        files=[("after.jpg", jpeg_bytes(color=(10, 200, 10)))],
        documents=[("整改报告.pdf", pdf_bytes())],
    )


def draft(world):
    return services.bulletin_create(actor=world.office, campaign=world.campaign, period_start=START, period_end=END)


def test_a_rectification_document_is_left_out_of_the_photos(world, problem):
    content = services.bulletin_content_now(draft(world))
    after = problem.events.get(action="submit").attachments.get(content_type="image/jpeg")
    assert content["typical"][0]["after"] == [str(after.uuid)]
    assert len(Document(io.BytesIO(render_docx(content))).inline_shapes) == 2


def test_a_document_stored_as_a_photo_by_an_older_version_is_left_out(world, problem):
    problem.photos.set([stored_directly("整改报告.pdf", pdf_bytes(), "application/pdf")])
    content = services.bulletin_content_now(draft(world))
    assert content["typical"] == []  # no photo left: not a typical problem with pictures


@pytest.mark.parametrize(
    ("data", "content_type", "lose_file"),
    [
        (pdf_bytes(), "image/jpeg", False),  # a PDF labelled a photo
        (jpeg_bytes()[:60], "image/jpeg", False),  # cut off
        (jpeg_bytes(), "image/jpeg", True),  # the row without its file
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\xc3P\x00\x00\xc3P\x08\x02\x00\x00\x00", "image/png", False),
    ],
    ids=["pdf-as-jpeg", "truncated", "missing", "pixel-bomb"],
)
def test_the_word_file_is_made_whatever_a_photo_turns_out_to_be(world, problem, data, content_type, lose_file):
    content = services.bulletin_content_now(draft(world))
    bad = stored_directly("before.jpg", data, content_type, lose_file=lose_file)
    content["typical"][0]["before"] = [str(bad.uuid)]
    document = Document(io.BytesIO(render_docx(content)))
    assert len(document.inline_shapes) == 1  # the good "after" photo
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert "（照片缺失）" in cells
