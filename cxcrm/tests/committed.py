"""Removing the data a module fixture committed outside the tests' transactions (the demo loaders' tests)."""

from django.db import connection


def committed_rows_remove(*models) -> None:
    """Delete every row of `models`, in order, each through Django's delete (its cascades and SET NULLs). On
    PostgreSQL each emptied table is vacuumed before the next delete: the foreign-key checks of deleting tens of
    thousands of interactions run at commit against the tables emptied just before, and their dead rows made
    each check a scan (minutes for the demo)."""
    for model in models:
        model.objects.all().delete()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
