"""Evidence files on disk: written so that a committed row never lacks its bytes, and so that a
failed write leaves nothing behind.

`write_durably(path, chunks)`:
1. makes the directory if needed, and fsyncs the parent of every directory it makes, so the new
   directory entries survive a power loss too;
2. writes the bytes to a temporary name (`.part-…`) in the target directory (the same file
   system, so the next step is atomic), flushes and fsyncs them;
3. links the temporary file to its final name, which fails if that name exists (a file is never
   overwritten; where the file system has no hard links, it is renamed after a check);
4. removes the temporary name and fsyncs the directory, so the final entry itself is on disk.
Any failure (disk full, read-only, quota, file-size limit) removes the temporary file and raises
the OSError: there is never a partial or empty file under a final name.

`DurableFileSystemStorage` is Django's FileSystemStorage with its write replaced by that one: the
default storage (config/settings.py, STORAGES), so every `FieldFile.save()` returns only after
the bytes and their name are on disk, i.e. before the transaction that records them commits.
Generated names and `get_available_name` work as before; `core.files.atomic_with_files` deletes
through the same storage when a transaction rolls back.

`media_status()` is what /healthz reports about the store: a probe write and the free space."""

import errno
import os
import secrets
import shutil
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils._os import safe_makedirs

PART_PREFIX = ".part-"


def fsync_directory(directory: str | os.PathLike) -> None:
    """Make the entries of a directory (a file just linked, renamed or removed) durable."""
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_directories(directory: str | os.PathLike, mode: int | None = None) -> None:
    """`os.makedirs`, then fsync the parent of each directory made (a new directory is an entry
    in its parent, which a power loss could otherwise forget with the files under it)."""
    directory = os.path.abspath(directory)
    missing = []
    current = directory
    while not os.path.isdir(current):
        missing.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    if not missing:
        return
    try:
        if mode is not None:
            # os.makedirs() does not apply its mode to the intermediate directories.
            safe_makedirs(directory, mode, exist_ok=True)
        else:
            os.makedirs(directory, exist_ok=True)
    except FileExistsError:
        raise NotADirectoryError(errno.ENOTDIR, "exists and is not a directory", directory) from None
    for made in reversed(missing):
        fsync_directory(os.path.dirname(made))


def write_durably(
    path: str | os.PathLike,
    chunks: Iterable[bytes],
    *,
    mode: int | None = None,
    replace: bool = False,
    sync_directory: bool = True,
) -> int:
    """Write `chunks` to `path` as described above; return the number of bytes written. Raises
    FileExistsError if `path` exists (nothing is written) unless `replace`, any other OSError on
    failure. A caller writing many files into few directories may pass `sync_directory=False`
    and fsync each directory once itself (fsync_directory) before it records them."""
    path = os.path.abspath(path)
    make_directories(os.path.dirname(path))
    part, fd = _open_part(os.path.dirname(path))
    written = 0
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
                written += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        if mode is not None:
            os.chmod(part, mode)
    except BaseException:
        _remove(part)
        raise
    publish(part, path, replace=replace, sync_directory=sync_directory)
    return written


def part_file(directory: str | os.PathLike):
    """A new temporary file in `directory` for the caller to fill, fsync and `publish`:
    (path, binary file object)."""
    part, fd = _open_part(os.path.abspath(directory))
    return part, os.fdopen(fd, "wb")


def _open_part(directory: str) -> tuple[str, int]:
    while True:
        part = os.path.join(directory, f"{PART_PREFIX}{secrets.token_hex(8)}")
        try:
            # 0o666 minus the process's umask, as Django's own storage creates files.
            return part, os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        except FileExistsError:
            continue


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def publish(part: str, path: str, *, replace: bool = False, sync_directory: bool = True) -> None:
    """Give an fsynced temporary file its final name in the same directory and make that name
    durable; the temporary name is gone afterwards, whatever happens. Never replaces another
    file unless `replace` (then atomically: readers see the old file or the new one)."""
    directory = os.path.dirname(path)
    try:
        if replace:
            os.replace(part, path)
        elif _place(part, path):
            os.unlink(part)
    except BaseException:
        _remove(part)
        raise
    if not sync_directory:
        return
    try:
        fsync_directory(directory)
    except OSError:
        os.unlink(path)  # not known to be durable: the caller must not record it
        raise


def _place(part: str, path: str) -> bool:
    """Give the written file its final name without ever replacing another file. True when
    `part` is now a second name of the file (a hard link) that the caller removes."""
    try:
        os.link(part, path)
        return True
    except FileExistsError:
        raise
    except OSError as error:
        if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
    # A file system without hard links (vfat, some network mounts): rename after a check.
    # Names are generated and unique, so the window between the two is harmless in practice.
    if os.path.lexists(path):
        raise FileExistsError(errno.EEXIST, "File exists", path)
    os.rename(part, path)
    return False


class DurableFileSystemStorage(FileSystemStorage):
    """FileSystemStorage whose files are fsynced under a temporary name and then linked into
    place (write_durably). Reads, deletes, URLs and names are Django's."""

    def _save(self, name, content):
        full_path = self.path(name)
        make_directories(os.path.dirname(full_path), self.directory_permissions_mode)
        while True:
            try:
                write_durably(full_path, content.chunks(), mode=self.file_permissions_mode)
            except FileExistsError:
                # Taken meanwhile: choose another name, as Django's storage does.
                name = self.get_available_name(name)
                full_path = self.path(name)
            else:
                break
        self._ensure_location_group_id(full_path)
        name = os.path.relpath(full_path, self.location)
        return str(name).replace("\\", "/")


# A probe of this size finds a full disk: a write of one block needs a free block.
PROBE_BYTES = 4096


def media_status(*, min_free_bytes: int) -> dict:
    """Whether evidence files can be written to MEDIA_ROOT now, and its free space.

    {"writable": True, "free_bytes": N}, or {"writable": False, "error": "PermissionError",
    "detail": "Permission denied", ...}. The probe writes and removes one block under a temporary
    name (not fsynced: that would make every health check a disk flush); free space is what an
    unprivileged writer may use, and under `min_free_bytes` (one upload) counts as not writable."""
    root = Path(settings.MEDIA_ROOT)
    status: dict = {"writable": False, "free_bytes": None}
    try:
        root.mkdir(parents=True, exist_ok=True)
        probe = root / f"{PART_PREFIX}healthz-{secrets.token_hex(8)}"
        try:
            with open(probe, "xb") as out:
                out.write(b"\0" * PROBE_BYTES)
                out.flush()
        finally:
            try:
                probe.unlink()
            except FileNotFoundError:
                pass
        status["free_bytes"] = shutil.disk_usage(root).free
    except OSError as error:
        status["error"] = type(error).__name__
        status["detail"] = os.strerror(error.errno) if error.errno else str(error)
        return status
    if status["free_bytes"] < min_free_bytes:
        status["error"] = "NoSpace"
        status["detail"] = "less free space than one upload"
        return status
    status["writable"] = True
    return status
