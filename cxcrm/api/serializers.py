"""The base of the API's model serializers: the models' date-times, dates and JSON values are read by the
bounded, storable fields of cxcrm.fields, so a new serializer cannot forget the bounds.

- DateTimeField → InstantSerializerField (ISO 8601 with its UTC offset; 1970–2100; offsets within ±14:00)
- DateField → DaySerializerField (YYYY-MM-DD; 1970–2100)
- JSONField → StorableJSONField (no NUL or lone surrogate in any key or string)

Text fields need nothing: DRF's CharField already refuses NUL and lone surrogates with a field message.

Read-only choice fields keep the empty values their model field can hold: DRF drops ``allow_blank`` and
``allow_null`` from read-only fields, so the OpenAPI schema would list only the choices while the API
sends ``""`` (an invitation not suppressed has ``"suppression_reason": ""``) or ``null``; here the schema
names ``""``/``null`` too.
"""

from operator import attrgetter

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from rest_framework import serializers

from cxcrm.fields import DaySerializerField, InstantSerializerField, StorableJSONField


class ModelSerializer(serializers.ModelSerializer):
    """serializers.ModelSerializer whose date-time, date and JSON model fields are bounded (module docstring)."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: InstantSerializerField,
        models.DateField: DaySerializerField,
        models.JSONField: StorableJSONField,
    }

    def get_fields(self):
        fields = super().get_fields()
        model = getattr(getattr(self, "Meta", None), "model", None)
        for name, field in fields.items():
            if model is None or not isinstance(field, serializers.ChoiceField) or not field.read_only:
                continue
            try:
                model_field = model._meta.get_field(name if field.source in (None, "*") else field.source)
            except FieldDoesNotExist:
                continue
            field.allow_blank = field.allow_blank or model_field.blank
            field.allow_null = field.allow_null or model_field.null
        return fields


# Fields whose to_representation gives back a model attribute's value as it is (str, int, bool, a choice).
_AS_STORED = (serializers.CharField, serializers.IntegerField, serializers.BooleanField, serializers.ChoiceField)


class DirectReadModelSerializer(ModelSerializer):
    """A model serializer for long read-only lists (a timeline page of 50 interactions) whose output is
    DRF's, field for field, in about half its time.

    DRF resolves each field of each row through the field's get_attribute (dotted sources, callables,
    related objects) and to_representation. Here each field's way of reading is worked out once per
    serializer (one child serves every row of a list): a single-attribute source is read with attrgetter, a
    related object's primary key from its column (``case_id``, no query), a value of a plain type (exact
    CharField, IntegerField, BooleanField, ChoiceField) as stored, the rest through the field's own
    to_representation; None stays None, as in DRF. Other sources (dotted, ``*``, a method) go through DRF's way.
    """

    def _read_plan(self) -> list:
        plan = self.__dict__.get("_direct_read_plan")
        if plan is None:
            plan, model = [], self.Meta.model
            for field in self._readable_fields:
                if len(field.source_attrs) != 1 or field.source == "*" or callable(getattr(model, field.source, None)):
                    plan.append((field.field_name, None, field))  # a dotted path, the whole object or a method
                elif isinstance(field, serializers.PrimaryKeyRelatedField):
                    column = model._meta.get_field(field.source_attrs[0]).attname
                    plan.append((field.field_name, attrgetter(column), None))
                elif type(field) in _AS_STORED:
                    plan.append((field.field_name, attrgetter(field.source_attrs[0]), None))
                else:
                    plan.append((field.field_name, attrgetter(field.source_attrs[0]), field.to_representation))
            self._direct_read_plan = plan
        return plan

    def to_representation(self, instance) -> dict:
        row = {}
        for name, read, convert in self._read_plan():
            if read is None:  # DRF's own way (convert is the field)
                value = convert.get_attribute(instance)
                row[name] = None if value is None else convert.to_representation(value)
                continue
            value = read(instance)
            row[name] = value if value is None or convert is None else convert(value)
        return row


class WholeItemsListSerializer(serializers.ListSerializer):
    """A nested list (``many=True``) whose every item is validated whole, in a PATCH as on create.

    DRF carries the root serializer's ``partial`` flag into nested serializers, so a PATCH would skip
    their required fields (a touchpoint without ``key``, a question without ``text``) and store the
    blanks. Each item here goes through a fresh, non-partial serializer of its class instead: create
    and update share one validation. Set it as ``Meta.list_serializer_class``.
    """

    def run_child_validation(self, data):
        item = type(self.child)(data=data, context=self.context)
        if not item.is_valid():
            raise serializers.ValidationError(item.errors)
        return item.validated_data
