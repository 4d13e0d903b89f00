"""Input fields for a channel, as integrations and people name it, shared by the API, the filters and the forms.

Every door that takes a channel name reads it with `cxcrm.choices.channel_parse`: any case, surrounding spaces
ignored, and a messaging app or social network alias read as its channel ("WhatsApp" is `chat` on network
`whatsapp`, "instagram" is `social`). An unknown name is refused with the message that lists the channels and
the aliases (`CHANNEL_UNKNOWN`).
"""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .choices import CHANNEL_UNKNOWN, Channel, channel_parse


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

    default_error_messages = {"invalid_choice": CHANNEL_UNKNOWN % {"value": "{input}"}}

    def __init__(self, **kwargs):
        kwargs.setdefault("choices", Channel.choices)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if data == "" and self.allow_blank:
            return ""
        extra = tuple(code for code in self.choice_strings_to_values if code not in Channel.values)
        parsed = channel_read(data, extra=extra)
        if parsed is None or parsed[0] not in self.choice_strings_to_values:
            self.fail("invalid_choice", input=data)
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
            raise ValidationError(CHANNEL_UNKNOWN, code="invalid_choice", params={"value": value})
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
        self.extra["error_messages"] = {
            "invalid_choice": f"“%(value)s” is not an ordering; use one of: {accepted} (comma-separated)."
        }
