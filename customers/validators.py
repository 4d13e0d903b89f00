"""Rules on a customer's data, attached to the model fields so that the admin, every
ModelForm, the API's model serializers and the services (through `clean_fields`) apply
the same check with the same message."""

import zoneinfo
from functools import cache

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_countries import countries


@cache
def _time_zones() -> frozenset[str]:
    # available_timezones() walks the tz database on disk at every call; it only changes on an upgrade.
    # Without the names that are no place: the machine's own zone and the tz database's placeholders.
    return frozenset(zoneinfo.available_timezones()) - {"localtime", "Factory", "posixrules", "posix/Factory"}


def validate_time_zone(value: str) -> None:
    """An IANA time zone name known to this machine's tz database ("America/Sao_Paulo", "UTC").

    Raises ValidationError (code "invalid_time_zone") otherwise; names are case-sensitive.
    """
    if value not in _time_zones():
        raise ValidationError(
            _("“%(value)s” is not a known time zone (e.g. America/Sao_Paulo)."),
            code="invalid_time_zone",
            params={"value": value},
        )


def validate_country_code(value: str) -> None:
    """An ISO 3166-1 alpha-2 code in any case ("BR", "br"), or "" for unknown.

    The field stores it upper-cased (CountryCodeField). Raises ValidationError (code
    "invalid_country") for anything else, names and alpha-3 codes included.
    """
    if value and value.upper() not in countries:
        raise ValidationError(
            _("“%(value)s” is not a two-letter ISO 3166 country code (e.g. BR)."),
            code="invalid_country",
            params={"value": value},
        )
