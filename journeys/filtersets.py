"""FilterSets shared by the API and the map list page."""

import django_filters
from django.db.models import Q

from cxcrm.choices import Channel
from cxcrm.fields import BoundedNumberFilter, OrderingFilter

from .choices import Department, MapStatus, TouchpointKind
from .models import JourneyMap, Persona, Touchpoint


class PersonaFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")

    ordering = OrderingFilter(fields=("name", "created_at"))

    class Meta:
        model = Persona
        fields = ["q"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(summary__icontains=value))


class JourneyMapFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    status = django_filters.ChoiceFilter(choices=MapStatus.choices)
    persona_id = BoundedNumberFilter(field_name="persona_id")
    owner_id = BoundedNumberFilter(field_name="owner_id")

    ordering = OrderingFilter(fields=("name", "version", "updated_at"))

    class Meta:
        model = JourneyMap
        fields = ["q", "status", "persona_id", "owner_id"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(description__icontains=value))


class TouchpointFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    key = django_filters.CharFilter(field_name="key")
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    department = django_filters.ChoiceFilter(choices=Department.choices)
    kind = django_filters.ChoiceFilter(choices=TouchpointKind.choices)
    journey_map_id = BoundedNumberFilter(field_name="journey_map_id")
    stage_id = BoundedNumberFilter(field_name="stage_id")

    ordering = OrderingFilter(fields=("key", "channel"))

    class Meta:
        model = Touchpoint
        fields = ["q", "key", "channel", "department", "kind", "journey_map_id", "stage_id"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(key__icontains=value))
