"""Backup and restore: one zip archive with a consistent snapshot of the database, then the
evidence files that snapshot refers to, and a manifest with the SHA-256 of every member.

    database/<app>.<model>.jsonl   one per table: a header line (model, table, columns), then
                                   one JSON array per row, in primary-key order
    media/<storage name>           the file of each Attachment row of the snapshot, as stored
    manifest.json                  written last: format, time, database vendor, the applied
                                   migrations, each table's columns and row count, every
                                   member's size and SHA-256, and the files that were missing
                                   or damaged on disk when the backup was taken

Why a dump of our own rather than pg_dump or a copy of the SQLite file (docs/ARCHITECTURE.md,
"Backup and restore"): one format and one restore path for both databases (and from one to the
other); the dump and the list of files come from the same snapshot; the restore INSERTs every
row as it was (ids, timestamps to the microsecond, hashes of the hash chain), in primary-key
order, into a database that `migrate` made, as the application's own database role: no
superuser, no triggers switched off, no pg_restore of the right version.

The snapshot: on PostgreSQL a REPEATABLE READ READ ONLY transaction (one snapshot for every
table and for the list of files; writers go on); on SQLite the sqlite3 backup API copies the
database into a temporary file next to the archive (a consistent copy taken under a read
lock, which writers wait for only for the copy), and the dump reads that copy.

Files are read after the snapshot: a file whose row committed before it is on disk already (the
storage fsyncs before the commit), and files written after it are not needed. Rows of
sessions are left out: a restore signs everyone out."""

import base64
import contextlib
import dataclasses
import datetime as dt
import decimal
import getpass
import hashlib
import json
import os
import platform
import sqlite3
import tempfile
import time
import uuid
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import django
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.management.color import no_style
from django.db import DatabaseError, connection, connections, models, router, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.utils import load_backend
from django.utils import timezone
from django.utils.duration import duration_string

from core import clock
from core.models import Attachment, SecurityEvent
from core.security import log_event
from core.storage import fsync_directory, part_file, publish, write_durably

FORMAT = "chuangwei-backup"
VERSION = 1
MANIFEST = "manifest.json"
BLOCK = 1024 * 1024
BATCH = 1000
SNAPSHOT_ALIAS = "backup_snapshot"
# Not backed up: sessions (a restore signs everyone out), and the files the worker made for one
# person (an export, a dossier ZIP): their bytes live under downloads/, which is not backed up,
# and they expire within a day anyway.
LEFT_OUT = {"sessions.session", "core.generatedfile"}
# Filled by `migrate` itself: replaced by the backup's rows on restore, and not counted when
# deciding whether the target database is empty.
REFILLED_BY_MIGRATE = ["auth.permission", "contenttypes.contenttype"]


class BackupRefused(Exception):
    """The archive cannot be restored (damaged, not ours, another schema) or the target is not
    empty. The message, in Chinese, says which and what to do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclasses.dataclass
class Summary:
    path: Path
    tables: int = 0
    rows: int = 0
    files: int = 0
    file_bytes: int = 0
    archive_bytes: int = 0
    seconds: float = 0.0
    manifest_sha256: str = ""
    file_problems: list = dataclasses.field(default_factory=list)


def backed_up_models() -> list[type[models.Model]]:
    """Every concrete table of the project and of Django's apps (m2m tables included), by label."""
    found = [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed
        and not model._meta.proxy
        and not model._meta.swapped
        and model._meta.label_lower not in LEFT_OUT
        and router.allow_migrate_model(connection.alias, model)
    ]
    return sorted(found, key=lambda model: model._meta.label_lower)


def stored_fields(model) -> list:
    """The columns a row is backed up and restored by (generated columns are the database's)."""
    return [field for field in model._meta.concrete_fields if not getattr(field, "generated", False)]


def member_of(model) -> str:
    return f"database/{model._meta.label_lower}.jsonl"


# ---- values: a row's Python values to JSON and back, without loss -------------------------------


def _encode(value):
    """What values_list gives, as JSON. Full precision: Django's own JSON encoder would cut
    microseconds to milliseconds, and a restored row must be the row that was backed up."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dt.timedelta):
        return duration_string(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"cannot back up a value of type {type(value).__name__}")


def _is_json(field) -> bool:
    return field.get_internal_type() == "JSONField"


def _row_encoder(fields):
    kinds = [_is_json(field) for field in fields]

    def encode(row):
        return [value if is_json else _encode(value) for value, is_json in zip(row, kinds, strict=True)]

    return encode


# Field types whose JSON value (None, a number, a string, a boolean) is already what the database
# driver takes: no conversion per value, which is most of a restore's time otherwise.
_AS_IS = {
    "AutoField",
    "BigAutoField",
    "SmallAutoField",
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveBigIntegerField",
    "PositiveSmallIntegerField",
    "BooleanField",
    "CharField",
    "TextField",
    "SlugField",
    "EmailField",
    "URLField",
    "FileField",
    "ImageField",
    "FloatField",
}


def _converter(field, conn):
    """A function from a value as backed up to what the database driver takes: the field's own
    to_python and get_db_prep_save, with shortcuts for the common types."""
    kind = (field.target_field if field.is_relation else field).get_internal_type()
    if kind in _AS_IS:
        return None
    if kind == "DateTimeField" and not field.is_relation:
        return lambda value: conn.ops.adapt_datetimefield_value(dt.datetime.fromisoformat(value))
    if kind == "DateField" and not field.is_relation:
        return lambda value: conn.ops.adapt_datefield_value(dt.date.fromisoformat(value))
    if _is_json(field):
        return lambda value: field.get_db_prep_save(value, conn)
    return lambda value: field.get_db_prep_save(field.to_python(value), conn)


def _row_decoder(fields, conn):
    converters = [(index, _converter(field, conn)) for index, field in enumerate(fields)]
    converters = [(index, convert) for index, convert in converters if convert is not None]

    def decode(row):
        for index, convert in converters:
            if row[index] is not None:  # NULL stays NULL (a JSON field's None too, as Django saves it)
                row[index] = convert(row[index])
        return row

    return decode


# ---- backup ---------------------------------------------------------------------------------


def backup_create(destination: str | os.PathLike) -> Summary:
    """Write the archive to `destination` (a file that must not exist yet, or a directory, where
    it is named chuangwei-<date>-<time>.zip) and log it in the security log.

    1. open a snapshot (see the module's docstring);
    2. dump each table from it into database/…;
    3. copy the file of each Attachment row of the snapshot into media/…, hashing it, and note
       any file missing on disk or whose SHA-256 is not the row's;
    4. write the manifest, fsync the archive under a temporary name and rename it into place
       (a backup cut short by a crash or a full disk never looks complete)."""
    started = time.monotonic()
    path = _destination(Path(destination))
    summary = Summary(path=path)
    part, raw = part_file(path.parent)
    try:
        with raw:
            with zipfile.ZipFile(raw, "w", allowZip64=True) as archive:
                members: dict[str, dict] = {}
                tables = []
                taken_at = clock.now()
                with _snapshot(path.parent) as alias:
                    for model in backed_up_models():
                        tables.append(_dump_table(archive, model, alias, members))
                    migrations = _applied_migrations(connections[alias])
                    _copy_files(archive, alias, members, summary)
                summary.tables = len(tables)
                summary.rows = sum(table["rows"] for table in tables)
                manifest = {
                    "format": FORMAT,
                    "version": VERSION,
                    "created_at": taken_at.isoformat(),
                    "vendor": connection.vendor,
                    "snapshot": "repeatable read" if connection.vendor == "postgresql" else "sqlite backup",
                    "django": django.get_version(),
                    "python": platform.python_version(),
                    "migrations": migrations,
                    "tables": tables,
                    "members": members,
                    "file_problems": summary.file_problems,
                }
                data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
                summary.manifest_sha256 = hashlib.sha256(data).hexdigest()
                archive.writestr(_info(MANIFEST, zipfile.ZIP_DEFLATED), data)
            raw.flush()
            os.fsync(raw.fileno())
    except BaseException as error:
        os.unlink(part)
        _log_backup_failure(path, error)
        raise
    publish(part, str(path))
    summary.archive_bytes = path.stat().st_size
    summary.seconds = time.monotonic() - started
    log_event(
        SecurityEvent.Kind.BACKUP,
        username=_who(),
        target=str(path)[:200],
        summary=f"备份数据库与证据文件：{path}",
        details={
            "action": "backup",
            "path": str(path),
            "bytes": summary.archive_bytes,
            "tables": summary.tables,
            "rows": summary.rows,
            "files": summary.files,
            "file_problems": len(summary.file_problems),
            "manifest_sha256": summary.manifest_sha256,
            "seconds": round(summary.seconds, 1),
        },
    )
    return summary


def _who() -> str:
    try:
        return f"命令行:{getpass.getuser()}"
    except (KeyError, OSError):
        return "命令行"


def _log_backup_failure(path: Path, error: BaseException) -> None:
    with contextlib.suppress(Exception):  # the log must not hide the failure itself
        log_event(
            SecurityEvent.Kind.BACKUP,
            username=_who(),
            target=str(path)[:200],
            summary=f"备份失败：{path}",
            details={"action": "backup", "path": str(path), "error": f"{type(error).__name__}: {error}"[:500]},
        )


def _destination(path: Path) -> Path:
    if path.is_dir():
        path = path / f"chuangwei-{timezone.localtime(clock.now()):%Y%m%d-%H%M%S}.zip"
    if path.exists():
        raise BackupRefused(f"文件 {path} 已存在，备份不会覆盖它：请换一个文件名")
    if not path.parent.is_dir():
        raise BackupRefused(f"目录 {path.parent} 不存在")
    return path


@contextlib.contextmanager
def _snapshot(workdir: Path) -> Iterator[str]:
    """The alias of a connection that reads one consistent snapshot of the database."""
    if connection.vendor == "postgresql":
        if connection.in_atomic_block:
            raise RuntimeError("a backup takes its own snapshot: call it outside a transaction")
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield connection.alias
        return
    if connection.vendor != "sqlite":
        raise RuntimeError(f"no backup for {connection.vendor}")
    with tempfile.TemporaryDirectory(dir=workdir, prefix=".snapshot-") as tmp:
        copy = os.path.join(tmp, "snapshot.sqlite3")
        connection.ensure_connection()
        target = sqlite3.connect(copy)
        try:
            with connection.wrap_database_errors:
                connection.connection.backup(target)
        finally:
            target.close()
        # A connection of this thread only, to the copy; not a configured database.
        snapshot = load_backend(connection.settings_dict["ENGINE"]).DatabaseWrapper(
            {**connection.settings_dict, "NAME": copy}, SNAPSHOT_ALIAS
        )
        connections[SNAPSHOT_ALIAS] = snapshot
        try:
            yield SNAPSHOT_ALIAS
        finally:
            snapshot.close()
            del connections[SNAPSHOT_ALIAS]


def _info(name: str, compress_type: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=clock.now().timetuple()[:6])
    info.compress_type = compress_type
    info.external_attr = 0o644 << 16
    return info


class _Member:
    """A zip member written as a stream, its size and SHA-256 counted on the way and entered in
    `members` when it is complete."""

    def __init__(self, archive: zipfile.ZipFile, name: str, compress_type: int, members: dict):
        self.name = name
        self.members = members
        self.out = archive.open(_info(name, compress_type), "w", force_zip64=True)
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.out.write(data)
        self.digest.update(data)
        self.size += len(data)

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        self.out.close()
        if kind is None:
            self.members[self.name] = {"size": self.size, "sha256": self.digest.hexdigest()}


def _dump_table(archive, model, alias: str, members: dict) -> dict:
    fields = stored_fields(model)
    header = {
        "model": model._meta.label_lower,
        "table": model._meta.db_table,
        "columns": [field.column for field in fields],
    }
    encode = _row_encoder(fields)
    rows = 0
    query = model._base_manager.using(alias).order_by("pk").values_list(*[field.attname for field in fields])
    with _Member(archive, member_of(model), zipfile.ZIP_DEFLATED, members) as member:
        member.write(json.dumps(header, ensure_ascii=False).encode() + b"\n")
        for row in query.iterator(chunk_size=2000):
            member.write(json.dumps(encode(row), ensure_ascii=False, separators=(",", ":")).encode() + b"\n")
            rows += 1
    return {**header, "member": member.name, "rows": rows}


def _copy_files(archive, alias: str, members: dict, summary: Summary) -> None:
    storage = Attachment._meta.get_field("file").storage
    rows = Attachment._base_manager.using(alias).order_by("pk").values_list("uuid", "file", "sha256")
    for attachment_uuid, name, sha256 in rows.iterator(chunk_size=2000):
        try:
            source = storage.open(name, "rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            summary.file_problems.append({"attachment": attachment_uuid.hex, "name": name, "problem": "missing"})
            continue
        # Photos, PDFs and Office files are compressed already: stored as they are.
        with source, _Member(archive, f"media/{name}", zipfile.ZIP_STORED, members) as member:
            while block := source.read(BLOCK):
                member.write(block)
        summary.files += 1
        summary.file_bytes += member.size
        if members[member.name]["sha256"] != sha256:
            summary.file_problems.append({"attachment": attachment_uuid.hex, "name": name, "problem": "sha256"})


def _applied_migrations(conn) -> list[list[str]]:
    return sorted([app, name] for app, name in MigrationRecorder(conn).applied_migrations())


# ---- verify ---------------------------------------------------------------------------------


def backup_verify(path: str | os.PathLike) -> dict:
    """Check an archive without restoring anything; return its manifest. Refuses (BackupRefused)
    an archive that is not a complete zip, has no manifest or another format, lacks a member or
    holds one the manifest does not list, or whose member's size or SHA-256 differs from the
    manifest, and one whose attachment rows and files disagree."""
    with _open(path) as archive:
        return _verify(archive)


@contextlib.contextmanager
def _open(path) -> Iterator[zipfile.ZipFile]:
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise BackupRefused(f"找不到备份文件 {path}") from None
    except (zipfile.BadZipFile, OSError, EOFError):
        raise BackupRefused(f"备份文件 {path} 已损坏或不完整（不是完整的 zip 文件），不能恢复") from None
    with archive:
        yield archive


def _damaged(name: str, why: str) -> BackupRefused:
    return BackupRefused(f"备份文件已损坏：{name} {why}，不能恢复。请换用另一份备份")


def _verify(archive: zipfile.ZipFile) -> dict:
    names = set(archive.namelist())
    if MANIFEST not in names:
        raise BackupRefused("备份文件中没有清单 manifest.json：不是本系统的备份，或已损坏，不能恢复")
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise _damaged(MANIFEST, "无法读取") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupRefused("备份文件的清单不是本系统的格式，不能恢复")
    if manifest.get("version") != VERSION:
        raise BackupRefused(f"备份文件的格式版本为 {manifest.get('version')}，本程序只能恢复版本 {VERSION}")
    members = manifest["members"]
    listed = set(members) | {MANIFEST}
    if missing := sorted(set(members) - names):
        raise _damaged(missing[0], f"等 {len(missing)} 个文件缺失")
    if extra := sorted(names - listed):
        raise _damaged(extra[0], f"等 {len(extra)} 个文件不在清单中")
    for name in sorted(members):
        _check_name(name)
        size, sha256 = _digest(archive, name)
        if (size, sha256) != (members[name]["size"], members[name]["sha256"]):
            raise _damaged(name, "的 SHA-256 或大小与清单不符")
    for table in manifest["tables"]:
        if table["member"] not in members:
            raise _damaged(table["member"], "缺失")
    _verify_attachments(archive, manifest)
    return manifest


def _check_name(name: str) -> None:
    parts = PurePosixPath(name).parts
    if (
        name.startswith("/")
        or "\\" in name
        or ".." in parts
        or not (
            (name.startswith("database/") and name.endswith(".jsonl") and len(parts) == 2)
            or (name.startswith("media/") and len(parts) >= 3)
        )
    ):
        raise _damaged(name, "的名称不合规")


def _digest(archive: zipfile.ZipFile, name: str) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    try:
        with archive.open(name) as member:
            while block := member.read(BLOCK):
                digest.update(block)
                size += len(block)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
        raise _damaged(name, "无法读取（数据校验失败）") from None
    return size, digest.hexdigest()


def _table_rows(archive: zipfile.ZipFile, table: dict) -> Iterator[list]:
    """The rows of a table's member (after its header line)."""
    with archive.open(table["member"]) as member:
        header = json.loads(member.readline())
        if header["columns"] != table["columns"]:
            raise _damaged(table["member"], "的列与清单不符")
        for line in member:
            yield json.loads(line)


def _verify_attachments(archive: zipfile.ZipFile, manifest: dict) -> None:
    """Each attachment row has its file in the archive with the row's SHA-256, except the files
    the backup itself found missing or damaged (listed in the manifest, reported on restore)."""
    table = next((t for t in manifest["tables"] if t["model"] == Attachment._meta.label_lower), None)
    if table is None:
        raise BackupRefused("备份文件中没有附件表，不是本系统的备份，不能恢复")
    known = {problem["name"] for problem in manifest.get("file_problems", [])}
    column = {name: index for index, name in enumerate(table["columns"])}
    file_index, sha_index = column["file"], column["sha256"]
    members = manifest["members"]
    for row in _table_rows(archive, table):
        name, sha256 = row[file_index], row[sha_index]
        if name in known:
            continue
        entry = members.get(f"media/{name}")
        if entry is None:
            raise _damaged(f"media/{name}", "缺失（附件表中有此文件）")
        if entry["sha256"] != sha256:
            raise _damaged(f"media/{name}", "的 SHA-256 与附件表登记的不符")


# ---- restore --------------------------------------------------------------------------------


def backup_restore(path: str | os.PathLike, *, replace: bool = False) -> Summary:
    """Restore an archive into the configured database and MEDIA_ROOT, and log it.

    1. verify the archive (backup_verify): nothing is touched if it is damaged;
    2. check that the database has the backup's schema (the same applied migrations and the
       same columns) and is empty, unless `replace`;
    3. check the media folder: a file already there with other bytes is refused unless `replace`;
    4. write the files (durably, as the storage does), then insert every row as it was, in one
       transaction (with `replace`, after emptying the tables); reset PostgreSQL's sequences;
       if anything fails, the transaction rolls back and the files written are removed;
    5. write the restore in the security log (of the restored database)."""
    started = time.monotonic()
    summary = Summary(path=Path(path))
    with _open(path) as archive:
        manifest = _verify(archive)
        by_label = {model._meta.label_lower: model for model in backed_up_models()}
        _check_schema(manifest, by_label)
        if not replace:
            _check_empty(by_label)
        storage = Attachment._meta.get_field("file").storage
        to_write = _files_to_write(archive, manifest, storage, replace)
        written: list[str] = []
        try:
            directories = set()
            for name, target, exists in to_write:
                # Each file fsynced; each directory once, below, before the rows commit.
                write_durably(target, _verified_blocks(archive, name, manifest), replace=exists, sync_directory=False)
                if not exists:
                    written.append(target)
                directories.add(os.path.dirname(target))
                summary.files += 1
                summary.file_bytes += manifest["members"][name]["size"]
            for directory in sorted(directories):
                fsync_directory(directory)
            try:
                with transaction.atomic():
                    _empty(by_label, replace)
                    for table in manifest["tables"]:
                        summary.rows += _insert(archive, table, by_label[table["model"]])
                        summary.tables += 1
                    _reset_sequences(list(by_label.values()))
            except DatabaseError as error:
                raise BackupRefused(f"恢复失败，数据库未作任何改动：{error}") from error
        except BaseException:
            for target in written:
                with contextlib.suppress(OSError):
                    os.unlink(target)
            raise
    ContentType.objects.clear_cache()
    summary.file_problems = manifest.get("file_problems", [])
    summary.archive_bytes = os.path.getsize(path)
    summary.seconds = time.monotonic() - started
    log_event(
        SecurityEvent.Kind.BACKUP,
        username=_who(),
        target=str(path)[:200],
        summary=f"从备份恢复数据库与证据文件：{path}（备份时间 {manifest['created_at']}）",
        details={
            "action": "restore",
            "path": str(path),
            "backup_created_at": manifest["created_at"],
            "replace": replace,
            "tables": summary.tables,
            "rows": summary.rows,
            "files": summary.files,
            "file_problems": len(summary.file_problems),
            "seconds": round(summary.seconds, 1),
        },
    )
    return summary


def _check_schema(manifest: dict, by_label: dict) -> None:
    here = _applied_migrations(connection)
    there = manifest["migrations"]
    if here != there:
        only_there = [f"{app}.{name}" for app, name in there if [app, name] not in here]
        only_here = [f"{app}.{name}" for app, name in here if [app, name] not in there]
        raise BackupRefused(
            "备份的数据库结构与当前数据库不同"
            f"（备份有而当前没有的迁移 {len(only_there)} 个{('，如 ' + only_there[0]) if only_there else ''}；"
            f"当前有而备份没有的 {len(only_here)} 个{('，如 ' + only_here[0]) if only_here else ''}）。"
            "请使用生成备份时的程序版本，新建数据库并执行 migrate 后再恢复"
        )
    labels = {table["model"] for table in manifest["tables"]}
    if labels != set(by_label):
        differ = sorted(labels ^ set(by_label))
        raise BackupRefused(f"备份中的数据表与当前程序不同（如 {differ[0]}），请使用生成备份时的程序版本恢复")
    for table in manifest["tables"]:
        columns = [field.column for field in stored_fields(by_label[table["model"]])]
        if sorted(columns) != sorted(table["columns"]):
            raise BackupRefused(f"备份中数据表 {table['table']} 的列与当前程序不同，请使用生成备份时的程序版本恢复")


def _check_empty(by_label: dict) -> None:
    for label, model in by_label.items():
        if label in REFILLED_BY_MIGRATE:
            continue
        count = model._base_manager.count()
        if count:
            raise BackupRefused(
                f"当前数据库不是空的（数据表 {model._meta.db_table} 已有 {count} 条记录），恢复只写入空数据库。"
                "请新建数据库并执行 migrate 后再恢复；确需清空当前数据库并覆盖，请加 --replace"
            )


def _files_to_write(archive, manifest: dict, storage, replace: bool) -> list[tuple[str, str, bool]]:
    """(member, path on disk, exists) of each file to write. A file already in place with the
    same bytes is left as it is; one with other bytes is refused, or replaced with `replace`."""
    plan = []
    for name, entry in sorted(manifest["members"].items()):
        if not name.startswith("media/"):
            continue
        target = storage.path(name[len("media/") :])
        if not os.path.lexists(target):
            plan.append((name, target, False))
        elif _file_sha256(target) == entry["sha256"]:
            continue
        elif replace:
            plan.append((name, target, True))
        else:
            raise BackupRefused(
                f"媒体目录中已有文件 {target}，且内容与备份中的不同。请恢复到空的媒体目录；确需覆盖，请加 --replace"
            )
    return plan


def _file_sha256(path: str) -> str | None:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as stored:
            while block := stored.read(BLOCK):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def _verified_blocks(archive: zipfile.ZipFile, name: str, manifest: dict) -> Iterator[bytes]:
    """A member's bytes, checked again as they are written: the archive must not change
    between the check and the restore. A mismatch raises before the file gets its name."""
    digest = hashlib.sha256()
    with archive.open(name) as member:
        while block := member.read(BLOCK):
            digest.update(block)
            yield block
    if digest.hexdigest() != manifest["members"][name]["sha256"]:
        raise _damaged(name, "在恢复过程中被改动")


def _empty(by_label: dict, replace: bool) -> None:
    """Make room for the backup's rows: with `replace` every table is emptied; otherwise only the
    rows `migrate` wrote (content types and permissions, whose ids the backup's rows use)."""
    quote = connection.ops.quote_name
    if replace:
        tables = [model._meta.db_table for model in by_label.values()]
        statements = connection.ops.sql_flush(no_style(), tables, reset_sequences=True, allow_cascade=True)
    else:  # permissions first: they refer to the content types
        statements = [f"DELETE FROM {quote(by_label[label]._meta.db_table)}" for label in REFILLED_BY_MIGRATE]
    try:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    except DatabaseError as error:
        raise BackupRefused(
            f"数据库拒绝清空现有数据（{error}）。请新建数据库并执行 migrate 后恢复到新数据库"
        ) from error


def _insert(archive, table: dict, model) -> int:
    by_column = {field.column: field for field in stored_fields(model)}
    fields = [by_column[column] for column in table["columns"]]
    decode = _row_decoder(fields, connection)
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: the fastest way in; it fires the tables' INSERT triggers like INSERT does.
            columns = ", ".join(quote(f.column) for f in fields)
            with cursor.cursor.copy(f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
                for row in _table_rows(archive, table):
                    copy.write_row(decode(row))
                    count += 1
        else:
            batch = []
            for row in _table_rows(archive, table):
                batch.append(decode(row))
                if len(batch) >= BATCH:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                count += len(batch)
    if count != table["rows"]:
        raise _damaged(table["member"], f"的行数 {count} 与清单的 {table['rows']} 不符")
    return count


def _reset_sequences(model_list) -> None:
    """PostgreSQL's identity sequences continue after the highest restored id (SQLite's
    AUTOINCREMENT follows explicit ids by itself)."""
    statements = connection.ops.sequence_reset_sql(no_style(), model_list)
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
