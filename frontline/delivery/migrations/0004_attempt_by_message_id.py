"""The attempts' Message-ID index without PostgreSQL's LIKE copy, written on every send (core/schema.py)."""

from django.db import migrations, models

from frontline.core.schema import index_without_pattern_copy


class Migration(migrations.Migration):
    dependencies = [("delivery", "0003_attempt_due_at")]

    operations = [
        index_without_pattern_copy(
            "deliveryattempt",
            "delivery_deliveryattempt",
            "header_message_id",
            models.CharField(blank=True, max_length=255),
            old="delivery_deliveryattempt_header_message_id_27715588",
            new="attempt_by_message_id",
        )
    ]
