"""Load the demo district (示范区), or add problems in bulk to it for load tests.

python manage.py demo                    # once; a second run changes nothing
python manage.py demo --problems 100000  # more problems, sites and units, written in bulk
"""

import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from demo.bulk import demo_add_problems
from demo.district import demo_accounts, demo_is_loaded, demo_load


class Command(BaseCommand):
    help = "装入演示数据（示范区）；--problems N 批量追加 N 个问题用于压力测试"

    def add_arguments(self, parser):
        parser.add_argument("--problems", type=int, default=0, help="批量追加的问题数（压力测试用）")

    def handle(self, *args, problems: int, **options):
        if problems < 0:
            raise CommandError("--problems 不能为负数")
        # Every transition logs one line after commit; thousands of them say nothing to a person.
        quiet = logging.getLogger("problems.services")
        level = quiet.level
        quiet.setLevel(logging.WARNING)
        try:
            self.load_base(show_accounts=not problems)
            if problems:
                self.add_problems(problems)
        except DomainError as error:
            raise CommandError(error.message) from error
        finally:
            quiet.setLevel(level)

    def load_base(self, *, show_accounts: bool) -> None:
        if demo_is_loaded():
            self.stdout.write("演示数据已存在，未做任何改动。" if show_accounts else "演示数据已存在。")
            if show_accounts:
                self.print_accounts(demo_accounts())
            return
        started = time.monotonic()
        result = demo_load()
        self.stdout.write(self.style.SUCCESS(f"演示数据已装入（用时 {time.monotonic() - started:.1f} 秒）："))
        self.stdout.write("，".join(f"{label} {count}" for label, count in result.counts.items()))
        self.print_accounts(result.accounts)

    def add_problems(self, count: int) -> None:
        result = demo_add_problems(count)
        self.stdout.write(
            self.style.SUCCESS(
                f"已批量追加问题 {result.problems} 个（记录 {result.events} 条）、点位 {result.sites} 个、"
                f"街道办事处 {result.units} 个，用时 {result.seconds:.1f} 秒"
            )
        )

    def print_accounts(self, accounts) -> None:
        self.stdout.write("演示账号：")
        self.stdout.write(f"  {'用户名':<10}{'密码':<16}{'角色':<16}单位")
        for username, password, role, unit in accounts:
            self.stdout.write(f"  {username:<12}{password:<18}{role:<16}{unit}")
        if not settings.DEMO_MODE:
            # Outside `make run` (DEMO_MODE) the published password is not good enough to keep.
            self.stdout.write("首次登录须修改此公开密码；office 和三位管理员须绑定手机动态口令")
            self.stdout.write("（make run 的演示模式下免除）。")
