"""The database's half of "append-only" (STYLE habit 14): triggers that refuse UPDATE and DELETE
on every append-only table, on SQLite and PostgreSQL, and the migration operations that install
them and chain the rows already there.

Each app's migration that creates or changes an append-only table ends with
`RefuseUpdateDelete("<Model>")` (and `links=[...]` for the many-to-many fields whose link table
belongs to the rows, core.models.AppendOnly.chained_links). On SQLite a migration that alters such
a table rebuilds it and loses its triggers: end that migration with the operation again.
`core/tests/test_trail.py` fails for any append-only table without its triggers.

The refusal names the table: 表 problems_problemevent 只能追加，拒绝 UPDATE. Both databases raise
it as an integrity error (SQLite's RAISE(ABORT), PostgreSQL's SQLSTATE 23001 restrict_violation),
so Django raises `django.db.IntegrityError`.

On PostgreSQL the triggers belong to the owner role that runs the migrations; the application's
role (core.roles) may read and write rows but neither drop nor disable a trigger, nor turn
triggers off for its session (`session_replication_role` is for superusers)."""

from django.apps import apps
from django.db import migrations

from core import chain

PG_FUNCTION = "append_only_refuse"
PG_TRIGGER = "append_only"


def _message(table: str, op: str) -> str:
    return f"表 {table} 只能追加，拒绝 {op}"


def install_sql(vendor: str, table: str) -> list[str]:
    if vendor == "postgresql":
        return [
            f"CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION USING MESSAGE = '表 ' || TG_TABLE_NAME || ' 只能追加，拒绝 ' || TG_OP, "
            "ERRCODE = 'restrict_violation'; END; $$",
            f'CREATE TRIGGER {PG_TRIGGER} BEFORE UPDATE OR DELETE ON "{table}" '
            f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()",
        ]
    if vendor == "sqlite":
        return [
            f'CREATE TRIGGER "{_sqlite_name(table, op)}" BEFORE {op} ON "{table}" '
            f"BEGIN SELECT RAISE(ABORT, '{_message(table, op)}'); END"
            for op in ("UPDATE", "DELETE")
        ]
    raise NotImplementedError(f"append-only triggers for {vendor}")


def drop_sql(vendor: str, table: str) -> list[str]:
    if vendor == "postgresql":
        return [f'DROP TRIGGER IF EXISTS {PG_TRIGGER} ON "{table}"']
    return [f'DROP TRIGGER IF EXISTS "{_sqlite_name(table, op)}"' for op in ("UPDATE", "DELETE")]


def _reinstall_sql(vendor: str, table: str) -> list[str]:
    return drop_sql(vendor, table) + install_sql(vendor, table)


def _sqlite_name(table: str, op: str) -> str:
    return f"append_only_{op.lower()}_{table}"


def append_only_models() -> list:
    """Every concrete append-only model (core.models.AppendOnly), by table name."""
    from core.models import AppendOnly

    return sorted((m for m in apps.get_models() if issubclass(m, AppendOnly)), key=lambda m: m._meta.db_table)


def tables_of(model, links=None) -> list[str]:
    """The table of an append-only model and the link tables of its chained many-to-many fields."""
    links = getattr(model, "chained_links", ()) if links is None else links
    return [model._meta.db_table] + [model._meta.get_field(name).remote_field.through._meta.db_table for name in links]


def tables_without_triggers(connection, tables: list[str]) -> list[str]:
    """Those of `tables` whose UPDATE or DELETE is not refused (trigger missing or disabled)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "JOIN pg_proc p ON p.oid = t.tgfoid "
                "WHERE t.tgname = %s AND p.proname = %s AND t.tgenabled IN ('O', 'A') "
                "AND t.tgtype & 24 = 24 AND t.tgtype & 1 = 1 AND c.relname = ANY(%s)",
                # tgtype bits: 1 row-level, 8 DELETE, 16 UPDATE
                [PG_TRIGGER, PG_FUNCTION, tables],
            )
            guarded = {row[0] for row in cursor.fetchall()}
        else:
            cursor.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'")
            names = set(cursor.fetchall())
            guarded = {t for t in tables if all((_sqlite_name(t, op), t) in names for op in ("UPDATE", "DELETE"))}
    return [t for t in tables if t not in guarded]


class RefuseUpdateDelete(migrations.operations.base.Operation):
    """Install the triggers that refuse UPDATE and DELETE on a model's table (and the link tables
    named in `links`). Reversible: backwards drops them."""

    reduces_to_sql = True
    reversible = True

    def __init__(self, model_name: str, links: list[str] | tuple[str, ...] = ()):
        self.model_name = model_name
        self.links = list(links)

    def deconstruct(self):
        kwargs = {"links": self.links} if self.links else {}
        return self.__class__.__qualname__, [self.model_name], kwargs

    def state_forwards(self, app_label, state):
        pass

    def _run(self, app_label, schema_editor, state, make_sql):
        model = state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        for table in tables_of(model, self.links):
            for sql in make_sql(schema_editor.connection.vendor, table):
                # No parameters: nothing in the SQL is a placeholder.
                schema_editor.execute(sql, None)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        # Dropped first, so that the operation can end any later migration of the table: SQLite
        # rebuilt it without its triggers, PostgreSQL kept them and would refuse a second CREATE.
        self._run(app_label, schema_editor, to_state, _reinstall_sql)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        self._run(app_label, schema_editor, from_state, drop_sql)

    def describe(self):
        return f"Refuse UPDATE and DELETE on {self.model_name}"

    @property
    def migration_name_fragment(self):
        return f"{self.model_name.lower()}_append_only"


def chain_existing_rows(app_label: str, model_name: str, links=()) -> migrations.RunPython:
    """A migration step for a table that becomes chained while it holds rows: number and hash
    them in id order, then set the table's chain head. Runs before the triggers are installed
    (it writes the three chain columns of every row)."""

    def forwards(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        head_model = apps.get_model("core", "ChainHead")
        connection = schema_editor.connection
        canon = chain.Canon(model, links)
        linked = {name: _links_by_row(model, name, connection.alias) for name in links}
        quote = connection.ops.quote_name
        update = (
            f"UPDATE {quote(model._meta.db_table)} SET chain_seq = %s, chain_prev = %s, chain_hash = %s "
            f"WHERE {quote(model._meta.pk.column)} = %s"
        )
        seq, prev, batch = 0, chain.GENESIS, []
        rows = model._base_manager.using(connection.alias).order_by("pk").values_list("pk", *canon.attnames)
        with connection.cursor() as cursor:
            for pk, *values in rows.iterator(chunk_size=5000):
                seq += 1
                values[canon.attnames.index("chain_seq")] = seq
                values[canon.attnames.index("chain_prev")] = prev
                hashed = canon.row_hash(values, {name: ids.get(pk, []) for name, ids in linked.items()})
                batch.append((seq, prev, hashed, pk))
                prev = hashed
                if len(batch) == 5000:
                    cursor.executemany(update, batch)
                    batch = []
            if batch:
                cursor.executemany(update, batch)
        if seq:
            head_model.objects.using(connection.alias).update_or_create(
                table=model._meta.db_table, defaults={"seq": seq, "hash": prev}
            )

    return migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)


def _links_by_row(model, name: str, db: str) -> dict[int, list[int]]:
    field = model._meta.get_field(name)
    through = field.remote_field.through
    source = field.m2m_field_name() + "_id"
    target = field.m2m_reverse_field_name() + "_id"
    found: dict[int, list[int]] = {}
    for row, other in through._base_manager.using(db).values_list(source, target).iterator():
        found.setdefault(row, []).append(other)
    return found
