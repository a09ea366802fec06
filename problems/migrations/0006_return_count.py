# The rework counter on the problem (issue 14), filled from each problem's trail of returns.

from django.db import migrations, models
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce


def count_returns(apps, schema_editor):
    Problem = apps.get_model("problems", "Problem")
    ProblemEvent = apps.get_model("problems", "ProblemEvent")
    returns = (
        ProblemEvent.objects.filter(problem=OuterRef("pk"), action="return")
        .order_by()
        .values("problem")
        .annotate(n=Count("*"))
        .values("n")
    )
    Problem.objects.filter(events__action="return").update(
        return_count=Coalesce(Subquery(returns, output_field=IntegerField()), 0)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("problems", "0005_found_again"),
    ]

    operations = [
        migrations.AddField(
            model_name="problem",
            name="return_count",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(count_returns, migrations.RunPython.noop),
    ]
