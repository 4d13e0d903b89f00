"""Lists as django-tables2 tables: what every app's list pages and exports share.

- `Table`: the base of our tables, rendered with templates/tables/table.html (Bootstrap 5; on a phone a
  table with the `table-stack` class shows each row as a card whose cells carry their column's label).
  A subclass without a `Meta` of its own keeps its parent's (django-tables2 alone would reset it).
- `ListTableMixin`: a page showing one table of a queryset. `?sort=` is one orderable column's name
  ("-" for descending); any other value keeps the table's `Meta.order_by`. `?page=` pages with
  django-tables2's LazyPaginator (LIMIT/OFFSET, never a COUNT of the whole list); the page tells how
  many rows there are only up to COUNT_LIMIT, counted by a query whose cost does not grow with the list, and
  only when the page shown is not the last (a list that fits in the page shown is not counted at all).
- `export_response()`: every row of a table (not one page), in its sort, as CSV (UTF-8 with a BOM so
  spreadsheet programs read accents right, streamed) or XLSX (django-tables2's TableExport, tablib); a
  free-text cell that a spreadsheet would run as a formula is exported as text (`spreadsheet_safe`).
"""

import csv
import re
from collections.abc import Iterator
from math import ceil

import django_tables2 as tables
from django.conf import settings
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.core.paginator import Paginator as DjangoPaginator
from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.dateformat import format as format_date
from django.utils.formats import date_format
from django_tables2.data import TableQuerysetData
from django_tables2.export import TableExport
from django_tables2.paginators import LazyPaginator
from django_tables2.tables import DeclarativeColumnsMetaclass

COUNT_LIMIT = 1000
EXPORT_FORMATS = ("csv", "xlsx")
EXPORT_CHUNK_SIZE = 1000
BOM = "\ufeff"


class _InheritedMeta(DeclarativeColumnsMetaclass):
    """Gives a table class without a `Meta` its nearest parent's, as Python's inheritance would (django-tables2
    reads only the class's own `Meta`, so a subclass would lose its parent's template, attributes, sequence…)."""

    def __new__(mcs, name, bases, attrs):
        if "Meta" not in attrs:
            parent_meta = next((base.Meta for base in bases if hasattr(base, "Meta")), None)
            if parent_meta is not None:
                attrs["Meta"] = parent_meta
        return super().__new__(mcs, name, bases, attrs)


class Table(tables.Table, metaclass=_InheritedMeta):
    """Base of our tables.

    `export_column_names`: the export's header row gives the column names ("opened_at") instead of
    their labels ("Opened"), for files read by programs. Either way the header row is written in
    LANGUAGE_CODE whatever the reader's language, and a column's `export_header` attribute, when set,
    names it in the export (`label_column`: "status_label" beside "status").
    """

    export_column_names = False

    class Meta:
        template_name = "tables/table.html"

    def as_values(self, exclude_columns=None):
        rows = super().as_values(exclude_columns=exclude_columns)
        # The header row is the same in every language (programs read it): written in LANGUAGE_CODE, a column's
        # `export_header` (e.g. "channel_label") before its label; the cells keep the reader's language.
        with translation.override(settings.LANGUAGE_CODE):
            header = [str(cell) for cell in next(rows)]
        exclude_columns = exclude_columns or ()
        exported = [
            column
            for column in self.columns.iterall()
            if not (column.column.exclude_from_export or column.name in exclude_columns)
        ]
        if self.export_column_names:
            header = [column.name for column in exported]
        header = [
            getattr(column.column, "export_header", None) or h for column, h in zip(exported, header, strict=True)
        ]
        yield header
        for row in rows:
            yield [spreadsheet_safe(cell) for cell in row]


def label_column(accessor: str, export_header: str, **kwargs) -> tables.Column:
    """An export-only column beside a coded one: the code's label in the reader's language (the coded column
    keeps the stable code), headed `export_header` ("status_label"). `accessor` names the label
    ("get_status_display")."""
    column = tables.Column(accessor=accessor, visible=False, orderable=False, **kwargs)
    column.export_header = export_header
    return column


# A cell a spreadsheet would read as a formula (OWASP "CSV injection"): = + - @ tab or carriage return first.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?%?")  # -3.5, +12, 40%, and E.164 phones (+5511912345678)


def spreadsheet_safe(value):
    """A free-text export cell that a spreadsheet would run as a formula, prefixed with a single quote so it
    shows as the text it is ('=HYPERLINK(...)); numbers, signed numbers and E.164 phones stay as they are."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def local_minute(value) -> str:
    """An aware date-time in the current time zone, to the minute, the same in every language (exports):
    "2026-03-01 09:30"."""
    return format_date(timezone.localtime(value), "Y-m-d H:i")


def local_datetime(value) -> str:
    """An aware date-time in the current time zone as a page shows it: the reader's language's
    SHORT_DATETIME_FORMAT ("1 Mar 2026, 09:30", pt-BR "01/03/2026 09:30", pl "01.03.2026 09:30")."""
    return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


class LocalDateTimeColumn(tables.Column):
    """A date-time shown in the local time zone in the reader's format (`local_datetime`) and exported in
    ISO 8601 as stored (UTC).

    (django-tables2's DateTimeColumn parses a template for every cell.)
    """

    def render(self, value):
        return local_datetime(value)

    def value(self, value):
        return value.isoformat()


# --------------------------------------------------------------------------- paging


def count_up_to(queryset: QuerySet, limit: int = COUNT_LIMIT) -> int | None:
    """How many rows `queryset` has, or None when there are more than `limit` (reads at most limit + 1 ids)."""
    n = queryset.order_by().values("pk")[: limit + 1].count()
    return n if n <= limit else None


# A page number beyond this is read as this one (past the end of any list): a larger one made an OFFSET the
# database refuses (`?page=99999999999999999999` answered 500).
MAX_PAGE_NUMBER = 10**6


class CountedLazyPaginator(LazyPaginator):
    """LazyPaginator that also knows the number of rows when it was counted (`total`, None if too many).

    With a known total, the number of pages is exact and a page number out of range shows the last page;
    otherwise pages are discovered one look-ahead row at a time and a page past the end shows the first.
    """

    def __init__(self, object_list, per_page, *, total: int | None = None, **kwargs):
        self.total = total
        super().__init__(object_list, per_page, **kwargs)

    @property
    def num_pages(self):
        if self.total is None:
            return self._num_pages
        return max(1, ceil(self.total / self.per_page))

    def validate_number(self, number):
        if self.total is None:
            return super().validate_number(number)
        return DjangoPaginator.validate_number(self, number)

    def get_page(self, number):
        """The page `number` (a string from the request, maybe bad); never raises."""
        try:
            number = self.validate_number(number)
        except PageNotAnInteger:
            number = 1
        except EmptyPage:
            number = self.num_pages or 1
        try:
            return self.page(number)
        except EmptyPage:
            return self.page(1)


class ListTableMixin:
    """For a view showing one table of a queryset, sorted, paged and counted as the module says.

    Subclasses set `table_class` and give `get_table_data()` (the filtered queryset); the context gets
    `table` (paged), `table_total` (the number of rows, None beyond COUNT_LIMIT) and, under
    `context_object_name`, the records of the page.
    """

    table_class: type[Table]
    paginate_by = 50
    count_limit = COUNT_LIMIT
    context_object_name = ""

    def get_table_data(self) -> QuerySet:
        raise NotImplementedError

    def get_table_kwargs(self) -> dict:
        return {}

    def get_table(self, data) -> Table:
        """The table of `data` (a queryset or a TableData) in the request's sort, not paged."""
        # Not Table(request=...): that would page and sort by RequestConfig, whose paginator counts every row.
        table = self.table_class(data, **self.get_table_kwargs())
        table.request = self.request
        sort = self.request.GET.get(table.order_by_field, "")
        if sort.lstrip("-") in {column.name for column in table.columns.iterorderable()}:
            table.order_by = sort
        return table

    @staticmethod
    def sort_of(table: Table) -> str:
        """The sort applied: "-opened", "due"…"""
        return str(table.order_by[0]) if table.order_by else ""

    def get_context_data(self, **kwargs):
        data = self.get_table_data()
        table = self.get_table(data)
        table.paginator, table.page = self._paged(table, data)
        total = table.paginator.total
        context = {"table": table, "table_total": total, "count_limit": self.count_limit}
        if self.context_object_name:
            context[self.context_object_name] = [row.record for row in table.page.object_list]
        return super().get_context_data(**context, **kwargs)

    def _paged(self, table: Table, data: QuerySet) -> tuple[CountedLazyPaginator, object]:
        """(paginator, page) of the request's page. The page is read first: when it is the list's last (a search
        that fits in one page, most of them), its rows tell the total and nothing is counted; otherwise the
        rows are counted up to count_limit, and a page past the end is then answered as the module says."""
        number = self.request.GET.get(table.page_field)
        if number and number.strip().isdigit() and int(number) > MAX_PAGE_NUMBER:
            number = str(MAX_PAGE_NUMBER)  # past any list's end, and an OFFSET the database can take
        paginator = CountedLazyPaginator(table.rows, self.paginate_by)
        try:
            page = paginator.page(number or 1)
        except (EmptyPage, PageNotAnInteger):
            page = None
        if page is not None and not page.has_next():
            total = (page.number - 1) * self.paginate_by + len(page.object_list)
            paginator.total = total if total <= self.count_limit else None  # as counted, whatever the page
            return paginator, page
        total = count_up_to(data, self.count_limit)
        if page is not None:  # already read: a known total only makes its page count exact
            paginator.total = total
            return paginator, page
        paginator = CountedLazyPaginator(table.rows, self.paginate_by, total=total)
        return paginator, paginator.get_page(number)

    def export(self, export_format: str, filename: str) -> HttpResponse | StreamingHttpResponse:
        """Every row of the list in the page's sort, as export_response() gives them."""
        table = self.get_table(StreamedQuerysetData(self.get_table_data()))
        return export_response(table, export_format=export_format, filename=filename)


# --------------------------------------------------------------------------- exports


class StreamedQuerysetData(TableQuerysetData):
    """Table data that reads its queryset in chunks (QuerySet.iterator), so an export of any size keeps
    a bounded amount of rows in memory."""

    def __iter__(self):
        return self.data.iterator(chunk_size=EXPORT_CHUNK_SIZE)


class _Echo:
    def write(self, value):
        return value


def _csv_lines(table: Table) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield BOM
    for row in table.as_values():
        yield writer.writerow(row)


def export_response(table: Table, *, export_format: str, filename: str) -> HttpResponse | StreamingHttpResponse:
    """A download of every row of `table` (headers first): "csv" (UTF-8 with a BOM, streamed) or "xlsx".

    `filename` without its extension. Every export is written to the audit log (who, the file, from
    where: cxcrm.audit). Raises ValueError for another format.
    """
    if export_format not in EXPORT_FORMATS:
        raise ValueError(f"Unknown export format {export_format!r}.")
    from .audit import audit_record
    from .models import AuditAction

    audit_record(action=AuditAction.EXPORT, details={"file": f"{filename}.{export_format}"})
    if export_format == "csv":
        response = StreamingHttpResponse(_csv_lines(table), content_type=TableExport.FORMATS["csv"])
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return response
    return TableExport(export_format, table).response(filename=f"{filename}.{export_format}")
