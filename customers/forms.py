"""Forms of the customers pages. They only shape the input: normalisation and the
business rules live in the services and in the model fields they validate with (a
customer's time zone and country: customers.validators), and their ValidationErrors
come back onto the fields (`add_service_errors`), so a page says exactly what the API
would. The users offered as assignee or owner come from selectors.case_assignable_users."""

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from cxcrm.choices import Channel, Language
from cxcrm.validators import FUTURE, instant_clean
from journeys.models import Persona
from journeys.selectors import touchpoint_list_published

from .choices import (
    OPEN_CASE_STATUSES,
    CaseOrigin,
    CasePriority,
    CaseStatus,
    Direction,
    IdentityKind,
    InteractionType,
    LifecycleStage,
)
from .models import Case, Customer, LanguageFormField
from .selectors import case_assignable_users

BLANK = [("", "—")]


class ListedModelChoiceIterator(forms.models.ModelChoiceIterator):
    """The choices of a ModelChoiceField read in one plain query, kept for the rest of the form's life.

    Django's iterator walks the queryset with `QuerySet.iterator()`, which on PostgreSQL opens a server-side
    cursor (DECLARE, FETCH, CLOSE: three round trips) every time the field is drawn, and answers `len()` with a
    COUNT. The querysets offered here are short (the support reps, the personas), so one list is cheaper.
    """

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:  # evaluated once, cached on the form's own copy of the queryset
            yield self.choice(obj)

    def __len__(self):
        return len(self.queryset) + (1 if self.field.empty_label is not None else 0)

    def __bool__(self):
        return self.field.empty_label is not None or bool(self.queryset)


class ListedModelChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField over a short list, read in one query (ListedModelChoiceIterator)."""

    iterator = ListedModelChoiceIterator


class UserChoiceField(ListedModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.username


# The pages' labels of the forms' fields, in the reader's language (a field's own `label=` wins).
FIELD_LABELS = {
    "channel": _("Channel"),
    "direction": _("Direction"),
    "type": _("Type"),
    "summary": _("Summary"),
    "body": _("Details"),
    "case": _("Case"),
    "touchpoint": _("Touchpoint"),
    "subject": _("Subject"),
    "description": _("Description"),
    "topic": _("Topic"),
    "origin": _("Origin"),
    "priority": _("Priority"),
    "status": _("Status"),
    "assignee": _("Assignee"),
    "resolution_note": _("Resolution note"),
    "reason": _("Reason"),
    "first_name": _("First name"),
    "last_name": _("Last name"),
    "lifecycle_stage": _("Lifecycle stage"),
    "owner": _("Owner"),
    "persona": _("Persona"),
    "tags": _("Tags"),
    "language": _("Language"),
    "timezone": _("Time zone"),
    "country": _("Country"),
    "preferred_channel": _("Preferred channel"),
    "email": _("Email"),
    "phone": _("Phone"),
    "kind": _("Kind"),
    "value": _("Value"),
    "network": _("Network"),
}


class ServiceForm(forms.Form):
    """A form whose data goes to a service; `field_aliases` maps a service's field names to the form's."""

    field_aliases: dict[str, str] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if field.label is None and name in FIELD_LABELS:
                field.label = FIELD_LABELS[name]

    def add_service_errors(self, error: ValidationError) -> None:
        details = error.message_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.messages}
        for name, messages in details.items():
            target = self.field_aliases.get(name, name)
            if target not in self.fields:
                target = None
            for message in messages:
                self.add_error(target, message if target else self._prefixed(name, message))

    @staticmethod
    def _prefixed(name: str, message: str) -> str:
        if name == NON_FIELD_ERRORS:
            return message
        return f"{FIELD_LABELS.get(name, name.replace('_', ' ').capitalize())}: {message}"


# --------------------------------------------------------------------------- interactions


class InteractionLogForm(ServiceForm):
    """Log a call, a visit, a message… on a customer's timeline (services.interaction_ingest)."""

    prefix = "log"
    channel = forms.ChoiceField(choices=Channel.choices, initial=Channel.PHONE)
    direction = forms.ChoiceField(choices=Direction.choices, initial=Direction.OUTBOUND)
    type = forms.ChoiceField(choices=InteractionType.choices, initial=InteractionType.CALL)
    occurred_at = forms.DateTimeField(
        required=False,
        label=_("When"),
        help_text=_("Leave empty for now."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    summary = forms.CharField(max_length=300, strip=False)
    body = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), strip=False)
    case = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, choices=())
    touchpoint = forms.ChoiceField(required=False, choices=())

    def __init__(self, *args, cases=(), touchpoints=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case"].choices = BLANK + [(c.pk, f"#{c.pk} {c.subject}") for c in cases]
        if touchpoints is None:
            touchpoints = touchpoint_list_published()
        self.fields["touchpoint"].choices = BLANK + [(t.key, t.name) for t in touchpoints]

    def clean_occurred_at(self):
        # The bounds of every instant (cxcrm.validators), read in the rep's time zone; a few minutes of
        # leeway for a rep's clock (INTERACTION_FUTURE_SKEW), beyond that it is a typo (a wrong year or month).
        value = self.cleaned_data["occurred_at"]
        if not value:
            return value
        try:
            return instant_clean(value, naive="local", future_skew=settings.INTERACTION_FUTURE_SKEW)
        except ValidationError as error:
            if error.code == FUTURE:
                raise ValidationError(_("That is in the future: when did it happen?")) from None
            raise

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        kwargs = {name: data[name] for name in ("channel", "direction", "type", "summary", "body", "touchpoint")}
        kwargs["case"] = data.get("case")
        if data.get("occurred_at"):
            kwargs["occurred_at"] = data["occurred_at"]
        return kwargs


# --------------------------------------------------------------------------- cases


class CaseOpenForm(ServiceForm):
    """Open a case on a customer (services.case_create)."""

    prefix = "case"
    subject = forms.CharField(max_length=200, strip=False)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    topic = forms.CharField(max_length=80, required=False)
    origin = forms.ChoiceField(choices=CaseOrigin.choices, initial=Channel.PHONE)
    priority = forms.ChoiceField(choices=CasePriority.choices, initial=CasePriority.NORMAL)
    status = forms.ChoiceField(
        choices=[(s.value, s.label) for s in OPEN_CASE_STATUSES], initial=CaseStatus.OPEN, label=_("Starts as")
    )
    assignee = UserChoiceField(queryset=case_assignable_users(), required=False)

    def service_kwargs(self) -> dict:
        return dict(self.cleaned_data)


class CaseUpdateForm(ServiceForm):
    """Change a case and move it through its statuses (services.case_update)."""

    prefix = "update"
    subject = forms.CharField(max_length=200, strip=False)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    topic = forms.CharField(max_length=80, required=False)
    priority = forms.ChoiceField(choices=CasePriority.choices)
    assignee = UserChoiceField(queryset=case_assignable_users(), required=False)
    status = forms.ChoiceField(choices=CaseStatus.choices)
    resolution_note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    reason = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Why: kept in the case's history with each change."),
    )

    def __init__(self, *args, case: Case, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "subject": case.subject,
                "description": case.description,
                "topic": case.topic,
                "priority": case.priority,
                "assignee": case.assignee_id,
                "status": case.status,
                "resolution_note": case.resolution_note,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = case_assignable_users(current_id=case.assignee_id)

    def service_kwargs(self) -> dict:
        return dict(self.cleaned_data)


class CaseReplyForm(ServiceForm):
    """Log a reply, a call or the customer's message on a case's thread (services.interaction_ingest, with
    the case): an agent's outbound one is the case's first response when it is the first."""

    prefix = "reply"
    KINDS = {
        "reply": (Direction.OUTBOUND, InteractionType.MESSAGE),
        "call": (Direction.OUTBOUND, InteractionType.CALL),
        "inbound": (Direction.INBOUND, InteractionType.MESSAGE),
    }
    kind = forms.ChoiceField(
        choices=[("reply", _("Reply sent")), ("call", _("Call made")), ("inbound", _("Message from the customer"))],
        initial="reply",
        label=_("What"),
    )
    channel = forms.ChoiceField(choices=Channel.choices)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), strip=False, label=_("Message or call notes"))
    summary = forms.CharField(
        max_length=300,
        required=False,
        strip=False,
        help_text=_("One line for the timeline; the message's start if empty."),
    )

    def __init__(self, *args, case: Case, **kwargs):
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("channel", case.origin if case.origin in Channel.values else Channel.EMAIL)
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        body = (data.get("body") or "").strip()
        if "body" in data and not body:
            self.add_error("body", _("Write the message or what the call was about."))
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        direction, type_ = self.KINDS[data["kind"]]
        body = data["body"].strip()
        summary = (data.get("summary") or "").strip() or body.splitlines()[0][:300]
        return {"channel": data["channel"], "direction": direction, "type": type_, "summary": summary, "body": body}


# --------------------------------------------------------------------------- notes, profile, identities


class NoteForm(ServiceForm):
    """Add an internal note (services.note_create)."""

    prefix = "note"
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label=_("Note"), strip=False)


class ProfileForm(ServiceForm):
    """Edit a customer's profile (services.customer_update); tags are comma-separated names."""

    prefix = "profile"
    first_name = forms.CharField(max_length=100, required=False)
    last_name = forms.CharField(max_length=100, required=False)
    lifecycle_stage = forms.ChoiceField(choices=LifecycleStage.choices)
    owner = UserChoiceField(queryset=case_assignable_users(), required=False)
    persona = ListedModelChoiceField(queryset=Persona.objects.order_by("name", "id"), required=False)
    tags = forms.CharField(required=False, help_text=_("Comma-separated, e.g. vip, b2b"))
    language = LanguageFormField(choices=Language.choices)
    timezone = forms.CharField(max_length=64, required=False, help_text=_("e.g. America/Sao_Paulo"))
    country = forms.CharField(max_length=8, required=False, help_text=_("Two-letter code, e.g. BR"))
    preferred_channel = forms.ChoiceField(choices=BLANK + list(Channel.choices), required=False)
    marketing_consent = forms.BooleanField(required=False, label=_("Agreed to marketing messages"))
    survey_opt_out = forms.BooleanField(required=False, label=_("Opted out of surveys"))

    FIELDS = (
        "first_name",
        "last_name",
        "lifecycle_stage",
        "owner",
        "persona",
        "language",
        "timezone",
        "country",
        "preferred_channel",
        "marketing_consent",
        "survey_opt_out",
    )

    def __init__(self, *args, customer: Customer, **kwargs):
        initial = {name: getattr(customer, name) for name in self.FIELDS if name not in ("owner", "persona")}
        # The ids, not the related rows (each a query): the choice fields select by value.
        initial.update(owner=customer.owner_id, persona=customer.persona_id)
        initial["tags"] = ", ".join(tag.name for tag in customer.tags.all())
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = case_assignable_users(current_id=customer.owner_id)

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        kwargs = {name: data[name] for name in self.FIELDS}
        kwargs["tags"] = [name.strip() for name in data["tags"].split(",") if name.strip()]
        return kwargs


class CustomerCreateForm(ServiceForm):
    """Add a customer by hand (services.customer_create, whose rule is a name or an identity, as in the API)."""

    prefix = "customer"
    first_name = forms.CharField(max_length=100, required=False)
    last_name = forms.CharField(max_length=100, required=False)
    email = forms.CharField(max_length=254, required=False, strip=False)
    phone = forms.CharField(max_length=64, required=False, strip=False, help_text=_("Any format, e.g. (11) 91234-5678"))
    country = forms.CharField(max_length=8, required=False, help_text=_("Two-letter code, e.g. BR; reads the phone"))
    lifecycle_stage = forms.ChoiceField(choices=LifecycleStage.choices, initial=LifecycleStage.LEAD)
    owner = UserChoiceField(queryset=case_assignable_users(), required=False)
    field_aliases = {"identities": "email"}

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        identities = [(kind, data[kind]) for kind in ("email", "phone") if (data.get(kind) or "").strip()]
        kwargs = {name: data[name] for name in ("first_name", "last_name", "country", "lifecycle_stage", "owner")}
        return {**kwargs, "identities": identities}


class IdentityForm(ServiceForm):
    """Give a customer one more identity (services.identity_add normalises and checks it)."""

    prefix = "identity"
    field_aliases = {"kind": "kind", "network": "network"}
    kind = forms.ChoiceField(choices=IdentityKind.choices)
    value = forms.CharField(max_length=254, strip=False, help_text=_("Email, phone (any format), handle, id…"))
    network = forms.CharField(
        max_length=50, required=False, help_text=_("Social network of a handle, or source system of an external id")
    )

    def service_kwargs(self) -> dict:
        return {name: self.cleaned_data[name] for name in ("kind", "value", "network")}


class EraseConfirmForm(forms.Form):
    """The confirmation of an erasure, which cannot be undone: the customer's number typed again (as GitHub asks
    for a repository's name before deleting it), so a stray click or a mistaken tab never erases anyone."""

    confirm = forms.CharField(max_length=20, label=_("Type the customer's number to confirm"))

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer
        self.fields["confirm"].help_text = _("The number is %(id)s.") % {"id": customer.pk}
        self.fields["confirm"].widget.attrs.update(autocomplete="off", inputmode="numeric")

    def clean_confirm(self):
        value = self.cleaned_data["confirm"].strip().lstrip("#")
        if value != str(self.customer.pk):
            raise ValidationError(
                _("Type %(id)s, this customer's number, to erase their personal data."),
                code="mismatch",
                params={"id": self.customer.pk},
            )
        return value
