"""Admin pieces shared by the apps."""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models

from .models import AuditEvent
from .roles import may_change_others_records, may_change_record
from .validators import (
    INSTANT_MAX_YEAR,
    INSTANT_MIN_YEAR,
    day_clean,
    instant_clean,
    json_storable_check,
    validate_day,
    validate_instant,
)

# The parts of a date an admin list's date hierarchy filters on, and their bounds.
_DATE_PARTS = {"year": (INSTANT_MIN_YEAR, INSTANT_MAX_YEAR), "month": (1, 12), "day": (1, 31)}
_COMPARISONS = {"", "exact", "gt", "gte", "lt", "lte"}


def bounded_formfield(db_field, formfield):
    """`formfield` (of the model field `db_field`) holding the product's bounds (cxcrm.validators): a
    date-time's years and offset (read in the current time zone), a date's years, and no NUL or lone
    surrogate in a JSON value. Returns the form field."""
    if formfield is None:
        return None
    if isinstance(db_field, models.DateTimeField):
        formfield.validators.append(validate_instant)
    elif isinstance(db_field, models.DateField):
        formfield.validators.append(validate_day)
    elif isinstance(db_field, models.JSONField):
        formfield.validators.append(json_storable_check)
    return formfield


def date_lookups_check(model, params) -> None:
    """Raises IncorrectLookupParameters when an admin list's query string (`params`, a QueryDict) filters a
    date-time or date field of `model` out of the product's bounds: `opened_at__gte=0001-01-01 00:00+01:00`,
    `opened_at__year=99999999999999999999` (the date hierarchy's and the date filters' parameters), which the
    database would otherwise fail on."""
    for key in params:
        name, _, lookup = key.partition("__")
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if not isinstance(field, models.DateField):
            continue
        for value in params.getlist(key):
            if lookup in _DATE_PARTS:
                low, high = _DATE_PARTS[lookup]
                if not (value.isascii() and value.isdigit() and low <= int(value) <= high):
                    raise IncorrectLookupParameters(f"{key}: out of range")
            elif lookup in _COMPARISONS:
                try:
                    instant_clean(value, naive="local") if isinstance(field, models.DateTimeField) else day_clean(value)
                except ValidationError as error:
                    raise IncorrectLookupParameters(f"{key}: {' '.join(error.messages)}") from None


class BoundedFieldsAdminMixin:
    """For a ModelAdmin or inline whose forms edit date-times, dates or JSON, or whose list filters on them
    (a date hierarchy): their form fields refuse what the API refuses (bounded_formfield), as a form error
    instead of a row that breaks the lists; a list's date parameters out of bounds (date_lookups_check) get
    the admin's "invalid filter" answer (a redirect to ?e=1) instead of a 500."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        return bounded_formfield(db_field, super().formfield_for_dbfield(db_field, request, **kwargs))

    def get_changelist_instance(self, request):
        date_lookups_check(self.model, request.GET)
        return super().get_changelist_instance(request)


class ReadOnlyAdminMixin:
    """An audit or computed record: every field shown, nothing added, changed or deleted here.

    Rows change only through services (merges, survey delivery, rollups); the admin
    lets staff look, filter and search.
    """

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OwnRecordsAdminMixin:
    """A record that belongs to a user (`owner_field`: a note's author, an interaction's agent, a
    workspace visit's user): changed or deleted only by that user, a manager or a superuser
    (cxcrm.roles.may_change_record); others see it read-only. The owner is set to whoever adds the
    record and only managers may choose or change it."""

    owner_field: str = ""

    def _owns(self, request, obj) -> bool:
        return obj is None or may_change_record(request.user, getattr(obj, f"{self.owner_field}_id"))

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._owns(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._owns(request, obj)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not may_change_others_records(request.user) and self.owner_field not in fields:
            fields.append(self.owner_field)
        return fields

    def get_autocomplete_fields(self, request):
        fields = list(super().get_autocomplete_fields(request))
        return [f for f in fields if f != self.owner_field or may_change_others_records(request.user)]

    def save_model(self, request, obj, form, change):
        if not change and not may_change_others_records(request.user):
            setattr(obj, self.owner_field, request.user)
        super().save_model(request, obj, form, change)


class AuditEventAdmin(BoundedFieldsAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit log, read-only: filter by action, actor and date, search by object or actor."""

    list_display = ["at", "actor_label", "action", "object_type", "object_id", "ip_address"]
    list_filter = ["action", "object_type", ("actor", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["object_id", "actor_label", "ip_address"]
    date_hierarchy = "at"
    list_select_related = ["actor"]
    show_full_result_count = False


admin.site.register(AuditEvent, AuditEventAdmin)
