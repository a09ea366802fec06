"""Back up the database and the evidence files into one archive (core.backup).

    python manage.py backup /srv/backups/            # names it chuangwei-<date>-<time>.zip
    python manage.py backup /srv/backups/today.zip

Prints what it wrote and the manifest's SHA-256 (also kept in the security log). Exits with
status 1 when a file was missing or damaged on disk: the archive is still written, with every
other file, and its manifest lists those."""

from django.core.management.base import BaseCommand, CommandError

from core.backup import BackupRefused, backup_create


class Command(BaseCommand):
    help = "备份数据库（一致快照）及其引用的证据文件到一个 zip 文件，附 SHA-256 清单"

    def add_arguments(self, parser):
        parser.add_argument("path", help="备份文件名，或一个目录（自动命名 chuangwei-日期-时间.zip）")

    def handle(self, *args, path: str, **options):
        try:
            summary = backup_create(path)
        except BackupRefused as refused:
            raise CommandError(refused.message) from None
        self.stdout.write(
            f"已备份到 {summary.path}：数据表 {summary.tables} 张、记录 {summary.rows} 条，"
            f"证据文件 {summary.files} 个（{summary.file_bytes / 1e6:.1f} MB），"
            f"备份文件 {summary.archive_bytes / 1e6:.1f} MB，用时 {summary.seconds:.1f} 秒"
        )
        self.stdout.write(f"清单 SHA-256：{summary.manifest_sha256}")
        for problem in summary.file_problems:
            what = "缺失" if problem["problem"] == "missing" else "的 SHA-256 与登记的不符"
            self.stdout.write(self.style.ERROR(f"附件 {problem['attachment']} 的文件 {problem['name']} {what}"))
        if summary.file_problems:
            raise CommandError(f"备份已写入，但有 {len(summary.file_problems)} 个证据文件缺失或损坏，见上")
        self.stdout.write(self.style.SUCCESS("备份完成"))
