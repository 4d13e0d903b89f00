"""Foreign keys whose own index another index already serves: it starts with the same column (a composite
index or a unique constraint), so the index on the key alone only cost each write. The key stays as it is
(re-adding it would check every row); only its index goes. customers_identity and customers_interaction lost
theirs in customers 0017; cxcrm/tests/test_indexes.py keeps every table so."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('webhooks', '0006_translated_labels'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    sql='DROP INDEX IF EXISTS webhooks_webhookdelivery_endpoint_id_d5bfb5c8',
                    reverse_sql='CREATE INDEX IF NOT EXISTS webhooks_webhookdelivery_endpoint_id_d5bfb5c8 ON webhooks_webhookdelivery (endpoint_id)',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='webhookdelivery',
                    name='endpoint',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='webhooks.webhookendpoint', verbose_name='webhook endpoint'),
                ),
            ],
        ),
    ]
