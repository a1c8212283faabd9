"""Indexes every new case and message wrote and nothing read as they were:

- a case's `repeat_of` and `priority_override_by`, empty on nearly every case, indexed whole: now only the
  rows that have one (partial indexes; an equality on the column implies it is not null, so lookups and a
  deletion's checks still use them);
- a message's Message-ID, with PostgreSQL's LIKE copy (core/schema.py): now the B-tree alone.
"""

from django.db import migrations, models

from frontline.core.schema import index_without_pattern_copy


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0001_initial"),
        ("cases", "0014_open_assignee_statistics"),
    ]

    operations = [
        migrations.AlterField(
            model_name="case",
            name="repeat_of",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=models.deletion.SET_NULL,
                related_name="repeats",
                to="cases.case",
            ),
        ),
        migrations.AlterField(
            model_name="case",
            name="priority_override_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=models.deletion.SET_NULL,
                related_name="+",
                to="agents.agent",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(repeat_of__isnull=False), fields=["repeat_of"], name="case_repeats"
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(priority_override_by__isnull=False),
                fields=["priority_override_by"],
                name="case_overridden_by",
            ),
        ),
        index_without_pattern_copy(
            "message",
            "cases_message",
            "message_id",
            models.CharField(blank=True, max_length=255),
            old="cases_message_message_id_8dc1151a",
            new="message_by_message_id",
        ),
    ]
