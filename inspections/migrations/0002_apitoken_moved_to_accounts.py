# ApiToken now lives in accounts (signing in is not an inspection's business). The table stays;
# accounts renames it.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("inspections", "0001_initial"),
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ApiToken")],
            database_operations=[],
        ),
    ]
