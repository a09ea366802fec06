"""The hash chain of the append-only tables (core.chain): what a row's hash covers, exactly, so
that anyone can recompute it from the table alone; how rows are numbered and linked; and that
writers appending at the same moment still make one unbroken chain (threads, on SQLite and on
PostgreSQL)."""

import datetime as dt
import hashlib
import threading

import pytest
from django.db import connection, transaction

from audit.chain import chain_violations
from core import chain, trail
from core.models import ChainHead, SecurityEvent
from core.security import log_event
from problems.models import ProblemEvent
from tests.trail_rows import one_row_each

ZEROS = "0" * 64
Kind = SecurityEvent.Kind


def stored(model) -> list[tuple]:
    return list(model.objects.order_by("chain_seq").values_list("chain_seq", "chain_prev", "chain_hash"))


def test_a_rows_hash_is_the_sha256_of_its_columns_as_sorted_json_without_nulls(db):
    event = SecurityEvent.objects.create(
        at=dt.datetime(2026, 5, 12, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        kind=Kind.LOGIN_FAILED,
        username="wangfang",
        ip="::ffff:10.0.0.1",
        path="/accounts/login/",
        summary="王芳登录失败",
        details={"次数": 3.0, "原因": ["密码错误", {"z": None, "a": 1}]},
    )
    content = (
        '{"at":"2026-05-12T02:00:00.000000+00:00","chain_prev":"' + ZEROS + '","chain_seq":1,'
        '"details":{"原因":["密码错误",{"a":1,"z":null}],"次数":3},"ip":"::ffff:a00:1","kind":"login_failed",'
        '"path":"/accounts/login/","summary":"王芳登录失败","target":"","username":"wangfang"}'
    )

    assert event.chain_hash == hashlib.sha256(content.encode()).hexdigest()
    # Read back, from either database, the same columns give the same bytes.
    canon = chain.canon_of(SecurityEvent)
    values = SecurityEvent.objects.values_list(*canon.attnames).get(pk=event.pk)
    assert canon.content(values).decode() == content


def test_a_problem_events_hash_covers_the_evidence_it_links(world):
    rows = one_row_each(world)
    event = rows[ProblemEvent]
    photo = event.attachments.get()
    canon = chain.canon_of(ProblemEvent)
    values = ProblemEvent.objects.values_list(*canon.attnames).get(pk=event.pk)

    assert f'"attachments":[{photo.pk}]'.encode() in canon.content(values, {"attachments": [photo.pk]})
    assert canon.row_hash(values, {"attachments": [photo.pk]}) == event.chain_hash
    assert canon.row_hash(values, {"attachments": []}) != event.chain_hash


@pytest.mark.parametrize("model", trail.append_only_models(), ids=lambda m: m._meta.label)
def test_every_tables_rows_hash_the_same_when_read_back_as_when_written(world, model):
    row = one_row_each(world)[model]
    canon = chain.canon_of(model)
    values = model.objects.values_list(*canon.attnames).get(pk=row.pk)
    links = {name: list(getattr(row, name).values_list("pk", flat=True)) for name in canon.links}

    assert canon.row_hash(values, links) == row.chain_hash


def test_appends_are_numbered_from_one_and_each_names_the_hash_before_it(db):
    for n in range(3):
        log_event(Kind.LOGIN, username=f"user{n}")

    (s1, p1, h1), (s2, p2, h2), (s3, p3, h3) = stored(SecurityEvent)
    assert (s1, s2, s3) == (1, 2, 3)
    assert (p1, p2, p3) == (ZEROS, h1, h2)
    assert len({h1, h2, h3}) == 3
    assert ChainHead.objects.values_list("seq", "hash").get(table="core_securityevent") == (3, h3)


def test_an_append_rolled_back_with_its_transaction_leaves_no_gap(db):
    log_event(Kind.LOGIN, username="first")
    with pytest.raises(RuntimeError), transaction.atomic():
        log_event(Kind.LOGIN, username="rolled back")
        raise RuntimeError("the work this event belonged to failed")
    log_event(Kind.LOGIN, username="second")

    assert list(SecurityEvent.objects.order_by("chain_seq").values_list("chain_seq", "username")) == [
        (1, "first"),
        (2, "second"),
    ]
    assert chain_violations({}) == []


def test_bulk_created_rows_are_chained_in_the_order_given(db):
    log_event(Kind.LOGIN, username="before")
    at = dt.datetime(2026, 5, 12, 2, 0, tzinfo=dt.UTC)
    SecurityEvent.objects.bulk_create(
        [SecurityEvent(at=at, kind=Kind.EXPORT, username=f"bulk{n}", details={"行数": n}) for n in range(3)]
    )
    log_event(Kind.LOGIN, username="after")

    assert list(SecurityEvent.objects.order_by("chain_seq").values_list("chain_seq", "username")) == [
        (1, "before"),
        (2, "bulk0"),
        (3, "bulk1"),
        (4, "bulk2"),
        (5, "after"),
    ]
    assert chain_violations({}) == []


@pytest.mark.django_db(transaction=True)
def test_writers_appending_at_the_same_moment_make_one_unbroken_chain(world):
    """Eight threads, each with its own connection, append problem steps and security events at
    once. Each append takes its table's chain head under a lock of its own (on SQLite the write
    lock taken at BEGIN); without it two writers would read the same head and chain to it."""
    from problems.tests.helpers import recorded_problem

    errors = []
    start = threading.Barrier(8)

    def write(n):
        try:
            start.wait(10)
            for k in range(5):
                log_event(Kind.LOGIN, username=f"thread{n}-{k}")
                recorded_problem(world, description=f"线程{n}登记的第{k}个问题")
        except Exception as error:  # reported below, with the thread's number
            errors.append((n, repr(error)))
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    checked = {}
    assert errors == []
    assert list(SecurityEvent.objects.order_by("chain_seq").values_list("chain_seq", flat=True)) == list(range(1, 41))
    assert list(ProblemEvent.objects.order_by("chain_seq").values_list("chain_seq", flat=True)) == list(range(1, 41))
    assert chain_violations(checked) == []
    assert checked == {"哈希链记录": 80}
