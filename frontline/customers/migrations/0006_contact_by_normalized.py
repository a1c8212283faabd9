"""Contact points' normalized address index without PostgreSQL's LIKE copy (core/schema.py)."""

from django.db import migrations, models

from frontline.core.schema import index_without_pattern_copy


class Migration(migrations.Migration):
    dependencies = [("customers", "0005_customer_standing")]

    operations = [
        index_without_pattern_copy(
            "contactpoint",
            "customers_contactpoint",
            "normalized",
            models.CharField(max_length=255),
            old="customers_contactpoint_normalized_ab94581f",
            new="contact_by_normalized",
        )
    ]
