from django.db import migrations

from cxcrm.schedules import ensure_periodic_task, remove_periodic_task

NAME = "webhooks: prune the delivery log"


def forwards(apps, schema_editor):
    ensure_periodic_task(
        apps,
        name=NAME,
        task="webhooks.prune_deliveries",
        crontab={"minute": "40", "hour": "3"},
        description="Deletes finished webhook deliveries older than WEBHOOKS_LOG_DAYS from the log.",
    )


def backwards(apps, schema_editor):
    remove_periodic_task(apps, name=NAME)


class Migration(migrations.Migration):
    dependencies = [("webhooks", "0002_delivery_schedule")]
    operations = [migrations.RunPython(forwards, backwards)]
