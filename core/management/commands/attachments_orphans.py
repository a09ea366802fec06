"""List (and with --delete remove) evidence files on disk that no Attachment row refers to.

A file is written to storage before the transaction that records it commits; when that
transaction is rolled back for a reason other than a refused file (a refused file cleans up
after itself, see core.services.attachments_store), the bytes stay behind. This finds them.
Thumbnails (thumbs/) are derived and are checked against their attachment's uuid. A `.part-…`
file is a write cut short by a crash or power loss (core.storage) and is listed too."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from core.models import Attachment


def orphan_files(root: Path) -> list[Path]:
    known = set(Attachment.objects.values_list("file", flat=True))
    uuids = {u.hex for u in Attachment.objects.values_list("uuid", flat=True)}
    orphans = []
    for path in sorted((root / "attachments").rglob("*")) if (root / "attachments").exists() else []:
        if path.is_file() and str(path.relative_to(root)) not in known:
            orphans.append(path)
    for path in sorted((root / "thumbs").glob("*.jpg")) if (root / "thumbs").exists() else []:
        if path.stem not in uuids:
            orphans.append(path)
    return orphans


class Command(BaseCommand):
    help = "列出（加 --delete 删除）数据库中没有记录的证据文件"

    def add_arguments(self, parser):
        parser.add_argument("--delete", action="store_true", help="删除这些文件")

    def handle(self, *args, delete: bool, **options):
        root = Path(settings.MEDIA_ROOT)
        orphans = orphan_files(root)
        for path in orphans:
            self.stdout.write(str(path.relative_to(root)))
            if delete:
                path.unlink()
        verb = "已删除" if delete else "发现"
        self.stdout.write(f"{verb}无记录的文件 {len(orphans)} 个")
