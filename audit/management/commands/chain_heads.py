"""Print the head of every append-only table's hash chain (audit.chain.heads), to be kept outside
the database: later, `audit_check --anchors FILE` proves that no row up to these positions was
rewritten, even by someone who recomputed the hashes.

    python manage.py chain_heads > anchors-2026-05-12.txt"""

from django.core.management.base import BaseCommand

from audit.chain import heads
from core import clock


class Command(BaseCommand):
    help = "打印各只追加表哈希链的链头，存于数据库之外，供 audit_check --anchors 核对"

    def handle(self, *args, **options):
        self.stdout.write(f"# 只追加表的哈希链头（{clock.now():%Y-%m-%d %H:%M:%S %z}）：表名 条数 末条哈希")
        self.stdout.write("# 请存于数据库服务器之外；用 python manage.py audit_check --anchors <本文件> 核对")
        for table, seq, hashed in heads():
            self.stdout.write(f"{table} {seq} {hashed}")
