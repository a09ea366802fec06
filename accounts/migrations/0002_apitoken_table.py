from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("inspections", "0002_apitoken_moved_to_accounts"),
    ]

    operations = [
        migrations.AlterModelTable(name="apitoken", table=None),
    ]
