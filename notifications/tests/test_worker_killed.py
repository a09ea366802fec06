"""A real worker process killed with SIGKILL in the middle of a batch, against a real loopback
server that counts what it receives: every message arrives at least once, each is one row that
ends `sent`, none is lost. A second worker finishes the batch once the dead one's lease ends."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from core.bench import database_url
from notifications.loopback import Stub
from notifications.models import Channel, Endpoint, Message
from notifications.services import notify

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = 120


def start_worker(tmp_path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": database_url(connection.settings_dict, connection.vendor),
        "NOTIFY_LEASE_SECONDS": "2",
        "MEDIA_ROOT": str(tmp_path),
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "worker", "--interval", "0.1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_for(condition, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_loses_nothing_and_records_each_message_once(world, tmp_path):
    # Each answer takes 20 ms, so the kill lands with messages in flight.
    with Stub(lambda request: (0.02, (200, {"errcode": 0, "errmsg": "ok"}))) as stub:
        Endpoint.objects.create(
            kind=Channel.WECOM, unit=world.unit_a, name="东城群", url=f"{stub.url}/w", per_minute=100_000
        )
        for n in range(MESSAGES):
            notify(
                rule="assigned",
                source=f"problem:{n}:assign2",
                recipients=[world.liaison_a],
                subject=f"问题交办 {n}",
                body="幸福巷",
                unit=world.unit_a,
                robots=True,
            )
        first = start_worker(tmp_path)
        try:
            assert wait_for(lambda: len(stub.received.requests) >= MESSAGES // 3, 60), first.stderr
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait()
        received_at_kill = len(stub.received.requests)
        assert received_at_kill < MESSAGES  # killed in the middle, not after the end

        second = start_worker(tmp_path)
        try:
            done = wait_for(lambda: not Message.objects.exclude(state="sent").exists(), 90)
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=30)
    robots = Message.objects.filter(channel=Channel.WECOM)
    keys = set(robots.values_list("key", flat=True))
    received = stub.received.ids()
    assert done
    assert robots.count() == MESSAGES and set(robots.values_list("state", flat=True)) == {"sent"}
    assert set(received) == keys  # none lost, nothing unknown
    doubled = len(received) - len(set(received))
    # At most the messages the killed worker had claimed and not yet recorded: one at a time.
    assert doubled <= 1, f"{doubled} sent twice"
    print(f"\nkilled after {received_at_kill} of {MESSAGES}; received {len(received)}, doubled {doubled}")
