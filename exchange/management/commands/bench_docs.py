"""Benchmark of the documents the office downloads and uploads: `make bench-docs`.

python manage.py bench_docs                      # every section, on a throw-away database
python manage.py bench_docs --only problem_export
python manage.py bench_docs --use-current        # the configured database, as it is

Not a test: it prints figures (time, peak memory) for a person to read. By default it creates a
throw-away database next to the configured one (a temporary SQLite file, or test_<name> on
PostgreSQL), loads the demo district and `demo --problems N` into it, runs the sections and drops
it. With --use-current it reads the configured database as it is and writes nothing that stays
(the imports run in a transaction that is rolled back).

Each section is a function registered with @section; add one for a new document (a bulletin...)
and it is run and printed like the others."""

import contextlib
import io
import os
import resource
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import islice

import openpyxl
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

import access
from campaigns.models import Campaign
from core.bench import throwaway_database
from documents import xlsx
from exchange import exports, imports
from organisation.models import Area, Unit, User
from problems.models import Problem
from standard.models import SiteType

MB = 1024 * 1024


@dataclass
class Context:
    problems: int
    sites: int
    use_current: bool
    office: User
    out: Callable[[str], None]
    figures: dict = field(default_factory=dict)


SECTIONS: dict[str, tuple[str, Callable[[Context], None]]] = {}


def section(name: str, title: str):
    """Register a benchmark section: run in the order registered, selectable with --only."""

    def register(function):
        SECTIONS[name] = (title, function)
        return function

    return register


# ---- measuring -------------------------------------------------------------------------------


def _rss() -> tuple[int, int]:
    """(current, peak) resident set size in bytes, from /proc; the peak from getrusage elsewhere."""
    try:
        with open("/proc/self/status") as status:
            fields = dict(line.split(":", 1) for line in status if ":" in line)
        return int(fields["VmRSS"].split()[0]) * 1024, int(fields["VmHWM"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        return peak, peak


def _reset_peak_rss() -> bool:
    """Linux lets a process reset its own peak RSS (clear_refs 5), so the peak measured is the
    peak of the run alone, not of the data loading before it."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
        return True
    except OSError:
        return False


@dataclass
class Measure:
    seconds: float = 0.0
    rss_before: int = 0
    rss_peak: int = 0
    rss_peak_is_run: bool = False
    traced_peak: int | None = None

    def describe(self) -> str:
        text = f"{self.seconds:.2f} 秒；RSS {self.rss_before / MB:.0f} MB → 峰值 {self.rss_peak / MB:.0f} MB"
        if not self.rss_peak_is_run:
            text += "（进程峰值）"
        if self.traced_peak is not None:
            text += f"；Python 分配峰值（tracemalloc）{self.traced_peak / MB:.1f} MB"
        return text


@contextlib.contextmanager
def timed():
    """Wall time and peak RSS of the block. tracemalloc slows Python down several times, so it is
    measured in a separate run (traced)."""
    measure = Measure()
    measure.rss_peak_is_run = _reset_peak_rss()
    measure.rss_before = _rss()[0]
    started = time.perf_counter()
    yield measure
    measure.seconds = time.perf_counter() - started
    measure.rss_peak = _rss()[1]


@contextlib.contextmanager
def traced(measure: Measure):
    tracemalloc.start()
    try:
        yield
        measure.traced_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# ---- sections ------------------------------------------------------------------------------


def _export(ctx: Context, limit: int | None) -> tuple[int, int]:
    """Write the office's whole problem list (or its first `limit` rows) to a temporary xlsx, as
    the export view does. (rows, bytes)."""
    table = exports.problem_table(user=ctx.office, filters={})
    counted = {"rows": 0}

    def counting(rows):
        for row in rows:
            counted["rows"] += 1
            yield row

    table.rows = counting(islice(table.rows, limit) if limit else table.rows)
    with tempfile.TemporaryFile(suffix=".xlsx") as spool:
        xlsx.write_table(table, spool)
        return counted["rows"], spool.tell()


@section("problem_export", "问题清单导出（xlsx，write-only 流式写出）")
def bench_problem_export(ctx: Context) -> None:
    total = access.problems_visible_to(ctx.office).count()
    ctx.out(f"  可导出的问题：{total:,} 个")
    small = min(10_000, total)
    measure_small = Measure()
    with traced(measure_small):
        _export(ctx, small)
    with timed() as measure:
        rows, size = _export(ctx, None)
    with traced(measure):
        _export(ctx, None)
    ctx.out(f"  {rows:,} 行，文件 {size / MB:.1f} MB：{measure.describe()}")
    with timed() as reading:
        sum(1 for _ in exports.problem_rows(ctx.office, {}))
    ctx.out(f"  其中读数据库、生成行（不写 xlsx）：{reading.seconds:.2f} 秒，其余为 openpyxl 写出")
    ctx.out(
        f"  内存不随行数增长：前 {small:,} 行的 Python 分配峰值 {measure_small.traced_peak / MB:.1f} MB，"
        f"全部 {rows:,} 行 {measure.traced_peak / MB:.1f} MB"
    )
    ctx.figures["problem_export"] = {"rows": rows, "seconds": measure.seconds, "traced_peak": measure.traced_peak}


def _site_file(count: int, *, prefix: str, name_suffix: str = "") -> bytes:
    """A sites file in the template's layout with `count` new sites spread over the existing
    areas, units and site types."""
    areas = list(Area.objects.filter(kind=Area.Kind.COMMUNITY).values_list("code", flat=True)) or list(
        Area.objects.values_list("code", flat=True)
    )
    units = list(
        Unit.objects.filter(is_active=True, kind__in=[Unit.Kind.SUBDISTRICT, Unit.Kind.DEPARTMENT]).values_list(
            "code", flat=True
        )
    )
    types = list(SiteType.objects.values_list("name", flat=True))
    if not (areas and units and types):
        raise CommandError("数据库里没有区域、单位或点位类型，无法生成点位文件")
    workbook = openpyxl.Workbook(write_only=True)
    ws = workbook.create_sheet(imports.SiteImporter.sheet)
    ws.append([column.header for column in imports.SiteImporter.columns])
    for n in range(count):
        ws.append(
            [
                f"{prefix}-{n:06d}",
                f"压测巷{n}{name_suffix}",
                types[n % len(types)],
                areas[n % len(areas)],
                units[n % len(units)],
                f"压测路 {n} 号",
                34.7 + (n % 1000) / 10000,
                113.6 + (n % 997) / 10000,
                100 + n % 5000,
                "是",
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@section("site_import", "点位导入（逐行检查，一个事务写入）")
def bench_site_import(ctx: Context) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    prefix = f"BENCH{os.getpid()}"
    first = _site_file(ctx.sites, prefix=prefix)
    changed = _site_file(ctx.sites, prefix=prefix, name_suffix="（改）")
    ctx.out(f"  文件：{ctx.sites:,} 行，{len(first) / MB:.1f} MB")

    def run(data: bytes):
        upload = SimpleUploadedFile("点位.xlsx", data)
        result = imports.run_import(actor=ctx.office, kind="sites", file=upload, campaign=None)
        if not result.ok:
            raise CommandError("导入被拒绝：" + "；".join(str(e) for e in result.errors[:5]))
        return result

    # With --use-current the rows must not stay: everything runs in a transaction rolled back.
    with transaction.atomic():
        with timed() as create:
            result = run(first)
        ctx.out(f"  新建 {result.created:,} 个点位：{create.describe()}")
        with timed() as update:
            result = run(changed)
        ctx.out(f"  重新导入，按编码更新 {result.updated:,} 个：{update.describe()}")
        with traced(update):
            result = run(first)
        ctx.out(
            f"  再次导入（改回 {result.updated:,} 个）时的 Python 分配峰值（tracemalloc）："
            f"{update.traced_peak / MB:.1f} MB"
        )
        ctx.figures["site_import"] = {"rows": ctx.sites, "seconds": create.seconds}
        transaction.set_rollback(True)


def _photo(index: int) -> bytes:
    """A 1600×1200 phone-sized JPEG with some detail, so the photo costs what a real one does."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1600, 1200), (40 + index * 9, 120, 80))
    draw = ImageDraw.Draw(image)
    for x in range(0, 1600, 40):
        draw.line([(x, 0), (1600 - x, 1200)], fill=(200, 200 - index * 5, 90), width=3)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


@section("bulletin", "通报生成（约 2,000 个问题、20 张照片；Word 与 PDF）")
def bench_bulletin(ctx: Context) -> None:
    """A bulletin whose period holds the latest ~2,000 problems, 20 of them with a photo; times the
    document model, the Word file and the PDF conversion. Rolled back afterwards."""
    from bulletins import services as bulletin_services
    from bulletins.content import build_content
    from bulletins.render import render_docx
    from core.services import PHOTO, attachment_store
    from documents.pdf import docx_to_pdf

    latest = list(Problem.objects.order_by("-recorded_at").values_list("pk", "recorded_at", "campaign")[:2000])
    if not latest:
        ctx.out("  没有问题，跳过")
        return
    with transaction.atomic():
        for index, (pk, _, _) in enumerate(latest[:20]):
            photo = attachment_store(actor=ctx.office, name=f"bench{index}.jpg", data=_photo(index), kind=PHOTO)
            Problem.objects.get(pk=pk).photos.add(photo)
        start = timezone.localdate(latest[-1][1])
        end = timezone.localdate(latest[0][1])
        bulletin = bulletin_services.bulletin_create(
            actor=ctx.office, campaign=Campaign.objects.get(pk=latest[0][2]), period_start=start, period_end=end
        )
        with timed() as content_time:
            content = build_content(bulletin)
        with timed() as docx_time:
            docx = render_docx(content)
        with timed() as pdf_time:
            pdf = docx_to_pdf(docx)
        ctx.out(f"  统计期间内问题 {content['summary']['found']:,} 个，典型问题 {len(content['typical'])} 个（附照片）")
        ctx.out(f"  数据汇总：{content_time.describe()}")
        ctx.out(f"  Word（{len(docx) / 1024:.0f} KB）：{docx_time.describe()}")
        ctx.out(f"  PDF（{len(pdf) / 1024:.0f} KB，LibreOffice 转换）：{pdf_time.describe()}")
        total = content_time.seconds + docx_time.seconds + pdf_time.seconds
        ctx.out(f"  合计 {total:.2f} 秒")
        ctx.figures["bulletin"] = {"seconds": total}
        transaction.set_rollback(True)


# ---- the command -------------------------------------------------------------------------------


class Command(BaseCommand):
    help = "文档导入导出的性能测试：问题清单导出（默认 10 万行）、点位导入（默认 1 万行）"

    def add_arguments(self, parser):
        parser.add_argument("--use-current", action="store_true", help="用当前数据库（不建临时库，不留下数据）")
        parser.add_argument("--problems", type=int, default=100_000, help="临时库中生成的问题数")
        parser.add_argument("--sites", type=int, default=10_000, help="点位导入的行数")
        parser.add_argument("--only", default="", help=f"只运行这些部分（逗号分隔）：{', '.join(SECTIONS)}")

    def handle(self, *args, use_current, problems, sites, only, **options):
        names = [name.strip() for name in only.split(",") if name.strip()] or list(SECTIONS)
        unknown = [name for name in names if name not in SECTIONS]
        if unknown:
            raise CommandError(f"没有这些部分：{', '.join(unknown)}；可选：{', '.join(SECTIONS)}")
        if use_current:
            self.run_sections(names, problems=problems, sites=sites, use_current=True)
            return
        with throwaway_database(), tempfile.TemporaryDirectory() as media:
            settings.MEDIA_ROOT = media
            started = time.perf_counter()
            call_command("demo", problems=problems, stdout=io.StringIO())
            self.stdout.write(
                f"临时数据库（{connection.vendor}）：演示数据和 {problems:,} 个问题已生成，"
                f"用时 {time.perf_counter() - started:.1f} 秒"
            )
            self.run_sections(names, problems=problems, sites=sites, use_current=False)

    def run_sections(self, names, *, problems, sites, use_current):
        office = (
            User.objects.filter(
                memberships__unit__kind=Unit.Kind.PHC_OFFICE, memberships__unit__is_active=True, is_active=True
            )
            .exclude(memberships__role="viewer")
            .order_by("pk")
            .first()
        )
        if office is None:
            raise CommandError("数据库里没有爱卫办工作人员（先运行 python manage.py demo）")
        ctx = Context(problems=problems, sites=sites, use_current=use_current, office=office, out=self.stdout.write)
        self.stdout.write(f"数据库：{connection.vendor}，问题 {Problem.objects.count():,} 个；以「{office}」的身份")
        for name in names:
            title, function = SECTIONS[name]
            self.stdout.write(self.style.MIGRATE_HEADING(f"[{name}] {title}"))
            function(ctx)
