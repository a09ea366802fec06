"""Run the background worker: the schedule and the queue of tasks (core/worker.py)."""

from django.core.management.base import BaseCommand

from core.worker import Loop, run_pending


class Command(BaseCommand):
    help = "后台任务进程：按时间表提交定时任务，并执行队列中的任务（Ctrl-C 停止）"

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="执行一轮已到期和已就绪的任务后退出")
        parser.add_argument("--interval", type=float, default=1.0, help="空闲时两次查看队列的间隔（秒）")

    def handle(self, *args, once: bool, interval: float, **options):
        if once:
            ran = run_pending()
            self.stdout.write(f"已执行任务 {ran} 个")
            return
        Loop(interval=interval).run_forever()
