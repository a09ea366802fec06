"""The worker's clock and queue: a slot runs once whoever asks, a missed slot runs once on
waking, tasks enqueued in a transaction exist only if it commits."""

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection, transaction
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from core import schedule
from core.models import ScheduleSlot
from core.schedule import Job
from core.worker import run_pending

SH = dt.timezone(dt.timedelta(hours=8))


def at(*args):
    return dt.datetime(*args, tzinfo=SH)


@pytest.mark.parametrize(
    ("spec", "now", "slot"),
    [
        ({"every_minutes": 15}, at(2026, 12, 1, 9, 7), at(2026, 12, 1, 9, 0)),
        ({"every_minutes": 1}, at(2026, 12, 1, 0, 0, 30), at(2026, 12, 1, 0, 0)),
        ({"at": "03:00"}, at(2026, 12, 1, 2, 59), at(2026, 11, 30, 3, 0)),
        ({"at": "03:00"}, at(2026, 12, 1, 3, 0), at(2026, 12, 1, 3, 0)),
        # Weekly, Monday 08:30: on Tuesday the 1st the slot was Monday the 30th.
        ({"at": "08:30", "weekday": 0}, at(2026, 12, 1, 9, 0), at(2026, 11, 30, 8, 30)),
        ({"at": "08:30", "weekday": 0}, at(2026, 11, 30, 8, 0), at(2026, 11, 23, 8, 30)),
    ],
)
def test_a_jobs_latest_slot_is_on_its_grid_in_shanghai_time(spec, now, slot):
    assert Job.from_setting("j", {"task": "x", **spec}).latest_slot(now) == slot


@pytest.mark.parametrize("spec", [{}, {"every_minutes": 7}, {"every_minutes": 5, "at": "03:00"}])
def test_a_job_without_a_sound_grid_is_refused(spec):
    with pytest.raises(ValueError):
        Job.from_setting("j", {"task": "x", **spec})


HOUSEKEEPING = {"housekeeping": {"task": "core.tasks.housekeeping", "at": "03:00"}}


@pytest.mark.django_db
@override_settings(SCHEDULE=HOUSEKEEPING)
def test_a_slot_is_taken_once_however_often_the_clock_is_read():
    with time_machine.travel(at(2026, 12, 1, 3, 5), tick=False):
        assert schedule.tick() == ["housekeeping"]
        assert schedule.tick() == []
    assert DBTaskResult.objects.filter(task_path="core.tasks.housekeeping").count() == 1
    assert list(ScheduleSlot.objects.values_list("job", "slot")) == [("housekeeping", at(2026, 12, 1, 3, 0))]


@pytest.mark.django_db
@override_settings(SCHEDULE=HOUSEKEEPING)
def test_a_worker_that_was_down_runs_the_missed_slot_once_then_the_next_on_time():
    # Down from the 1st to the 4th: on waking, the latest missed slot (the 4th, 03:00) runs once.
    with time_machine.travel(at(2026, 12, 4, 10, 0), tick=False):
        assert run_pending() == 1
        assert run_pending() == 0
    with time_machine.travel(at(2026, 12, 4, 23, 0), tick=False):
        assert schedule.tick() == []
    with time_machine.travel(at(2026, 12, 5, 3, 0), tick=False):
        assert schedule.tick() == ["housekeeping"]
    slots = list(ScheduleSlot.objects.order_by("slot").values_list("slot", flat=True))
    assert slots == [at(2026, 12, 4, 3, 0), at(2026, 12, 5, 3, 0)]


@pytest.mark.django_db(transaction=True)
@override_settings(SCHEDULE=HOUSEKEEPING)
def test_two_workers_reading_the_clock_at_once_take_the_slot_once():
    barrier = threading.Barrier(4)
    taken, errors = [], []

    def worker():
        from django.db import connections

        try:
            barrier.wait()
            with time_machine.travel(at(2026, 12, 1, 3, 1), tick=False):
                taken.extend(schedule.tick())
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert taken == ["housekeeping"]
    assert DBTaskResult.objects.filter(task_path="core.tasks.housekeeping").count() == 1
    assert connection.vendor in ("sqlite", "postgresql")


@pytest.mark.django_db
def test_a_task_enqueued_in_a_transaction_that_rolls_back_does_not_exist():
    from core.tasks import housekeeping

    with pytest.raises(RuntimeError), transaction.atomic():
        housekeeping.enqueue()
        raise RuntimeError
    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db
@override_settings(SCHEDULE={})
def test_housekeeping_prunes_finished_jobs_older_than_the_keeping_time():
    from core.tasks import housekeeping

    with time_machine.travel(at(2026, 11, 1, 3, 0), tick=False):
        housekeeping.enqueue()
        assert run_pending() == 1
    with time_machine.travel(at(2026, 11, 10, 3, 0), tick=False):
        housekeeping.enqueue()
        assert run_pending() == 1
    # 14 days kept: on the 20th the job of the 1st goes, the one of the 10th stays.
    with time_machine.travel(at(2026, 11, 20, 3, 0), tick=False):
        housekeeping.enqueue()
        assert run_pending() == 1
    pruned = [r.return_value["pruned_jobs"] for r in DBTaskResult.objects.order_by("finished_at")]
    assert pruned == [0, 1]
