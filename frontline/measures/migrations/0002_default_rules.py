from django.db import migrations
from django.utils import timezone

from frontline.measures.defaults import install


def add_rules(apps, schema_editor):
    install(apps.get_model("measures", "DemandRule"), timezone.now())


class Migration(migrations.Migration):
    dependencies = [("measures", "0001_initial")]
    operations = [migrations.RunPython(add_rules, migrations.RunPython.noop)]
