"""Benchmark of message delivery: `make bench-notify`.

Not a test: it prints figures for a person to read. On a throw-away database beside the
configured one it writes N messages to a WeCom robot that is a loopback HTTP server (answering
in about a millisecond, as a robot on the intranet would), starts W real worker processes
(`manage.py worker`) and waits until every message is sent, for W = 1 and 4. Printed: messages
per second, and the delay from a message's writing to its delivery (median and p95)."""

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection

from core import clock
from core.bench import database_url, throwaway_database
from notifications.loopback import Stub
from notifications.models import Channel, Endpoint, Message


class Command(BaseCommand):
    help = "消息投递基准：向本机模拟机器人投递 N 条消息，分别用 1 个和 4 个后台进程，打印吞吐量和延迟"

    def add_arguments(self, parser):
        parser.add_argument("--messages", type=int, default=10_000)
        parser.add_argument("--workers", default="1,4", help="逗号分隔的后台进程数")

    def handle(self, *args, messages: int, workers: str, **options):
        counts = [int(w) for w in workers.split(",")]
        with throwaway_database() as db, Stub() as stub:
            url = database_url(db, connection.vendor)
            endpoint = Endpoint.objects.create(
                kind=Channel.WECOM, name="基准测试机器人", url=f"{stub.url}/send", per_minute=10**9
            )
            self.stdout.write(f"数据库：{connection.vendor}；消息 {messages:,} 条；接收方：{stub.url}")
            for count in counts:
                Message.objects.all().delete()
                stub.received.requests.clear()
                self.run_once(endpoint, messages, count, url, stub)

    def run_once(self, endpoint, total: int, count: int, url: str, stub: Stub) -> None:
        now = clock.now()
        Message.objects.bulk_create(
            [
                Message(
                    key=f"bench:{count}:{n}",
                    rule="test",
                    channel=Channel.WECOM,
                    endpoint=endpoint,
                    source="bench",
                    subject=f"基准测试消息 {n}",
                    body="问题交办：幸福巷 · 3.2.1：巷口垃圾堆积",
                    created_at=now,
                    next_attempt_at=now,
                )
                for n in range(total)
            ],
            batch_size=2000,
        )
        from notifications.tasks import deliver

        for _ in range(count):
            deliver.enqueue()
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": settings.SECRET_KEY}
        started = time.perf_counter()
        processes = [
            subprocess.Popen(
                [sys.executable, "manage.py", "worker", "--interval", "0.2"],
                cwd=Path(settings.BASE_DIR),
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(count)
        ]
        try:
            while Message.objects.exclude(state=Message.State.SENT).exists():
                time.sleep(0.2)
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=60)
        elapsed = time.perf_counter() - started
        delays = sorted(
            (sent - created).total_seconds()
            for created, sent in Message.objects.values_list("created_at", "sent_at").iterator(chunk_size=5000)
        )
        p95 = delays[int(len(delays) * 0.95) - 1]
        received = len(stub.received.requests)
        self.stdout.write(
            f"{count} 个后台进程：{total / elapsed:,.0f} 条/秒（{elapsed:.1f} 秒）；"
            f"写入到送达 中位数 {statistics.median(delays):.1f} 秒，p95 {p95:.1f} 秒；"
            f"接收方收到 {received:,} 次（重复 {received - total}）"
        )
