"""Tables of the customers pages (django-tables2): the customer search results and the cases, which the
cases list and My work show and the cases export writes.

The cases list's `?sort=` values are the case table's orderable columns: subject, customer, status,
priority, assignee, opened, due and updated ("-" for descending; the default is "-opened").
"""

import django_tables2 as tables
from django.db.models import Case as CaseWhen
from django.db.models import F, QuerySet, Value, When
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from cxcrm.choices import network_label
from cxcrm.tables import LocalDateTimeColumn, Table, label_column, local_datetime

from .choices import SLA_STATE_LABELS, CasePriority, CaseStatus, case_topic_label
from .models import Case, Customer
from .panels import customer_list_columns
from .templatetags.customers_tags import sla_badge


def _rank(field: str, values) -> CaseWhen:
    """A choice field's position in its choices (0 for anything else), to sort by meaning, not spelling."""
    return CaseWhen(*[When(**{field: value}, then=Value(i)) for i, value in enumerate(values)], default=Value(0))


def _user_name(user) -> str:
    return (user.get_full_name() or user.username) if user else ""


# --------------------------------------------------------------------------- customers


class CustomerTable(Table):
    """The customer search results (customers.selectors.customer_list_queryset rows), with the columns other apps
    add for `request` (settings.CUSTOMER_LIST_COLUMNS: feedback's health score, sortable)."""

    customer = tables.Column(_("Customer"), accessor="pk")
    identities = tables.Column(_("Identities"), accessor="pk", attrs={"td": {"class": "small"}})
    lifecycle_stage = tables.Column(_("Stage"))
    open_case_count = tables.Column(_("Open cases"), attrs={"th": {"class": "text-end"}, "td": {"class": "text-end"}})
    last_contact_at = LocalDateTimeColumn(_("Last contact"), default="—", attrs={"td": {"class": "small"}})

    class Meta(Table.Meta):
        model = Customer
        fields = ()
        orderable = False
        attrs = {"class": "table table-sm table-hover bg-body align-middle", "data-testid": "customer-results"}
        row_attrs = {"data-testid": "customer-row"}

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, extra_columns=customer_list_columns(request) if request else (), **kwargs)

    def render_customer(self, record):
        link = format_html('<a href="{}">{}</a>', reverse("customers:customer_detail", args=[record.pk]), record)
        if record.persona_id:
            return format_html('{}<div class="small text-body-secondary">{}</div>', link, record.persona.name)
        return link

    def render_identities(self, record):
        return format_html_join(
            "",
            '<span class="me-2 text-nowrap"><span class="text-body-secondary">{}:</span> {}</span>',
            (
                (" ".join(filter(None, [str(i.get_kind_display()), network_label(i.network)])), i.value)
                for i in record.identities.all()
            ),
        )

    def render_lifecycle_stage(self, value):
        return format_html('<span class="badge text-bg-light border">{}</span>', value)


# --------------------------------------------------------------------------- cases


class CaseTable(Table):
    """Cases (customers.selectors.case_list_sla rows) as the cases list shows them, sorts them and exports them.

    The visible columns are named by their sort key; the export writes the hidden ones too, headed by their
    names, with raw values (status "open", priority "urgent", date-times in ISO 8601 UTC).
    """

    export_column_names = True

    # Shown, and exported under the same name where the export has the column.
    subject = tables.Column(_("Case"), order_by=("subject", "id"), attrs={"td": {"class": "case-subject"}})
    customer = tables.Column(_("Customer"), order_by=("customer__last_name", "customer__first_name", "id"))
    status = tables.Column(_("Status"))
    priority = tables.Column(_("Priority"))
    origin = tables.Column(_("Origin"), orderable=False)
    assignee = tables.Column(_("Assignee"), order_by=("assignee__username", "id"), default="—")
    opened = LocalDateTimeColumn(
        _("Opened"),
        accessor="opened_at",
        order_by=("opened_at", "id"),
        exclude_from_export=True,
        attrs={"td": {"class": "small text-nowrap"}},
    )
    due = tables.Column(
        _("Due"),
        accessor="next_due_at",
        default="—",
        exclude_from_export=True,
        attrs={"td": {"class": "small text-nowrap"}},
    )
    sla = tables.Column(_("SLA"), accessor="sla_state", orderable=False, exclude_from_export=True)
    # A sort without a column on the page.
    updated = tables.Column(
        accessor="updated_at", order_by=("updated_at", "id"), visible=False, exclude_from_export=True
    )
    # Exported only.
    id = tables.Column(visible=False)
    customer_id = tables.Column(visible=False)
    topic = tables.Column(visible=False)
    opened_at = LocalDateTimeColumn(visible=False)
    first_response_due_at = LocalDateTimeColumn(visible=False)
    first_response_at = LocalDateTimeColumn(visible=False)
    resolution_due_at = LocalDateTimeColumn(visible=False)
    resolved_at = LocalDateTimeColumn(visible=False)
    sla_state = tables.Column(visible=False)
    # Exported only: each coded column's label in the reader's language, beside it.
    status_label = label_column("get_status_display", "status_label")
    priority_label = label_column("get_priority_display", "priority_label")
    origin_label = label_column("get_origin_display", "origin_label")
    topic_label = label_column("topic", "topic_label")
    sla_state_label = label_column("sla_state", "sla_state_label")
    breached = tables.Column(accessor="is_breached", visible=False)
    reopen_count = tables.Column(visible=False)

    class Meta(Table.Meta):
        model = Case
        fields = ()
        sequence = (
            "id",
            "subject",
            "customer_id",
            "customer",
            "status",
            "status_label",
            "priority",
            "priority_label",
            "origin",
            "origin_label",
            "topic",
            "topic_label",
            "assignee",
            "opened_at",
            "first_response_due_at",
            "first_response_at",
            "resolution_due_at",
            "resolved_at",
            "sla_state",
            "sla_state_label",
            "breached",
            "reopen_count",
            "...",
        )
        order_by = ("-opened",)
        attrs = {"class": "table table-sm table-hover bg-body align-middle table-stack", "data-testid": "case-table"}
        row_attrs = {
            "class": lambda record: f"sla-{record.sla_state}",
            "data-testid": "case-row",
            "data-case": lambda record: record.pk,
        }

    # --- on the page

    def render_subject(self, record):
        link = format_html(
            '<a href="{}">#{} {}</a>', reverse("customers:case_detail", args=[record.pk]), record.pk, record.subject
        )
        if record.topic:
            return format_html(
                '{} <span class="badge text-bg-light border">{}</span>', link, case_topic_label(record.topic)
            )
        return link

    def render_customer(self, record):
        return format_html(
            '<a href="{}">{}</a>', reverse("customers:customer_detail", args=[record.customer_id]), record.customer
        )

    def render_origin(self, record, value):
        if record.origin == "survey":
            return format_html('<span class="badge text-bg-info"><i class="bi bi-ui-radios"></i> {}</span>', value)
        return value

    def render_assignee(self, value):
        return _user_name(value)

    def render_sla(self, record):
        return render_to_string("customers/_sla_badge.html", sla_badge(record))

    def render_due(self, record, value):
        return "—" if record.sla_state == "met" else local_datetime(value)

    # --- in the export

    def value_subject(self, record):
        return record.subject

    def value_customer(self, record):
        return record.customer.full_name

    def value_status(self, record):
        return record.status

    def value_priority(self, record):
        return record.priority

    def value_origin(self, record):
        return record.origin

    def value_assignee(self, value):
        return value.username

    def value_topic_label(self, record):
        return str(case_topic_label(record.topic))

    def value_sla_state_label(self, record):
        return str(SLA_STATE_LABELS.get(record.sla_state, record.sla_state))

    def value_breached(self, value):
        return "yes" if value else "no"

    # --- sorts that are not a plain field

    def order_due(self, queryset: QuerySet, is_descending: bool):
        due = F("next_due_at")
        if is_descending:
            return queryset.order_by(due.desc(nulls_last=True), "-id"), True
        return queryset.order_by(due.asc(nulls_last=True), "id"), True

    def order_priority(self, queryset: QuerySet, is_descending: bool):
        return self._order_by_rank(queryset, _rank("priority", CasePriority.values), is_descending)

    def order_status(self, queryset: QuerySet, is_descending: bool):
        return self._order_by_rank(queryset, _rank("status", CaseStatus.values), is_descending)

    @staticmethod
    def _order_by_rank(queryset: QuerySet, rank: CaseWhen, is_descending: bool):
        if is_descending:
            return queryset.order_by(rank.desc(), "-id"), True
        return queryset.order_by(rank.asc(), "id"), True


class NewCaseTable(CaseTable):
    """My work's "New for me": the case table with a "Mark seen" button per row (the case then leaves the list)."""

    seen = tables.Column("", empty_values=(), orderable=False, exclude_from_export=True)

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.csrf_token = get_token(request) if request is not None else ""

    def render_seen(self, record):
        return format_html(
            '<form method="post" action="{}" class="m-0"><input type="hidden" name="csrfmiddlewaretoken" value="{}">'
            '<button type="submit" class="btn btn-outline-secondary btn-sm text-nowrap" data-testid="mark-seen">'
            "{}</button>"
            "</form>",
            reverse("customers:case_seen", args=[record.pk]),
            self.csrf_token,
            _("Mark seen"),
        )
