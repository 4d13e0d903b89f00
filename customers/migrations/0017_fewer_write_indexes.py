"""Indexes that every written interaction and identity paid for and no read needed (a write at the benchmark
size maintained 13 indexes on interactions): the customer foreign keys' own indexes, which the timeline index
(customer, occurred_at, id) and customers_identity_cust_idx (customer, kind) already serve; a second index on
Interaction.case; the LIKE-prefix twins PostgreSQL made for touchpoint_key and campaign, which are only compared
whole (campaign's index becomes a partial one of campaign interactions, with the recipient's sends, opens and
clicks that the campaign metrics look up, and one of the sends by day); and, on PostgreSQL, the case-sensitive trigram index on identity values, since the search matches
partial values through UPPER(value) alone (customers.selectors.customer_search)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def drop_case_sensitive_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS customers_identity_value_trgm")


def create_case_sensitive_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS customers_identity_value_trgm ON customers_identity USING gin (value gin_trgm_ops)"
        )


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0016_identity_value_trigram'),
        ('journeys', '0004_verbose_names'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(drop_case_sensitive_trigram_index, create_case_sensitive_trigram_index),
        migrations.RemoveIndex(
            model_name='interaction',
            name='customers_int_case_idx',
        ),
        # The foreign key stays as it is (re-adding it would check every row): only its index goes.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(model_name="identity", name="customer", field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='identities', to='customers.customer')),
            ],
            database_operations=[
                migrations.RunSQL(
                    "DROP INDEX IF EXISTS customers_identity_customer_id_b1e21f37",
                    "CREATE INDEX IF NOT EXISTS customers_identity_customer_id_b1e21f37 ON customers_identity (customer_id)",
                ),
            ],
        ),
        migrations.AlterField(
            model_name='interaction',
            name='campaign',
            field=models.CharField(blank=True, max_length=120),
        ),
        # The foreign key stays as it is (re-adding it would check every row): only its index goes.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(model_name="interaction", name="customer", field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='interactions', to='customers.customer')),
            ],
            database_operations=[
                migrations.RunSQL(
                    "DROP INDEX IF EXISTS customers_interaction_customer_id_3eb30ec4",
                    "CREATE INDEX IF NOT EXISTS customers_interaction_customer_id_3eb30ec4 ON customers_interaction (customer_id)",
                ),
            ],
        ),
        migrations.AlterField(
            model_name='interaction',
            name='touchpoint_key',
            field=models.CharField(blank=True, max_length=80),
        ),
        migrations.AddIndex(
            model_name='interaction',
            index=models.Index(fields=['touchpoint_key'], name='customers_int_touchpoint_idx'),
        ),
        migrations.AddIndex(
            model_name="interaction",
            index=models.Index(
                condition=models.Q(("campaign", ""), _negated=True),
                fields=["campaign", "customer", "type", "occurred_at"],
                name="customers_int_campaign_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="interaction",
            index=models.Index(
                condition=models.Q(("type", "email_sent"), models.Q(("campaign", ""), _negated=True)),
                fields=["occurred_at"],
                name="customers_int_sent_idx",
            ),
        ),
    ]
