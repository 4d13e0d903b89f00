"""Foreign keys whose own index another index already serves: it starts with the same column (a composite
index or a unique constraint), so the index on the key alone only cost each write. The key stays as it is
(re-adding it would check every row); only its index goes. customers_identity and customers_interaction lost
theirs in customers 0017; cxcrm/tests/test_indexes.py keeps every table so."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0019_translated_labels'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    sql='DROP INDEX IF EXISTS customers_case_assignee_id_2d930516',
                    reverse_sql='CREATE INDEX IF NOT EXISTS customers_case_assignee_id_2d930516 ON customers_case (assignee_id)',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='case',
                    name='assignee',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='assigned_cases', to=settings.AUTH_USER_MODEL, verbose_name='assignee'),
                ),
            ],
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    sql='DROP INDEX IF EXISTS customers_case_customer_id_a40f925f',
                    reverse_sql='CREATE INDEX IF NOT EXISTS customers_case_customer_id_a40f925f ON customers_case (customer_id)',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='case',
                    name='customer',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='cases', to='customers.customer', verbose_name='customer'),
                ),
            ],
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    sql='DROP INDEX IF EXISTS customers_casechange_case_id_8a6938e6',
                    reverse_sql='CREATE INDEX IF NOT EXISTS customers_casechange_case_id_8a6938e6 ON customers_casechange (case_id)',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='casechange',
                    name='case',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='changes', to='customers.case', verbose_name='case'),
                ),
            ],
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    sql='DROP INDEX IF EXISTS customers_caseseen_user_id_d8d4ed1d',
                    reverse_sql='CREATE INDEX IF NOT EXISTS customers_caseseen_user_id_d8d4ed1d ON customers_caseseen (user_id)',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='caseseen',
                    name='user',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='user'),
                ),
            ],
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    sql='DROP INDEX IF EXISTS customers_lifecyclechange_customer_id_5771b6a3',
                    reverse_sql='CREATE INDEX IF NOT EXISTS customers_lifecyclechange_customer_id_5771b6a3 ON customers_lifecyclechange (customer_id)',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='lifecyclechange',
                    name='customer',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='lifecycle_changes', to='customers.customer', verbose_name='customer'),
                ),
            ],
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    sql='DROP INDEX IF EXISTS customers_note_customer_id_505ed79b',
                    reverse_sql='CREATE INDEX IF NOT EXISTS customers_note_customer_id_505ed79b ON customers_note (customer_id)',
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='note',
                    name='customer',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='notes', to='customers.customer', verbose_name='customer'),
                ),
            ],
        ),
    ]
