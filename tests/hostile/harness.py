"""Sending one input through one surface and judging the answer.

A `Probe` wraps a signed-in test client. `probe.send(...)` makes the request with the client's
exceptions caught (a view that raises is a 500, as the server would answer with DEBUG off),
measures the request's memory, compares the database and the media folder before and after, and
returns an `Answer`. The tests then ask `findings.judge(answer, expect=...)`, which records every
broken rule as one line: "<surface> × <input>: <what is wrong>". A test asserts the list is
empty at its end, so one run names every failure of its surface.

Rules (issue 11):
- never 500 (nor an exception out of the view);
- a refusal (4xx, a form shown again with errors, a redirect with an error message) carries a
  Chinese message, and not Django's garbled 「不允许是用空字符串。」;
- a refusal stores nothing: the row count of every table and the files under MEDIA_ROOT are as
  they were (the security log, sessions, lockout counters and covert-read log may grow: they
  record the attempt, not the input);
- what is accepted is not poisoned: no stored text holds a control character, a bidi mark or a
  zero-width character, no stored date lies outside 2000–2100, no stored number is NaN or
  infinite, no stored file holds a script after its picture;
- the memory a request allocates stays under MEMORY_BOUND (tracemalloc: Python's allocations;
  Pillow's pixel buffers are C allocations it does not see, so the process's peak RSS is
  checked as well where Linux lets a process reset it).
"""

import contextlib
import datetime as dt
import json
import math
import re
import tracemalloc
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import models
from django.forms import BaseForm
from django.test import Client

from core.services import MAX_IMAGE_PIXELS
from tests.hostile.corpus import ACCEPT, EITHER, FORBIDDEN_CHARS, REFUSE

# Peak memory one request may allocate beyond what it was given (its body is already in memory in
# the test client: the bound is on the server's own work). 32 MB: an upload limit of 20 MB read in
# blocks, a workbook parsed within bounds, a 40-megapixel photo checked without decoding twice.
MEMORY_BOUND = 32 * 1024 * 1024
# A request that accepts a picture decodes it once to check it (truncated files fail only then),
# and makes its small copies from that decoding: at most 4 bytes a pixel (RGBA) of the largest
# picture accepted, on top of the bound above. A 40-megapixel photo: 160 MB, once per request.
PICTURE_BOUND = 4 * MAX_IMAGE_PIXELS
# The process's peak RSS also counts the allocator's arenas and the fragmentation a long run
# leaves (measured: 3 MB over the bound on the checklist's 36-megapixel photo late in a full run,
# under it when run alone). A second decoding of that photo would add ~108 MB, far above this.
RSS_SLACK = 16 * 1024 * 1024

CJK = re.compile(r"[\u4e00-\u9fff]")
GARBLED = ["不允许是用空字符串"]  # Django's zh-hans message for NUL in a form field

# Tables that record the attempt itself, not the input: they may grow on a refusal.
ATTEMPT_LOGS = {
    "core.securityevent",
    "core.chainhead",
    "inspections.covertreadlog",
    "sessions.session",
    "axes.accessattempt",
    "axes.accesslog",
    "axes.accessfailurelog",
    "otp_totp.totpdevice",
}
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2100, 12, 31)
SCRIPT_MARKERS = (b"<script", b"<html", b"onerror=")


# ---- what the server holds -----------------------------------------------------------------------


def _our_models():
    for model in apps.get_models():
        if model._meta.label_lower in ATTEMPT_LOGS or model._meta.proxy:
            continue
        yield model


def row_counts() -> dict[str, int]:
    return {model._meta.label_lower: model._default_manager.count() for model in _our_models()}


def media_files() -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    if not root.exists():
        return set()
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")}


@dataclass
class Snapshot:
    rows: dict[str, int]
    files: set[str]

    @classmethod
    def take(cls) -> "Snapshot":
        return cls(row_counts(), media_files())

    def changes_since(self, before: "Snapshot") -> list[str]:
        rows = [f"{k} {before.rows.get(k, 0)}→{v}" for k, v in self.rows.items() if v != before.rows.get(k, 0)]
        # Thumbnails are remade from stored files on first view: not something the input stored.
        files = sorted(f for f in self.files - before.files if not f.startswith("thumbs/"))
        return rows + ([f"{len(files)} new file(s) on disk"] if files else [])


def _bad_text(value: str) -> str | None:
    bad = sorted({c for c in value if c in FORBIDDEN_CHARS})
    return "".join(f"\\u{ord(c):04x}" for c in bad) or None


def _bad_json(value) -> str | None:
    if isinstance(value, str):
        return _bad_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, dict):
        return next(filter(None, (_bad_json(k) or _bad_json(v) for k, v in value.items())), None)
    if isinstance(value, list):
        return next(filter(None, map(_bad_json, value)), None)
    return None


def poisoned(*, since: dict[str, int] | None = None) -> list[str]:
    """Every stored value that later work could trip on, as "model.field #pk: what". With `since`
    (an earlier row_counts()), only the rows of tables that grew (their last rows) are read."""
    found = []
    for model in apps.get_models():
        label = model._meta.label_lower
        if model._meta.proxy or label in {"sessions.session"}:
            continue
        qs = model._default_manager.all()
        if since is not None:
            grown = model._default_manager.count() - since.get(label, 0)
            if label not in since or grown <= 0:
                continue
            qs = qs.order_by("-pk")[:grown]
        checks = [f for f in model._meta.concrete_fields if not f.is_relation]
        try:
            rows = list(qs.values_list("pk", *[f.attname for f in checks]))
        except (ValueError, OverflowError) as error:  # a stored date the database cannot give back
            found.append(f"{label}: rows cannot be read back ({type(error).__name__}: {error})")
            continue
        for pk, *values in rows:
            for f, value in zip(checks, values, strict=True):
                problem = _bad_value(f, value)
                if problem:
                    found.append(f"{label}.{f.name} #{pk}: {problem}")
    return found


def _bad_value(f, value) -> str | None:
    if value is None:
        return None
    if isinstance(f, models.JSONField):
        return _bad_json(value)
    if isinstance(value, str):
        return _bad_text(value)
    if isinstance(value, dt.datetime):
        return None if EARLIEST <= value.date() <= LATEST else f"date {value.isoformat()}"
    if isinstance(value, dt.date):
        return None if EARLIEST <= value <= LATEST else f"date {value.isoformat()}"
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, Decimal) and not value.is_finite():
        return repr(value)
    return None


def scripts_in_new_files(before: set[str]) -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    found = []
    for name in sorted(media_files() - before):
        data = (root / name).read_bytes()
        if any(marker in data.lower() for marker in SCRIPT_MARKERS):
            found.append(name)
    return found


# ---- memory -------------------------------------------------------------------------------------


def _rss_peak() -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _reset_rss_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


@dataclass
class Memory:
    python: int = 0  # tracemalloc's peak over the request, beyond what was allocated before it
    rss: int | None = None  # the process's peak RSS over the request, beyond its RSS before it


class MeasuredHandler:
    """Wraps the test client's handler: memory is measured from the moment the request (its body
    already built by the client) reaches Django until the response is complete."""

    def __init__(self, handler, memory: Memory):
        self.handler, self.memory = handler, memory

    def __getattr__(self, name):
        return getattr(self.handler, name)

    def __call__(self, environ):
        started = tracemalloc.is_tracing()
        if not started:
            tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        rss_base = _rss_peak() if _reset_rss_peak() else None
        try:
            response = self.handler(environ)
            if getattr(response, "streaming", False):  # exports are written while streamed
                content = b"".join(response.streaming_content)
                response.streaming_content = [content]
            return response
        finally:
            self.memory.python = tracemalloc.get_traced_memory()[1] - base
            if rss_base is not None:
                self.memory.rss = (_rss_peak() or 0) - rss_base
            if not started:
                tracemalloc.stop()


# ---- one request --------------------------------------------------------------------------------


@dataclass
class Answer:
    surface: str
    case: str
    status: int
    error: str | None  # the exception a view raised, if any
    messages: list[str]
    changes: list[str]
    poison: list[str]
    scripts: list[str]
    memory: Memory
    response: object = None

    @property
    def refused(self) -> bool:
        if self.status >= 400:
            return True
        if self.status in (301, 302, 303):
            return bool(self.messages) and not self.changes
        return bool(self.messages)  # 200 with a form's errors

    @property
    def label(self) -> str:
        return f"{self.surface} × {self.case}"


def form_errors(context) -> list[str]:
    found = []
    contexts = context if isinstance(context, list) else [context] if context is not None else []
    values = [v for c in contexts if hasattr(c, "flatten") for v in c.flatten().values()]
    for value in values:
        candidates = value if isinstance(value, list | tuple) else [value]
        for candidate in candidates:
            if isinstance(candidate, tuple):
                candidate = candidate[-1]
            if isinstance(candidate, BaseForm) and candidate.is_bound and candidate.errors:
                for errors in candidate.errors.values():
                    found.extend(str(e) for e in errors if str(e) not in found)
    return found


def answer_messages(response) -> tuple[list[str], list[str]]:
    """(errors, successes): what the answer tells the person."""
    errors, successes = [], []
    content_type = response.get("Content-Type", "")
    if "json" in content_type and not getattr(response, "streaming", False):
        try:
            body = json.loads(response.content)
        except ValueError:
            body = {}
        if response.status_code >= 400:
            detail = body.get("detail") if isinstance(body, dict) else None
            errors.append(detail if isinstance(detail, str) else json.dumps(detail, ensure_ascii=False))
        return errors, successes
    errors.extend(form_errors(getattr(response, "context", None)))
    request = getattr(response, "wsgi_request", None)
    # Only this request's messages: earlier ones wait in the cookie until a page shows them.
    for message in getattr(getattr(request, "_messages", None), "_queued_messages", []):
        (errors if message.level_tag == "error" else successes).append(str(message))
    if response.status_code >= 400 and not errors and "html" in content_type:
        errors.append(_page_text(response.content.decode("utf-8", "replace")))
    if response.status_code >= 400 and not errors:
        body = b"" if getattr(response, "streaming", False) else response.content
        errors.append(body.decode("utf-8", "replace")[:200])
    return errors, successes


def _page_text(html: str) -> str:
    """The page's own words: the main block if the layout has one, without tags."""
    main = re.search(r"<main\b.*?</main>", html, re.S)
    text = re.sub(r"<[^>]+>", " ", main.group(0) if main else html)
    return " ".join(text.split())[:300]


class Probe:
    def __init__(self, user=None):
        self.client = Client(raise_request_exception=True)
        if user is not None:
            self.client.force_login(user)
        self.memory = Memory()
        self.client.handler = MeasuredHandler(self.client.handler, self.memory)

    def send(self, surface: str, case: str, method: str, url: str, *, measure_poison: bool = True, **kwargs) -> Answer:
        before_rows, before_files = row_counts(), media_files()
        error, response = None, None
        try:
            response = getattr(self.client, method)(url, **kwargs)
            status = response.status_code
        except Exception as exc:  # a view that raises answers 500 in production
            error = f"{type(exc).__name__}: {str(exc)[:160]}"
            status = 500
        after = Snapshot.take()
        changes = after.changes_since(Snapshot(before_rows, before_files))
        errors, successes = answer_messages(response) if response is not None else ([], [])
        poison = poisoned(since=before_rows) if measure_poison and changes else []
        scripts = scripts_in_new_files(before_files) if changes else []
        return Answer(
            surface=surface,
            case=case,
            status=status,
            error=error,
            messages=errors,
            changes=changes,
            poison=poison,
            scripts=scripts,
            memory=Memory(self.memory.python, self.memory.rss),
            response=response,
        )


# ---- judging ------------------------------------------------------------------------------------


@dataclass
class Findings:
    lines: list[str] = field(default_factory=list)
    poison_seen: set = field(default_factory=set)

    def add(self, answer_or_label, problem: str) -> None:
        label = answer_or_label.label if isinstance(answer_or_label, Answer) else answer_or_label
        self.lines.append(f"{label}: {problem}")

    def judge(self, answer: Answer, *, expect: str, stored_ok: bool = True, picture: bool = False) -> None:
        """The rules above. `expect` is the case's (corpus.REFUSE/ACCEPT/EITHER); `stored_ok`
        False for surfaces that must never store anything (sign-in, filters, reads); `picture`
        for a request carrying a picture (PICTURE_BOUND more memory)."""
        if answer.status >= 500:
            self.add(answer, f"{answer.status} {answer.error or ''}".strip())
            return
        refused = answer.refused
        if refused:
            if not answer.messages:
                self.add(answer, f"refused ({answer.status}) with no message")
            else:
                text = " | ".join(answer.messages)
                if not CJK.search(text) or any(g in text for g in GARBLED):
                    self.add(answer, f"refused ({answer.status}) without a proper Chinese message: {text[:120]!r}")
            if answer.changes:
                self.add(answer, f"refused ({answer.status}) but stored: {', '.join(answer.changes)}")
        else:
            if expect == REFUSE:
                self.add(answer, f"accepted ({answer.status}), should be refused")
            if answer.changes and not stored_ok:
                self.add(answer, f"stored: {', '.join(answer.changes)}")
        if expect == ACCEPT and refused and stored_ok:
            self.add(answer, f"refused ({answer.status}), should be accepted: {' | '.join(answer.messages)[:120]!r}")
        for line in answer.poison:
            # "model.field #pk: chars": the same poison again in a later row (a ledger event's
            # "before", which copies the value it replaces) is the earlier finding, not a new one.
            key = (line.split(" #")[0], line.rsplit(": ", 1)[-1])
            if key not in self.poison_seen:
                self.poison_seen.add(key)
                self.add(answer, f"stored poisoned: {line}")
        for name in answer.scripts:
            self.add(answer, f"stored a file holding markup: {name}")
        bound = MEMORY_BOUND + (PICTURE_BOUND if picture else 0)
        if answer.memory.python > bound:
            self.add(answer, f"allocated {answer.memory.python / 2**20:.0f} MB (bound {bound // 2**20} MB)")
        elif answer.memory.rss and answer.memory.rss > bound + RSS_SLACK:
            self.add(
                answer,
                f"peak RSS grew {answer.memory.rss / 2**20:.0f} MB (bound {(bound + RSS_SLACK) // 2**20} MB)",
            )

    def check(self) -> None:
        assert self.lines == [], f"{len(self.lines)} failure(s):\n" + "\n".join(self.lines)


@contextlib.contextmanager
def findings():
    found = Findings()
    yield found
    found.check()


__all__ = ["ACCEPT", "EITHER", "REFUSE", "Answer", "Findings", "Probe", "findings", "poisoned"]
