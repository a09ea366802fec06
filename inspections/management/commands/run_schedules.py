"""Long-term management by cron, where no worker runs: make each recurring schedule's plan for
the current period and announce new hotspots. Safe to run as often as wanted (one plan per
schedule and period, one notice per hotspot and window)."""

from django.core.management.base import BaseCommand

from inspections.services import routine


class Command(BaseCommand):
    help = "为各常态检查规则生成本周期的检查计划并抽取点位，提示新的反弹热点"

    def handle(self, *args, **options):
        plans = routine.schedule_run()
        notices = routine.hotspots_announce()
        for plan in plans:
            self.stdout.write(f"{plan.name}: {plan.targets.count()}")
        self.stdout.write(f"plans made: {len(plans)}; hotspot notices: {len(notices)}")
