"""Identity normalisation: the one place that decides how an email, a phone, a
handle, an external id or a device id is stored and looked up.

Every write and every lookup goes through `normalise_identity`, so
" Ana@Example.COM " and "ana@example.com", or "(11) 91234-5678" and
"+55 11 91234-5678", are the same identity.
"""

from collections.abc import Iterable, Mapping
from typing import NamedTuple

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from .choices import IDENTITY_KIND_ALIASES, IdentityKind

MAX_VALUE_LENGTH = 254
MAX_NETWORK_LENGTH = 50


class NormalisedIdentity(NamedTuple):
    kind: str
    network: str
    value: str


_PARSE_REASONS = {
    phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "its country code is unknown (start with + and the code)",
    phonenumbers.NumberParseException.NOT_A_NUMBER: "it does not look like a phone number",
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "it is too short after the international prefix",
    phonenumbers.NumberParseException.TOO_SHORT_NSN: "it is too short",
    phonenumbers.NumberParseException.TOO_LONG: "it is too long",
}


def _phone(value: str) -> str:
    region = getattr(settings, "PHONE_DEFAULT_REGION", "BR") or None
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        reason = _PARSE_REASONS.get(exc.error_type, "it does not look like a phone number")
        raise ValidationError(f"“{value}” is not a phone number: {reason}.", code="invalid") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            f"“{value}” is not a valid phone number (region {region or 'unknown'}); "
            "give it in international format, e.g. +55 11 91234-5678.",
            code="invalid",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _email(value: str) -> str:
    email = value.lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        reason = "it has no '@'" if "@" not in email else "it is not a valid address"
        raise ValidationError(f"“{value}” is not a valid email address: {reason}.", code="invalid") from exc
    return email


def normalise_identity(kind, value, network="") -> NormalisedIdentity:
    """Return (kind, network, value) as stored.

    - email: trimmed and lower-cased, validated; network "".
    - phone: parsed with phonenumbers into E.164 (national formats use settings.PHONE_DEFAULT_REGION); network "".
    - handle: lower-cased, without a leading '@'; network (the social network) required, lower-cased.
    - external_id: trimmed, case kept; network (the source system) required, lower-cased.
    - device: trimmed, case kept; network "".

    The kind is read in any case; an alias (customers.choices.IDENTITY_KIND_ALIASES: "whatsapp", "sms",
    "mobile") is a phone, so a WhatsApp number and the same phone are one identity.

    Raises ValidationError naming the value and the reason (unknown kind, empty, invalid email or phone…).
    """
    if isinstance(kind, str):
        kind = kind.strip().lower()
        kind = IDENTITY_KIND_ALIASES.get(kind, kind)
    if not isinstance(kind, str) or kind not in IdentityKind.values:
        raise ValidationError(
            f"Unknown identity kind “{kind}”; use one of: {', '.join(IdentityKind.values)} "
            f"(or {', '.join(IDENTITY_KIND_ALIASES)} for a phone).",
            code="invalid_kind",
        )
    if isinstance(value, int) and not isinstance(value, bool) and kind == IdentityKind.PHONE:
        value = str(value)
    if not isinstance(value, str):
        raise ValidationError(f"The {kind} value “{value}” must be a string.", code="invalid")
    if network is None:
        network = ""
    if not isinstance(network, str):
        raise ValidationError(f"The network “{network}” of {kind} “{value}” must be a string.", code="invalid")
    raw = value
    value = value.strip()
    network = network.strip().lower()
    if not value:
        raise ValidationError(f"The {kind} value is empty.", code="required")

    if kind == IdentityKind.EMAIL:
        value, network = _email(value), ""
    elif kind == IdentityKind.PHONE:
        value, network = _phone(value), ""
    elif kind == IdentityKind.HANDLE:
        value = value.lstrip("@").strip().lower()
        if not value:
            raise ValidationError(f"The handle “{raw}” is empty.", code="required")
        if not network:
            raise ValidationError(f"The handle “{raw}” needs its network (e.g. instagram).", code="required")
    elif kind == IdentityKind.EXTERNAL_ID:
        if not network:
            raise ValidationError(f"The external id “{raw}” needs its source system (e.g. shopify).", code="required")
    else:  # device
        network = ""

    if len(value) > MAX_VALUE_LENGTH:
        raise ValidationError(
            f"The {kind} “{raw[:40]}…” is longer than {MAX_VALUE_LENGTH} characters.", code="max_length"
        )
    if len(network) > MAX_NETWORK_LENGTH:
        raise ValidationError(
            f"The network “{network[:40]}” of {kind} “{raw}” is longer than {MAX_NETWORK_LENGTH} characters.",
            code="max_length",
        )
    return NormalisedIdentity(kind, network, value)


def identities_normalise(identities, *, field: str = "identities") -> list[NormalisedIdentity]:
    """Normalise a list of {kind, value, network?} (or (kind, value[, network]) tuples), without duplicates.

    A NormalisedIdentity in the list is taken as it is (it was normalised already: a phone is parsed once).
    Raises ValidationError {field: [a message naming each bad value]}.
    """
    if identities is None:
        return []
    if isinstance(identities, (str, bytes, Mapping)) or not isinstance(identities, Iterable):
        raise ValidationError({field: [f'Expected a list of items but got type "{type(identities).__name__}".']})
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
                errors.append(f"“{item}” is not an identity; give {{kind, value, network?}}.")
                continue
            try:
                normalised = normalise_identity(kind, value, network)
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
