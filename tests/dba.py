"""Tampering as someone who owns the database would do it, for tests that prove the trail finds
it: the triggers that refuse UPDATE and DELETE on the append-only tables (core.trail) are lifted
for a moment, and the rows are changed with a plain QuerySet, past the append-only one.

On PostgreSQL a superuser turns triggers off for the session (`SET session_replication_role =
replica`, the switch pg_restore uses); the application's role cannot (core/tests/test_roles.py).
On SQLite, whoever can write the file can drop a trigger and create it again."""

import contextlib

from django.db import connections
from django.db.models import QuerySet

from core import trail


def append_only_tables() -> list[str]:
    return [t for m in trail.append_only_models() for t in trail.tables_of(m)]


@contextlib.contextmanager
def triggers_off(using: str = "default"):
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
            try:
                yield
            finally:
                cursor.execute("RESET session_replication_role")
        else:
            tables = append_only_tables()
            for table in tables:
                for sql in trail.drop_sql(connection.vendor, table):
                    cursor.execute(sql)
            try:
                yield
            finally:
                for table in tables:
                    for sql in trail.install_sql(connection.vendor, table):
                        cursor.execute(sql)


def plain(queryset) -> QuerySet:
    """The same rows through a plain QuerySet, which does not refuse update() and delete()."""
    return QuerySet(model=queryset.model, query=queryset.query.chain(), using=queryset.db)


def update(queryset, **values) -> int:
    with triggers_off(queryset.db):
        return plain(queryset).update(**values)


def delete(queryset) -> int:
    with triggers_off(queryset.db):
        return plain(queryset).delete()[0]
