"""`make run`: the development web server and a worker, started and stopped together.

Ctrl-C (or the web server ending) stops both. A worker that dies on its own is started again,
waiting a little longer after each quick failure, so a broken task does not spin the machine."""

import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "同时启动开发用网页服务和一个后台任务进程（Ctrl-C 一起停止；后台进程退出后自动重启）"

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport: str, **options):
        manage = [sys.executable, sys.argv[0]]
        web = subprocess.Popen([*manage, "runserver", addrport])
        worker, started, pause = None, 0.0, 1.0
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and web.poll() is None:
                if worker is None or worker.poll() is not None:
                    if worker is not None:
                        # Quick failures back off up to 30 s; a worker that ran a while starts at once.
                        pause = min(pause * 2, 30.0) if time.monotonic() - started < 60 else 1.0
                        self.stderr.write(f"后台任务进程已退出（代码 {worker.returncode}），{pause:.0f} 秒后重启")
                        time.sleep(pause)
                    worker, started = subprocess.Popen([*manage, "worker"]), time.monotonic()
                time.sleep(0.5)
        finally:
            for process in (web, worker):
                if process is not None and process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in (web, worker):
                if process is not None:
                    try:
                        process.wait(timeout=15)
                    except subprocess.TimeoutExpired:
                        process.kill()
