"""What the screens accept today, then ordinary work over it: a representative set of hostile
inputs is sent through the screens (poisoned text on a problem's steps, a task, an
accountability record; a PDF and a picture with HTML after it as rectification evidence; a
checklist started before 2000), then the office publishes a bulletin over the period and every
page of tests/test_query_counts.py's table is opened by its personas, with the bulletin's own
page and files and the exports: no 500, no raw markup, no live formula in an export."""

import datetime as dt
import io

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from bulletins.models import Bulletin
from conftest import TODAY
from tests.hostile.corpus import FORMULA, MARKUP, PDF, TEXT_CASES, file_cases
from tests.hostile.harness import findings
from tests.hostile.posting import post_form
from tests.hostile.surfaces import FORMS, draft, path_objects
from tests.test_query_counts import ENDPOINTS

SURFACES = {s.name: s for s in FORMS}
ACCEPTED_TEXT = [c for c in TEXT_CASES if c.name not in ("nul", "oversized_3MB", "long_10k")]


def test_a_bulletin_over_what_was_stored_publishes_and_every_page_opens(hostile, probes):
    w = hostile
    ignore = type("Ignore", (), {"judge": lambda *a, **k: None, "add": lambda *a, **k: None})()
    for case in ACCEPTED_TEXT:
        for name, field in (("problem_submit", "note"), ("task_create", "title"), ("accountability", "reason")):
            post_form(probes, w, SURFACES[name], field, case.value, case=case.name, expect="either", found=ignore)
    jpeg_html = next(c for c in file_cases() if c.name == "html_after_jpeg").value
    for name, data in (("说明.pdf", PDF), jpeg_html):
        upload = SimpleUploadedFile(name, data, content_type="application/octet-stream")
        post_form(probes, w, SURFACES["problem_submit"], "files", upload, case=name, expect="either", found=ignore)
    post_form(
        probes,
        w,
        SURFACES["checklist"],
        "started_at",
        "1999-12-31T10:00:00+08:00",
        case="old",
        expect="either",
        found=ignore,
    )
    objects = path_objects(w)
    bulletin = draft(w)
    with findings() as found:
        office = probes["office"]
        answer = office.send(
            "bulletins:publish",
            "over hostile data",
            "post",
            reverse("bulletins:publish", args=[bulletin.uuid]),
            data={"version": str(bulletin.version), "confirm": "on"},
        )
        if answer.status >= 500:
            found.add(answer, f"{answer.status} {answer.error}")
        bulletin.refresh_from_db()
        if bulletin.status != Bulletin.Status.PUBLISHED:
            found.add("bulletins:publish × over hostile data", f"not published: {answer.messages}")
        d = type("D", (), {})()
        d.world, d.problem = w, None
        d.problem = next(iter(w.unit_a.problems.all()))
        d.task = w.campaign.tasks.first() if hasattr(w.campaign, "tasks") else None
        kwargs = {route: kw for route, (kw, _persona) in objects.items()}
        personas = {"office": "office", "liaison": "liaison_a", "inspector": "inspector", "auditor": "auditor"}
        pages = []
        for endpoint in ENDPOINTS:
            route = endpoint.route
            if route in kwargs:
                url = (
                    endpoint.route.removeprefix("GET ").format(**kwargs[route])
                    if route.startswith("GET ")
                    else reverse(route, kwargs=kwargs[route])
                )
            elif route.startswith("GET "):
                url = route.removeprefix("GET ")
                if "{" in url:
                    continue
            else:
                try:
                    url = reverse(route)
                except Exception:
                    url = reverse(route, kwargs={"unit_code": w.unit_a.code})
            pages.extend((url, personas[p]) for p in endpoint.who)
        pages += [(reverse("bulletins:detail", args=[bulletin.uuid]), "office")]
        pages += [(reverse("bulletins:file", args=[bulletin.uuid, kind]), "office") for kind in ("docx", "pdf")]
        for url, persona in sorted(set(pages)):
            answer = probes[persona].send(f"GET {url}", persona, "get", url)
            if answer.status >= 500:
                found.add(answer, f"{answer.status} {answer.error}")
                continue
            response = answer.response
            content_type = response.get("Content-Type", "")
            body = b"".join(response.streaming_content) if response.streaming else response.content
            if "html" in content_type and MARKUP.encode() in body:
                found.add(answer, "raw markup in the page")
            if "spreadsheet" in content_type:
                for sheet in openpyxl.load_workbook(io.BytesIO(body)).worksheets:
                    for row in sheet.iter_rows():
                        for cell in row:
                            if cell.data_type == "f":
                                found.add(answer, f"live formula in cell {cell.coordinate}: {str(cell.value)[:60]}")
    assert FORMULA and dt and TODAY
