from django.db import migrations

from cxcrm.schedules import ensure_periodic_task, remove_periodic_task

NAME = "webhooks: send due deliveries"


def forwards(apps, schema_editor):
    ensure_periodic_task(
        apps,
        name=NAME,
        task="webhooks.send_due_deliveries",
        every_seconds=10,
        description="Sends the webhook deliveries whose next attempt is due (new ones, and retries with backoff).",
    )


def backwards(apps, schema_editor):
    remove_periodic_task(apps, name=NAME)


class Migration(migrations.Migration):
    dependencies = [("webhooks", "0001_initial"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [migrations.RunPython(forwards, backwards)]
