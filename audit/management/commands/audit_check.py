"""Verify that the data keeps the closed loop's and the ledger's rules (see audit.checks).

    python manage.py audit_check
    python manage.py audit_check --anchors anchors.txt   # also against chain heads kept elsewhere

Prints what it checked and every violation; exits with status 1 when it finds any."""

import time

from django.core.management.base import BaseCommand, CommandError

from audit.chain import anchor_violations, parse_anchors
from audit.checks import audit

CHECKS = [
    "问题状态与处理记录回放一致",
    "处理记录序号连续、前后衔接",
    "责任单位与整改期限同最后一条记录一致",
    "销号须经非责任单位人员复核",
    "台账任务一个责任单位、一名本单位责任人、期限不晚于时间节点",
    "标准分值等于下级之和",
    "证据文件存在且 SHA-256 与登记一致",
    "只追加表的哈希链完整、触发器在位",
]


class Command(BaseCommand):
    help = "核查数据：问题状态与处理记录、独立复核销号、台账任务责任与期限、标准分值、证据文件"

    def add_arguments(self, parser):
        parser.add_argument("--anchors", help="manage.py chain_heads 先前打印并存于数据库之外的链头文件")

    def handle(self, *args, anchors=None, **options):
        started = time.monotonic()
        checked: dict[str, int] = {}
        violations = audit(checked=checked)
        if anchors:
            try:
                with open(anchors, encoding="utf-8") as file:
                    violations += anchor_violations(parse_anchors(file.read()))
            except OSError as error:
                raise CommandError(f"无法读取锚点文件 {anchors}：{error.strerror}") from error
            except ValueError as error:
                raise CommandError(str(error)) from error
        seconds = time.monotonic() - started
        self.stdout.write("核查项目：" + "；".join(CHECKS))
        self.stdout.write(
            "已核查："
            + "，".join(f"{label} {count}" for label, count in checked.items())
            + f"（用时 {seconds:.1f} 秒）"
        )
        for violation in violations:
            self.stdout.write(self.style.ERROR(violation))
        if violations:
            raise CommandError(f"发现 {len(violations)} 处不一致")
        self.stdout.write(self.style.SUCCESS("未发现不一致"))
