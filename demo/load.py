"""The load run of `make bench`: the app served by its production server (gunicorn with
config/gunicorn.conf.py, DEBUG off) on the loopback, driven by a load generator in this process
for a bounded time per page and number of connections. It prints requests per second and the
p50/p95 latency a person would feel, so a change that costs CPU per request shows up as a figure.

The generator shares the machine with the server (a 2-core machine here): its own CPU is part of
what limits the figures, as it was when the issue measured them the same way. Each connection
opens a new TCP connection per request, as a browser behind the proxy's pool does to gunicorn's
synchronous workers, which close after every answer."""

import http.client
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.urls import reverse

from problems.models import Problem

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Load:
    page: str
    connections: int
    requests: int
    errors: int
    per_second: float
    p50_ms: float
    p95_ms: float


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(port: int, workers: int) -> subprocess.Popen:
    """gunicorn with the production configuration on the configured database, with the same
    SECRET_KEY as this process (the sessions signed here are read there), DEBUG off and no access
    log (a line per request would be timed too)."""
    environment = {
        **os.environ,
        "SECRET_KEY": settings.SECRET_KEY,
        "DEBUG": "false",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_LOG_LEVEL": "warning",
        "CHUANGWEI_VAR_DIR": str(settings.VAR_DIR),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "--access-logfile", "/dev/null"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn 未能启动：{server.stderr.read()[-2000:]}")
        try:
            status, _ = fetch(port, "/healthz", {})
            if status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.3)
    server.terminate()
    raise RuntimeError("gunicorn 60 秒内未就绪")


def fetch(port: int, path: str, headers: dict) -> tuple[int, int]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, len(response.read())
    finally:
        connection.close()


def drive(port: int, path: str, headers: dict, *, connections: int, seconds: float) -> tuple[list[float], int]:
    """`connections` loops requesting `path` until the time is up: each answer's latency (ms) and
    how many failed (not 200, or no answer within 10 s)."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def loop():
        mine, failed = [], 0
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                status, _ = fetch(port, path, headers)
            except OSError:
                status = 0
            if status == 200:
                mine.append((time.perf_counter() - started) * 1000)
            else:
                failed += 1
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=loop) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors[0]


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def load_pages() -> list[tuple[str, str]]:
    """The main pages of the issue's measurement: a problem's page, the list, the overview, and
    /healthz as the floor (no session, no template)."""
    problem = Problem.objects.order_by("-pk").only("uuid").first()
    return [
        ("problem page", reverse("problems:detail", args=[problem.uuid])),
        ("list first", reverse("problems:list")),
        ("overview", reverse("oversight:overview")),
        ("healthz", "/healthz"),
    ]


def run(*, session_cookie: str, seconds: float, connections=(8, 64), workers: int = 4, out) -> list[Load]:
    port = free_port()
    out(f"gunicorn：{workers} 个进程，127.0.0.1:{port}；每组 {seconds:g} 秒")
    server = serve(port, workers)
    results = []
    try:
        headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session_cookie}"}
        for page, path in load_pages():
            # Warm every process: the first request of each pays for imports and the query plans.
            drive(port, path, headers, connections=workers * 2, seconds=1)
            for n in connections:
                latencies, errors = drive(port, path, headers, connections=n, seconds=seconds)
                row = Load(
                    page=page,
                    connections=n,
                    requests=len(latencies),
                    errors=errors,
                    per_second=round(len(latencies) / seconds, 1),
                    p50_ms=round(statistics.median(latencies), 1) if latencies else 0.0,
                    p95_ms=round(percentile(latencies, 0.95), 1),
                )
                out(
                    f"{page:<14}{n:>4} 连接 {row.per_second:>8} 次/秒  p50 {row.p50_ms:>7} ms  "
                    f"p95 {row.p95_ms:>7} ms  错误 {errors}"
                )
                results.append(row)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    return results


def as_table(rows: list[Load]) -> str:
    lines = ["| page | connections | requests/s | p50 ms | p95 ms | errors |", "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r.page} | {r.connections} | {r.per_second} | {r.p50_ms} | {r.p95_ms} | {r.errors} |")
    return "\n".join(lines)
