"""Customer.search_name: the full name folded for accent- and case-insensitive search (customers.text),
backfilled here; on PostgreSQL only, a pg_trgm GIN index on it serves `contains` (LIKE '%…%'). The index
is raw SQL that does nothing on SQLite, which has neither pg_trgm nor GIN."""

from django.db import migrations, models

from customers.text import search_fold

BATCH = 1000
TRIGRAM_INDEX = "customers_customer_search_name_trgm"


def backfill_search_name(apps, schema_editor):
    Customer = apps.get_model("customers", "Customer")
    batch = []
    for customer in Customer.objects.only("pk", "first_name", "last_name").order_by("pk").iterator(BATCH):
        customer.search_name = search_fold(f"{customer.first_name} {customer.last_name}")
        batch.append(customer)
        if len(batch) >= BATCH:
            Customer.objects.bulk_update(batch, ["search_name"])
            batch.clear()
    if batch:
        Customer.objects.bulk_update(batch, ["search_name"])


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} ON customers_customer USING gin (search_name gin_trgm_ops)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0006_interaction_network"),
    ]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="search_name",
            field=models.CharField(blank=True, default="", editable=False, max_length=201),
        ),
        migrations.RunPython(backfill_search_name, migrations.RunPython.noop),
        migrations.RunPython(create_trigram_index, drop_trigram_index),
    ]
