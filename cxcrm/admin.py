"""Admin pieces shared by the apps."""

from django.contrib import admin
from django.db import models

from .models import AuditEvent
from .roles import may_change_others_records, may_change_record
from .validators import json_storable_check, validate_day, validate_instant


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


class BoundedFieldsAdminMixin:
    """For a ModelAdmin or inline whose forms edit date-times, dates or JSON: their form fields refuse what
    the API refuses (bounded_formfield), as a form error instead of a row that breaks the lists."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        return bounded_formfield(db_field, super().formfield_for_dbfield(db_field, request, **kwargs))


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


class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit log, read-only: filter by action, actor and date, search by object or actor."""

    list_display = ["at", "actor_label", "action", "object_type", "object_id", "ip_address"]
    list_filter = ["action", "object_type", ("actor", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["object_id", "actor_label", "ip_address"]
    date_hierarchy = "at"
    list_select_related = ["actor"]
    show_full_result_count = False


admin.site.register(AuditEvent, AuditEventAdmin)
