"""The tamper-proof trail (issue 10, part 3): each append-only row is numbered and hashed into its
table's chain (core.chain; rows already there are chained in id order), then the database refuses
UPDATE and DELETE on the table (core.trail)."""

from django.db import migrations, models

from core.trail import RefuseUpdateDelete, chain_existing_rows


class Migration(migrations.Migration):
    dependencies = [
        ("inspections", "0003_plan_version"),
        ("core", "0004_append_only_trail"),
    ]

    operations = [
        # SampleDraw: numbered and hashed (core.chain), then closed to UPDATE and DELETE (core.trail).
        migrations.AddField(
            model_name="sampledraw",
            name="chain_seq",
            field=models.PositiveBigIntegerField(editable=False, null=True, verbose_name="链序号"),
        ),
        migrations.AddField(
            model_name="sampledraw",
            name="chain_prev",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="前一条哈希"),
        ),
        migrations.AddField(
            model_name="sampledraw",
            name="chain_hash",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="本条哈希"),
        ),
        chain_existing_rows("inspections", "SampleDraw"),
        migrations.AlterField(
            model_name="sampledraw",
            name="chain_seq",
            field=models.PositiveBigIntegerField(editable=False, unique=True, verbose_name="链序号"),
        ),
        RefuseUpdateDelete("SampleDraw"),
        # PlanEvent: numbered and hashed (core.chain), then closed to UPDATE and DELETE (core.trail).
        migrations.AddField(
            model_name="planevent",
            name="chain_seq",
            field=models.PositiveBigIntegerField(editable=False, null=True, verbose_name="链序号"),
        ),
        migrations.AddField(
            model_name="planevent",
            name="chain_prev",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="前一条哈希"),
        ),
        migrations.AddField(
            model_name="planevent",
            name="chain_hash",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="本条哈希"),
        ),
        chain_existing_rows("inspections", "PlanEvent"),
        migrations.AlterField(
            model_name="planevent",
            name="chain_seq",
            field=models.PositiveBigIntegerField(editable=False, unique=True, verbose_name="链序号"),
        ),
        RefuseUpdateDelete("PlanEvent"),
        # CovertReadLog: numbered and hashed (core.chain), then closed to UPDATE and DELETE (core.trail).
        migrations.AddField(
            model_name="covertreadlog",
            name="chain_seq",
            field=models.PositiveBigIntegerField(editable=False, null=True, verbose_name="链序号"),
        ),
        migrations.AddField(
            model_name="covertreadlog",
            name="chain_prev",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="前一条哈希"),
        ),
        migrations.AddField(
            model_name="covertreadlog",
            name="chain_hash",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="本条哈希"),
        ),
        chain_existing_rows("inspections", "CovertReadLog"),
        migrations.AlterField(
            model_name="covertreadlog",
            name="chain_seq",
            field=models.PositiveBigIntegerField(editable=False, unique=True, verbose_name="链序号"),
        ),
        RefuseUpdateDelete("CovertReadLog"),
    ]
