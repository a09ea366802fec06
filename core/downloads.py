"""Documents made by the worker for one person: large Excel exports, the dossier ZIP.

A request asks (`generated_file_request`): one `GeneratedFile` row and its task, in the same
transaction. The worker builds it (`generated_file_build`):
1. claims the row (pending -> running, its attempt number bumped), committed at once so that the
   page shows it;
2. calls the row's `builder` (a dotted path: core imports no domain app) with the requester, the
   parameters, a temporary file to write into and a `progress(done, total)` callback, in the
   requester's language; the callback writes the percentage and a heartbeat now and then;
3. stores the file under MEDIA_ROOT/downloads/ and marks the row ready with its expiry, or
   failed with a message in Chinese; a run that no longer owns the row (the sweep marked it
   failed meanwhile) drops its result.
`downloads_prune`, on the schedule, removes expired files and rows and marks failed a run whose
heartbeat stopped (a killed worker) so that the page offers to make it again.

Who may fetch a file is `access.generated_files_visible_to` (its requester, nobody else)."""

import datetime as dt
import hashlib
import json
import logging
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext
from django_tasks import task

from core import clock
from core.errors import DomainError
from core.files import atomic_with_files, remember_stored
from core.models import GeneratedFile

logger = logging.getLogger(__name__)

State = GeneratedFile.State
# Progress is written at most this often (seconds): a 100,000-row export must not write 100,000 times.
PROGRESS_EVERY = 1.0


def _key(builder: str, parameters: dict) -> str:
    canon = json.dumps([builder, parameters], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canon.encode()).hexdigest()


def generated_file_request(*, actor, title: str, filename: str, builder: str, parameters: dict) -> GeneratedFile:
    """Ask the worker for a document; returns its row. The same request again (same person,
    builder and parameters) while one is queued or being made returns that one, so a double
    click or a reload makes one file, not two."""
    parameters = {**parameters, "language": translation.get_language() or settings.LANGUAGE_CODE}
    key = _key(builder, parameters)
    with transaction.atomic():
        under_way = GeneratedFile.objects.filter(
            requested_by=actor, key=key, state__in=[State.PENDING, State.RUNNING]
        ).first()
        if under_way is not None:
            return under_way
        job = GeneratedFile.objects.create(
            requested_by=actor,
            title=title,
            filename=filename,
            builder=builder,
            parameters=parameters,
            key=key,
            created_at=clock.now(),
        )
        # In the transaction of the request: the task exists exactly when its row does.
        generated_file_build.enqueue(job.pk)
    return job


def generated_file_again(*, actor, job: GeneratedFile) -> GeneratedFile:
    """Make a failed or expired document again, with the same parameters (its requester only:
    the caller found `job` through access.generated_files_visible_to)."""
    if job.requested_by_id != actor.pk:
        raise DomainError(gettext("只能重新生成自己申请的文件"))
    parameters = {k: v for k, v in job.parameters.items() if k != "language"}
    return generated_file_request(
        actor=actor, title=job.title, filename=job.filename, builder=job.builder, parameters=parameters
    )


class _Progress:
    """The builder's `progress(done, total)`: the percentage and a heartbeat, written at most once
    a second, and only while this run still owns the row."""

    def __init__(self, job: GeneratedFile):
        self.job = job
        self.written_at = 0.0

    def __call__(self, done: int, total: int | None) -> None:
        now = clock.now()
        if now.timestamp() - self.written_at < PROGRESS_EVERY:
            return
        self.written_at = now.timestamp()
        percent = min(99, int(done * 100 / total)) if total else 0
        GeneratedFile.objects.filter(pk=self.job.pk, attempt=self.job.attempt, state=State.RUNNING).update(
            progress=percent, heartbeat_at=now
        )


def counted(rows: Iterable, *, total: int | None, progress: Callable[[int, int | None], None]) -> Iterator:
    """Pass `rows` through, telling `progress` how many went by (every 500)."""
    done = 0
    for row in rows:
        yield row
        done += 1
        if done % 500 == 0:
            progress(done, total)
    progress(done, total)


def _claim(job_id: int) -> GeneratedFile | None:
    with transaction.atomic():
        job = GeneratedFile.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state != State.PENDING:
            return None  # made already, or given up: a task run twice does nothing the second time
        now = clock.now()
        job.state, job.attempt, job.progress = State.RUNNING, job.attempt + 1, 0
        job.started_at = job.heartbeat_at = now
        job.save(update_fields=["state", "attempt", "started_at", "heartbeat_at", "progress"])
    return job


def _finish(job: GeneratedFile, **fields) -> bool:
    """Write the outcome if this run still owns the row; False when it does not."""
    with transaction.atomic():
        current = GeneratedFile.objects.select_for_update().get(pk=job.pk)
        if current.state != State.RUNNING or current.attempt != job.attempt:
            return False
        for name, value in fields.items():
            setattr(current, name, value)
        current.finished_at = clock.now()
        current.save(update_fields=[*fields, "finished_at"])
    return True


class _Disowned(Exception):
    """This run was given up (its heartbeat stopped too long): its result is not wanted."""


@task()
def generated_file_build(job_id: int) -> dict:
    """The worker's side: build one requested document (the steps are in the module's docstring)."""
    job = _claim(job_id)
    if job is None:
        return {"skipped": True}
    language = job.parameters.get("language") or settings.LANGUAGE_CODE
    try:
        builder = import_string(job.builder)
        with translation.override(language), tempfile.TemporaryFile() as spool:
            result = builder(requester=job.requested_by, parameters=job.parameters, out=spool, progress=_Progress(job))
            spool.seek(0, 2)
            size = spool.tell()
            spool.seek(0)
            with atomic_with_files():
                job.file.save(job.filename, File(spool), save=False)
                remember_stored(job.file)
                expires = clock.now() + dt.timedelta(hours=settings.DOWNLOADS_KEEP_HOURS)
                owned = _finish(
                    job,
                    state=State.READY,
                    progress=100,
                    file=job.file.name,
                    size=size,
                    result=result or {},
                    expires_at=expires,
                )
                if not owned:
                    raise _Disowned
    except _Disowned:
        return {"disowned": True}  # atomic_with_files removed the file this run wrote
    except DomainError as error:  # a rule refused (the requester lost the right meanwhile...)
        _finish(job, state=State.FAILED, error=error.message)
        return {"failed": error.message}
    except Exception:
        logger.exception("generated file %s (%s) failed", job.uuid, job.builder)
        with translation.override(language):
            message = gettext("文件生成失败，请重新生成；如仍失败，请联系系统管理员")
        _finish(job, state=State.FAILED, error=message)
        return {"failed": message}
    return {"ready": job.uuid.hex, **(result or {})}


@task()
def downloads_prune() -> dict:
    """On the schedule: remove files and rows past their expiry, mark failed the runs whose
    heartbeat stopped longer than the lease (the worker was killed), and remove files under
    downloads/ that no row names (a run killed between writing its file and its row)."""
    now = clock.now()
    stale_before = now - dt.timedelta(minutes=settings.DOCUMENT_LEASE_MINUTES)
    message = gettext("生成过程中断（服务重启或超时），请重新生成")
    stale = GeneratedFile.objects.filter(state=State.RUNNING, heartbeat_at__lt=stale_before).update(
        state=State.FAILED, error=message, finished_at=now
    )
    # Queued but never started within a day: the task is lost (pruned or never run).
    lost = GeneratedFile.objects.filter(state=State.PENDING, created_at__lt=now - dt.timedelta(days=1)).update(
        state=State.FAILED, error=message, finished_at=now
    )
    expired = 0
    for job in GeneratedFile.objects.filter(expires_at__lt=now).iterator():
        if job.file:
            job.file.delete(save=False)
        job.delete()
        expired += 1
    # Failed rows go once their page is of no more use.
    keep = now - dt.timedelta(hours=settings.DOWNLOADS_KEEP_HOURS)
    failed, _ = GeneratedFile.objects.filter(state=State.FAILED, finished_at__lt=keep).delete()
    strays = 0
    folder = Path(settings.MEDIA_ROOT) / "downloads"
    if folder.exists():
        known = set(GeneratedFile.objects.exclude(file="").values_list("file", flat=True))
        for path in folder.iterdir():
            old = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC) < keep
            if path.is_file() and f"downloads/{path.name}" not in known and old:
                path.unlink()
                strays += 1
    return {"stale": stale, "lost": lost, "expired": expired, "failed": failed, "strays": strays}
