"""Database helpers the apps share: the keyset condition of cursor pagination, fresh planner statistics
after bulk loads, and bulk writes (COPY, statements with thousands of parameters) on PostgreSQL."""

import json
import time

from django.db import connections, models, router
from django.db.models import BooleanField, Expression, F, Q, Value
from django.utils import timezone

# --------------------------------------------------------------------------- keyset pagination


class RowValueCompare(Expression):
    """`(a, b, …) < (x, y, …)` (or `>`): the SQL row-value comparison, usable in `filter()`.

    PostgreSQL reads it as one index range condition on a matching multi-column index, where the equivalent
    `a < x OR (a = x AND b < y)` is applied as a filter over every row the scan walks past.
    """

    conditional = True
    output_field = BooleanField()

    def __init__(self, fields, operator: str, values, *, output_fields):
        if operator not in ("<", ">"):
            raise ValueError(f"Unsupported row-value operator {operator!r}.")
        super().__init__()
        self.fields = [F(name) for name in fields]
        self.values = [Value(value, output_field=out) for value, out in zip(values, output_fields, strict=True)]
        self.operator = operator

    def get_source_expressions(self):
        return [*self.fields, *self.values]

    def set_source_expressions(self, exprs):
        self.fields, self.values = exprs[: len(self.fields)], exprs[len(self.fields) :]

    def as_sql(self, compiler, connection):
        sql, params = [], []
        for side in (self.fields, self.values):
            parts = []
            for expression in side:
                part_sql, part_params = compiler.compile(expression)
                parts.append(part_sql)
                params.extend(part_params)
            sql.append(f"({', '.join(parts)})")
        return f"{sql[0]} {self.operator} {sql[1]}", params


def keyset_condition(model, fields: tuple[str, str], operator: str, values: tuple, *, using: str | None = None):
    """The condition "rows after `values` in the order of `fields`" for keyset pagination: `operator` "<"
    for rows before the cursor in ascending order (older, when paging newest first), ">" for rows after it.

    A row-value comparison on PostgreSQL (served by the (…, occurred_at, id) index as a range); the
    equivalent OR elsewhere (SQLite), which gives the same rows.
    """
    db = using or router.db_for_read(model)
    if connections[db].vendor == "postgresql":
        output_fields = [model._meta.get_field(name) for name in fields]
        return RowValueCompare(fields, operator, values, output_fields=output_fields)
    lookup = "lt" if operator == "<" else "gt"
    (first, second), (first_value, second_value) = fields, values
    return Q(**{f"{first}__{lookup}": first_value}) | Q(**{first: first_value, f"{second}__{lookup}": second_value})


# --------------------------------------------------------------------------- planner statistics


def tables_analyze(*models, using: str = "default") -> None:
    """Refresh the planner's statistics after a bulk load (PostgreSQL's ANALYZE): of these models' tables,
    or of the whole database when none is named.

    Without it a query run right after a load is planned on the statistics of the empty or smaller table
    (until autovacuum comes by, never when it is off) and may walk a whole table where an index serves.
    Nothing on other databases. Raises the database's error if a table is missing.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in models)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}".strip())


# --------------------------------------------------------------------------- bulk writes

_PLAIN_FIELDS = (
    models.CharField,
    models.TextField,
    models.BooleanField,
    models.IntegerField,
    models.DateTimeField,
    models.ForeignKey,
    models.AutoField,
)


def _logged(connection, sql: str, started: float) -> None:
    """Count a statement run on the driver's cursor among the connection's queries (tests pin query counts)."""
    if connection.queries_logged:
        connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})


def rows_insert(model, objs: list, *, using: str = "default") -> None:
    """Insert new (unsaved) model instances in bulk and set their primary keys, as `bulk_create` does, faster.

    On PostgreSQL: the ids are taken from the table's sequence in one query, then every row goes in one COPY
    (no SQL text built per value, no parameters quoted in Python). Elsewhere: the model manager's `bulk_create`.
    Like bulk_create: no save(), no signals; auto_now and auto_now_add fields are set to now; JSON fields are
    written with the field's encoder. Raises what the database raises (an IntegrityError for a row a constraint
    refuses: the whole COPY fails).
    """
    if not objs:
        return
    connection = connections[using]
    if connection.vendor != "postgresql":
        model._default_manager.db_manager(using).bulk_create(objs)
        return
    meta, quote = model._meta, connection.ops.quote_name
    now = timezone.now()
    fields = list(meta.concrete_fields)
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objs)],
        )
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk
        rows = []
        for field in fields:
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                for obj in objs:
                    setattr(obj, field.attname, now)
        for obj in objs:
            row = []
            for field in fields:
                value = getattr(obj, field.attname)
                if value is None or isinstance(field, _PLAIN_FIELDS):
                    row.append(value)
                elif isinstance(field, models.JSONField):
                    row.append(json.dumps(value, cls=field.encoder))
                else:
                    row.append(field.get_db_prep_save(value, connection))
            rows.append(row)
        sql = f"COPY {quote(meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) FROM STDIN"
        started = time.monotonic()
        with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
        _logged(connection, sql, started)
    for obj in objs:
        obj._state.adding, obj._state.db = False, using


def statement_run(sql: str, params: list, *, using: str = "default") -> list[tuple]:
    """Run one statement with many parameters and return its rows (none for a statement without RETURNING).

    On PostgreSQL the parameters are sent apart from the statement (server-side binding), not quoted into its
    text in Python, which costs more than the statement itself for thousands of values; elsewhere Django's
    cursor. Raises what the database raises."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []
    import psycopg

    connection.ensure_connection()
    started = time.monotonic()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall() if cursor.description else []
    _logged(connection, sql, started)
    return rows
