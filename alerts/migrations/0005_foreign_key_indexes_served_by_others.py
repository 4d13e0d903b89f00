"""Foreign keys whose own index another index already serves: it starts with the same column (a composite
index or a unique constraint), so the index on the key alone only cost each write. The key stays as it is
(re-adding it would check every row); only its index goes. customers_identity and customers_interaction lost
theirs in customers 0017; cxcrm/tests/test_indexes.py keeps every table so."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('alerts', '0004_translated_labels'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    sql='DROP INDEX IF EXISTS alerts_alert_rule_id_74644b2d',
                    reverse_sql='CREATE INDEX IF NOT EXISTS alerts_alert_rule_id_74644b2d ON alerts_alert (rule_id)',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='alert',
                    name='rule',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='alerts', to='alerts.alertrule', verbose_name='alert rule'),
                ),
            ],
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    sql='DROP INDEX IF EXISTS alerts_alertrecipient_alert_id_e751a912',
                    reverse_sql='CREATE INDEX IF NOT EXISTS alerts_alertrecipient_alert_id_e751a912 ON alerts_alertrecipient (alert_id)',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='alertrecipient',
                    name='alert',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='recipients', to='alerts.alert', verbose_name='alert'),
                ),
            ],
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    sql='DROP INDEX IF EXISTS alerts_alertrecipient_user_id_e80744ba',
                    reverse_sql='CREATE INDEX IF NOT EXISTS alerts_alertrecipient_user_id_e80744ba ON alerts_alertrecipient (user_id)',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='alertrecipient',
                    name='user',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='alert_receipts', to=settings.AUTH_USER_MODEL, verbose_name='user'),
                ),
            ],
        ),
    ]
