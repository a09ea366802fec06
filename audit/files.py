"""Evidence files against their rows: every Attachment's file must exist with the SHA-256 and size
recorded when it was stored. A file lost with a disk, restored from the wrong backup, edited or
truncated is named here, so that "the photo proves the rectification" stays checkable.

Rows are streamed and each file is read in blocks, so memory stays flat whatever the number and
size of the files. Thumbnails (thumbs/) are derived copies and are not checked."""

import hashlib

from django.core.files.storage import Storage

from core.models import Attachment

CHUNK_SIZE = 2000
BLOCK = 1024 * 1024


def file_digest(storage: Storage, name: str) -> tuple[int, str] | None:
    """(size, SHA-256) of a stored file, or None when it is not there."""
    digest = hashlib.sha256()
    size = 0
    try:
        with storage.open(name, "rb") as stored:
            while block := stored.read(BLOCK):
                digest.update(block)
                size += len(block)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
    return size, digest.hexdigest()


def attachment_violations(checked: dict[str, int], chunk_size: int = CHUNK_SIZE) -> list[str]:
    storage = Attachment._meta.get_field("file").storage
    violations = []
    count = 0
    rows = (
        Attachment.objects.order_by("pk")
        .values_list("uuid", "original_name", "file", "size", "sha256")
        .iterator(chunk_size=chunk_size)
    )
    for uuid, original_name, name, size, sha256 in rows:
        count += 1
        label = f"附件「{original_name}」（{uuid.hex}）"
        found = file_digest(storage, name) if name else None
        if found is None:
            violations.append(f"{label}：文件 {name or '（无）'} 不存在")
        elif found[1] != sha256:
            violations.append(
                f"{label}：文件 {name} 的 SHA-256 与登记的不符（登记 {size} 字节 {sha256[:12]}…，"
                f"实际 {found[0]} 字节 {found[1][:12]}…），文件已被修改或损坏"
            )
    checked["附件文件"] = count
    return violations
