"""The one parser of interaction input, shared by every door interactions come in by: POST /api/interactions/
and POST /api/interactions/bulk/ (customers/api/views.py), the file import (importfile.py, manage.py
import_interactions) and in-process callers (the rep's log form, survey answers on the timeline).

`interaction_inputs_parse(items)` checks a whole batch in one pass: each item's values with plain functions
(no serializer per item), then one query per lookup for the whole batch (the touchpoint keys of published
maps, the agents). Each item comes back as an `InteractionInput` (typed and normalised: an aware datetime,
identities as stored with phones in E.164, the touchpoint resolved) or as its field messages
{field: [message]}. The ingestion services (ingest.py) take InteractionInput only and check none of this
again; what needs the customer resolved first (an unknown customer_id, a case of another customer) is theirs.

Field names are the API's: `customer` holds the details of a customer created by the interaction, `touchpoint`
a touchpoint key, `case` and `agent` ids. Messages keep the wording the API has always answered with.

Every value, however deep (metadata's keys and values, the customer's details, identities), must be storable in
PostgreSQL text and jsonb: a NUL character or a lone surrogate (JSON's "\\ud800") anywhere, NaN or Infinity in
metadata, is a message on its field (cxcrm.validators.json_storable_check inside objects and lists), never a
database error.
"""

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils.translation import gettext_lazy as _

from cxcrm.choices import CHANNEL_ALIASES, channel_parse, channel_unknown
from cxcrm.validators import instant_clean, json_storable_check
from journeys.models import Touchpoint
from journeys.selectors import touchpoints_for_keys

from ..choices import Direction, InteractionType
from ..identities import NormalisedIdentity, identities_normalise
from ..models import Customer, Interaction
from ..money import amount_clean, currency_clean
from .customers import DETAIL_FIELDS, customer_fields_clean

FieldErrors = dict[str, list[str]]

# Field messages, in the request's language (DRF's own words where DRF has the same message).
REQUIRED = _("This field is required.")
NULL = _("This field may not be null.")
NOT_A_DICT = _("Invalid data. Expected a dictionary, but got {type}.")
NOT_A_STRING = _("Not a valid string.")
BLANK = _("This field may not be blank.")
NO_SUMMARY = _("Give a short summary.")
TOO_LONG = _("Ensure this field has no more than {max_length} characters.")
NULL_CHARACTER = _("Null characters are not allowed.")
SURROGATE = _("Surrogate characters are not allowed: U+{code_point:X}.")
NOT_JSON_NUMBERS = _("NaN and Infinity are not JSON numbers.")
NOT_JSON = _("Not a JSON value: {error}.")
NOT_A_CHOICE = _('"{value}" is not a valid choice.')
NOT_AN_INTEGER = _("A valid integer is required.")
BELOW_ONE = _("Ensure this value is greater than or equal to 1.")
TOO_LARGE = _("Ensure this value is less than or equal to {limit}.")
# The largest id a database key holds (a signed 64-bit integer); a larger one names no row.
ID_MAX = 2**63 - 1
NOT_AN_OBJECT = _('Expected a dictionary of items but got type "{type}".')
NOT_A_PK = _("Incorrect type. Expected pk value, received {type}.")
NO_SUCH_PK = _('Invalid pk "{pk}" - object does not exist.')
NO_IDENTITY = _("Give at least one identity or a customer_id.")
UNKNOWN_TOUCHPOINT = _("Unknown touchpoint key “{key}” (not in a published journey map).")
OTHER_NETWORK = _("The channel “{channel}” is network “{implied}”, not “{network}”.")

_SURROGATES = re.compile("[\ud800-\udfff]")
_DECIMAL_TAIL = re.compile(r"\.0*\s*$")  # "12.0" is 12, as JSON clients sometimes send it


@dataclass(frozen=True)
class InteractionInput:
    """One interaction ready to ingest: every value checked and normalised, its lookups done.

    Made by `interaction_inputs_parse` / `interaction_input_parse`; the services trust it as it is.
    """

    channel: str
    network: str  # lower case; "" when none (set by a channel alias such as "whatsapp", or given)
    occurred_at: datetime  # aware, in UTC
    summary: str
    identities: tuple[NormalisedIdentity, ...]  # distinct, in the order given
    customer_id: int | None
    customer_details: dict  # cleaned DETAIL_FIELDS, for a customer this interaction creates
    body: str
    direction: str
    type: str
    source: str
    external_id: str
    touchpoint_key: str
    touchpoint: Touchpoint | None  # the published touchpoint of touchpoint_key
    case_id: int | None
    campaign: str
    metadata: dict
    agent: Model | None  # the user who handled it (given by id: an active staff user)


# --------------------------------------------------------------------------- one value


# Lengths and choices are the model's (customers.models.Interaction).
def _max_length(name: str) -> int:
    return Interaction._meta.get_field(name).max_length


def _choices(name: str) -> frozenset[str]:
    return frozenset(str(value) for value, _ in Interaction._meta.get_field(name).choices)


def _text(value, *, max_length: int | None = None, blank: str = "") -> str:
    """Trimmed text; `blank` is the message refusing an empty one (empty is fine without it)."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValidationError(NOT_A_STRING)
    text = str(value).strip()
    if not text and blank:
        raise ValidationError(blank)
    if max_length is not None and len(text) > max_length:
        raise ValidationError(TOO_LONG.format(max_length=max_length))
    return text


def _storable(value) -> None:
    """Raises ValidationError unless PostgreSQL can store the value's text: a string with DRF's messages for
    text fields ("Null characters are not allowed.", "Surrogate characters are not allowed: U+D800."), any
    other value (the customer's details, identities, metadata) with cxcrm.validators.json_storable_check on
    its keys and strings at any depth (the message names the character)."""
    if not isinstance(value, str):
        json_storable_check(value)
        return
    if "\x00" in value:
        raise ValidationError(NULL_CHARACTER)
    surrogate = _SURROGATES.search(value)
    if surrogate:
        raise ValidationError(SURROGATE.format(code_point=ord(surrogate.group())))


def _choice(value, choices: frozenset[str]) -> str:
    key = value.strip() if isinstance(value, str) else value
    if not isinstance(key, str) or key not in choices:
        raise ValidationError(NOT_A_CHOICE.format(value=value))
    return key


def _channel(value) -> tuple[str, str]:
    """(channel, network) of a channel name or alias in any case (cxcrm.choices.channel_parse)."""
    parsed = channel_parse(value)
    if parsed is None:
        raise ValidationError(channel_unknown(value))
    return parsed


def _network(value) -> str:
    """Lower case; a known alias reads as its network's name ("twitter" is x, "fb" facebook)."""
    network = _text(value, max_length=_max_length("network")).lower()
    alias = CHANNEL_ALIASES.get(network)
    return alias[1] if alias and alias[1] else network


def _occurred_at(value) -> datetime:
    """An aware datetime in UTC within the product's bounds (cxcrm.validators.instant_clean): years
    INSTANT_MIN_YEAR..INSTANT_MAX_YEAR, offsets within ±14:00, not later than now + INTERACTION_FUTURE_SKEW
    (a time ahead by less is taken as now). A time without a zone ("2026-01-05T10:00:00", or a naive
    datetime) is refused, never read as UTC or local time."""
    return instant_clean(value, future_skew=settings.INTERACTION_FUTURE_SKEW)


def _id(value) -> int:
    """A positive whole number (an int, or its text) up to ID_MAX."""
    try:
        if isinstance(value, bool):
            raise ValueError
        number = int(_DECIMAL_TAIL.sub("", str(value)))
    except (TypeError, ValueError):
        raise ValidationError(NOT_AN_INTEGER) from None
    if number < 1:
        raise ValidationError(BELOW_ONE)
    if number > ID_MAX:
        raise ValidationError(TOO_LARGE.format(limit=ID_MAX))
    return number


def _identities(value, region: str | None = None) -> tuple[NormalisedIdentity, ...]:
    """The identities as stored; national-format phones are read in `region` (the customer's country)."""
    try:
        return tuple(identities_normalise(value, region=region))
    except ValidationError as exc:
        raise ValidationError(exc.message_dict["identities"]) from None


def _customer_details(value) -> dict:
    """The details of a customer the interaction creates; keys other than DETAIL_FIELDS are ignored."""
    if not isinstance(value, Mapping):
        raise ValidationError(NOT_A_DICT.format(type=type(value).__name__))
    try:
        return customer_fields_clean({k: v for k, v in value.items() if k in DETAIL_FIELDS}, allowed=DETAIL_FIELDS)
    except ValidationError as exc:
        by_name = exc.message_dict.items()
        raise ValidationError([f"{name}: {message}" for name, messages in by_name for message in messages]) from None


def _metadata(value) -> dict:
    """Free-form, except the keys the pages read: `amount` (a number) and `currency` (ISO 4217, upper-cased)."""
    if not isinstance(value, dict):
        raise ValidationError(NOT_AN_OBJECT.format(type=type(value).__name__))
    try:  # what jsonb takes: no NaN or Infinity (in-process callers could pass them), only JSON types
        json.dumps(value, allow_nan=False)
    except ValueError:
        raise ValidationError(NOT_JSON_NUMBERS) from None
    except TypeError as error:
        raise ValidationError(NOT_JSON.format(error=error)) from None
    errors = []
    if value.get("amount") is not None:
        try:
            amount_clean(value["amount"])
        except ValueError as error:
            errors.append(f"amount: {error}")
    if value.get("currency") is not None:
        try:
            value = {**value, "currency": currency_clean(value["currency"])}
        except ValueError as error:
            errors.append(f"currency: {error}")
    if errors:
        raise ValidationError(errors)
    return value


def _agent(value) -> Model | int:
    """A user (given in-process) as it is, or the id of one, looked up with the batch."""
    if isinstance(value, get_user_model()):
        return value
    try:
        if isinstance(value, bool) or not isinstance(value, (int, str)) or abs(int(value)) > ID_MAX:
            raise ValueError
        return int(value)
    except ValueError:
        raise ValidationError(NOT_A_PK.format(type=type(value).__name__)) from None


_MUST_GIVE = object()
# field: (parse, default when absent or null: a value, a factory such as dict, or _MUST_GIVE)
_FIELDS = {
    "channel": (_channel, _MUST_GIVE),
    "network": (_network, ""),
    "occurred_at": (_occurred_at, _MUST_GIVE),
    "summary": (partial(_text, max_length=_max_length("summary"), blank=NO_SUMMARY), _MUST_GIVE),
    "body": (_text, ""),
    "direction": (partial(_choice, choices=_choices("direction")), Direction.INBOUND),
    "type": (partial(_choice, choices=_choices("type")), InteractionType.MESSAGE),
    "customer_id": (_id, None),
    "customer": (_customer_details, dict),
    # After customer_id and customer: a national-format phone is read in the customer's country.
    "identities": (_identities, ()),
    "source": (partial(_text, max_length=_max_length("source"), blank=BLANK), "api"),
    "external_id": (partial(_text, max_length=_max_length("external_id")), ""),
    "touchpoint": (partial(_text, max_length=_max_length("touchpoint_key")), ""),
    "case": (_id, None),
    "campaign": (partial(_text, max_length=_max_length("campaign")), ""),
    "metadata": (_metadata, dict),
    "agent": (_agent, None),
}
# The fields an item may give (the file import's columns and keys are read from this too).
INPUT_FIELDS = frozenset(_FIELDS)
# Optional ids: an empty value is no value (a blank form field, an empty CSV cell).
_EMPTY_IS_NONE = {"customer_id", "case", "agent"}


# --------------------------------------------------------------------------- one item, then the batch


def _memo_key(name: str, given, region: str | None):
    """A hashable key for the value of a field parsed through the batch's memo, or None to parse it afresh.

    The customer's details and the identities repeat across a batch (a customer's messages, a file's rows of
    one person) and are the costly values to check (a model's field validators, phone parsing): an item whose
    details or identities are plain text parses them once per batch."""
    if name == "customer" and isinstance(given, Mapping):
        items = tuple(sorted((k, v) for k, v in given.items() if isinstance(k, str)))
        if len(items) == len(given) and all(isinstance(v, str) for _, v in items):
            return name, items
    elif name == "identities" and isinstance(given, list):
        key = []
        for identity in given:
            if not isinstance(identity, Mapping) or set(identity) - {"kind", "value", "network"}:
                return None
            triple = (identity.get("kind"), identity.get("value"), identity.get("network"))
            if not all(part is None or isinstance(part, str) for part in triple):
                return None
            key.append(triple)
        return name, region, tuple(key)
    return None


def _values(item, countries: Mapping[int, str], memo: dict | None = None) -> tuple[dict, FieldErrors]:
    """The item's values parsed one by one, with no database; (values by field, errors by field).

    `countries`: {customer id: country} of the existing customers named by the batch's customer_id.
    `memo`: the batch's parsed details and identities (see _memo_key), filled as it goes.
    """
    memo = {} if memo is None else memo
    if not isinstance(item, Mapping):
        return {}, {"non_field_errors": [NOT_A_DICT.format(type=type(item).__name__)]}
    values: dict = {}
    errors: FieldErrors = {}
    for name, (parse, default) in _FIELDS.items():
        given = item.get(name)
        if name in _EMPTY_IS_NONE and given == "":
            given = None
        if given is None:
            if default is _MUST_GIVE:
                errors[name] = [REQUIRED if name not in item else NULL]
            else:
                values[name] = default() if callable(default) else default
            continue
        region = None
        if name == "identities":
            # The customer's country: the payload's, else the existing customer's, else the organisation's.
            region = (values.get("customer") or {}).get("country") or countries.get(values.get("customer_id"))
            parse = partial(parse, region=region or None)
        key = _memo_key(name, given, region) if name in ("customer", "identities") else None
        if key is not None and key in memo:
            value, messages = memo[key]
            if messages is None:
                values[name] = dict(value) if isinstance(value, dict) else value
            else:
                errors[name] = list(messages)
            continue
        try:
            _storable(given)
            values[name] = parse(given)
        except ValidationError as exc:
            errors[name] = exc.messages
        if key is not None:
            memo[key] = (values.get(name), None) if name not in errors else (None, list(errors[name]))
            if isinstance(values.get(name), dict):
                values[name] = dict(values[name])
    if "channel" in values:
        values["channel"], implied = values["channel"]
        given = values.get("network", "")
        if implied and given and given != implied:
            errors["network"] = [OTHER_NETWORK.format(channel=item.get("channel"), implied=implied, network=given)]
        values["network"] = given or implied
    nobody = not values.get("identities") and values.get("customer_id") is None
    if nobody and "identities" not in errors and "customer_id" not in errors:
        errors["identities"] = [NO_IDENTITY]
    return values, errors


def _countries(items: Sequence[object]) -> dict[int, str]:
    """{customer id: country} of the existing customers the items name by customer_id without giving
    customer.country, for reading their national-format phones (one query, none when no item needs it)."""
    ids = set()
    for item in items:
        if not isinstance(item, Mapping) or item.get("customer_id") in (None, ""):
            continue
        details = item.get("customer")
        if isinstance(details, Mapping) and details.get("country"):
            continue
        try:
            ids.add(_id(item["customer_id"]))
        except ValidationError:
            continue
    if not ids:
        return {}
    return dict(Customer.objects.filter(pk__in=ids).exclude(country="").values_list("pk", "country"))


def _agents(ids: set[int]) -> dict[int, Model]:
    """The active staff users among these ids (one query)."""
    if not ids:
        return {}
    return {user.pk: user for user in get_user_model().objects.filter(pk__in=ids, is_active=True, is_staff=True)}


def interaction_inputs_parse(items: Sequence[object]) -> list[InteractionInput | FieldErrors]:
    """Check and normalise a batch of interaction inputs (API payloads, file rows) in one pass.

    `items`: mappings with the API's field names (anything else is refused as "non_field_errors").
    Returns, for each item in order, an InteractionInput or its errors {field: [message]}. All of an item's
    field errors are given at once. Runs one query per lookup for the whole batch (touchpoint keys, agents,
    the countries of the customers named by id), none when no item needs it; each phone is parsed once, in
    its customer's country (customer.country, else the existing customer's, else PHONE_DEFAULT_REGION).
    """
    countries = _countries(items)
    memo: dict = {}
    parsed = [_values(item, countries, memo) for item in items]
    touchpoints = touchpoints_for_keys({values["touchpoint"] for values, _ in parsed if values.get("touchpoint")})
    agents = _agents({values["agent"] for values, _ in parsed if isinstance(values.get("agent"), int)})
    results: list[InteractionInput | FieldErrors] = []
    for values, errors in parsed:
        key = values.get("touchpoint")
        if key and key not in touchpoints:
            errors["touchpoint"] = [UNKNOWN_TOUCHPOINT.format(key=key)]
        agent = values.get("agent")
        if isinstance(agent, int):
            if agent in agents:
                agent = agents[agent]
            else:
                errors["agent"] = [NO_SUCH_PK.format(pk=agent)]
        if errors:
            results.append(errors)
            continue
        results.append(
            InteractionInput(
                channel=values["channel"],
                network=values["network"],
                occurred_at=values["occurred_at"],
                summary=values["summary"],
                identities=values["identities"],
                customer_id=values["customer_id"],
                customer_details=values["customer"],
                body=values["body"],
                direction=values["direction"],
                type=values["type"],
                source=values["source"],
                external_id=values["external_id"],
                touchpoint_key=key,
                touchpoint=touchpoints.get(key),
                case_id=values["case"],
                campaign=values["campaign"],
                metadata=values["metadata"],
                agent=agent,
            )
        )
    return results


def interaction_input_parse(item: object) -> InteractionInput:
    """One interaction input, checked as `interaction_inputs_parse` checks each item of a batch.

    Raises ValidationError({field: [message]}) with all of the item's field errors.
    """
    (result,) = interaction_inputs_parse([item])
    if isinstance(result, InteractionInput):
        return result
    raise ValidationError(result)
