"""Lifecycle stage changes and the stage intervals they open.

Every row of LifecycleChange is written here: a stage set by a rep, a customer's first stage (created by hand,
by ingestion or by the demo), a merge's stage, and the intervals' upkeep after a merge, its undo or an edit
in the admin moved or removed changes. A change is also an interval: the customer is in `to_stage` from
`changed_at` until `valid_to`, the `changed_at` of their next change in (changed_at, id) order (NULL while it
is the latest); `next_churned_at` is when they next entered churned after it. `lifecycle_intervals_refresh`
recomputes both for some customers from their changes, in one statement, and changes nothing when they are
already right: calling it again is harmless.
"""

from collections.abc import Iterable
from datetime import datetime

from django.db import connection

from ..models import Customer, LifecycleChange

REFRESH_CHUNK = 500


def lifecycle_change_record(
    *, customer: Customer, from_stage: str, to_stage: str, at: datetime, user=None, initial: bool = False
) -> LifecycleChange:
    """Record one move of `customer` (from_stage "" for its first stage) at `at`; returns the change.

    The customer's intervals follow (one UPDATE, which also places a change dated before their latest one).
    `initial`: the customer was just created and has no other change (its interval is open: no UPDATE).
    """
    change = LifecycleChange.objects.create(
        customer=customer,
        from_stage=from_stage,
        to_stage=to_stage,
        changed_at=at,
        changed_by=user if getattr(user, "pk", None) else None,
    )
    if not initial:
        lifecycle_intervals_refresh(customer_ids=[customer.pk])
    return change


def lifecycle_initial_changes_record(changes: Iterable[tuple[Customer, str, datetime]], *, batch_size=None) -> None:
    """Record the first stage of customers just created, in bulk: (customer, stage, at) each. Each is its
    customer's only change, so its interval is open (valid_to NULL)."""
    LifecycleChange.objects.bulk_create(
        [LifecycleChange(customer=c, from_stage="", to_stage=stage, changed_at=at) for c, stage, at in changes],
        batch_size=batch_size,
    )


def lifecycle_history_record(changes: Iterable[tuple[Customer, str, str, datetime]], *, batch_size=None) -> None:
    """Record whole histories of customers in bulk ((customer, from_stage, to_stage, at) each, any order), then
    their intervals (the demo's and benchmarks' past)."""
    rows = [LifecycleChange(customer=c, from_stage=f, to_stage=t, changed_at=at) for c, f, t, at in changes]
    LifecycleChange.objects.bulk_create(rows, batch_size=batch_size)
    lifecycle_intervals_refresh(customer_ids={row.customer_id for row in rows})


def lifecycle_change_remove(*, change: LifecycleChange) -> None:
    """Delete one change (a merge's undone stage, an admin's deletion) and close the gap it leaves."""
    customer_id = change.customer_id
    LifecycleChange.objects.filter(pk=change.pk).delete()
    lifecycle_intervals_refresh(customer_ids=[customer_id])


def intervals_refresh_sql(table: str, where: str = "") -> str:
    """The UPDATE that sets `valid_to` (the next change's time) and `next_churned_at` (the first later change
    to churned) from each customer's changes in (changed_at, id) order, on the rows of `table` (quoted) that
    `where` selects, touching only rows whose values differ (NULL-safe, PostgreSQL and SQLite). The migrations
    that added the columns run it too."""

    def differs(column, value):
        return (
            f"({table}.{column} <> {value} OR ({table}.{column} IS NULL AND {value} IS NOT NULL)"
            f" OR ({table}.{column} IS NOT NULL AND {value} IS NULL))"
        )

    return f"""
        UPDATE {table} SET valid_to = nxt.next_at, next_churned_at = nxt.churned_at
        FROM (
            SELECT id,
                   LEAD(changed_at) OVER (PARTITION BY customer_id ORDER BY changed_at, id) AS next_at,
                   MIN(CASE WHEN to_stage = 'churned' THEN changed_at END) OVER (
                       PARTITION BY customer_id ORDER BY changed_at, id
                       ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING
                   ) AS churned_at
            FROM {table} {where}
        ) AS nxt
        WHERE {table}.id = nxt.id
          AND ({differs("valid_to", "nxt.next_at")} OR {differs("next_churned_at", "nxt.churned_at")})
    """


def _refresh_sql(where: str) -> str:
    return intervals_refresh_sql(connection.ops.quote_name(LifecycleChange._meta.db_table), where)


def lifecycle_intervals_refresh(*, customer_ids: Iterable[int]) -> int:
    """Recompute the stage intervals (`valid_to`) of these customers from their changes; returns the rows
    corrected (0 when all were right). One UPDATE per 500 customers."""
    ids = sorted({int(pk) for pk in customer_ids})
    corrected = 0
    with connection.cursor() as cursor:
        for i in range(0, len(ids), REFRESH_CHUNK):
            chunk = ids[i : i + REFRESH_CHUNK]
            placeholders = ", ".join(["%s"] * len(chunk))
            cursor.execute(_refresh_sql(f"WHERE customer_id IN ({placeholders})"), chunk)
            corrected += cursor.rowcount
    return corrected


def lifecycle_intervals_rebuild() -> int:
    """Recompute every customer's stage intervals (after a bulk load that wrote changes directly, and in the
    migration that introduced them); returns the rows corrected. One UPDATE."""
    with connection.cursor() as cursor:
        cursor.execute(_refresh_sql(""))
        return cursor.rowcount
