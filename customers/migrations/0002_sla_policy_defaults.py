"""Default SLA targets per priority (editable in the admin afterwards)."""

from django.db import migrations

DEFAULTS = {
    # priority: (first response minutes, resolution minutes)
    "urgent": (30, 4 * 60),
    "high": (60, 8 * 60),
    "normal": (4 * 60, 24 * 60),
    "low": (8 * 60, 72 * 60),
}


def create_defaults(apps, schema_editor):
    SlaPolicy = apps.get_model("customers", "SlaPolicy")
    for priority, (first_response, resolution) in DEFAULTS.items():
        SlaPolicy.objects.get_or_create(
            priority=priority,
            defaults={"first_response_minutes": first_response, "resolution_minutes": resolution},
        )


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
