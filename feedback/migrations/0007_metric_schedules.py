from django.db import migrations

from cxcrm.schedules import ensure_periodic_task, remove_periodic_task

SCHEDULES = [
    {
        "name": "feedback: metric rollups (recent days)",
        "task": "feedback.rollup_recent_metrics",
        "every_seconds": 15 * 60,
        "description": "Recomputes the daily metric rollups of the last days and today (each metric over its "
        "settle window); older days: manage.py rollup_metrics --since.",
    },
    {
        "name": "feedback: weekly metrics digest",
        "task": "feedback.send_metrics_digest",
        "crontab": {"minute": "0", "hour": "7", "day_of_week": "1"},
        "description": "Monday 07:00: emails managers last week's KPI tiles and three worst touchpoints.",
    },
]


def forwards(apps, schema_editor):
    for schedule in SCHEDULES:
        ensure_periodic_task(apps, **schedule)


def backwards(apps, schema_editor):
    for schedule in SCHEDULES:
        remove_periodic_task(apps, name=schedule["name"])


class Migration(migrations.Migration):
    dependencies = [("feedback", "0006_metric_digest"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [migrations.RunPython(forwards, backwards)]
