"""The worker: the clock (core.schedule) and the queue of background tasks (django_tasks_db).

One loop: take the due slots of the schedule, then run every ready task, then sleep a moment.
Tasks are claimed by django_tasks_db (a row lock, SKIP LOCKED on PostgreSQL, an exclusive
transaction on SQLite), so any number of workers can run side by side. A task cut short by a
crash stays "running" in django_tasks_db's table; what it was doing must therefore be safe to
redo: each of our tasks works from the state of its rows (a message still `sending` after its
lease is sent again, a bulletin still `rendering` after its lease can be rendered again).
"""

import logging
import signal
import time

from django.db import close_old_connections
from django.db.utils import OperationalError
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from core import schedule

logger = logging.getLogger(__name__)


class Loop:
    def __init__(self, *, interval: float = 1.0):
        self.interval = interval
        self.stopping = False
        self.name = schedule.worker_name()
        # django_tasks_db's own worker runs one claimed task (signals, result, traceback); the
        # loop around it is ours, so that the schedule is read between tasks.
        self._runner = Worker(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=self.name,
            excluded_queue_names=[],
        )

    def stop(self, signum=None, frame=None) -> None:
        """Finish the task in hand, then leave (SIGTERM from systemd, Ctrl-C in a terminal)."""
        if self.stopping:  # asked twice: leave now
            raise SystemExit(1)
        self.stopping = True

    def _claim(self) -> DBTaskResult | None:
        ready = DBTaskResult.objects.ready().filter(backend_name="default")
        with exclusive_transaction(ready.db):
            try:
                result = ready.get_locked()  # SKIP LOCKED on PostgreSQL: workers never wait on each other
                if result is not None:
                    result.claim(self.name)
                return result
            except OperationalError as error:
                if is_locked_database_exception(error):  # SQLite busy: try again next turn
                    return None
                raise

    def run_once(self) -> int:
        """One turn: the schedule's due slots, then every task ready now. Returns tasks run."""
        schedule.tick()
        ran = 0
        while not self.stopping and (result := self._claim()) is not None:
            self._runner.run_task(result)
            ran += 1
        return ran

    def run_forever(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        logger.info("worker %s started", self.name)
        while not self.stopping:
            close_old_connections()  # a database restart must not kill the worker
            if not self.run_once() and not self.stopping:
                time.sleep(self.interval)
        logger.info("worker %s stopped", self.name)


def run_pending() -> int:
    """Run the schedule's due slots and every ready task, in this process (tests, `--once`)."""
    return Loop().run_once()
