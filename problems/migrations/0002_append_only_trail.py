"""The tamper-proof trail (issue 10, part 3): each append-only row is numbered and hashed into its
table's chain (core.chain; rows already there are chained in id order), then the database refuses
UPDATE and DELETE on the table (core.trail)."""

from django.db import migrations, models

from core.trail import RefuseUpdateDelete, chain_existing_rows


class Migration(migrations.Migration):
    dependencies = [
        ("problems", "0001_initial"),
        ("core", "0004_append_only_trail"),
    ]

    operations = [
        # ProblemEvent: numbered and hashed (core.chain), then closed to UPDATE and DELETE (core.trail).
        migrations.AddField(
            model_name="problemevent",
            name="chain_seq",
            field=models.PositiveBigIntegerField(editable=False, null=True, verbose_name="链序号"),
        ),
        migrations.AddField(
            model_name="problemevent",
            name="chain_prev",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="前一条哈希"),
        ),
        migrations.AddField(
            model_name="problemevent",
            name="chain_hash",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="本条哈希"),
        ),
        chain_existing_rows("problems", "ProblemEvent", links=["attachments"]),
        migrations.AlterField(
            model_name="problemevent",
            name="chain_seq",
            field=models.PositiveBigIntegerField(editable=False, unique=True, verbose_name="链序号"),
        ),
        RefuseUpdateDelete("ProblemEvent", links=["attachments"]),
    ]
