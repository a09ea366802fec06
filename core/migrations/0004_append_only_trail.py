"""The tamper-proof trail (issue 10, part 3): each append-only row is numbered and hashed into its
table's chain (core.chain; rows already there are chained in id order), then the database refuses
UPDATE and DELETE on the table (core.trail)."""

from django.db import migrations, models

from core.trail import RefuseUpdateDelete, chain_existing_rows


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_security_event"),
    ]

    operations = [
        migrations.CreateModel(
            name="ChainHead",
            fields=[
                ("table", models.CharField(max_length=100, primary_key=True, serialize=False)),
                ("seq", models.PositiveBigIntegerField(default=0)),
                ("hash", models.CharField(default="0000000000000000000000000000000000000000000000000000000000000000", max_length=64)),
            ],
            options={"verbose_name": "哈希链头", "verbose_name_plural": "哈希链头"},
        ),
        # SecurityEvent: numbered and hashed (core.chain), then closed to UPDATE and DELETE (core.trail).
        migrations.AddField(
            model_name="securityevent",
            name="chain_seq",
            field=models.PositiveBigIntegerField(editable=False, null=True, verbose_name="链序号"),
        ),
        migrations.AddField(
            model_name="securityevent",
            name="chain_prev",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="前一条哈希"),
        ),
        migrations.AddField(
            model_name="securityevent",
            name="chain_hash",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="本条哈希"),
        ),
        chain_existing_rows("core", "SecurityEvent"),
        migrations.AlterField(
            model_name="securityevent",
            name="chain_seq",
            field=models.PositiveBigIntegerField(editable=False, unique=True, verbose_name="链序号"),
        ),
        RefuseUpdateDelete("SecurityEvent"),
    ]
