"""The screens' benchmark (`make bench`, `manage.py bench`): every page a person opens, timed on
the configured database at a given size, and the closed loop's writes per second.

Not a test: it prints figures for a person to read, as a table and as JSON. It reads the
configured database as it is after building the data it needs once (`demo` and
`demo --problems N`, which it tops up when fewer problems are there); the write section commits
real transitions (a submitted problem returned and its evidence submitted again, so every
problem ends where it started, with two more events): run it on a database meant for it.

Pages are requested in this process through Django's test client, so each figure is the
server's own time (middleware, views, templates, queries) without the network or a browser.
"""

import logging
import statistics
import threading
import time
from dataclasses import asdict, dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections, connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from accounts import signin
from campaigns.selectors import current_campaign
from core import downloads
from core.models import GeneratedFile
from demo.bulk import demo_add_problems
from demo.district import demo_is_loaded, demo_load
from organisation.models import Membership, User
from problems import services
from problems.models import Problem
from problems.states import Status
from problems.views import PAGE_SIZE

PERSONAS = ("office", "leader", "inspector", "liaison")
COLD_OVERVIEW = "overview (cold)"
STALE_OVERVIEW = "overview (after a step)"


@dataclass
class Figure:
    persona: str
    page: str
    url: str
    status: int
    median_ms: float
    min_ms: float
    queries: int
    bytes: int


def dataset(problems: int, out) -> int:
    """The demo district with at least `problems` problems (90 % is near enough: the demo's own
    631 are counted). Returns how many there are."""
    if not demo_is_loaded():
        out("装入演示数据……")
        demo_load()
    have = Problem.objects.count()
    if have < problems * 0.9:
        out(f"批量追加 {problems - have} 个问题……")
        demo_add_problems(problems - have)
        have = Problem.objects.count()
    return have


def pages(total: int) -> list[tuple[str, str, str]]:
    """(persona, page, url) for every screen a person opens."""
    liaison = User.objects.get(username="liaison")
    unit = Membership.objects.filter(user=liaison).select_related("unit").first().unit
    submitted = urlencode({"status": Status.SUBMITTED, "sort": "deadline"})
    overdue = urlencode({"overdue": "on", "sort": "deadline"})
    deep = max(1, total // PAGE_SIZE // 2)
    liaison_deep = max(1, Problem.objects.filter(assigned_unit=unit).count() // PAGE_SIZE // 2)
    rows = [
        ("office", "overview", reverse("oversight:overview")),
        # The same, its figures counted afresh each time (the first request after a transition).
        ("office", COLD_OVERVIEW, reverse("oversight:overview")),
        # The same right after someone's step: the kept figures are stale; slow to count, they are
        # shown with their time while the worker is asked to count them again.
        ("office", STALE_OVERVIEW, reverse("oversight:overview")),
        ("office", "list first", reverse("problems:list")),
        ("office", "list deep", f"{reverse('problems:list')}?page={deep}"),
        ("office", "list submitted", f"{reverse('problems:list')}?{submitted}"),
        ("office", "list overdue", f"{reverse('problems:list')}?{overdue}"),
        ("office", "map data", reverse("problems:map_data")),
        ("office", "verify queue", reverse("problems:verify")),
        ("office", "unit page", reverse("oversight:unit", args=[unit.code])),
        ("office", "ledger", reverse("campaigns:ledger")),
        ("office", "five-in-place", reverse("campaigns:five_in_place")),
        ("office", "readiness", reverse("inspections:readiness")),
        ("office", "plans", reverse("inspections:plans")),
        ("office", "bulletins", reverse("bulletins:list")),
        ("office", "accountability", reverse("bulletins:accountability")),
        ("office", "dossier", reverse("dossier:index")),
        ("office", "export (request)", reverse("exchange:problems_xlsx")),
        ("leader", "overview", reverse("oversight:overview")),
        ("leader", "list first", reverse("problems:list")),
        ("inspector", "today", reverse("inspections:today")),
        ("inspector", "verify queue", reverse("problems:verify")),
        ("inspector", "api plans", "/api/v1/plans"),
        ("inspector", "list first", reverse("problems:list")),
        ("liaison", "work list", reverse("problems:mine")),
        ("liaison", "list first", reverse("problems:list")),
        ("liaison", "list deep", f"{reverse('problems:list')}?page={liaison_deep}"),
        ("liaison", "unit page", reverse("oversight:unit", args=[unit.code])),
    ]
    return rows


def _as_after_a_step():
    """The overview's kept figures as a transition leaves them (another trail event than theirs),
    and no recount asked yet: what the first opening after a step finds."""
    from oversight.selectors import overview_key

    key = overview_key(current_campaign().pk)
    entry = cache.get(f"kept:{key}")
    if entry is not None:
        cache.set(f"kept:{key}", {**entry, "stamp": f"0:{entry['stamp'].split(':')[-1]}"}, 3600)
    cache.delete(f"recounting:{key}")
    DBTaskResult.objects.filter(task_path="oversight.tasks.figures_recount").delete()


def _body_size(response) -> int:
    if response.streaming:
        return sum(len(chunk) for chunk in response.streaming_content)
    return len(response.content)


def signed_in(username: str) -> Client:
    """A client with a finished sign-in: the session's start stamped for the timeouts (the
    second factor is waived by DEMO_MODE, which `make bench` sets)."""
    client = Client()
    client.force_login(User.objects.get(username=username))
    session = client.session
    signin.stamp(session)
    session.save()
    return client


def time_pages(rows, *, runs: int, out) -> list[Figure]:
    clients = {}
    for persona in PERSONAS:
        clients[persona] = signed_in(persona)
    figures = []
    for persona, page, url in rows:
        client = clients[persona]
        response = client.get(url)  # warm-up: caches, the first query plan
        _body_size(response)
        times = []
        for _ in range(runs):
            if page == COLD_OVERVIEW:
                cache.clear()
            if page == STALE_OVERVIEW:
                _as_after_a_step()
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                size = _body_size(response)
                times.append((time.perf_counter() - started) * 1000)
        figure = Figure(
            persona=persona,
            page=page,
            url=url,
            status=response.status_code,
            median_ms=round(statistics.median(times), 1),
            min_ms=round(min(times), 1),
            queries=len(queries.captured_queries),
            bytes=size,
        )
        out(
            f"{persona:<10}{page:<24}{figure.median_ms:>9}{figure.min_ms:>9}{figure.queries:>6}{size:>10}"
            f"  {status(figure)}"
        )
        figures.append(figure)
    return figures


def status(figure: Figure) -> str:
    return "" if figure.status == 200 else f"HTTP {figure.status}"


def transitions_per_second(threads: int, *, per_thread: int) -> dict:
    """Each thread returns a submitted problem of the liaison's unit and submits its evidence
    again, `per_thread` times over its own problems: two transitions each, committed."""
    liaison = User.objects.get(username="liaison")
    inspector = User.objects.get(username="inspector")
    unit_ids = list(Membership.objects.filter(user=liaison).values_list("unit_id", flat=True))
    ids = list(
        Problem.objects.filter(status=Status.SUBMITTED, assigned_unit_id__in=unit_ids)
        .order_by("id")
        .values_list("id", flat=True)[: threads * per_thread]
    )
    shares = [ids[i::threads] for i in range(threads)]
    errors = []
    latencies = []
    lock = threading.Lock()

    def work(share):
        try:
            for pk in share:
                for step in ("return", "submit"):
                    started = time.perf_counter()
                    problem = Problem.objects.get(pk=pk)
                    if step == "return":
                        services.problem_return(actor=inspector, problem=problem, reason="基准测试：退回")
                    else:
                        services.problem_submit_evidence(actor=liaison, problem=problem, note="基准测试：已整改")
                    with lock:
                        latencies.append((time.perf_counter() - started) * 1000)
        except Exception as error:  # counted and printed; the other threads go on
            with lock:
                errors.append(repr(error))
        finally:
            connections.close_all()

    started = time.perf_counter()
    workers = [threading.Thread(target=work, args=(share,)) for share in shares]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - started
    close_old_connections()
    latencies.sort()
    return {
        "threads": threads,
        "transitions": len(latencies),
        "per_second": round(len(latencies) / seconds, 1) if seconds else None,
        "p50_ms": round(latencies[len(latencies) // 2], 1) if latencies else None,
        "p95_ms": round(latencies[int(len(latencies) * 0.95)], 1) if latencies else None,
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
    }


def export_in_worker(out) -> dict:
    """The district-wide problem export as the worker makes it: time and rows."""
    client = signed_in("office")
    started = time.perf_counter()
    response = client.get(reverse("exchange:problems_xlsx"))
    requested = (time.perf_counter() - started) * 1000
    job = GeneratedFile.objects.order_by("-pk").first()
    started = time.perf_counter()
    downloads.generated_file_build.call(job.pk)
    built = time.perf_counter() - started
    job.refresh_from_db()
    out(f"导出（后台）：请求 {requested:.0f} ms，生成 {built:.1f} s，{job.state}")
    return {
        "request_ms": round(requested, 1),
        "request_status": response.status_code,
        "worker_seconds": round(built, 1),
        "job": job.state,
    }


def as_table(figures: list[Figure]) -> str:
    lines = [
        "| persona | page | median ms | min ms | queries | bytes |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for f in figures:
        lines.append(
            f"| {f.persona} | {f.page}{' (' + status(f) + ')' if status(f) else ''} | {f.median_ms} | {f.min_ms} "
            f"| {f.queries} | {f.bytes:,} |"
        )
    return "\n".join(lines)


def run(*, problems: int, runs: int, writes: int, export: bool, out, load: float = 0) -> dict:
    # Every transition and sign-in logs a line; thousands of them would bury the table.
    logging.disable(logging.WARNING)
    total = dataset(problems, out)
    out(f"数据库：{connection.vendor}，问题 {total} 个；每页 {runs} 次取中位数")
    out(f"{'persona':<10}{'page':<24}{'median':>9}{'min':>9}{'q':>6}{'bytes':>10}")
    figures = time_pages(pages(total), runs=runs, out=out)
    result = {
        "database": connection.vendor,
        "problems": total,
        "runs": runs,
        "debug": settings.DEBUG,
        "pages": [asdict(f) for f in figures],
    }
    if writes:
        result["transitions"] = [transitions_per_second(n, per_thread=writes // n) for n in (1, 4)]
    if export:
        result["export"] = export_in_worker(out)
    result["table"] = as_table(figures)
    if load:
        from demo import load as load_run

        cookie = signed_in("office").cookies[settings.SESSION_COOKIE_NAME].value
        rows = load_run.run(session_cookie=cookie, seconds=load, out=out)
        result["load"] = [asdict(row) for row in rows]
        result["load_table"] = load_run.as_table(rows)
    return result
