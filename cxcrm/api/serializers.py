"""The base of the API's model serializers: the models' date-times, dates and JSON values are read by the
bounded, storable fields of cxcrm.fields, so a new serializer cannot forget the bounds.

- DateTimeField → InstantSerializerField (ISO 8601 with its UTC offset; 1970–2100; offsets within ±14:00)
- DateField → DaySerializerField (YYYY-MM-DD; 1970–2100)
- JSONField → StorableJSONField (no NUL or lone surrogate in any key or string)

Text fields need nothing: DRF's CharField already refuses NUL and lone surrogates with a field message.
"""

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
