"""Every index costs each write: no table of ours keeps an index that another one already serves."""

import pytest
from django.db import connection

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="index definitions are read from PostgreSQL"),
]

APPS = ("cxcrm", "journeys", "customers", "feedback", "alerts", "webhooks")


def ours(table: str) -> bool:
    """A table of our models' own (Django's many-to-many tables are made with an index per column)."""
    from django.apps import apps

    return any(model._meta.db_table == table for label in APPS for model in apps.get_app_config(label).get_models())


INDEXES = """
SELECT t.relname, i.relname, x.indisunique, x.indpred IS NOT NULL, am.amname,
       pg_get_indexdef(x.indexrelid), ARRAY(SELECT pg_get_indexdef(x.indexrelid, k + 1, true)
                                            FROM generate_subscripts(x.indkey, 1) AS k ORDER BY k)
FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_am am ON am.oid = i.relam JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = 'public'
"""


def test_no_btree_index_is_a_leading_part_of_another_on_the_same_table():
    with connection.cursor() as cursor:
        cursor.execute(INDEXES)
        rows = [row for row in cursor.fetchall() if ours(row[0])]
    btree = [row for row in rows if row[4] == "btree" and not row[3]]
    redundant = []
    for table, name, unique, _, _, definition, columns in btree:
        if unique or "varchar_pattern_ops" in definition:
            continue
        redundant += [
            f"{table}.{name} ({', '.join(columns)}) is served by {other}"
            for other_table, other, *_, other_columns in btree
            if other_table == table
            and other != name
            and other_columns[: len(columns)] == columns
            and (len(other_columns) > len(columns) or other < name)
        ]
    assert redundant == []


# The tables written for every ingested interaction (the unique names of small admin-edited tables keep theirs).
WRITTEN_PER_INTERACTION = ("customers_interaction", "customers_identity", "customers_customer")


def test_postgresql_makes_no_like_prefix_twin_that_no_query_uses():
    with connection.cursor() as cursor:
        cursor.execute(INDEXES)
        twins = [row[1] for row in cursor.fetchall() if row[0] in WRITTEN_PER_INTERACTION and row[1].endswith("_like")]
    assert twins == []
