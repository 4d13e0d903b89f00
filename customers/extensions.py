"""Fields, filters and orderings other apps add to the customer API without customers importing them.

settings.CUSTOMER_API_EXTENSIONS lists dotted paths of modules with these functions:
- `annotate(queryset) -> queryset`: adds the annotations its fields read (correlated subqueries: no row
  fan-out, a constant number of queries);
- `fields() -> {name: serializer field}`: read-only fields added to the customer's representation;
- `filters() -> {name: django-filter Filter}`: filters added to CustomerFilterSet (a bad value is a 400
  naming the filter, as for customers' own);
- `orderings() -> {annotation: ordering name}`: values added to `?ordering=`.
feedback adds the health score (`health`, `health_parts`, `?health_below=`, `?ordering=health`).
"""

from importlib import import_module

from django.conf import settings


def customer_api_extensions() -> list:
    return [import_module(dotted) for dotted in getattr(settings, "CUSTOMER_API_EXTENSIONS", ())]


def customer_queryset_extend(queryset):
    for extension in customer_api_extensions():
        queryset = extension.annotate(queryset)
    return queryset


def customer_fields_extra() -> dict:
    fields = {}
    for extension in customer_api_extensions():
        fields.update(extension.fields())
    return fields


def customer_filters_extra() -> dict:
    filters = {}
    for extension in customer_api_extensions():
        filters.update(extension.filters())
    return filters


def customer_orderings_extra() -> dict:
    orderings = {}
    for extension in customer_api_extensions():
        orderings.update(extension.orderings())
    return orderings
