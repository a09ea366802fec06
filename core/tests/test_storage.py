"""Evidence files on disk (core.storage, the default storage): the bytes and their name are on
disk before the row that names them commits, and a write that fails midway (a full disk, a
quota, a read-only or broken folder) tells the user in Chinese and leaves nothing: no partial
file, no empty thumbnail, no row.

A full disk is made portably with RLIMIT_FSIZE in a separate process: the kernel stops any
write past the limit with EFBIG after writing up to it, as a disk that fills up midway would
(ENOSPC), for root too."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection, transaction
from django.urls import reverse
from PIL import Image

from core.errors import StorageFailed
from core.files import atomic_with_files
from core.models import Attachment
from core.services import EVIDENCE, attachment_store, attachment_thumbnail
from core.storage import DurableFileSystemStorage
from problems.models import Problem
from problems.states import Status
from problems.tests.helpers import assigned_problem
from tests.factories import jpeg_bytes

MESSAGE = "文件保存失败：存储空间不足或不可写，请联系系统管理员"


def files_under(root: Path) -> list[str]:
    """Every file, hidden ones (temporary names) included, relative to root."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def noisy_jpeg(width=400, height=300) -> bytes:
    """A photo that does not compress to nothing: tens of kilobytes."""
    buffer = io.BytesIO()
    Image.effect_noise((width, height), 80).convert("RGB").save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


# ---- durable writes ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_evidence_file_and_its_name_are_on_disk_before_its_row_commits(monkeypatch, settings):
    media = Path(settings.MEDIA_ROOT)
    steps = []
    real_fsync, real_link = os.fsync, os.link

    def fsync(fd):
        steps.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def link(source, target, **options):
        steps.append(("link", source, target))
        real_link(source, target, **options)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "link", link)
    with atomic_with_files():
        attachment = attachment_store(kind=EVIDENCE, actor=None, name="现场.jpg", data=jpeg_bytes())
        transaction.on_commit(lambda: steps.append(("commit",)))

    final = media / attachment.file.name
    part = steps[4][1]
    assert Path(part).parent == final.parent and Path(part).name.startswith(".part-")
    assert steps == [
        # the new directories' entries, each in its parent
        ("fsync", str(media.parent)),
        ("fsync", str(media)),
        ("fsync", str(media / "attachments")),
        ("fsync", str(media / "attachments" / "2026")),
        # the bytes under a temporary name, then the final name, then that name's directory
        ("fsync", part),
        ("link", part, str(final)),
        ("fsync", str(final.parent)),
        ("commit",),
    ]
    assert files_under(media) == [attachment.file.name]
    assert final.read_bytes() == jpeg_bytes()


def test_a_stored_file_never_replaces_another_and_leaves_no_temporary_name(tmp_path):
    storage = DurableFileSystemStorage(location=tmp_path)

    first = storage.save("attachments/a.jpg", ContentFile(b"first"))
    second = storage.save("attachments/a.jpg", ContentFile(b"second"))

    assert first == "attachments/a.jpg"
    assert second != first and second.startswith("attachments/a_") and second.endswith(".jpg")
    assert ((tmp_path / first).read_bytes(), (tmp_path / second).read_bytes()) == (b"first", b"second")
    assert files_under(tmp_path) == sorted([first, second])


def test_evidence_files_are_written_by_the_durable_storage():
    assert type(storages["default"]) is DurableFileSystemStorage


# ---- a write that fails midway -------------------------------------------------------------------

PRELUDE = """
import json, resource, signal
import django

django.setup()
# Past the limit a write fails with EFBIG instead of the signal killing the process.
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
SOFT, HARD = resource.getrlimit(resource.RLIMIT_FSIZE)


def limited(size):
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, HARD))


def unlimited():
    resource.setrlimit(resource.RLIMIT_FSIZE, (SOFT, HARD))


result = {}
"""


def database_url_for_another_process() -> str:
    """The test database, for another process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


def run_with_file_size_limit(code: str, media: Path) -> dict:
    """Run `code` (after PRELUDE) in a fresh process on the test database with `media` as
    MEDIA_ROOT; it fills `result`, which comes back."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": database_url_for_another_process(),
        "MEDIA_ROOT": str(media),
    }
    completed = subprocess.run(
        [sys.executable, "-c", PRELUDE + code + "\nprint(json.dumps(result))"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


@pytest.mark.django_db(transaction=True)
def test_a_disk_that_fills_up_during_the_write_gives_a_chinese_error_and_leaves_nothing(tmp_path):
    media = tmp_path / "media"
    result = run_with_file_size_limit(
        """
import io
from PIL import Image
from core.errors import StorageFailed
from core.models import Attachment
from core.services import EVIDENCE, attachment_store

buffer = io.BytesIO()
Image.effect_noise((400, 300), 80).convert("RGB").save(buffer, format="JPEG", quality=90)
result["bytes"] = len(buffer.getvalue())
limited(16 * 1024)
try:
    attachment_store(kind=EVIDENCE, actor=None, name="现场.jpg", data=buffer.getvalue())
except StorageFailed as refused:
    result["message"] = refused.message
    result["cause"] = refused.__cause__.strerror
unlimited()
result["rows"] = Attachment.objects.count()
""",
        media,
    )
    assert result["bytes"] > 16 * 1024  # the write started and was cut off midway
    assert (result["message"], result["cause"], result["rows"]) == (MESSAGE, "File too large", 0)
    assert files_under(media) == []


@pytest.mark.django_db(transaction=True)
def test_a_thumbnail_that_cannot_be_written_is_not_left_empty_or_partial(tmp_path):
    media = tmp_path / "media"
    result = run_with_file_size_limit(
        """
import io
from PIL import Image
from core.services import EVIDENCE, attachment_store, attachment_thumbnail

buffer = io.BytesIO()
Image.effect_noise((1200, 900), 80).convert("RGB").save(buffer, format="JPEG", quality=90)
attachment = attachment_store(kind=EVIDENCE, actor=None, name="现场.jpg", data=buffer.getvalue())
result["original"] = attachment.file.name
limited(1024)
result["full"] = attachment_thumbnail(attachment)
unlimited()
result["later"] = attachment_thumbnail(attachment)
result["uuid"] = attachment.uuid.hex
""",
        media,
    )
    thumbnail = f"thumbs/{result['uuid']}.jpg"
    assert (result["full"], result["later"]) == (None, thumbnail)
    assert files_under(media) == sorted([result["original"], thumbnail])
    assert (media / thumbnail).stat().st_size > 1024


@pytest.fixture
def broken_media(settings, tmp_path):
    """A media folder that cannot be written: its path runs through a regular file (a mount
    gone missing, a typo in MEDIA_ROOT). Unlike chmod, this stops root too."""
    (tmp_path / "not-a-folder").write_bytes(b"")
    settings.MEDIA_ROOT = tmp_path / "not-a-folder" / "media"
    return settings.MEDIA_ROOT


def test_an_unwritable_folder_refuses_the_file_in_chinese_and_records_nothing(world, broken_media):
    with pytest.raises(StorageFailed) as refused:
        attachment_store(kind=EVIDENCE, actor=world.liaison_a, name="整改后.jpg", data=jpeg_bytes())

    assert refused.value.message == MESSAGE
    assert Attachment.objects.count() == 0


def test_the_liaison_is_told_in_chinese_and_the_problem_stays_as_it_was(client, world, broken_media):
    from django.core.files.uploadedfile import SimpleUploadedFile

    problem = assigned_problem(world)
    client.force_login(world.liaison_a)

    response = client.post(
        reverse("problems:act", args=[problem.uuid, "submit"]),
        {
            "note": "已清运",
            "version": problem.version,
            "files": [SimpleUploadedFile("整改后.jpg", jpeg_bytes(), content_type="image/jpeg")],
        },
    )

    # The server's fault, not the liaison's: 503, as the API answers.
    assert response.status_code == 503
    assert MESSAGE in response.content.decode()
    problem = Problem.objects.get(pk=problem.pk)
    assert (problem.status, problem.events.count(), Attachment.objects.count()) == (Status.ASSIGNED, 2, 0)


def test_a_list_still_shows_the_photo_when_its_thumbnail_cannot_be_written(client, world, settings):
    attachment = attachment_store(kind=EVIDENCE, actor=world.office, name="现场.jpg", data=jpeg_bytes(640, 480))
    (Path(settings.MEDIA_ROOT) / "thumbs").write_bytes(b"")  # no folder for thumbnails can be made
    client.force_login(world.office)

    response = client.get(reverse("attachment", args=[attachment.uuid]) + "?thumb=1")

    assert (response.status_code, response["Content-Type"]) == (200, "image/jpeg")
    assert b"".join(response.streaming_content) == jpeg_bytes(640, 480)  # the original, whole
    assert files_under(Path(settings.MEDIA_ROOT)) == sorted(["thumbs", attachment.file.name])


def test_an_empty_thumbnail_left_by_an_older_crash_is_made_again(world, settings):
    attachment = attachment_store(kind=EVIDENCE, actor=world.office, name="现场.jpg", data=jpeg_bytes(640, 480))
    empty = Path(settings.MEDIA_ROOT) / "thumbs" / f"{attachment.uuid.hex}.jpg"
    empty.parent.mkdir()
    empty.write_bytes(b"")

    name = attachment_thumbnail(attachment)

    assert name == f"thumbs/{attachment.uuid.hex}.jpg"
    with Image.open(empty) as thumbnail:
        assert thumbnail.size == (320, 240)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder anyway; see broken_media")
def test_a_read_only_folder_refuses_the_file_and_leaves_nothing(tmp_path):
    (tmp_path / "attachments").mkdir()
    (tmp_path / "attachments").chmod(0o555)
    storage = DurableFileSystemStorage(location=tmp_path)
    try:
        with pytest.raises(PermissionError):
            storage.save("attachments/a.jpg", ContentFile(jpeg_bytes()))
    finally:
        (tmp_path / "attachments").chmod(0o755)
    assert files_under(tmp_path) == []
