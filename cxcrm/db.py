"""Database helpers the apps share: the keyset condition of cursor pagination, and fresh planner statistics
after bulk loads."""

from django.db import connections, router
from django.db.models import BooleanField, Expression, F, Q, Value

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
