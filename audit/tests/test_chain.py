"""audit_check verifies every append-only table's hash chain (audit.chain). Each test tampers as
someone with the database owner's or a superuser's rights would (tests.dba: the triggers lifted,
rows changed with plain SQL or a plain QuerySet, even hashes recomputed with the published rule),
and asserts the exact sentences: the table, the position, what happened."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import QuerySet

from audit import chain as audit_chain
from audit.chain import chain_violations
from core import chain, trail
from core.models import ChainHead, SecurityEvent
from core.security import log_event
from problems.models import ProblemEvent
from tests import dba
from tests.trail_rows import one_row_each

MODELS = trail.append_only_models()
LOG = "安全审计日志（core_securityevent）"
Kind = SecurityEvent.Kind


@pytest.fixture
def rows(world):
    return one_row_each(world)


@pytest.fixture
def log(db):
    """Five rows of the security log, positions 1 to 5."""
    for n in range(1, 6):
        log_event(Kind.LOGIN, username=f"user{n}", summary=f"第{n}次登录")
    return {e.chain_seq: e for e in SecurityEvent.objects.all()}


def row_at(seq: int) -> SecurityEvent:
    return SecurityEvent.objects.get(chain_seq=seq)


def forge(**fields) -> SecurityEvent:
    """A row as the application would write it; sealed (numbered and hashed) by the caller, who
    knows the published rule."""
    return SecurityEvent(at=dt.datetime(2026, 5, 12, 2, 0, tzinfo=dt.UTC), kind=Kind.LOGIN, **fields)


def insert_raw(event: SecurityEvent) -> None:
    """An INSERT past the application: no chain head taken, nothing moved."""
    QuerySet(SecurityEvent).bulk_create([event])


def test_chains_written_by_the_services_are_whole_in_every_table(rows):
    checked = {}

    assert chain_violations(checked) == []
    assert checked == {"哈希链记录": sum(m.objects.count() for m in MODELS)}


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_a_row_edited_in_any_table_is_named_with_its_table_and_position(rows, model):
    row = rows[model]
    moment = next(f for f in model._meta.concrete_fields if f.get_internal_type() == "DateTimeField" and not f.null)
    dba.update(model.objects.filter(pk=row.pk), **{moment.name: getattr(row, moment.name) + dt.timedelta(minutes=1)})

    assert chain_violations({}) == [
        f"{audit_chain.label(model)}第 {row.chain_seq} 条（id {row.pk}）：内容与本条哈希不符，写入后被修改"
    ]


def test_a_row_deleted_from_the_middle_is_named_by_the_position_missing(log):
    dba.delete(SecurityEvent.objects.filter(chain_seq=3))

    assert chain_violations({}) == [f"{LOG}：缺少第 3 条（在第 4 条之前），记录被删除"]


def test_rows_deleted_from_the_start_are_named(log):
    dba.delete(SecurityEvent.objects.filter(chain_seq__lte=2))

    assert chain_violations({}) == [f"{LOG}：缺少第 1 至 2 条（在第 3 条之前），记录被删除"]


def test_rows_deleted_from_the_end_are_seen_against_the_chain_head(log):
    dba.delete(SecurityEvent.objects.filter(chain_seq__gte=4))

    assert chain_violations({}) == [f"{LOG}：链头记到第 5 条，表中只到第 3 条，末尾的记录被删除"]


def test_a_whole_table_emptied_is_seen_against_the_chain_head(log):
    dba.delete(SecurityEvent.objects.all())

    assert chain_violations({}) == [f"{LOG}：链头记到第 5 条，表中只到第 0 条，末尾的记录被删除"]


def test_an_edited_row_whose_hash_was_recomputed_breaks_the_next_rows_link(log):
    # Someone who knows the rule edits row 2 and gives it the hash of its new content.
    edited = row_at(2)
    edited.summary = "第2次登录（改）"
    chain.canon_of(SecurityEvent).seal(edited, seq=2, prev=log[1].chain_hash)
    dba.update(SecurityEvent.objects.filter(pk=edited.pk), summary=edited.summary, chain_hash=edited.chain_hash)

    assert chain_violations({}) == [
        f"{LOG}第 3 条（id {log[3].pk}）：所记前一条哈希与第 2 条不符，两者之间的记录被删除、插入或替换"
    ]


def test_a_row_slipped_into_the_middle_is_named_even_with_a_valid_hash(log):
    # Rows 3 to 5 moved one place on, a forged row at 3 chained to row 2 with a correct hash.
    for seq in (5, 4, 3):
        dba.update(SecurityEvent.objects.filter(pk=log[seq].pk), chain_seq=seq + 1)
    forged = forge(username="ghost", summary="伪造的登录")
    chain.canon_of(SecurityEvent).seal(forged, seq=3, prev=log[2].chain_hash)
    insert_raw(forged)

    assert chain_violations({}) == [
        f"{LOG}第 4 条（id {log[3].pk}）：所记前一条哈希与第 3 条不符，两者之间的记录被删除、插入或替换",
        f"{LOG}第 4 条（id {log[3].pk}）：内容与本条哈希不符，写入后被修改",
        f"{LOG}第 5 条（id {log[4].pk}）：内容与本条哈希不符，写入后被修改",
        f"{LOG}第 6 条（id {log[5].pk}）：内容与本条哈希不符，写入后被修改",
        f"{LOG}：表中有第 6 条，链头只记到第 5 条，末尾的记录未经正常追加写入",
    ]


def test_a_row_added_after_the_last_by_hand_is_seen_against_the_chain_head(log):
    forged = forge(username="ghost", summary="伪造的登录")
    chain.canon_of(SecurityEvent).seal(forged, seq=6, prev=log[5].chain_hash)
    insert_raw(forged)

    assert chain_violations({}) == [f"{LOG}：表中有第 6 条，链头只记到第 5 条，末尾的记录未经正常追加写入"]


@pytest.mark.postgres_only
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite drops a unique index only by rebuilding"
)
def test_a_row_given_a_position_already_taken_is_named(log):
    # The owner drops the unique constraint on the position, then slips a row in at 3.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'core_securityevent'::regclass AND contype = 'u'"
        )
        (constraint,) = cursor.fetchone()
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no ALTER TABLE while foreign key checks wait
        cursor.execute(f'ALTER TABLE core_securityevent DROP CONSTRAINT "{constraint}"')
    forged = forge(username="ghost", summary="伪造的登录")
    chain.canon_of(SecurityEvent).seal(forged, seq=3, prev=log[2].chain_hash)
    insert_raw(forged)

    assert chain_violations({}) == [
        f"{LOG}第 3 条（id {forged.pk}）：序号与前一条重复或倒退，记录被插入或重新编号",
        f"{LOG}第 4 条（id {log[4].pk}）：所记前一条哈希与第 3 条不符，两者之间的记录被删除、插入或替换",
    ]


def test_an_evidence_file_unlinked_from_its_problem_event_is_named_at_the_event(rows):
    event = rows[ProblemEvent]
    dba.delete(ProblemEvent.attachments.through.objects.filter(problemevent=event))

    assert chain_violations({}) == [
        f"问题记录（problems_problemevent）第 {event.chain_seq} 条（id {event.pk}）：内容与本条哈希不符，写入后被修改"
    ]


def test_an_evidence_file_linked_to_a_problem_event_afterwards_is_named_at_the_event(rows):
    first = ProblemEvent.objects.get(chain_seq=1)  # the record step, which had no file
    first.attachments.add(rows[ProblemEvent].attachments.get())

    assert chain_violations({}) == [
        f"问题记录（problems_problemevent）第 1 条（id {first.pk}）：内容与本条哈希不符，写入后被修改"
    ]


def test_a_dropped_or_disabled_trigger_is_named(log):
    with connection.cursor() as cursor:
        for sql in trail.drop_sql(connection.vendor, "core_securityevent"):
            cursor.execute(sql)

    assert chain_violations({}) == [f"{LOG}：表 core_securityevent 缺少拒绝修改和删除的触发器（或已停用）"]


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: ALTER TABLE … DISABLE TRIGGER")
def test_on_postgresql_a_disabled_trigger_is_named(log):
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE problems_problemevent_attachments DISABLE TRIGGER append_only")

    assert chain_violations({}) == [
        "问题记录（problems_problemevent）：表 problems_problemevent_attachments 缺少拒绝修改和删除的触发器（或已停用）"
    ]


def test_a_table_with_many_broken_rows_lists_the_first_and_counts_the_rest(log, monkeypatch):
    monkeypatch.setattr(audit_chain, "MAX_PER_TABLE", 2)
    dba.update(SecurityEvent.objects.all(), summary="全部改写")

    assert chain_violations({}) == [
        f"{LOG}第 1 条（id {log[1].pk}）：内容与本条哈希不符，写入后被修改",
        f"{LOG}第 2 条（id {log[2].pk}）：内容与本条哈希不符，写入后被修改",
        f"{LOG}：另有 3 处同类问题未列出",
    ]


def test_audit_check_reports_a_deleted_event_and_fails(rows):
    event = rows[ProblemEvent]  # the last step of a problem: its evidence submission
    dba.delete(ProblemEvent.objects.filter(pk=event.pk))
    out = io.StringIO()

    with pytest.raises(CommandError, match="处不一致"):
        call_command("audit_check", stdout=out)

    assert (
        f"问题记录（problems_problemevent）：链头记到第 {event.chain_seq} 条，表中只到第 {event.chain_seq - 1} 条，"
        "末尾的记录被删除"
    ) in out.getvalue().splitlines()


# ---- anchors kept outside the database --------------------------------------------------------------


def chain_heads() -> str:
    out = io.StringIO()
    call_command("chain_heads", stdout=out)
    return out.getvalue()


def audit_with(anchors: str, tmp_path) -> str:
    path = tmp_path / "anchors.txt"
    path.write_text(anchors, encoding="utf-8")
    out = io.StringIO()
    try:
        call_command("audit_check", anchors=str(path), stdout=out)
    except CommandError as error:
        return out.getvalue() + f"[{error}]"
    return out.getvalue()


def rewrite_from(seq: int, summary: str) -> None:
    """What the chain alone cannot see: row `seq` edited, its hash and every later one recomputed
    with the published rule, the head moved to the new last hash."""
    canon = chain.canon_of(SecurityEvent)
    prev = SecurityEvent.objects.get(chain_seq=seq - 1).chain_hash if seq > 1 else chain.GENESIS
    for event in SecurityEvent.objects.filter(chain_seq__gte=seq).order_by("chain_seq"):
        if event.chain_seq == seq:
            event.summary = summary
        prev = canon.seal(event, seq=event.chain_seq, prev=prev)
        dba.update(
            SecurityEvent.objects.filter(pk=event.pk),
            summary=event.summary,
            chain_prev=event.chain_prev,
            chain_hash=event.chain_hash,
        )
    ChainHead.objects.filter(table="core_securityevent").update(hash=prev)


def test_chain_heads_prints_every_tables_last_position_and_hash(log):
    lines = chain_heads().splitlines()

    assert lines[1] == "# 请存于数据库服务器之外；用 python manage.py audit_check --anchors <本文件> 核对"
    assert f"core_securityevent 5 {log[5].chain_hash}" in lines
    assert f"problems_problemevent 0 {'0' * 64}" in lines
    assert len(lines) == 2 + len(MODELS)


def test_a_rewrite_with_every_hash_recomputed_escapes_the_chain_but_not_an_anchor_kept_elsewhere(log, tmp_path):
    anchors = chain_heads()
    log_event(Kind.LOGIN, username="later")  # the trail goes on after the anchors were taken
    rewrite_from(2, "第2次登录（改）")

    assert chain_violations({}) == []
    assert audit_with(anchors, tmp_path).splitlines()[-2:] == [
        f"{LOG}第 5 条（id {log[5].pk}）：哈希与留存的锚点不符，第 5 条及以前的记录被改写",
        "[发现 1 处不一致]",
    ]


def test_anchors_of_an_untouched_trail_pass_however_far_it_has_grown(log, tmp_path):
    anchors = chain_heads()
    log_event(Kind.LOGIN, username="later")

    assert audit_with(anchors, tmp_path).splitlines()[-1] == "未发现不一致"


def test_an_anchored_row_deleted_with_the_rest_of_the_tail_is_named(log, tmp_path):
    anchors = chain_heads()
    dba.delete(SecurityEvent.objects.filter(chain_seq__gte=4))
    ChainHead.objects.filter(table="core_securityevent").update(seq=3, hash=log[3].chain_hash)

    assert chain_violations({}) == []
    assert audit_with(anchors, tmp_path).splitlines()[-2:] == [
        f"{LOG}：留存的锚点指向第 5 条，表中已没有该条，记录被删除",
        "[发现 1 处不一致]",
    ]


@pytest.mark.parametrize(
    "text, message",
    [
        ("core_securityevent five abc\n", "[锚点文件第 1 行格式不对，应为「表名 条数 哈希」]"),
        ("# 注释\n\nno_such_table 3 " + "a" * 64 + "\n", "锚点文件第 3 行：没有只追加表 no_such_table"),
    ],
)
def test_an_anchor_file_that_names_no_table_or_is_malformed_is_refused_by_line(log, tmp_path, text, message):
    assert message in audit_with(text, tmp_path)
