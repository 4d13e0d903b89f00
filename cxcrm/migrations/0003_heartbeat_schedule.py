from django.db import migrations

from cxcrm.schedules import ensure_periodic_task, remove_periodic_task


def forwards(apps, schema_editor):
    ensure_periodic_task(
        apps,
        name="cxcrm: heartbeat",
        task="cxcrm.heartbeat",
        every_seconds=60,
        kwargs='{"name": "beat"}',
        description="Proves that beat and a worker run; /health/ shows its age.",
    )


def backwards(apps, schema_editor):
    remove_periodic_task(apps, name="cxcrm: heartbeat")


class Migration(migrations.Migration):
    dependencies = [("cxcrm", "0002_roles"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [migrations.RunPython(forwards, backwards)]
