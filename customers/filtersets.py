"""FilterSets of the customers app, shared by the API, the pages and the selectors.

The API's `ordering=` of each list is its FilterSet's OrderingFilter (comma-separated
fields, "-" for descending; an unknown field is a 400 naming it).
"""

import django_filters
from django.db.models import F, Q
from django.utils import timezone

from cxcrm.fields import BoundedIsoDateTimeFilter, BoundedNumberFilter, ChannelFilter, OrderingFilter

from .choices import CaseOrigin, CasePriority, CaseStatus, Direction, InteractionType, LifecycleStage
from .models import Case, CaseQuerySet, Customer, Interaction, MergeRecord, MergeSuggestion, Note


class CustomerOrderingFilter(OrderingFilter):
    """`?ordering=` of customers: empty values (never contacted, a health score not computed yet) last in either
    direction, then the customer id, so equal values keep one order and pages neither skip nor repeat a customer."""

    def filter(self, qs, value):
        if not value:
            return qs
        ordering = []
        for name in (self.get_ordering_value(param) for param in value):
            field = F(name.lstrip("-"))
            ordering.append(field.desc(nulls_last=True) if name.startswith("-") else field.asc(nulls_last=True))
        return qs.order_by(*ordering, "pk")


class CustomerFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Name or any identity (email, phone, handle…)")
    lifecycle_stage = django_filters.MultipleChoiceFilter(choices=LifecycleStage.choices)
    persona_id = BoundedNumberFilter(field_name="persona_id")
    owner_id = BoundedNumberFilter(field_name="owner_id")
    tag = django_filters.CharFilter(field_name="tags__name", label="Tag name")
    channel = ChannelFilter(method="seen_on", label="Seen on channel (any case; whatsapp, instagram… too)")
    created_after = BoundedIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = BoundedIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    last_contact_after = BoundedIsoDateTimeFilter(field_name="last_contact_at", lookup_expr="gte")
    last_contact_before = BoundedIsoDateTimeFilter(field_name="last_contact_at", lookup_expr="lt")
    updated_since = BoundedIsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    ordering = CustomerOrderingFilter(fields=("last_contact_at", "created_at", "updated_at", "last_name", "first_name"))

    class Meta:
        model = Customer
        fields = [
            "q",
            "lifecycle_stage",
            "persona_id",
            "owner_id",
            "tag",
            "channel",
            "created_after",
            "created_before",
            "last_contact_after",
            "last_contact_before",
            "updated_since",
        ]

    ORDERING_FIELDS = ("last_contact_at", "created_at", "updated_at", "last_name", "first_name")

    def __init__(self, *args, **kwargs):
        # Other apps' filters and orderings (customers/extensions.py), added per instance.
        from .extensions import customer_filters_extra, customer_orderings_extra

        super().__init__(*args, **kwargs)
        self.filters.update(customer_filters_extra())
        extra_orderings = customer_orderings_extra()
        if extra_orderings:
            self.filters["ordering"] = CustomerOrderingFilter(
                fields=tuple((name, name) for name in self.ORDERING_FIELDS) + tuple(extra_orderings.items())
            )
            self.filters["ordering"].model = Customer
            self.filters["ordering"].parent = self

    # The selectors build on these FilterSets (the timeline), so they are imported when called.
    def search(self, queryset, name, value):
        from .selectors import customer_search

        return customer_search(value, queryset)

    def seen_on(self, queryset, name, value):
        from .selectors import customers_with_channel

        channel, network = value
        return customers_with_channel(queryset, channel, network=network)


class TimelineFilterSet(django_filters.FilterSet):
    """A customer's timeline filters: timeline.timeline_queryset applies them, the API validates them first.
    No ordering: the timeline is keyset-paginated on (occurred_at, id)."""

    channel = ChannelFilter(network_field="network", label="Channel (any case; whatsapp, instagram… narrow to it)")
    type = django_filters.ChoiceFilter(choices=InteractionType.choices)
    direction = django_filters.ChoiceFilter(choices=Direction.choices)
    case = BoundedNumberFilter(field_name="case_id")
    occurred_after = BoundedIsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = BoundedIsoDateTimeFilter(field_name="occurred_at", lookup_expr="lte")

    class Meta:
        model = Interaction
        fields = ["channel", "type", "direction", "case", "occurred_after", "occurred_before"]


class InteractionFilterSet(TimelineFilterSet):
    customer_id = BoundedNumberFilter(field_name="customer_id")
    source = django_filters.CharFilter()
    external_id = django_filters.CharFilter()
    touchpoint = django_filters.CharFilter(field_name="touchpoint_key", label="Touchpoint key")
    campaign = django_filters.CharFilter()
    network = django_filters.CharFilter(method="in_network", label="Messaging app or social network, e.g. whatsapp")
    ordering = OrderingFilter(fields=("occurred_at", "created_at"))

    class Meta(TimelineFilterSet.Meta):
        fields = [
            *TimelineFilterSet.Meta.fields,
            "customer_id",
            "source",
            "external_id",
            "touchpoint",
            "campaign",
            "network",
        ]

    def in_network(self, queryset, name, value):
        return queryset.filter(network=value.strip().lower())


class CaseFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=CaseStatus.choices)
    priority = django_filters.MultipleChoiceFilter(choices=CasePriority.choices)
    assignee_id = BoundedNumberFilter(field_name="assignee_id")
    unassigned = django_filters.BooleanFilter(field_name="assignee", lookup_expr="isnull")
    customer_id = BoundedNumberFilter(field_name="customer_id")
    topic = django_filters.CharFilter()
    origin = ChannelFilter(extra=(CaseOrigin.SURVEY,), label="Origin: a channel (any case, aliases too) or survey")
    breached = django_filters.BooleanFilter(method="filter_breached", label="SLA breached now")
    opened_after = BoundedIsoDateTimeFilter(field_name="opened_at", lookup_expr="gte")
    opened_before = BoundedIsoDateTimeFilter(field_name="opened_at", lookup_expr="lt")
    updated_since = BoundedIsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    ordering = OrderingFilter(fields=("opened_at", "updated_at", "resolution_due_at", "priority"))

    class Meta:
        model = Case
        fields = [
            "status",
            "priority",
            "assignee_id",
            "unassigned",
            "customer_id",
            "topic",
            "origin",
            "breached",
            "opened_after",
            "opened_before",
            "updated_since",
        ]

    def filter_breached(self, queryset, name, value):
        condition = CaseQuerySet.breached_condition(timezone.now())
        return queryset.filter(condition) if value else queryset.exclude(condition)


class NoteFilterSet(django_filters.FilterSet):
    customer_id = BoundedNumberFilter(field_name="customer_id")
    author_id = BoundedNumberFilter(field_name="author_id")
    ordering = OrderingFilter(fields=("created_at",))

    class Meta:
        model = Note
        fields = ["customer_id", "author_id"]


class MergeSuggestionFilterSet(django_filters.FilterSet):
    customer_id = BoundedNumberFilter(method="involving", label="Involving this customer")
    ordering = OrderingFilter(fields=("created_at",))

    class Meta:
        model = MergeSuggestion
        fields = ["customer_id"]

    def involving(self, queryset, name, value):
        return queryset.filter(Q(customer_id=value) | Q(other_id=value))


class MergeRecordFilterSet(django_filters.FilterSet):
    ordering = OrderingFilter(fields=("merged_at",))

    class Meta:
        model = MergeRecord
        fields = []
