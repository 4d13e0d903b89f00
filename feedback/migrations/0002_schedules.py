from django.db import migrations

from cxcrm.schedules import ensure_periodic_task, remove_periodic_task

SCHEDULES = [
    {
        "name": "feedback: send due survey invitations",
        "task": "feedback.send_due_invitations",
        "every_seconds": 60,
        "description": "Claims due invitations (scheduled → sending) in batches and sends them by email or SMS.",
    },
    {
        "name": "feedback: send survey reminders",
        "task": "feedback.send_survey_reminders",
        "every_seconds": 15 * 60,
        "description": "Sends the one reminder of surveys that have one, with the same link.",
    },
    {
        "name": "feedback: expire survey invitations",
        "task": "feedback.expire_invitations",
        "every_seconds": 60 * 60,
        "description": "Marks unanswered invitations past their expiry as expired.",
    },
]


def forwards(apps, schema_editor):
    for schedule in SCHEDULES:
        ensure_periodic_task(apps, **schedule)


def backwards(apps, schema_editor):
    for schedule in SCHEDULES:
        remove_periodic_task(apps, name=schedule["name"])


class Migration(migrations.Migration):
    dependencies = [("feedback", "0001_initial"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [migrations.RunPython(forwards, backwards)]
