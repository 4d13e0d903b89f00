"""Identity normalisation: the one place that decides how an email, a phone, a
handle, an external id or a device id is stored and looked up.

Every write and every lookup goes through `normalise_identity`, so
" Ana@Example.COM " and "ana@example.com", or "(11) 91234-5678" and
"+55 11 91234-5678", are the same identity.
"""

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import NamedTuple

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .choices import IDENTITY_KIND_ALIASES, PHONE_NETWORKS, IdentityKind

MAX_VALUE_LENGTH = 254
MAX_NETWORK_LENGTH = 50


class NormalisedIdentity(NamedTuple):
    kind: str
    network: str
    value: str


_PARSE_REASONS = {
    phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: _(
        "its country code is unknown (start with + and the code)"
    ),
    phonenumbers.NumberParseException.NOT_A_NUMBER: _("it does not look like a phone number"),
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: _("it is too short after the international prefix"),
    phonenumbers.NumberParseException.TOO_SHORT_NSN: _("it is too short"),
    phonenumbers.NumberParseException.TOO_LONG: _("it is too long"),
}


def default_region() -> str | None:
    """The organisation's region for national-format phones (settings.PHONE_DEFAULT_REGION), None if unset."""
    return (getattr(settings, "PHONE_DEFAULT_REGION", "BR") or "").upper() or None


def _valid(number: phonenumbers.PhoneNumber) -> phonenumbers.PhoneNumber | None:
    """The number if valid, or a Brazilian mobile number from before the ninth digit in its current form.

    The rule (Anatel, completed in 2016): a Brazilian mobile number is a two-digit area code and nine digits
    starting with 9. A number given as an area code and eight digits starting with 6, 7, 8 or 9 (the form
    WhatsApp still sends for older accounts, e.g. 55 41 8799-1234) is that mobile without its ninth digit:
    it is stored with the 9 (+55 41 98799-1234). Eight digits starting with 2 to 5 are landlines, and a number
    valid as given (such as the remaining 8-digit radio numbers) is kept as given. The same kind of rule for
    Mexico: a mobile given with the "1" after +52 that the numbering plan dropped in 2019 is stored without it.
    """
    if phonenumbers.is_valid_number(number):
        return number
    national = str(number.national_number)
    mobile = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    if number.country_code == 55 and len(national) == 10 and national[2] in "6789":
        ninth = phonenumbers.parse(f"+55{national[:2]}9{national[2:]}")
        if phonenumbers.is_valid_number(ninth) and phonenumbers.number_type(ninth) in mobile:
            return ninth
    if number.country_code == 52 and len(national) == 11 and national[0] == "1":
        # Mexico dropped the "1" that mobiles carried after +52 in 2019 (IFT); WhatsApp still sends it for
        # older accounts (521 55 1234 5678): the number is +52 55 1234 5678.
        current = phonenumbers.parse(f"+52{national[1:]}")
        if phonenumbers.is_valid_number(current):
            return current
    return None


_DIGITS_ONLY = re.compile(r"^[\d\s().-]+$")


def _phone(value: str, region: str | None = None) -> str:
    """E.164 of a phone: international ("+30 694 123 4567"), or national read in `region` (default: the
    organisation's); digits without "+" that are no valid national number are tried as international
    (WhatsApp sends "554187991234"); a Brazilian mobile without its ninth digit gets it (see `_valid`)."""
    region = (region or "").upper() or default_region()
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        number, error = None, exc
    else:
        error = None
        number = _valid(number)
    if number is None and _DIGITS_ONLY.match(value) and not value.lstrip().startswith("0"):
        try:
            number = _valid(phonenumbers.parse("+" + re.sub(r"\D", "", value)))
        except phonenumbers.NumberParseException:
            number = None
    if number is None and error is not None:
        reason = _PARSE_REASONS.get(error.error_type, _PARSE_REASONS[phonenumbers.NumberParseException.NOT_A_NUMBER])
        message = gettext("“%(value)s” is not a phone number: %(reason)s.") % {"value": value, "reason": reason}
        raise ValidationError(message, code="invalid") from error
    if number is None:
        if value.lstrip().startswith("+"):
            message = gettext("“%(value)s” is not a valid phone number (check its country code and digits).")
        elif region:
            message = gettext(
                "“%(value)s” is not a valid phone number in the region %(region)s; give it in international "
                "format, e.g. +55 11 91234-5678."
            )
        else:
            message = gettext(
                "“%(value)s” is not a valid phone number (no region is set); give it in international format, "
                "e.g. +55 11 91234-5678."
            )
        raise ValidationError(message % {"value": value, "region": region}, code="invalid")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=256)
def phone_readings(text: str) -> frozenset[str]:
    """Every E.164 number a national-format phone could be, one per region where it is valid.

    Search uses it to find a number given without its country code whatever the customer's country
    ("692 510 8966" is a Greek mobile and a Brazilian landline). Empty for anything not phone-like.
    Cached: about 250 regions are tried (≈ 20 ms).
    """
    text = (text or "").strip()
    if not text or text.startswith("+") or not _DIGITS_ONLY.match(text) or sum(c.isdigit() for c in text) < 6:
        return frozenset()
    readings = set()
    for region in phonenumbers.SUPPORTED_REGIONS:
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number_for_region(number, region):
            readings.add(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return frozenset(readings)


def _email(value: str) -> str:
    email = value.lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        if "@" not in email:
            message = gettext("“%(value)s” is not a valid email address: it has no '@'.")
        else:
            message = gettext("“%(value)s” is not a valid email address: it is not a valid address.")
        raise ValidationError(message % {"value": value}, code="invalid") from exc
    return email


def _kind_label(kind: str) -> str:
    """An identity kind by its label in the reader's language, lower case, to sit inside a sentence."""
    return str(IdentityKind(kind).label).lower()


_KINDS = frozenset(IdentityKind.values)  # read once: `IdentityKind.values` builds a new list on every access


def normalise_identity(kind, value, network="", *, region: str | None = None) -> NormalisedIdentity:
    """Return (kind, network, value) as stored.

    - email: trimmed and lower-cased, validated; network "".
    - phone: parsed with phonenumbers into E.164; a national format is read in `region` (the ISO 3166 code
      of the customer's country), else in settings.PHONE_DEFAULT_REGION; a Brazilian mobile number without
      its ninth digit is stored with it (see `_valid`); network "".
    - handle: lower-cased, without a leading '@'; network (the social network) required, lower-cased.
    - external_id: trimmed, case kept; network (the source system) required, lower-cased.
    - device: trimmed, case kept; network "".

    The kind is read in any case; an alias (customers.choices.IDENTITY_KIND_ALIASES: "whatsapp", "sms",
    "mobile") is a phone, and so is a handle or external id of a network whose accounts are phone numbers
    (PHONE_NETWORKS: "whatsapp"), so a WhatsApp number and the same phone are one identity.

    Raises ValidationError naming the value and the reason (unknown kind, empty, invalid email or phone…).
    """
    if isinstance(kind, str):
        kind = kind.strip().lower()
        kind = IDENTITY_KIND_ALIASES.get(kind, kind)
    if not isinstance(kind, str) or kind not in _KINDS:
        # The kinds are codes a client sends: listed as they are.
        message = gettext("Unknown identity kind “%(kind)s”; use one of: %(kinds)s (or %(aliases)s for a phone).")
        raise ValidationError(
            message
            % {"kind": kind, "kinds": ", ".join(IdentityKind.values), "aliases": ", ".join(IDENTITY_KIND_ALIASES)},
            code="invalid_kind",
        )
    if isinstance(value, int) and not isinstance(value, bool) and kind == IdentityKind.PHONE:
        value = str(value)
    if not isinstance(value, str):
        message = gettext("The %(kind)s value “%(value)s” must be a string.")
        raise ValidationError(message % {"kind": _kind_label(kind), "value": value}, code="invalid")
    if network is None:
        network = ""
    if not isinstance(network, str):
        message = gettext("The network “%(network)s” of the %(kind)s “%(value)s” must be a string.")
        raise ValidationError(message % {"network": network, "kind": _kind_label(kind), "value": value}, code="invalid")
    raw = value
    value = value.strip()
    network = network.strip().lower()
    if not value:
        raise ValidationError(gettext("The %(kind)s value is empty.") % {"kind": _kind_label(kind)}, code="required")
    if kind in (IdentityKind.HANDLE, IdentityKind.EXTERNAL_ID) and network in PHONE_NETWORKS:
        # A WhatsApp account is its phone number, whatever kind the integration files it under (the
        # Business API's wa_id is an external id of digits): one number, one identity.
        kind = IdentityKind.PHONE

    if kind == IdentityKind.EMAIL:
        value, network = _email(value), ""
    elif kind == IdentityKind.PHONE:
        value, network = _phone(value, region), ""
    elif kind == IdentityKind.HANDLE:
        value = value.lstrip("@").strip().lower()
        if not value:
            raise ValidationError(gettext("The handle “%(value)s” is empty.") % {"value": raw}, code="required")
        if not network:
            message = gettext("The handle “%(value)s” needs its network (e.g. instagram).")
            raise ValidationError(message % {"value": raw}, code="required")
    elif kind == IdentityKind.EXTERNAL_ID:
        if not network:
            message = gettext("The external id “%(value)s” needs its source system (e.g. shopify).")
            raise ValidationError(message % {"value": raw}, code="required")
    else:  # device
        network = ""

    if len(value) > MAX_VALUE_LENGTH:
        message = gettext("The %(kind)s “%(value)s…” is longer than %(max)s characters.")
        raise ValidationError(
            message % {"kind": _kind_label(kind), "value": raw[:40], "max": MAX_VALUE_LENGTH}, code="max_length"
        )
    if len(network) > MAX_NETWORK_LENGTH:
        message = gettext("The network “%(network)s” of the %(kind)s “%(value)s” is longer than %(max)s characters.")
        raise ValidationError(
            message % {"network": network[:40], "kind": _kind_label(kind), "value": raw, "max": MAX_NETWORK_LENGTH},
            code="max_length",
        )
    return NormalisedIdentity(kind, network, value)


def identities_normalise(
    identities, *, field: str = "identities", region: str | None = None
) -> list[NormalisedIdentity]:
    """Normalise a list of {kind, value, network?} (or (kind, value[, network]) tuples), without duplicates.

    `region`: the customer's country, in which national-format phones are read (see normalise_identity).
    A NormalisedIdentity in the list is taken as it is (it was normalised already: a phone is parsed once).
    Raises ValidationError {field: [a message naming each bad value]}.
    """
    if identities is None:
        return []
    if isinstance(identities, (str, bytes, Mapping)) or not isinstance(identities, Iterable):
        message = gettext("Expected a list of items but got type “%(type)s”.") % {"type": type(identities).__name__}
        raise ValidationError({field: [message]})
    result: list[NormalisedIdentity] = []
    errors: list[str] = []
    for item in identities:
        if isinstance(item, NormalisedIdentity):
            normalised = item
        else:
            if isinstance(item, Mapping):
                kind, value, network = item.get("kind"), item.get("value"), item.get("network") or ""
            elif isinstance(item, (tuple, list)) and len(item) in (2, 3):
                kind, value, network = (*item, "")[:3]
            else:
                errors.append(
                    gettext("“%(value)s” is not an identity; give {kind, value, network?}.") % {"value": item}
                )
                continue
            try:
                normalised = normalise_identity(kind, value, network, region=region)
            except ValidationError as exc:
                errors.extend(exc.messages)
                continue
        if normalised not in result:
            result.append(normalised)
    if errors:
        raise ValidationError({field: errors})
    return result


def search_candidates(text: str) -> set[tuple[str, str]]:
    """(kind, value) pairs a free-text search term could be, normalised as on ingestion."""
    text = (text or "").strip()
    candidates: set[tuple[str, str]] = set()
    if not text:
        return candidates
    for kind in (IdentityKind.EMAIL, IdentityKind.PHONE):
        try:
            candidates.add((kind, normalise_identity(kind, text).value))
        except ValidationError:
            pass
    handle = text.lstrip("@").strip().lower()
    if handle:
        candidates.add((IdentityKind.HANDLE, handle))
    candidates.add((IdentityKind.EXTERNAL_ID, text))
    candidates.add((IdentityKind.DEVICE, text))
    return candidates
