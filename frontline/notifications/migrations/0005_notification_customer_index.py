"""A notice's customer was indexed twice: alone, and first in notification_customer (customer, created_at),
which serves every lookup the lone one did. Each of a fan-out's notices paid for both."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("notifications", "0004_fanout_cases")]

    operations = [
        migrations.AlterField(
            model_name="notification",
            name="customer",
            field=models.ForeignKey(
                db_index=False,
                on_delete=models.deletion.PROTECT,
                related_name="notifications",
                to="customers.customer",
            ),
        ),
    ]
