"""Two bulletins published at the same moment take two numbers of the year's series, one each.

Real threads with their own connections, released together. The number comes from a counter row
locked on its own (BulletinCounter): the highest number so far cannot be locked, because Django
drops FOR UPDATE on an aggregate, and two publishers then read the same maximum."""

import datetime as dt
import threading

import pytest
from django.db import connection

from bulletins import services
from bulletins.models import Bulletin, BulletinCounter


@pytest.fixture
def drafts(transactional_db, world):
    return [
        services.bulletin_create(
            actor=world.office,
            campaign=world.campaign,
            period_start=dt.date(2026, 5, 1),
            period_end=dt.date(2026, 5, 10),
            title=f"第{n}份通报",
        )
        for n in (1, 2)
    ]


def test_two_bulletins_published_at_once_get_two_numbers(world, drafts):
    barrier = threading.Barrier(len(drafts))
    errors = []

    def publish(draft):
        try:
            barrier.wait(timeout=10)
            services.bulletin_publish(actor=world.office, bulletin=draft)
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=publish, args=(draft,)) for draft in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert errors == []
    numbers = sorted(Bulletin.objects.values_list("year", "number"))
    assert numbers == [(2026, 1), (2026, 2)]
    assert BulletinCounter.objects.get(year=2026).last == 2
