"""Input fields shared by the API, the filters and the forms: channels, instants and dates, storable text.

Channels.
Every door that takes a channel name reads it with `cxcrm.choices.channel_parse`: any case, surrounding spaces
ignored, and a messaging app or social network alias read as its channel ("WhatsApp" is `chat` on network
`whatsapp`, "instagram" is `social`). An unknown name is refused with the message that lists the channels and
the aliases (`CHANNEL_UNKNOWN`).

Instants and dates: every door that takes a date-time or a date holds it to the bounds of
cxcrm.validators (`instant_clean`, `day_clean`: years 1970 to 2100, UTC offsets within ±14:00):
- an API body (`InstantSerializerField`, `DaySerializerField`; cxcrm.api.serializers.ModelSerializer maps the
  models' DateTimeField and DateField to them): ISO 8601 with its UTC offset; a time without one is a 400;
- a filter of a list, in the API and on the pages (`BoundedIsoDateTimeFilter`, `BoundedDateFilter`), and a page
  form (`InstantFormField`, `DayFormField`): a value without an offset, a plain date (midnight) or a
  datetime-local input, is read in the current time zone (the site's TIME_ZONE);
anything else is a 400 (a form error on a page) naming the field, never a 500 from the database.

Storable text: `StorableJSONField` and `StorableDictField` refuse NUL and lone surrogates anywhere in a JSON
value (DRF's CharField already refuses them in text) with a field message; `StorableSlugRelatedField` refuses
them in a related object's name before looking it up.
"""

from datetime import date, datetime, time

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from .choices import CHANNEL_UNKNOWN, CHANNEL_UNKNOWN_PARAMS, Channel, channel_parse, channel_unknown
from .validators import day_clean, instant_clean, json_storable_check


def channel_read(value, *, extra: tuple[str, ...] = ()) -> tuple[str, str] | None:
    """(channel, network) of `value`, or None. `extra`: further codes taken as they are (a case's origin
    `survey`), with no network."""
    if isinstance(value, str) and value.strip().lower() in extra:
        return value.strip().lower(), ""
    return channel_parse(value)


class ChannelSerializerField(serializers.ChoiceField):
    """A channel in an API body: stored as the channel's code (an alias's network is not kept here).

    `choices` defaults to the channels; a case's origin passes CaseOrigin's (the channels and `survey`).
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("choices", Channel.choices)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if data == "" and self.allow_blank:
            return ""
        extra = tuple(code for code in self.choice_strings_to_values if code not in Channel.values)
        parsed = channel_read(data, extra=extra)
        if parsed is None or parsed[0] not in self.choice_strings_to_values:
            raise serializers.ValidationError(channel_unknown(data), code="invalid_choice")
        return self.choice_strings_to_values[parsed[0]]


class ChannelFormField(forms.CharField):
    """A channel in a query string or a page form; cleans to (channel, network), or None when empty."""

    def __init__(self, *, extra: tuple[str, ...] = (), **kwargs):
        self.extra = extra
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if value in (None, ""):
            return None
        parsed = channel_read(value, extra=self.extra)
        if parsed is None:
            raise ValidationError(
                CHANNEL_UNKNOWN, code="invalid_choice", params={"value": value, **CHANNEL_UNKNOWN_PARAMS}
            )
        return parsed


@extend_schema_field(OpenApiTypes.STR)
class ChannelFilter(django_filters.Filter):
    """`?channel=` read as integrations name it: `chat`, `Chat` or `whatsapp` (chat on WhatsApp only).

    `network_field`: where the model keeps the network, so an alias narrows to its network too; without it
    (or for a plain channel) only the channel is matched. `method` may take over as with any filter, and
    receives the (channel, network) pair.
    """

    field_class = ChannelFormField

    def __init__(self, *args, network_field: str | None = None, extra: tuple[str, ...] = (), **kwargs):
        self.network_field = network_field
        kwargs["extra"] = extra
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        channel, network = value
        qs = qs.filter(**{self.field_name: channel})
        if network and self.network_field:
            qs = qs.filter(**{self.network_field: network})
        return qs.distinct() if self.distinct else qs


class OrderingFilter(django_filters.OrderingFilter):
    """`?ordering=` of an API list: comma-separated field names, `-` for descending. An unknown one is a 400
    naming `ordering` and listing the accepted values (never silently ignored)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        accepted = ", ".join(value for value, _ in self.extra["choices"])

        def invalid_choice() -> str:
            # In the request's language; %(value)s is left for the form field to fill.
            message = gettext("“%(value)s” is not an ordering; use one of: %(accepted)s (comma-separated).")
            return message.replace("%(accepted)s", accepted)

        self.extra["error_messages"] = {"invalid_choice": lazy(invalid_choice, str)()}


# --------------------------------------------------------------------------- instants and dates


def _drf_error(error: ValidationError) -> serializers.ValidationError:
    return serializers.ValidationError(error.messages, code=error.code)


class InstantSerializerField(serializers.DateTimeField):
    """A date-time in an API body: ISO 8601 with its UTC offset or Z ("2024-05-01T14:30:00-03:00"), within
    the bounds (cxcrm.validators.instant_clean); stored in UTC. Without an offset → 400 naming the field."""

    def to_internal_value(self, value):
        try:
            return instant_clean(value)
        except ValidationError as error:
            raise _drf_error(error) from None


class DaySerializerField(serializers.DateField):
    """A date in an API body or query (YYYY-MM-DD) within the years of cxcrm.validators.day_clean."""

    def to_internal_value(self, value):
        try:
            return day_clean(value)
        except ValidationError as error:
            raise _drf_error(error) from None


class InstantFormField(forms.DateTimeField):
    """A date-time in a page form or a query string, within the bounds (cxcrm.validators.instant_clean); one
    without an offset (a datetime-local input "2024-05-01T09:30", a plain date "2024-05-01" as its midnight) is
    read in the current time zone. Cleans to an aware datetime in UTC."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, date) and not isinstance(value, datetime):
            value = datetime.combine(value, time())
        if isinstance(value, str) and value.strip() in self.empty_values:
            return None
        return instant_clean(value, naive="local")

    def prepare_value(self, value):
        return timezone.localtime(value) if isinstance(value, datetime) and timezone.is_aware(value) else value


class DayFormField(forms.DateField):
    """A date in a page form or a query string (YYYY-MM-DD, or the site's date formats) within the years
    of cxcrm.validators.day_clean."""

    def to_python(self, value):
        value = super().to_python(value)
        return None if value is None else day_clean(value)


@extend_schema_field(OpenApiTypes.DATETIME)
class BoundedIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """A date-time filter (`?opened_after=`): InstantFormField's reading and bounds; a bad value is a 400
    naming the filter."""

    field_class = InstantFormField


@extend_schema_field(OpenApiTypes.DATE)
class BoundedDateFilter(django_filters.DateFilter):
    """A date filter (`?date_from=2024-05-01`) within the years of cxcrm.validators.day_clean."""

    field_class = DayFormField


# --------------------------------------------------------------------------- numbers


class BoundedNumberFilter(django_filters.NumberFilter):
    """A number filter (`?customer_id=`, `?score_min=`) within the database's 64-bit integers: a larger one
    (`99999999999999999999`, `1e30`) is a 400 naming the filter, not an overflow in the database driver."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", -(2**63))
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


# --------------------------------------------------------------------------- JSON text PostgreSQL can store


def _storable(value) -> None:
    try:
        json_storable_check(value)
    except ValidationError as error:
        raise _drf_error(error) from None


class StorableJSONField(serializers.JSONField):
    """A JSON value in an API body whose keys and strings hold no NUL or lone surrogate (400 naming the
    character)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(_storable)


class StorableDictField(serializers.DictField):
    """An object in an API body whose keys and strings hold no NUL or lone surrogate (400 naming the
    character)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(_storable)


@extend_schema_field(
    {
        "type": "string",
        "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$",
        "example": "21:00",
        "description": "A local time of day, HH:MM or HH:MM:SS, without a zone",
    }
)
class LocalTimeField(serializers.TimeField):
    """A time of day without a zone (quiet hours read in the customer's time zone). OpenAPI's
    ``format: time`` is RFC 3339's full-time, which requires an offset, so the schema gives the
    pattern the API reads and writes instead (``21:00`` in, ``21:00:00`` out). A time with an offset
    (``22:00+05:00``) is refused: it would be stored without it, a different hour than meant."""

    default_error_messages = {"zoned": _("A local time of day without a zone: HH:MM or HH:MM:SS.")}

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)  # Django's parse_time drops an offset: look at the text
        if isinstance(value, str):
            try:
                zoned = time.fromisoformat(value.strip()).tzinfo is not None
            except ValueError:
                zoned = False
            if zoned:
                self.fail("zoned")
        return parsed


class StorableSlugRelatedField(serializers.SlugRelatedField):
    """A related object named by a text field (a persona by its name): a name holding NUL or a lone surrogate
    is refused with DRF's field message ("Null characters are not allowed.") before the lookup, which
    PostgreSQL would fail on (a 500). Use it for every writable SlugRelatedField."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            if "\x00" in data:
                raise serializers.ValidationError(
                    ProhibitNullCharactersValidator.message, code="null_characters_not_allowed"
                )
            ProhibitSurrogateCharactersValidator()(data)
        return super().to_internal_value(data)
