from django.db import migrations, models
from django.db.models import F, Q
from django.utils import timezone

from cxcrm.schedules import ensure_periodic_task, remove_periodic_task

NAME = "customers: detect SLA breaches"
OPEN = ["new", "open", "pending"]


def stamp_existing_breaches(apps, schema_editor):
    # Breaches already there when this ships are not news: stamp them so that the first run of the beat task
    # alerts only on cases that breach from now on (the condition of CaseQuerySet.breached_condition).
    Case = apps.get_model("customers", "Case")
    now = timezone.now()
    first_response_missed = Q(first_response_due_at__isnull=False) & (
        Q(first_response_at__isnull=True, first_response_due_at__lt=now) & ~Q(status="pending")
        | Q(first_response_at__isnull=False, first_response_at__gt=F("first_response_due_at"))
    )
    resolution_missed = Q(resolution_due_at__isnull=False) & (
        Q(resolved_at__isnull=True, resolution_due_at__lt=now) & ~Q(status="pending")
        | Q(resolved_at__isnull=False, resolved_at__gt=F("resolution_due_at"))
    )
    Case.objects.filter(first_response_missed | resolution_missed, status__in=OPEN).update(sla_breached_at=now)


def schedule(apps, schema_editor):
    ensure_periodic_task(
        apps,
        name=NAME,
        task="customers.detect_sla_breaches",
        every_seconds=60,
        description="Stamps the open cases newly past an SLA due time and tells the apps above (alerts).",
    )


def unschedule(apps, schema_editor):
    remove_periodic_task(apps, name=NAME)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0009_customer_erasure"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="sla_breached_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(stamp_existing_breaches, migrations.RunPython.noop),
        migrations.RunPython(schedule, unschedule),
    ]
