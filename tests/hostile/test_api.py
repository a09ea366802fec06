"""The JSON API's writes: every field of POST /inspections, /problems and /sync/status made
hostile in turn (text, datetimes, numbers written as raw JSON, so that NaN and Infinity reach the
server as a phone's buggy JSON library would send them), bodies that are not what the schema
says, and the photo upload's form fields. Files through POST /photos are in test_uploads.py.

Every refusal must be JSON with a Chinese `detail` (the phone shows it), never a 500, which
would stop the phone's offline queue at that record on every sync."""

import datetime as dt
import json
import uuid

from conftest import TODAY
from core.models import Attachment
from inspections.tests.helpers import drawn_plan, submit
from tests.factories import jpeg_bytes
from tests.hostile.corpus import ACCEPT, DATETIME_CASES, EITHER, NUMBER_CASES, REFUSE, TEXT_CASES, TEXT_SUBSET, Case
from tests.hostile.harness import findings
from tests.hostile.posting import PoisonWatch

HOSTILE = "__HOSTILE__"

BODIES = [
    Case("not_json", "{'client_id': 1"),
    Case("json_array", "[]"),
    Case("empty_object", "{}"),
    Case("deep_nesting", "[" * 100_000 + "]" * 100_000),
    Case("nul_in_key", '{"\\u0000": 1}'),
    Case("huge_list", json.dumps({"inspections": ["x"] * 200_000})),
]


def _inspection(w, plan):
    return {
        "client_id": str(uuid.uuid4()),
        "plan": str(plan.uuid),
        "site": w.site.code,
        "started_at": (TODAY - dt.timedelta(minutes=15)).isoformat(),
        "submitted_at": TODAY.isoformat(),
        "latitude": 34.7571,
        "longitude": 113.6652,
        "accuracy_m": 12,
        "note": "",
        "results": [
            {"checkpoint": w.checkpoint.pk, "result": "fail", "note": "垃圾堆积"},
            {"checkpoint": w.checkpoint_2.pk, "result": "pass", "note": ""},
        ],
    }


def _set(payload: dict, path: str, value) -> dict:
    target = payload
    *parents, last = path.split(".")
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    target[int(last) if isinstance(target, list) else last] = value
    return payload


def _body(payload: dict, path: str, raw: str | None = None, value=None) -> str:
    """The payload as JSON with the field at `path` set to `value`, or to the raw JSON `raw`."""
    if raw is None:
        return json.dumps(_set(payload, path, value))
    return json.dumps(_set(payload, path, HOSTILE)).replace(f'"{HOSTILE}"', raw)


def _number_json(case: Case) -> str:
    return {"not_a_number": '"十"'}.get(case.name, case.value)


def test_the_api_writes_refuse_hostile_fields(hostile, probes):
    w = hostile
    probe = probes["inspector"]
    watch = PoisonWatch("api")
    plans = iter(lambda: drawn_plan(w, count=10), None)

    def inspection_payload():
        return _inspection(w, next(plans))

    def problem_payload():
        inspection = submit(w, next(plans))
        return {
            "client_id": str(uuid.uuid4()),
            "inspection": str(inspection.client_id),
            "checkpoint": w.checkpoint.pk,
            "description": "巷口垃圾堆积",
            "severity": "minor",
            "latitude": 34.7571,
            "longitude": 113.6652,
        }

    def sync_payload():
        return {"inspections": [], "problems": [], "photos": []}

    endpoints = [
        (
            "/api/v1/inspections",
            inspection_payload,
            {"note": TEXT_CASES, "results.0.note": TEXT_CASES, "site": TEXT_SUBSET},
            ("started_at", "submitted_at"),
            ("latitude", "longitude", "accuracy_m", "results.0.checkpoint"),
        ),
        (
            "/api/v1/problems",
            problem_payload,
            {"description": TEXT_CASES},
            (),
            ("latitude", "longitude", "checkpoint"),
        ),
        ("/api/v1/sync/status", sync_payload, {"inspections.0": TEXT_SUBSET}, (), ()),
    ]
    with findings() as found:
        for url, payload, texts, datetimes, numbers in endpoints:
            name = url.removeprefix("/api/v1/")

            def send(field, case, body, expect, name=name, url=url):
                answer = probe.send(
                    f"api.{name}.{field}", case, "post", url, data=body, content_type="application/json"
                )
                found.judge(answer, expect=expect, stored_ok=name != "sync/status")

            for field, cases in texts.items():
                for case in TEXT_CASES:
                    if cases is TEXT_SUBSET and case.name not in TEXT_SUBSET:
                        continue
                    p = payload()
                    if field == "inspections.0":
                        p["inspections"] = [""]
                    # The site is a code the server looks up: any refusal is right, in Chinese.
                    expect = case.expect if field not in ("site", "inspections.0") else EITHER
                    if field in ("inspections.0",) and case.name == "nul":
                        expect = EITHER
                    send(field, case.name, _body(p, field, value=case.value), expect)
            for field in datetimes:
                for case in DATETIME_CASES:
                    send(field, case.name, _body(payload(), field, value=case.value), REFUSE)
            for field in numbers:
                for case in NUMBER_CASES:
                    send(field, case.name, _body(payload(), field, raw=_number_json(case)), case.expect)
            for case in BODIES:
                send("body", case.name, case.value, REFUSE if name != "sync/status" else EITHER)
        _photo_fields(w, probe, found, next(plans))
        watch.report(found)


def _photo_fields(w, probe, found, plan):
    """POST /photos: its form fields hostile in turn, with a real picture."""
    inspection = submit(w, plan)
    data = jpeg_bytes(64, 48)

    def form(**changes):
        from django.core.files.uploadedfile import SimpleUploadedFile

        fields = {
            "client_id": str(uuid.uuid4()),
            "inspection": str(inspection.client_id),
            "sha256": Attachment.hash_of(data),
            "taken_at": TODAY.isoformat(),
            "latitude": "34.7571",
            "longitude": "113.6652",
            "file": SimpleUploadedFile("现场.jpg", data, content_type="image/jpeg"),
        }
        fields.update(changes)
        return fields

    for case in DATETIME_CASES:
        answer = probe.send("api.photos.taken_at", case.name, "post", "/api/v1/photos", data=form(taken_at=case.value))
        found.judge(answer, expect=REFUSE)
    for field in ("latitude", "longitude"):
        for case in NUMBER_CASES:
            answer = probe.send(
                f"api.photos.{field}", case.name, "post", "/api/v1/photos", data=form(**{field: case.value})
            )
            found.judge(answer, expect=case.expect)
    for case in TEXT_CASES:
        if case.name not in TEXT_SUBSET:
            continue
        answer = probe.send("api.photos.sha256", case.name, "post", "/api/v1/photos", data=form(sha256=case.value))
        found.judge(answer, expect=REFUSE)
    assert ACCEPT  # the photo itself is accepted in test_uploads.py
