"""Renumber the stages of every map, and the touchpoints of every stage, 0…n−1 in their current
order (position, then id: rows stored with the same position keep the order they were created in),
as the journeys service numbers them from now on."""

from django.db import migrations


def renumber(apps, schema_editor):
    Stage = apps.get_model("journeys", "Stage")
    Touchpoint = apps.get_model("journeys", "Touchpoint")
    for model, parent in ((Stage, "journey_map_id"), (Touchpoint, "stage_id")):
        changed = []
        current_parent, index = None, 0
        for row in model.objects.order_by(parent, "position", "id").only("id", "position", parent).iterator():
            if getattr(row, parent) != current_parent:
                current_parent, index = getattr(row, parent), 0
            if row.position != index:
                row.position = index
                changed.append(row)
            index += 1
        model.objects.bulk_update(changed, ["position"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("journeys", "0001_initial")]

    operations = [migrations.RunPython(renumber, migrations.RunPython.noop)]
