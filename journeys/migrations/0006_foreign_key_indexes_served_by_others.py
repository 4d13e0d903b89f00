"""Foreign keys whose own index another index already serves: it starts with the same column (a composite
index or a unique constraint), so the index on the key alone only cost each write. The key stays as it is
(re-adding it would check every row); only its index goes. customers_identity and customers_interaction lost
theirs in customers 0017; cxcrm/tests/test_indexes.py keeps every table so."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('journeys', '0005_translated_labels'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    sql='DROP INDEX IF EXISTS journeys_stage_journey_map_id_ab2534ea',
                    reverse_sql='CREATE INDEX IF NOT EXISTS journeys_stage_journey_map_id_ab2534ea ON journeys_stage (journey_map_id)',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='stage',
                    name='journey_map',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='stages', to='journeys.journeymap', verbose_name='journey map'),
                ),
            ],
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    sql='DROP INDEX IF EXISTS journeys_touchpoint_journey_map_id_981328cb',
                    reverse_sql='CREATE INDEX IF NOT EXISTS journeys_touchpoint_journey_map_id_981328cb ON journeys_touchpoint (journey_map_id)',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='touchpoint',
                    name='journey_map',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='touchpoints', to='journeys.journeymap', verbose_name='journey map'),
                ),
            ],
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    sql='DROP INDEX IF EXISTS journeys_touchpoint_stage_id_b8952a14',
                    reverse_sql='CREATE INDEX IF NOT EXISTS journeys_touchpoint_stage_id_b8952a14 ON journeys_touchpoint (stage_id)',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='touchpoint',
                    name='stage',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='touchpoints', to='journeys.stage', verbose_name='stage'),
                ),
            ],
        ),
    ]
