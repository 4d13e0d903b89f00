"""Lifecycle changes become stage intervals: `valid_to`, the next change's time, filled from the history."""

from django.db import migrations, models


def intervals_build(apps, schema_editor):
    """Each change's valid_to from its customer's next change (LEAD over (changed_at, id)); re-running changes
    nothing (the same statement as customers.services.lifecycle.lifecycle_intervals_rebuild)."""
    change = apps.get_model("customers", "LifecycleChange")
    table = schema_editor.connection.ops.quote_name(change._meta.db_table)
    schema_editor.execute(
        f"""
        UPDATE {table} SET valid_to = nxt.next_at
        FROM (
            SELECT id, LEAD(changed_at) OVER (PARTITION BY customer_id ORDER BY changed_at, id) AS next_at
            FROM {table}
        ) AS nxt
        WHERE {table}.id = nxt.id AND nxt.next_at IS NOT NULL
          AND ({table}.valid_to IS NULL OR {table}.valid_to <> nxt.next_at)
        """
    )


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0012_case_sla_breached_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="lifecyclechange",
            name="valid_to",
            field=models.DateTimeField(
                blank=True, editable=False, help_text="When the customer's next change ended this stage", null=True
            ),
        ),
        migrations.RunPython(intervals_build, migrations.RunPython.noop, elidable=False),
    ]
