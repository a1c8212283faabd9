from django.db import migrations
from django.utils import timezone

from frontline.measures.defaults import DEFAULT_RULES


def add_rules(apps, schema_editor):
    DemandRule = apps.get_model("measures", "DemandRule")
    now = timezone.now()
    for position, (name, condition, failure_type) in enumerate(DEFAULT_RULES, start=1):
        DemandRule.objects.get_or_create(
            name=name,
            defaults=dict(condition=condition, failure_type=failure_type, position=position * 10, updated_at=now),
        )


class Migration(migrations.Migration):
    dependencies = [("measures", "0001_initial")]
    operations = [migrations.RunPython(add_rules, migrations.RunPython.noop)]
