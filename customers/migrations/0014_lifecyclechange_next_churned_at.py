"""Each lifecycle change knows when its customer next entered churned after it (`next_churned_at`), filled from
the history with `valid_to`, so churn for a period is a comparison on the row that holds the period's start."""

from django.db import migrations, models


def intervals_build(apps, schema_editor):
    """valid_to and next_churned_at of every change from its customer's changes in (changed_at, id) order; only
    rows that differ are written, so re-running changes nothing (customers.services.lifecycle's statement)."""
    change = apps.get_model("customers", "LifecycleChange")
    table = schema_editor.connection.ops.quote_name(change._meta.db_table)
    schema_editor.execute(
        f"""
        UPDATE {table} SET valid_to = nxt.next_at, next_churned_at = nxt.churned_at
        FROM (
            SELECT id,
                   LEAD(changed_at) OVER (PARTITION BY customer_id ORDER BY changed_at, id) AS next_at,
                   MIN(CASE WHEN to_stage = 'churned' THEN changed_at END) OVER (
                       PARTITION BY customer_id ORDER BY changed_at, id
                       ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING
                   ) AS churned_at
            FROM {table}
        ) AS nxt
        WHERE {table}.id = nxt.id AND nxt.churned_at IS NOT NULL
        """
    )


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0013_lifecyclechange_valid_to"),
    ]

    operations = [
        migrations.AddField(
            model_name="lifecyclechange",
            name="next_churned_at",
            field=models.DateTimeField(
                blank=True,
                editable=False,
                help_text="When the customer next entered churned after this change",
                null=True,
            ),
        ),
        migrations.RunPython(intervals_build, migrations.RunPython.noop, elidable=False),
    ]
