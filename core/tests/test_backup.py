"""`manage.py backup` and `manage.py restore` (core.backup), as the system administrator runs
them: a backup is one archive with the database as it was at one moment and the files that
moment refers to; a restore into a fresh database and media folder gives back every row as it
was (ids, microseconds, hashes) and every file with its SHA-256, and audit_check finds nothing.
A damaged archive, a database that is not empty or has another schema are refused in Chinese
before anything is written.

A "fresh database" is made the way an administrator would (a new database, `migrate`), and the
test's connection is pointed at it for the restore (see `fresh_database`)."""

import contextlib
import io
import json
import threading
import time
import zipfile
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from audit.checks import audit
from conftest import TODAY, build_world
from core.backup import backed_up_models, backup_create
from core.models import Attachment, SecurityEvent
from core.security import log_event
from problems import services
from problems.models import Problem, ProblemCounter, ProblemEvent
from problems.tests.helpers import closed_problem, submitted_problem
from tests.factories import jpeg_bytes

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world():
    """The usual personas, committed (a backup reads what other connections can see)."""
    with time_machine.travel(TODAY, tick=True):
        yield build_world()


@contextlib.contextmanager
def fresh_database(settings, media: Path):
    """Point this process at a new, empty database made by `migrate` (as pytest-django made the
    test database) and at an empty media folder; back to the test database afterwards."""
    original = connection.settings_dict["NAME"]
    if connection.vendor == "postgresql":
        name = f"{original}_restored"
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    else:
        name = str(media.parent / "restored.sqlite3")
    original_media = settings.MEDIA_ROOT
    connection.close()
    connection.settings_dict["NAME"] = name
    settings.MEDIA_ROOT = media
    try:
        call_command("migrate", run_syncdb=True, verbosity=0, interactive=False)
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original
        settings.MEDIA_ROOT = original_media
        from django.contrib.contenttypes.models import ContentType

        ContentType.objects.clear_cache()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')


def all_rows() -> dict[str, dict]:
    """Every row of every backed-up table, by table and primary key, as the ORM reads it."""
    return {
        model._meta.label_lower: {
            row[0]: row
            for row in model._base_manager.order_by("pk").values_list(
                "pk", *[field.attname for field in model._meta.concrete_fields]
            )
        }
        for model in backed_up_models()
    }


def files_with_hashes(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): Attachment.hash_of(path.read_bytes())
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def run(command: str, *args) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def with_evidence(world):
    """A closed problem (photos at record, submission), another waiting for verification, and a
    security event with details: every kind of value the tables hold."""
    closed = closed_problem(world)
    waiting = submitted_problem(world)
    log_event(
        SecurityEvent.Kind.EXPORT,
        user=world.office,
        summary="导出问题清单",
        details={"rows": 631, "filters": {"status": ["assigned", "返工"]}, "ratio": 0.25},
    )
    return closed, waiting


# ---- the round trip ------------------------------------------------------------------------------


def test_a_restore_into_a_fresh_database_gives_back_every_row_and_file(world, settings, tmp_path):
    with_evidence(world)
    media = Path(settings.MEDIA_ROOT)
    before, files_before = all_rows(), files_with_hashes(media)
    archive = tmp_path / "backup.zip"

    output = run("backup", str(archive))

    assert output.splitlines()[0].startswith(f"已备份到 {archive}：数据表 ")
    assert output.splitlines()[-1] == "备份完成"
    backup_log = SecurityEvent.objects.order_by("pk").last()
    assert (backup_log.kind, backup_log.summary) == ("backup", f"备份数据库与证据文件：{archive}")
    with fresh_database(settings, tmp_path / "restored-media"):
        output = run("restore", str(archive))
        after, files_after = all_rows(), files_with_hashes(tmp_path / "restored-media")
        violations = audit()
        restore_log = SecurityEvent.objects.order_by("pk").last()
        # ids go on after the restored ones (PostgreSQL's sequences were reset)
        problem = services.problem_record(
            actor=world.office,
            campaign=world.campaign,
            site=world.site,
            criterion=world.checkpoint,
            description="恢复后新登记的问题",
        )

    assert output.splitlines()[-1] == "恢复完成。请运行 python manage.py audit_check 核查"
    assert restore_log.kind == "backup"
    after["core.securityevent"].pop(restore_log.pk)
    # The restore's own log entry moved the security log's chain on by one; audit() found the
    # chains whole, so compare the other heads only.
    for rows in (before, after):
        rows["core.chainhead"] = {k: v for k, v in rows["core.chainhead"].items() if "securityevent" not in str(v)}
    assert restore_log.summary.startswith(f"从备份恢复数据库与证据文件：{archive}（备份时间 ")
    assert after == before
    assert files_after == files_before and len(files_before) == Attachment.objects.count() == 2
    assert violations == []
    assert (problem.pk, problem.number) == (max(before["problems.problem"]) + 1, "2026-000003")


def test_a_backup_taken_while_problems_are_recorded_restores_one_moment_of_them(world, settings, tmp_path):
    """A writer keeps recording problems with a photo each while the backup runs. The restored
    database is the live one as it was at one moment: a prefix of the problems, each with all
    its rows and its photo's bytes, and nothing of those recorded after."""
    stop = threading.Event()
    recorded: list[int] = []
    failures: list[BaseException] = []

    def writer():
        try:
            with time_machine.travel(TODAY, tick=True):
                while not stop.is_set():
                    n = len(recorded) + 1
                    problem = services.problem_record(
                        actor=world.office,
                        campaign=world.campaign,
                        site=world.site,
                        criterion=world.checkpoint,
                        description=f"第 {n} 处垃圾堆积",
                        photos=[(f"现场{n}.jpg", jpeg_bytes(color=(n % 256, 80, 40)))],
                    )
                    recorded.append(problem.pk)
        except BaseException as failure:  # reported in the test's own thread
            failures.append(failure)
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while len(recorded) < 20 and time.monotonic() < deadline and not failures:
            time.sleep(0.01)
        at_start = len(recorded)
        backup_create(tmp_path / "backup.zip")
        at_end = len(recorded)
    finally:
        stop.set()
        thread.join(60)
    assert failures == [] and not thread.is_alive()
    live = all_rows()
    live_files = files_with_hashes(Path(settings.MEDIA_ROOT))

    with fresh_database(settings, tmp_path / "restored-media"):
        run("restore", str(tmp_path / "backup.zip"))
        restored = all_rows()
        restored_files = files_with_hashes(tmp_path / "restored-media")
        violations = audit()
        counter = ProblemCounter.objects.get(year=2026).last
        photo_links = list(Problem.photos.through.objects.values_list("problem_id", "attachment_id"))
        attachments = dict(Attachment.objects.values_list("pk", "file"))
        hashes = dict(Attachment.objects.values_list("file", "sha256"))
        first_events = sorted(ProblemEvent.objects.filter(seq=1).values_list("problem_id", flat=True))

    problems = sorted(restored["problems.problem"])
    assert at_start >= 20 and at_end > at_start  # problems were committed while the backup ran
    assert at_start <= len(problems) < len(live["problems.problem"])  # and after its snapshot
    assert problems == sorted(live["problems.problem"])[: len(problems)]  # a prefix: no hole
    assert counter == len(problems)  # the counter of that same moment
    restored["core.securityevent"].popitem()  # the restore's own entry
    for table, rows in restored.items():
        if table in ("problems.problemcounter", "core.chainhead"):
            continue  # counters and chain heads of that moment: the live ones moved on
        # every restored row is the live row, unchanged
        assert rows == {pk: live[table][pk] for pk in rows}, table
    assert sorted(problem for problem, _ in photo_links) == problems  # every problem has its photo...
    assert sorted(attachments) == sorted(attachment for _, attachment in photo_links)  # ...and no other
    assert first_events == problems and len(restored["problems.problemevent"]) == len(problems)  # and its event
    # every file the restored rows name is back, with the SHA-256 its row records; no other
    assert restored_files == hashes
    assert all(live_files[name] == sha256 for name, sha256 in restored_files.items())
    assert violations == []


# ---- refusals ------------------------------------------------------------------------------------


def rewrite(archive: Path, change) -> None:
    """Rewrite the zip with `change(name, data)` applied to each member (None drops it): a
    deliberate edit, with the zip's own checksums made consistent again."""
    with zipfile.ZipFile(archive) as source:
        members = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(archive, "w") as target:
        for info, data in members:
            data = change(info.filename, data)
            if data is not None:
                target.writestr(info, data)


def a_photo(name: str) -> bool:
    return name.startswith("media/attachments/")


def flip_a_byte(archive: Path) -> str:
    """Bit rot on the backup disk: one byte of a stored photo changes."""
    with zipfile.ZipFile(archive) as zf:
        info = next(i for i in zf.infolist() if a_photo(i.filename))
    data = bytearray(archive.read_bytes())
    data[info.header_offset + len(info.FileHeader()) + 200] ^= 0xFF
    archive.write_bytes(bytes(data))
    return f"备份文件已损坏：{info.filename} 无法读取（数据校验失败），不能恢复。请换用另一份备份"


def cut_short(archive: Path) -> str:
    """A copy that stopped halfway (a full disk at the off-site end, a dropped connection)."""
    archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    return f"备份文件 {archive} 已损坏或不完整（不是完整的 zip 文件），不能恢复"


def swap_a_photo(archive: Path) -> str:
    """Someone replaces a photo inside the archive."""
    names = []

    def change(name, data):
        if a_photo(name) and not names:
            names.append(name)
            return jpeg_bytes(color=(1, 2, 3))
        return data

    rewrite(archive, change)
    return f"备份文件已损坏：{names[0]} 的 SHA-256 或大小与清单不符，不能恢复。请换用另一份备份"


def swap_a_photo_and_the_manifest(archive: Path) -> str:
    """...and updates the manifest to match: the attachment row still records the original."""
    photo = jpeg_bytes(color=(1, 2, 3))
    with zipfile.ZipFile(archive) as zf:
        name = next(n for n in zf.namelist() if a_photo(n))

    def change(member, data):
        if member == name:
            return photo
        if member == "manifest.json":
            manifest = json.loads(data)
            manifest["members"][name] = {"size": len(photo), "sha256": Attachment.hash_of(photo)}
            return json.dumps(manifest).encode()
        return data

    rewrite(archive, change)
    return f"备份文件已损坏：{name} 的 SHA-256 与附件表登记的不符，不能恢复。请换用另一份备份"


def drop_a_table(archive: Path) -> str:
    rewrite(archive, lambda name, data: None if name == "database/problems.problemevent.jsonl" else data)
    return "备份文件已损坏：database/problems.problemevent.jsonl 等 1 个文件缺失，不能恢复。请换用另一份备份"


def add_a_file(archive: Path) -> str:
    with zipfile.ZipFile(archive, "a") as zf:
        zf.writestr("media/attachments/2026/05/extra.jpg", jpeg_bytes())
    return "备份文件已损坏：media/attachments/2026/05/extra.jpg 等 1 个文件不在清单中，不能恢复。请换用另一份备份"


def not_a_backup(archive: Path) -> str:
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("readme.txt", "not a backup")
    return "备份文件中没有清单 manifest.json：不是本系统的备份，或已损坏，不能恢复"


@pytest.mark.parametrize(
    "damage",
    [flip_a_byte, cut_short, swap_a_photo, swap_a_photo_and_the_manifest, drop_a_table, add_a_file, not_a_backup],
)
def test_a_damaged_archive_is_refused_before_anything_is_written(world, settings, tmp_path, damage):
    with_evidence(world)
    archive = tmp_path / "backup.zip"
    backup_create(archive)
    message = damage(archive)

    with fresh_database(settings, tmp_path / "restored-media"):
        with pytest.raises(CommandError) as refused:
            run("restore", str(archive))
        with pytest.raises(CommandError) as checked:
            run("restore", "--check", str(archive))
        left = {table: len(rows) for table, rows in all_rows().items() if rows}

    assert str(refused.value) == str(checked.value) == message
    assert set(left) <= {"contenttypes.contenttype", "auth.permission"}  # what migrate wrote, nothing else
    assert not (tmp_path / "restored-media").exists()


def test_restore_check_verifies_without_restoring(world, settings, tmp_path):
    with_evidence(world)
    archive = tmp_path / "backup.zip"
    backup_create(archive)
    rows = sum(len(table) for table in all_rows().values()) - 1  # the backup's own log entry came after

    output = run("restore", "--check", str(archive))

    assert output.splitlines()[0].startswith("备份文件完好：")
    assert output.splitlines()[0].endswith(f"记录 {rows} 条，证据文件 2 个，SHA-256 全部相符")


def test_a_full_database_is_refused_and_replace_works_only_where_audit_tables_allow(world, settings, tmp_path):
    closed, _waiting = with_evidence(world)
    archive = tmp_path / "backup.zip"
    backup_create(archive)
    backed_up = all_rows()
    backed_up["core.securityevent"].popitem()  # the backup's own entry, written after its snapshot
    services.problem_cancel(actor=world.office, problem=_waiting, reason="重复登记")  # a change after the backup
    changed = all_rows()

    with pytest.raises(CommandError) as refused:
        run("restore", str(archive))
    assert str(refused.value).startswith("当前数据库不是空的（数据表 ")
    assert str(refused.value).endswith(
        "恢复只写入空数据库。请新建数据库并执行 migrate 后再恢复；确需清空当前数据库并覆盖，请加 --replace"
    )
    assert all_rows() == changed

    if connection.vendor == "sqlite":
        # SQLite empties a table only by DELETE, which the audit tables' triggers refuse: a
        # restore goes into a fresh database, and nothing here changed.
        with pytest.raises(CommandError) as refused:
            run("restore", "--replace", str(archive))
        assert "只能追加，拒绝 DELETE" in str(refused.value)
        assert str(refused.value).endswith("请新建数据库并执行 migrate 后恢复到新数据库")
        assert all_rows() == changed
        return
    # PostgreSQL: TRUNCATE (the owner's right; row triggers do not fire on it) empties it.
    run("restore", "--replace", str(archive))
    after = all_rows()
    after["core.securityevent"].popitem()  # the restore's own entry
    for rows in (after, backed_up):
        rows["core.chainhead"] = {k: v for k, v in rows["core.chainhead"].items() if "securityevent" not in str(v)}
    assert after == backed_up
    assert Problem.objects.get(pk=_waiting.pk).status == "submitted"
    assert audit() == []


def test_a_database_with_another_schema_is_refused(world, settings, tmp_path):
    with_evidence(world)
    archive = tmp_path / "backup.zip"
    backup_create(archive)

    with fresh_database(settings, tmp_path / "restored-media"):
        MigrationRecorder(connection).record_applied("problems", "9999_a_later_version")
        with pytest.raises(CommandError) as refused:
            run("restore", str(archive))
        problems = Problem.objects.count()

    assert str(refused.value) == (
        "备份的数据库结构与当前数据库不同（备份有而当前没有的迁移 0 个；当前有而备份没有的 1 个，如 "
        "problems.9999_a_later_version）。请使用生成备份时的程序版本，新建数据库并执行 migrate 后再恢复"
    )
    assert problems == 0


def test_a_missing_file_is_reported_by_the_backup_and_found_again_after_the_restore(world, settings, tmp_path):
    with_evidence(world)
    lost = Attachment.objects.order_by("pk").first()
    (Path(settings.MEDIA_ROOT) / lost.file.name).unlink()
    archive = tmp_path / "backup.zip"
    out = io.StringIO()

    with pytest.raises(CommandError) as failed:
        call_command("backup", str(archive), stdout=out)

    assert str(failed.value) == "备份已写入，但有 1 个证据文件缺失或损坏，见上"
    assert out.getvalue().splitlines()[-1] == f"附件 {lost.uuid.hex} 的文件 {lost.file.name} 缺失"
    with fresh_database(settings, tmp_path / "restored-media"):
        output = run("restore", str(archive))
        violations = audit()
    assert f"附件 {lost.uuid.hex} 的文件 {lost.file.name} 备份时已缺失" in output
    assert violations == [f"附件「{lost.original_name}」（{lost.uuid.hex}）：文件 {lost.file.name} 不存在"]


def test_a_backup_never_overwrites_a_file_and_names_itself_in_a_folder(world, tmp_path):
    existing = tmp_path / "backup.zip"
    existing.write_bytes(b"yesterday's backup")

    with pytest.raises(CommandError) as refused:
        run("backup", str(existing))
    named = backup_create(tmp_path)

    assert str(refused.value) == f"文件 {existing} 已存在，备份不会覆盖它：请换一个文件名"
    assert existing.read_bytes() == b"yesterday's backup"
    assert named.path.parent == tmp_path and named.path.name.startswith("chuangwei-2026")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "media") == sorted(["backup.zip", named.path.name])
