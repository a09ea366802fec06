"""Append-only means the database refuses UPDATE and DELETE (STYLE habit 14), on every
append-only table, on SQLite and on PostgreSQL: the triggers installed by the migrations
(core.trail), the QuerySet that refuses bulk writes before any SQL is sent, and the model's own
refusals. The test database is built by the migrations, so what is tested here is what a
deployment gets."""

import pytest
from django.db import IntegrityError, connection, transaction

from core import trail
from core.models import AppendOnlyError, AppendOnlyQuerySet
from problems.models import ProblemEvent
from tests.trail_rows import one_row_each

MODELS = trail.append_only_models()
IDS = [m._meta.label for m in MODELS]


@pytest.fixture
def rows(world):
    return one_row_each(world)


def refusal(table: str, op: str) -> str:
    return f"表 {table} 只能追加，拒绝 {op}"


def sql(statement: str, params=()) -> None:
    # A savepoint: on PostgreSQL a refused statement spoils the transaction around it.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_every_append_only_model_is_covered_by_these_tests(rows):
    assert set(rows) == set(MODELS)
    assert all(row is not None for row in rows.values())


def test_every_append_only_table_has_its_triggers_installed_by_the_migrations(db):
    tables = [t for m in MODELS for t in trail.tables_of(m)]

    assert "problems_problemevent_attachments" in tables  # a problem event's evidence links
    assert "core_securityevent" in tables
    assert trail.tables_without_triggers(connection, tables) == []


def test_no_append_only_model_sets_a_value_at_save_time_which_its_hash_would_miss():
    late = [
        f"{m._meta.label}.{f.name}"
        for m in MODELS
        for f in m._meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    assert late == []


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_the_database_refuses_to_update_a_row_and_names_the_table(rows, model):
    table, row = model._meta.db_table, rows[model]

    with pytest.raises(IntegrityError) as refused:
        sql(f'UPDATE "{table}" SET chain_prev = %s WHERE id = %s', ["0" * 64, row.pk])

    assert refusal(table, "UPDATE") in str(refused.value)
    assert model.objects.get(pk=row.pk).chain_prev == row.chain_prev


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_the_database_refuses_to_delete_a_row_and_names_the_table(rows, model):
    table, row = model._meta.db_table, rows[model]

    with pytest.raises(IntegrityError) as refused:
        sql(f'DELETE FROM "{table}" WHERE id = %s', [row.pk])

    assert refusal(table, "DELETE") in str(refused.value)
    assert model.objects.filter(pk=row.pk).exists()


def test_the_database_refuses_to_unlink_or_relink_a_problem_events_evidence(rows):
    event = rows[ProblemEvent]
    photo = event.attachments.get()

    with pytest.raises(IntegrityError) as unlinked, transaction.atomic():
        event.attachments.clear()
    with pytest.raises(IntegrityError) as relinked:
        sql("UPDATE problems_problemevent_attachments SET problemevent_id = problemevent_id")

    assert refusal("problems_problemevent_attachments", "DELETE") in str(unlinked.value)
    assert refusal("problems_problemevent_attachments", "UPDATE") in str(relinked.value)
    assert list(event.attachments.all()) == [photo]


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_the_queryset_refuses_bulk_updates_and_deletes_before_any_sql(rows, model, django_assert_num_queries):
    row, table, name = rows[model], model._meta.db_table, model._meta.verbose_name
    one = model.objects.filter(pk=row.pk)

    with django_assert_num_queries(0):
        with pytest.raises(AppendOnlyError) as updated:
            one.update(chain_prev="0" * 64)
        with pytest.raises(AppendOnlyError) as deleted:
            one.delete()
        with pytest.raises(AppendOnlyError):
            model.objects.all().delete()
        with pytest.raises(AppendOnlyError):
            model.objects.update(chain_prev="")

    assert str(updated.value) == f"「{name}」（表 {table}）只能追加，不能修改"
    assert str(deleted.value) == f"「{name}」（表 {table}）只能追加，不能删除"


def test_bulk_update_and_a_related_managers_writes_are_refused_too(rows):
    event = rows[ProblemEvent]
    event.note = "改过的说明"

    with pytest.raises(AppendOnlyError):
        ProblemEvent.objects.bulk_update([event], ["note"])
    with pytest.raises(AppendOnlyError):
        event.problem.events.update(note="")
    with pytest.raises(AppendOnlyError):
        event.problem.events.all().delete()

    assert ProblemEvent.objects.get(pk=event.pk).note == "已清运垃圾"


def test_bulk_create_that_could_skip_or_overwrite_rows_is_refused(rows):
    row = rows[ProblemEvent]

    with pytest.raises(AppendOnlyError, match="不能覆盖已有记录"):
        ProblemEvent.objects.bulk_create([row], ignore_conflicts=True)
    with pytest.raises(AppendOnlyError, match="不能覆盖已有记录"):
        ProblemEvent.objects.bulk_create([row], update_conflicts=True, update_fields=["note"], unique_fields=["id"])


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_a_saved_row_refuses_save_and_delete(rows, model):
    row = rows[model]

    with pytest.raises(AppendOnlyError, match="append-only"):
        row.save()
    with pytest.raises(AppendOnlyError, match="append-only"):
        row.delete()


def test_every_append_only_model_gets_the_refusing_manager():
    assert [m._meta.label for m in MODELS if not isinstance(m._default_manager.all(), AppendOnlyQuerySet)] == []
