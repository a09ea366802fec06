"""Statistics for the columns 0009 added. Adding a column changes no row, so autovacuum does not
analyse the table again: at a million problems the planner, knowing nothing of `resembles`, read
the problem number index in order looking for the problems that resemble one (240 ms on a
problem's page) instead of the index on `resembles` (under 1 ms). PostgreSQL only; SQLite's
planner does not need it."""

from django.db import migrations


def analyze(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ANALYZE problems_problem")


class Migration(migrations.Migration):
    dependencies = [("problems", "0009_duplicates")]

    operations = [migrations.RunPython(analyze, migrations.RunPython.noop, elidable=True)]
