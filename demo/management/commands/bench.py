"""The screens' benchmark: `make bench` (demo/bench.py says what it measures and writes).

python manage.py bench                       # 100,000 problems (BENCH_PROBLEMS), 5 runs a page
python manage.py bench --problems 1000000 --json var/bench.json
python manage.py bench --load 10             # also served by gunicorn, 8 and 64 connections, 10 s each
"""

import json
import os

from django.core.management.base import BaseCommand

from demo import bench


class Command(BaseCommand):
    help = "页面基准：每个角色打开的每个页面的耗时、查询数和字节数，以及每秒流转次数"

    def add_arguments(self, parser):
        parser.add_argument("--problems", type=int, default=int(os.environ.get("BENCH_PROBLEMS", 100_000)))
        parser.add_argument("--runs", type=int, default=5, help="每页计时次数（取中位数）")
        parser.add_argument("--writes", type=int, default=400, help="流转基准的问题数（0 不测）")
        parser.add_argument("--export", action="store_true", help="也计时后台生成全区问题导出")
        parser.add_argument("--json", dest="json_path", default="", help="把结果另存为 JSON 文件")
        parser.add_argument(
            "--load",
            type=float,
            default=0,
            help="用 gunicorn 实际服务并以 8、64 个连接压测主要页面，每组秒数（0 不测）",
        )

    def handle(self, *args, problems, runs, writes, export, json_path, load, **options):
        result = bench.run(problems=problems, runs=runs, writes=writes, export=export, load=load, out=self.stdout.write)
        self.stdout.write("")
        self.stdout.write(result["table"])
        if "load_table" in result:
            self.stdout.write("")
            self.stdout.write(result["load_table"])
        for row in result.get("transitions", []):
            self.stdout.write(
                f"流转：{row['threads']} 线程 {row['per_second']} 次/秒，p50 {row['p50_ms']} ms，"
                f"p95 {row['p95_ms']} ms，错误 {row['errors']}"
            )
        text = _dumps(result)
        self.stdout.write(text)
        if json_path:
            with open(json_path, "w", encoding="utf-8") as file:
                file.write(text)


def _dumps(result: dict) -> str:
    return json.dumps({k: v for k, v in result.items() if not k.endswith("table")}, ensure_ascii=False, indent=1)
