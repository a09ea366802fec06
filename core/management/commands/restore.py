"""Restore an archive made by `manage.py backup` (core.backup).

    python manage.py restore --check /srv/backups/chuangwei-20260512-020000.zip   # verify only
    python manage.py restore /srv/backups/chuangwei-20260512-020000.zip

Checks the manifest and every SHA-256 first and refuses a damaged archive; refuses a database
that is not empty (a fresh one: `createdb`, `migrate`, then restore) unless --replace. Stop the
web server and the worker first."""

from django.core.management.base import BaseCommand, CommandError

from core.backup import BackupRefused, backup_restore, backup_verify


class Command(BaseCommand):
    help = "校验并从备份文件恢复数据库和证据文件（默认只恢复到空数据库）"

    def add_arguments(self, parser):
        parser.add_argument("path", help="manage.py backup 生成的备份文件")
        parser.add_argument("--check", action="store_true", help="只校验备份文件，不恢复")
        parser.add_argument("--replace", action="store_true", help="清空当前数据库的全部数据后恢复（慎用）")

    def handle(self, *args, path: str, check: bool, replace: bool, **options):
        try:
            if check:
                manifest = backup_verify(path)
            else:
                summary = backup_restore(path, replace=replace)
        except BackupRefused as refused:
            raise CommandError(refused.message) from None
        if check:
            rows = sum(table["rows"] for table in manifest["tables"])
            files = sum(1 for name in manifest["members"] if name.startswith("media/"))
            self.stdout.write(
                f"备份文件完好：{manifest['created_at']} 的 {manifest['vendor']} 数据库快照，"
                f"数据表 {len(manifest['tables'])} 张、记录 {rows} 条，证据文件 {files} 个，SHA-256 全部相符"
            )
            problems = manifest.get("file_problems", [])
        else:
            self.stdout.write(
                f"已恢复：数据表 {summary.tables} 张、记录 {summary.rows} 条，证据文件 {summary.files} 个"
                f"（{summary.file_bytes / 1e6:.1f} MB），用时 {summary.seconds:.1f} 秒"
            )
            problems = summary.file_problems
        for problem in problems:
            what = "备份时已缺失" if problem["problem"] == "missing" else "备份时已损坏（SHA-256 与登记的不符）"
            self.stdout.write(self.style.WARNING(f"附件 {problem['attachment']} 的文件 {problem['name']} {what}"))
        if not check:
            self.stdout.write(self.style.SUCCESS("恢复完成。请运行 python manage.py audit_check 核查"))
