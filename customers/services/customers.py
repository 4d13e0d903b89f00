"""Customers, their identities, lifecycle stage changes, tags and notes."""

from collections.abc import Iterable, Mapping
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..choices import IdentityKind, LifecycleStage
from ..identities import NormalisedIdentity, identities_normalise, normalise_identity
from ..models import Customer, Identity, Note, Tag
from ..signals import history_rewritten
from .lifecycle import lifecycle_change_record

# Fields a caller may set on a customer (FKs as instances: persona, owner).
CUSTOMER_FIELDS = (
    "first_name",
    "last_name",
    "language",
    "timezone",
    "country",
    "lifecycle_stage",
    "persona",
    "owner",
    "marketing_consent",
    "survey_opt_out",
    "preferred_channel",
)
# What `customer` details of an ingested interaction may fill on a new customer.
DETAIL_FIELDS = ("first_name", "last_name", "language", "country", "timezone")

# --------------------------------------------------------------------------- validation helpers


def customer_fields_clean(fields: Mapping, *, allowed: Iterable[str] = CUSTOMER_FIELDS) -> dict:
    """Validate customer field values; return them cleaned (country upper-cased, names trimmed,
    an empty time zone as UTC, a language tag as its best supported language: "pt-BR" -> "pt-br").

    Raises ValidationError with a message per field (unknown field, bad choice, a language tag
    with no supported match (naming the supported ones), unknown time zone or country: the model
    fields' rules, see customers.models.LanguageField and customers.validators).
    """
    allowed = set(allowed)
    if not isinstance(fields, Mapping):
        raise ValidationError({"customer": [gettext("Give an object with the customer's fields.")]})
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise ValidationError({name: [gettext("Unknown field.")] for name in unknown})
    cleaned = dict(fields)
    errors: dict[str, list[str]] = {}
    for name in ("first_name", "last_name", "country", "timezone", "language", "lifecycle_stage", "preferred_channel"):
        if name in cleaned:
            value = cleaned[name]
            if value is None:
                value = ""
            if not isinstance(value, str):
                errors[name] = [_("Must be a string.")]
                continue
            cleaned[name] = value.strip()
    if "timezone" in cleaned and "timezone" not in errors:
        cleaned["timezone"] = cleaned["timezone"] or Customer._meta.get_field("timezone").default
    if "language" in cleaned and "language" not in errors:
        cleaned["language"] = cleaned["language"] or Customer._meta.get_field("language").default
    for name in ("marketing_consent", "survey_opt_out"):
        if name in cleaned and not isinstance(cleaned[name], bool):
            errors[name] = [_("Must be true or false.")]
    # The model fields' own rules (choices, lengths, the time zone and country validators) and
    # normalisation (the country upper-cased) are the ones the admin and every ModelForm apply.
    probe = Customer(**{k: v for k, v in cleaned.items() if k not in errors})
    exclude = [f.name for f in Customer._meta.fields if f.name not in cleaned or f.name in errors]
    try:
        probe.clean_fields(exclude=exclude)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    for name in ("country", "timezone", "language"):
        if name in cleaned:
            cleaned[name] = getattr(probe, name)
    return cleaned


def identities_owned(identities: Iterable[NormalisedIdentity]) -> dict[NormalisedIdentity, Identity]:
    """The stored identities among these (one query), keyed by their normalised triple."""
    identities = list(identities)
    if not identities:
        return {}
    rows = Identity.objects.filter(value__in={i.value for i in identities}).select_related("customer")
    wanted = set(identities)
    found = {}
    for row in rows:
        key = NormalisedIdentity(row.kind, row.network, row.value)
        if key in wanted:
            found[key] = row
    return found


def _owned_message(key, customer: Customer) -> str:
    """ "<kind> <value> already belongs to customer #<id> (<name>)." in the reader's language, the kind by its label."""
    values = {"kind": IdentityKind(key.kind).label, "value": key.value, "id": customer.pk, "name": customer.full_name}
    if customer.full_name:
        return gettext("%(kind)s %(value)s already belongs to customer #%(id)s (%(name)s).") % values
    return gettext("%(kind)s %(value)s already belongs to customer #%(id)s.") % values


def _taken_message(key) -> str:
    values = {"kind": IdentityKind(key.kind).label, "value": key.value}
    return gettext("%(kind)s %(value)s was just given to another customer.") % values


def _tags_from_names(names) -> list[Tag]:
    if isinstance(names, (str, bytes)) or not isinstance(names, Iterable):
        raise ValidationError({"tags": [_("Give a list of tag names.")]})
    tags = []
    for name in names:
        if not isinstance(name, str) or not name.strip() or len(name.strip()) > 50:
            message = gettext("“%(value)s” is not a tag name (1–50 characters).") % {"value": name}
            raise ValidationError({"tags": [message]})
        tags.append(Tag.objects.get_or_create(name=name.strip().lower())[0])
    return tags


# --------------------------------------------------------------------------- customers


CUSTOMER_UNIDENTIFIABLE = _("Give the customer a name or at least one identity (email, phone, handle…).")


def customer_identifiable_check(*, first_name: str, last_name: str, identities) -> None:
    """The rule for a customer created by hand (the page and POST /api/customers/): a name or an identity.

    Raises ValidationError (not tied to one field, code "unidentifiable") when all are empty; ingestion
    always comes with an identity or a known customer, so it never meets this rule.
    """
    if (first_name or "").strip() or (last_name or "").strip() or list(identities):
        return
    raise ValidationError(str(CUSTOMER_UNIDENTIFIABLE), code="unidentifiable")


@transaction.atomic
def customer_create(*, identities=(), tags=(), user=None, at: datetime | None = None, **fields) -> Customer:
    """Create a customer with its identities and tags; record its initial lifecycle stage (at `at`, default now).

    `fields` are CUSTOMER_FIELDS; national-format phones among `identities` are read in the customer's
    country (else settings.PHONE_DEFAULT_REGION). Raises ValidationError for a bad field, a bad identity,
    an identity that already belongs to a customer (naming that customer), or neither a name nor an
    identity (customer_identifiable_check).
    """
    cleaned = customer_fields_clean(fields)
    normalised = identities_normalise(identities, region=cleaned.get("country") or None)
    customer_identifiable_check(
        first_name=cleaned.get("first_name", ""), last_name=cleaned.get("last_name", ""), identities=normalised
    )
    owned = identities_owned(normalised)
    if owned:
        raise ValidationError(
            {"identities": [_owned_message(key, identity.customer) for key, identity in owned.items()]}
        )
    tag_objs = _tags_from_names(tags) if tags else []
    customer = Customer.objects.create(**cleaned)
    try:
        with transaction.atomic():
            Identity.objects.bulk_create(
                [Identity(customer=customer, kind=i.kind, network=i.network, value=i.value) for i in normalised]
            )
    except IntegrityError:
        raise ValidationError(
            {"identities": [_("One of these identities was just given to another customer.")]}
        ) from None
    if tag_objs:
        customer.tags.add(*tag_objs)
    lifecycle_change_record(
        customer=customer,
        from_stage="",
        to_stage=customer.lifecycle_stage,
        at=at or timezone.now(),
        user=user,
        initial=True,
    )
    return customer


def customer_not_erased_check(customer: Customer, field: str | None = None) -> None:
    """Raise ValidationError (under `field` if given) if the customer was erased: nothing personal (names,
    identities, notes, cases) is written to an erased customer again."""
    if customer.erased:
        message = f"Customer #{customer.pk} was erased: its personal data is not written again."
        raise ValidationError({field: [message]} if field else message)


_not_erased = customer_not_erased_check


@transaction.atomic
def customer_update(*, customer: Customer, user=None, tags=None, **fields) -> Customer:
    """Change a customer's fields (CUSTOMER_FIELDS) and, if given, replace its tags (a list of names).

    A lifecycle stage change records a LifecycleChange. Raises ValidationError for bad values, for an
    erased customer (nothing personal is written to it again), and for a name emptied on a customer without
    an identity (customer_identifiable_check, the rule of customer_create).
    """
    _not_erased(customer)
    cleaned = customer_fields_clean(fields)
    new_stage = cleaned.pop("lifecycle_stage", None)
    names_changed = any(
        name in cleaned and cleaned[name] != getattr(customer, name) for name in ("first_name", "last_name")
    )
    persona_changed = "persona" in cleaned and getattr(cleaned["persona"], "pk", None) != customer.persona_id
    for name, value in cleaned.items():
        setattr(customer, name, value)
    if names_changed:
        customer_identifiable_check(
            first_name=customer.first_name,
            last_name=customer.last_name,
            identities=[True] if customer.identities.exists() else [],
        )
    customer.save()
    if persona_changed:
        # Past figures by persona read the customer's persona as it is now: the apps that keep them are told.
        history_rewritten.send(sender=Customer)
    if new_stage and new_stage != customer.lifecycle_stage:
        lifecycle_stage_set(customer=customer, stage=new_stage, user=user)
    if tags is not None:
        customer.tags.set(_tags_from_names(tags))
    return customer


@transaction.atomic
def lifecycle_stage_set(*, customer: Customer, stage: str, user=None, at: datetime | None = None) -> Customer:
    """Move a customer to a lifecycle stage, recording the change. No-op if already there.

    Raises ValidationError for an unknown stage.
    """
    if stage not in LifecycleStage.values:
        message = gettext("“%(value)s” is not a lifecycle stage; use %(codes)s.") % {
            "value": stage,
            "codes": ", ".join(LifecycleStage.values),
        }
        raise ValidationError({"lifecycle_stage": [message]})
    if stage == customer.lifecycle_stage:
        return customer
    previous = customer.lifecycle_stage
    customer.lifecycle_stage = stage
    customer.save(update_fields=["lifecycle_stage", "updated_at"])
    lifecycle_change_record(customer=customer, from_stage=previous, to_stage=stage, at=at or timezone.now(), user=user)
    return customer


# --------------------------------------------------------------------------- identities


@transaction.atomic
def identity_add(*, customer: Customer, kind: str, value: str, network: str = "", user=None) -> Identity:
    """Give a customer one more identity (normalised). Returns the existing row if it already has it.

    A national-format phone is read in the customer's country (else settings.PHONE_DEFAULT_REGION).
    Raises ValidationError if the value is invalid or belongs to another customer (naming it), or if the
    customer was erased (the identity makes a new customer when it arrives with an interaction).
    """
    _not_erased(customer)
    try:
        key = normalise_identity(kind, value, network, region=customer.country or None)
    except ValidationError as exc:
        raise ValidationError({"value": exc.messages}) from None
    existing = identities_owned([key]).get(key)
    if existing is not None:
        if existing.customer_id == customer.pk:
            return existing
        raise ValidationError({"value": [_owned_message(key, existing.customer)]})
    try:
        with transaction.atomic():
            identity = Identity.objects.create(
                customer=customer, kind=key.kind, network=key.network, value=key.value, raw_value=str(value)[:254]
            )
    except IntegrityError:
        raise ValidationError({"value": [_taken_message(key)]}) from None
    Customer.objects.filter(pk=customer.pk).update(updated_at=timezone.now())
    return identity


@transaction.atomic
def identity_remove(*, identity: Identity, user=None) -> None:
    """Remove one identity from its customer.

    Raises ValidationError (customer_identifiable_check) when it is the last identity of a customer without
    a name: a customer keeps a name or an identity.
    """
    customer_id = identity.customer_id
    customer = identity.customer
    if not Identity.objects.filter(customer_id=customer_id).exclude(pk=identity.pk).exists():
        customer_identifiable_check(first_name=customer.first_name, last_name=customer.last_name, identities=[])
    identity.delete()
    Customer.objects.filter(pk=customer_id).update(updated_at=timezone.now())


# --------------------------------------------------------------------------- notes


def _note_body(body) -> str:
    if not isinstance(body, str) or not body.strip():
        raise ValidationError({"body": [_("Write the note.")]})
    return body.strip()


def note_create(*, customer: Customer, body: str, author=None) -> Note:
    """Add a rep's internal note to a customer. Raises ValidationError for an empty body, and for an erased
    customer."""
    customer_not_erased_check(customer, "customer")
    return Note.objects.create(customer=customer, body=_note_body(body), author=author)


def note_update(*, note: Note, body: str, user=None) -> Note:
    """Change a note's text. Raises ValidationError for an empty body."""
    note.body = _note_body(body)
    note.save(update_fields=["body"])
    return note


def note_delete(*, note: Note, user=None) -> None:
    note.delete()
