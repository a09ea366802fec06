"""Hostile path segments in every URL with a path parameter, and hostile values in every filter.

Paths: each parameter of each pattern (surfaces.path_objects) replaced in turn by every case of
corpus.PATH_CASES, GET and POST, as a persona who may see the object: never 500, never a change.
(That a 404 or 400 page speaks Chinese is one rule for the whole site: test_error_pages.)

Filters: each filter form's routes with a valid filter that narrows the rows plus one hostile
value in another field: no 500, and the valid filter still applies (the rows are those of the
valid filter alone); on the HTML lists the bad value is reported in Chinese."""

import io
from urllib.parse import urlencode

import openpyxl
import pytest
from django.urls import reverse

from tests.hostile.corpus import DATE_CASES, PATH_CASES, TEXT_CASES, TEXT_SUBSET
from tests.hostile.harness import CJK, findings
from tests.hostile.surfaces import FILTERS, path_objects

API_ROUTE = "GET "


def _url(route, kwargs):
    if route.startswith(API_ROUTE):
        return route.removeprefix(API_ROUTE).format(**kwargs)
    return reverse(route, kwargs=kwargs)


def test_hostile_path_segments_never_break_a_page(hostile, probes):
    objects = path_objects(hostile)
    with findings() as found:
        for route, (kwargs, persona) in sorted(objects.items()):
            url = _url(route, kwargs)
            for parameter, value in kwargs.items():
                value = str(value)
                head, _sep, tail = url.rpartition(value) if parameter == "kind" else url.partition(value)
                if not _sep:
                    found.add(f"{route}.{parameter}", f"value {value!r} not in {url}")
                    continue
                for case in PATH_CASES:
                    segment = case.value.format(value=value)
                    hostile_url = (head + segment + tail) if parameter != "kind" else head + segment + tail
                    for method in ("get", "post"):
                        answer = probes[persona].send(
                            f"{method.upper()} {route}.{parameter}", case.name, method, hostile_url
                        )
                        if answer.status >= 500:
                            found.add(answer, f"{answer.status} {answer.error or ''}")
                        elif answer.changes:
                            found.add(answer, f"stored: {', '.join(answer.changes)}")


def _rows(response) -> int | None:
    content_type = response.get("Content-Type", "")
    if "spreadsheet" in content_type:
        content = b"".join(response.streaming_content) if response.streaming else response.content
        sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
        return sum(1 for row in sheet.iter_rows(min_row=2, values_only=True) if any(v is not None for v in row))
    if "json" in content_type:
        return len(response.json().get("features", []))
    context = response.context
    if context is not None and "page" in context:
        return context["page"].paginator.count
    return None


@pytest.mark.parametrize("surface", FILTERS, ids=lambda s: s.name)
def test_one_hostile_filter_value_is_reported_and_the_others_still_apply(hostile, probes, surface):
    from tests.hostile.surfaces import assigned_problem, submitted_problem

    for _ in range(2):
        assigned_problem(hostile)
    submitted_problem(hostile)
    probe = probes[surface.persona]
    values = {f: [(c.name, c.value) for c in TEXT_CASES if c.name in TEXT_SUBSET] for f in surface.text}
    values |= {f: [(c.name, c.value) for c in DATE_CASES] for f in surface.dates}
    values |= {f: [("nul", "\x00"), ("unknown", "999999"), ("markup", "<script>")] for f in surface.choices}
    with findings() as found:
        for route in surface.routes:
            url = reverse(route)
            baseline = probe.client.get(url, surface.valid)
            expected = _rows(baseline)
            for field, cases in values.items():
                for name, value in cases:
                    query = urlencode({**surface.valid, field: value})
                    answer = probe.send(f"{route}?{field}", name, "get", f"{url}?{query}")
                    if answer.status >= 500:
                        found.add(answer, f"{answer.status} {answer.error or ''}")
                        continue
                    if answer.changes:
                        found.add(answer, f"stored: {', '.join(answer.changes)}")
                    rows = _rows(answer.response) if answer.status == 200 else None
                    # A value the form refuses (or a date out of the sane range) must leave the
                    # valid filter applying alone; a valid search simply narrows the rows.
                    invalid = field not in surface.valid and (
                        field in surface.dates or _is_invalid(surface, field, value)
                    )
                    if invalid and field != "page" and expected is not None and rows is not None and rows != expected:
                        found.add(answer, f"{rows} rows, the valid filter alone gives {expected}")
                    html = "html" in answer.response.get("Content-Type", "")
                    if html and answer.status == 200 and field != "page" and name not in ("markup",):
                        errors = answer.messages
                        if not errors and _is_invalid(surface, field, value):
                            found.add(answer, "invalid value not reported")
                        elif errors and not CJK.search(" ".join(errors)):
                            found.add(answer, f"reported without Chinese: {errors}")


def _is_invalid(surface, field, value) -> bool:
    form = surface.form.base_fields.get(field)
    if form is None:
        return False
    try:
        form.clean(value)
    except Exception:
        return True
    return False
