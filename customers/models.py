from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cxcrm.choices import LANGUAGE_UNSUPPORTED, Channel, Language, language_best_match
from cxcrm.models import ChoiceLabelsModel

from .choices import (
    OPEN_CASE_STATUSES,
    CaseOrigin,
    CasePriority,
    CaseStatus,
    Direction,
    IdentityKind,
    InteractionType,
    LifecycleStage,
    SuggestionStatus,
)
from .text import search_fold
from .validators import validate_country_code, validate_time_zone

# --------------------------------------------------------------------------- customers


class Tag(models.Model):
    """A free label reps put on customers ("vip", "b2b")."""

    name = models.CharField(verbose_name=_("name"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self):
        return self.name


class CountryCodeField(models.CharField):
    """An ISO 3166-1 alpha-2 country code, stored upper-cased ("br" is kept as "BR"); "" when unknown.

    The upper-casing happens in `to_python`, which `Model.clean_fields` applies, so the
    admin, every ModelForm and the services store the same value.
    """

    default_validators = [validate_country_code]

    def to_python(self, value):
        value = super().to_python(value)
        return value.strip().upper() if isinstance(value, str) else value


class LanguageFormField(forms.TypedChoiceField):
    """A language choice that also takes any BCP 47 tag ("pt-BR", "es_MX"), read as its best supported match."""

    def to_python(self, value):
        value = super().to_python(value)
        return language_best_match(value) or value


class LanguageField(models.CharField):
    """A supported customer language (cxcrm.choices.Language); a BCP 47 tag is stored as its best match.

    The matching happens in `to_python` (cxcrm.choices.language_best_match), which `Model.clean_fields`,
    the admin and every ModelForm apply; a tag without a match is refused naming the supported ones.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 8)
        kwargs.setdefault("choices", Language.choices)
        kwargs.setdefault("default", Language.EN)
        super().__init__(*args, **kwargs)
        self.error_messages["invalid_choice"] = LANGUAGE_UNSUPPORTED

    def to_python(self, value):
        value = super().to_python(value)
        return language_best_match(value) or value

    def formfield(self, **kwargs):
        return super().formfield(**{"choices_form_class": LanguageFormField, **kwargs})


class CustomerQuerySet(models.QuerySet):
    def active(self):
        """Customers that were not folded into another by a merge (erased ones included: they still count
        in the reports, e.g. churn)."""
        return self.filter(merged_into__isnull=True)

    def listed(self):
        """Customers shown in lists, search and merge suggestions: active and not erased."""
        return self.filter(merged_into__isnull=True, erased=False)

    def bulk_create(self, objs, *args, **kwargs):
        """As QuerySet.bulk_create, with each customer's search_name filled as save() fills it."""
        objs = list(objs)
        for customer in objs:
            customer.search_name = customer.search_name_of()
        return super().bulk_create(objs, *args, **kwargs)


class Customer(ChoiceLabelsModel):
    """A person or account we serve, known through one or more identities."""

    first_name = models.CharField(verbose_name=_("first name"), max_length=100, blank=True)
    last_name = models.CharField(verbose_name=_("last name"), max_length=100, blank=True)
    # The full name folded for search (customers.text.search_fold: lower case, no accents or tonos,
    # ł -> l), kept by save() and bulk_create; PostgreSQL indexes it with pg_trgm for `contains`.
    search_name = models.CharField(
        verbose_name=_("search name"), max_length=201, blank=True, default="", editable=False
    )
    language = LanguageField(verbose_name=_("language"))
    timezone = models.CharField(
        verbose_name=_("time zone"),
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text=_("IANA name, e.g. America/Sao_Paulo"),
    )
    country = CountryCodeField(
        verbose_name=_("country"), max_length=2, blank=True, help_text=_("ISO 3166-1 alpha-2, e.g. BR")
    )
    lifecycle_stage = models.CharField(
        verbose_name=_("lifecycle stage"), max_length=16, choices=LifecycleStage.choices, default=LifecycleStage.LEAD
    )
    persona = models.ForeignKey(
        # PROTECT: deleting a persona still assigned is refused (a 400 naming what uses it), never a silent unassign.
        "journeys.Persona",
        verbose_name=_("persona"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="customers",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_customers",
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="customers")
    marketing_consent = models.BooleanField(verbose_name=_("marketing consent"), default=False)
    survey_opt_out = models.BooleanField(verbose_name=_("opted out of surveys"), default=False)
    preferred_channel = models.CharField(
        verbose_name=_("preferred channel"), max_length=16, choices=Channel.choices, blank=True
    )
    first_contact_at = models.DateTimeField(verbose_name=_("first contact"), null=True, blank=True)
    last_contact_at = models.DateTimeField(verbose_name=_("last contact"), null=True, blank=True, db_index=True)
    # Set when a merge folded this customer into another; lookups follow it.
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="folded_customers",
    )
    # GDPR erasure (customers/services/erasure.py): the personal data is gone, the anonymous rows stay.
    erased = models.BooleanField(verbose_name=_("erased"), default=False, editable=False)
    erased_at = models.DateTimeField(verbose_name=_("erased at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True, db_index=True)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-last_contact_at", "-id"]
        permissions = [
            ("merge_customer", "Can merge and unmerge customers"),
            ("erase_customer", "Can erase a customer's personal data (GDPR)"),
        ]
        indexes = [
            models.Index(fields=["last_name", "first_name"], name="customers_name_idx"),
            models.Index(fields=["lifecycle_stage"], name="customers_stage_idx"),
        ]

    def __str__(self):
        return self.display_name

    def save(self, *args, **kwargs):
        # A derived column, not a side effect: every write path that saves a name keeps it in step.
        self.search_name = self.search_name_of()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"first_name", "last_name"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "search_name"}
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def display_name(self) -> str:
        """How pages and messages name the customer: the full name, else "Customer #<id>" (the one helper,
        so a nameless customer is never titled "Customer #311 #311"); "Erased customer #<id>" once erased."""
        if self.erased:
            return gettext("Erased customer #%(id)s") % {"id": self.pk}
        return self.full_name or gettext("Customer #%(id)s") % {"id": self.pk}

    @property
    def reference(self) -> str:
        """The name with the id, where two customers are told apart: "#311 Ana Silva", or "Customer #311"."""
        return f"#{self.pk} {self.full_name}" if self.full_name else self.display_name

    def search_name_of(self) -> str:
        """The folded full name search compares with (see search_name)."""
        return search_fold(self.full_name)


class LifecycleChangeQuerySet(models.QuerySet):
    def stage_before(self, instant, *, as_of=None):
        """The one interval per customer that gives their stage just before `instant` (the `to_stage` of their
        last change strictly before it): changed_at < instant <= valid_to, or still open. Customers with no
        change before `instant` have none. `as_of`: among the changes made by then (`changed_at <= as_of`; an
        interval closed by a later change was still open then)."""
        return self.filter(stage_before_condition(instant, as_of=as_of))


def stage_before_condition(instant, *, as_of=None, prefix: str = "") -> Q:
    """LifecycleChangeQuerySet.stage_before's condition, for a count's filter (`prefix` for a relation)."""
    open_then = Q(**{f"{prefix}valid_to__gte": instant}) | Q(**{f"{prefix}valid_to__isnull": True})
    if as_of is None:
        return open_then & Q(**{f"{prefix}changed_at__lt": instant})
    return (open_then | Q(**{f"{prefix}valid_to__gt": as_of})) & Q(
        **{f"{prefix}changed_at__lt": instant, f"{prefix}changed_at__lte": as_of}
    )


class LifecycleChange(ChoiceLabelsModel):
    """One move of a customer between lifecycle stages, and the stage interval it opens.

    The customer is in `to_stage` from `changed_at` until `valid_to`: the `changed_at` of their next change in
    (changed_at, id) order, NULL while it is their latest. `next_churned_at` is the `changed_at` of the first
    later change (in that order) to `churned`, NULL if none. Both are derived data, kept by
    customers.services.lifecycle (every write of these rows goes through it), so churn for any period reads the
    stage at the period's start as one range condition, and whether the customer churned in the period as one
    comparison on the same row, instead of subqueries per customer.
    """

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="lifecycle_changes", db_index=False
    )
    from_stage = models.CharField(
        verbose_name=_("from stage"), max_length=16, choices=LifecycleStage.choices, blank=True
    )
    to_stage = models.CharField(verbose_name=_("to stage"), max_length=16, choices=LifecycleStage.choices)
    changed_at = models.DateTimeField(verbose_name=_("changed at"))
    valid_to = models.DateTimeField(
        verbose_name=_("valid until"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When the customer's next change ended this stage"),
    )
    next_churned_at = models.DateTimeField(
        verbose_name=_("next churned at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When the customer next entered churned after this change"),
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("changed by"), null=True, blank=True, on_delete=models.SET_NULL
    )

    objects = LifecycleChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("lifecycle change")
        verbose_name_plural = _("lifecycle changes")
        ordering = ["customer", "changed_at", "id"]
        indexes = [
            models.Index(fields=["to_stage", "changed_at"], name="customers_lc_stage_at_idx"),
            models.Index(fields=["customer", "changed_at"], name="customers_lc_customer_at_idx"),
        ]

    def __str__(self):
        """ "187: Ativo → Defensor @ 27/05/2026": the stages by their labels, the day in the reader's format."""
        day = date_format(timezone.localtime(self.changed_at), "SHORT_DATE_FORMAT") if self.changed_at else ""
        return f"{self.customer_id}: {self.get_from_stage_display() or '∅'} → {self.get_to_stage_display()} @ {day}"


class Identity(ChoiceLabelsModel):
    """One way we know a customer: an email, a phone, a social handle, an external id or a device.

    `value` is normalised (see customers.identities); `network` is the social
    network of a handle or the source system of an external id, "" otherwise
    (never NULL, so the unique constraint holds).
    """

    # No index of its own: customers_identity_cust_idx (customer, kind) serves every read by customer.
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="identities", db_index=False
    )
    kind = models.CharField(verbose_name=_("kind"), max_length=16, choices=IdentityKind.choices)
    network = models.CharField(verbose_name=_("network"), max_length=50, blank=True, default="")
    value = models.CharField(verbose_name=_("value"), max_length=254)
    raw_value = models.CharField(
        verbose_name=_("value as received"), max_length=254, blank=True, help_text=_("As first received")
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("identity")
        verbose_name_plural = _("identities")
        ordering = ["kind", "network", "value"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "network", "value"], name="customers_identity_uniq"),
        ]
        indexes = [
            models.Index(fields=["value"], name="customers_identity_value_idx"),
            models.Index(fields=["customer", "kind"], name="customers_identity_cust_idx"),
        ]

    def __str__(self):
        network = f"{self.network}:" if self.network else ""
        return f"{self.get_kind_display()} {network}{self.value}"


# --------------------------------------------------------------------------- cases


class ExternalKeyQuerySetMixin:
    def by_external_key(self, source: str, external_id):
        """Rows with this idempotency key (one id, or an iterable of ids).

        Repeats the partial unique index's condition so that SQLite uses that index
        too (PostgreSQL infers it), and drops the default ordering.
        """
        if isinstance(external_id, str):
            keys = Q(external_id=external_id)
        else:
            keys = Q(external_id__in=list(external_id))
        return self.filter(keys, ~Q(external_id=""), source=source).order_by()


class SlaPolicy(ChoiceLabelsModel):
    """Per-priority targets for a case's first response and resolution (business-agnostic minutes)."""

    priority = models.CharField(verbose_name=_("priority"), max_length=16, choices=CasePriority.choices, unique=True)
    first_response_minutes = models.PositiveIntegerField(verbose_name=_("first response (minutes)"))
    resolution_minutes = models.PositiveIntegerField(verbose_name=_("resolution (minutes)"))

    class Meta:
        ordering = ["priority"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self):
        return (
            f"{self.get_priority_display()}: first response {self.first_response_minutes} min, "
            f"resolution {self.resolution_minutes} min"
        )


class CaseQuerySet(ExternalKeyQuerySetMixin, models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_CASE_STATUSES)

    @staticmethod
    def breached_condition(now) -> Q:
        """The condition of a breached case (see `breached`), usable in filters and annotations."""
        first_response_missed = Q(first_response_due_at__isnull=False) & (
            Q(first_response_at__isnull=True, first_response_due_at__lt=now) & ~Q(status=CaseStatus.PENDING)
            | Q(first_response_at__isnull=False, first_response_at__gt=models.F("first_response_due_at"))
        )
        resolution_missed = Q(resolution_due_at__isnull=False) & (
            Q(resolved_at__isnull=True, resolution_due_at__lt=now) & ~Q(status=CaseStatus.PENDING)
            | Q(resolved_at__isnull=False, resolved_at__gt=models.F("resolution_due_at"))
        )
        return first_response_missed | resolution_missed

    def breached(self, now):
        """Cases that missed a due time: first response or resolution, by `now` or by when it happened.

        Pending cases have their due times pushed when they leave pending; while
        pending, the clock is stopped, so they are not counted as newly breached.
        """
        return self.filter(self.breached_condition(now))

    def with_breached(self, now):
        """Annotate `is_breached` (bool), derived when read."""
        return self.annotate(
            is_breached=models.ExpressionWrapper(self.breached_condition(now), output_field=models.BooleanField())
        )

    def not_breached(self, now):
        return self.exclude(pk__in=self.breached(now).values("pk"))


class Case(ChoiceLabelsModel):
    """A support case (ticket) about one customer, with SLA due times from its priority's policy."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="cases", db_index=False
    )
    subject = models.CharField(verbose_name=_("subject"), max_length=200)
    description = models.TextField(verbose_name=_("description"), blank=True)
    topic = models.CharField(verbose_name=_("topic"), max_length=80, blank=True, db_index=True)
    origin = models.CharField(
        verbose_name=_("origin"), max_length=16, choices=CaseOrigin.choices, default=Channel.OTHER
    )
    priority = models.CharField(
        verbose_name=_("priority"), max_length=16, choices=CasePriority.choices, default=CasePriority.NORMAL
    )
    status = models.CharField(
        verbose_name=_("status"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.NEW
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_cases",
        db_index=False,
    )
    assigned_at = models.DateTimeField(verbose_name=_("assigned at"), null=True, blank=True)
    opened_at = models.DateTimeField(verbose_name=_("opened at"), db_index=True)
    first_response_at = models.DateTimeField(verbose_name=_("first response at"), null=True, blank=True)
    resolved_at = models.DateTimeField(verbose_name=_("resolved at"), null=True, blank=True, db_index=True)
    closed_at = models.DateTimeField(verbose_name=_("closed at"), null=True, blank=True)
    reopen_count = models.PositiveIntegerField(verbose_name=_("times reopened"), default=0)
    first_response_due_at = models.DateTimeField(verbose_name=_("first response due at"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(verbose_name=_("resolution due at"), null=True, blank=True, db_index=True)
    pending_since = models.DateTimeField(verbose_name=_("pending since"), null=True, blank=True)
    pending_seconds = models.PositiveBigIntegerField(
        verbose_name=_("time pending (seconds)"), default=0, help_text=_("Time spent pending, not counted by the SLA")
    )
    # When the beat task first found the case breached (cases_breach_detect): the breach is news once per case.
    sla_breached_at = models.DateTimeField(verbose_name=_("SLA breached at"), null=True, blank=True, editable=False)
    resolution_note = models.TextField(verbose_name=_("resolution note"), blank=True)
    # Idempotency key for integrations: the same (source, external_id) is the same case.
    source = models.CharField(verbose_name=_("source"), max_length=50, default="web")
    external_id = models.CharField(verbose_name=_("external ID"), max_length=200, blank=True, default="")
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True, db_index=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], condition=~Q(external_id=""), name="customers_case_external_uniq"
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "status"], name="customers_case_cust_status_idx"),
            models.Index(fields=["assignee", "status"], name="customers_case_assignee_idx"),
            models.Index(fields=["status", "resolution_due_at"], name="customers_case_status_due_idx"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_CASE_STATUSES


class CaseChange(models.Model):
    """One change of a case's status, priority, assignee or other tracked field: who, when, from → to, why.

    Written by the case services (customers.services.cases) on every change, whether it comes from a page,
    the API or the admin; never edited. Values are the stored ones (a status code, a user id); the labels
    are as a person read them at the time (a status's name, the user's name), so the history stays readable
    after a user is renamed or deleted.
    """

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="changes", db_index=False
    )
    field = models.CharField(verbose_name=_("field"), max_length=32)
    from_value = models.CharField(verbose_name=_("previous value"), max_length=200, blank=True)
    to_value = models.CharField(verbose_name=_("new value"), max_length=200, blank=True)
    from_label = models.CharField(verbose_name=_("previous value's label"), max_length=200, blank=True)
    to_label = models.CharField(verbose_name=_("new value's label"), max_length=200, blank=True)
    reason = models.TextField(verbose_name=_("reason"), blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField(verbose_name=_("changed at"))

    class Meta:
        verbose_name = _("case change")
        verbose_name_plural = _("case changes")
        ordering = ["case", "changed_at", "id"]
        indexes = [models.Index(fields=["case", "changed_at"], name="customers_casechange_case_idx")]

    def __str__(self):
        return f"#{self.case_id} {self.field}: {self.from_label or '—'} → {self.to_label or '—'}"

    # The change as the reader reads it (the stored labels are in the language of the moment it was made).
    @property
    def field_label(self) -> str:
        from .summaries import case_field_label

        return case_field_label(self.field)

    @property
    def from_display(self) -> str:
        from .summaries import change_value_label

        return change_value_label(self.field, self.from_value, self.from_label)

    @property
    def to_display(self) -> str:
        from .summaries import change_value_label

        return change_value_label(self.field, self.to_value, self.to_label)


class CaseSeen(models.Model):
    """When a user last looked at a case (opened its page or marked it seen): "New for me" leaves it then."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+", db_index=False
    )
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField(verbose_name=_("seen at"))

    class Meta:
        verbose_name = _("case seen")
        verbose_name_plural = _("cases seen")
        constraints = [models.UniqueConstraint(fields=["user", "case"], name="customers_caseseen_uniq")]

    def __str__(self):
        return f"{self.user_id} saw #{self.case_id} @ {self.seen_at:%Y-%m-%d %H:%M}"


# --------------------------------------------------------------------------- interactions


class InteractionQuerySet(ExternalKeyQuerySetMixin, models.QuerySet):
    def for_customer(self, customer):
        return self.filter(customer=customer)

    def in_channel(self, channel):
        return self.filter(channel=channel)


class Interaction(ChoiceLabelsModel):
    """Anything that happened between us and a customer, on any channel: the timeline's unit."""

    # No index of its own: the timeline index (customer, occurred_at, id) serves every read by customer.
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="interactions", db_index=False
    )
    channel = models.CharField(verbose_name=_("channel"), max_length=16, choices=Channel.choices)
    # The messaging app or social network of a chat or social interaction ("whatsapp", "instagram"; the
    # documented names are cxcrm.choices.CHAT_NETWORKS and SOCIAL_NETWORKS), lower case; "" when none.
    network = models.CharField(verbose_name=_("network"), max_length=50, blank=True, default="")
    direction = models.CharField(
        verbose_name=_("direction"), max_length=16, choices=Direction.choices, default=Direction.INBOUND
    )
    type = models.CharField(
        verbose_name=_("interaction type"),
        max_length=32,
        choices=InteractionType.choices,
        default=InteractionType.MESSAGE,
    )
    occurred_at = models.DateTimeField(verbose_name=_("occurred at"))
    summary = models.CharField(verbose_name=_("summary"), max_length=300)
    body = models.TextField(verbose_name=_("body"), blank=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
    )
    case = models.ForeignKey(
        Case, verbose_name=_("case"), null=True, blank=True, on_delete=models.SET_NULL, related_name="interactions"
    )
    touchpoint = models.ForeignKey(
        "journeys.Touchpoint",
        verbose_name=_("touchpoint"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
    )
    # The key as given: reports group by it, and it survives a new map version.
    touchpoint_key = models.CharField(verbose_name=_("touchpoint key"), max_length=80, blank=True)
    campaign = models.CharField(verbose_name=_("campaign"), max_length=120, blank=True)
    source = models.CharField(verbose_name=_("source"), max_length=50, default="api")
    external_id = models.CharField(verbose_name=_("external ID"), max_length=200, blank=True, default="")
    metadata = models.JSONField(verbose_name=_("metadata"), default=dict, blank=True)
    # False for history (imports, demo data): such interactions start no surveys.
    live = models.BooleanField(
        verbose_name=_("recorded live"),
        default=True,
        help_text=_("Unticked for history (imports, demo data): such interactions start no surveys."),
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    objects = InteractionQuerySet.as_manager()

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="customers_interaction_external_uniq",
            ),
        ]
        indexes = [
            # The timeline's keyset order: (occurred_at, id) descending per customer.
            models.Index(fields=["customer", "-occurred_at", "-id"], name="customers_int_timeline_idx"),
            models.Index(fields=["occurred_at"], name="customers_int_occurred_idx"),
            models.Index(fields=["channel", "occurred_at"], name="customers_int_channel_idx"),
            # Equality only: not db_index=True, whose second (LIKE prefix) index on PostgreSQL no query uses.
            models.Index(fields=["touchpoint_key"], name="customers_int_touchpoint_idx"),
            # Campaign interactions only (the others do not pay for them): a recipient's sends, opens and clicks
            # of a campaign (the campaign metrics' EXISTS), and the sends of a period.
            models.Index(
                fields=["campaign", "customer", "type", "occurred_at"],
                condition=~Q(campaign=""),
                name="customers_int_campaign_idx",
            ),
            models.Index(
                fields=["occurred_at"],
                condition=Q(type="email_sent") & ~Q(campaign=""),
                name="customers_int_sent_idx",
            ),
            # The interactions recorded since the metric rollups' last run (feedback/metrics/changes.py). Its key
            # only grows (the time of the insert), so each write appends at the index's right edge.
            models.Index(fields=["created_at"], name="customers_int_created_idx"),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} {self.get_type_display()}: {self.summary}"

    @property
    def summary_display(self) -> str:
        """The summary in the active language: the product's own entries (case updates, survey answers) are built
        from their metadata's values (customers.summaries); any other entry's summary as it was given."""
        from .summaries import interaction_summary

        return interaction_summary(self)


# --------------------------------------------------------------------------- notes and merges


class Note(models.Model):
    """A rep's internal note on a customer (never shown to the customer)."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="notes", db_index=False
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), null=True, blank=True, on_delete=models.SET_NULL
    )
    body = models.TextField(verbose_name=_("body"))
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "-created_at"], name="customers_note_cust_idx")]

    def __str__(self):
        return self.body[:60]


class MergeRecord(models.Model):
    """Audit of one merge: who folded which customer into which, and exactly which rows moved.

    `moved` = {"identities": [ids], "interactions": [ids], "cases": [ids], "notes": [ids],
    "lifecycle_changes": [ids], "tags": [ids], "suggestions": [ids], "fields": {name: old value},
    "lifecycle_stage": {"old", "new", "change_id"} when the merge moved the survivor's stage}, so that undo
    restores exactly that.
    """

    survivor = models.ForeignKey(
        Customer, verbose_name=_("surviving customer"), on_delete=models.CASCADE, related_name="merges_as_survivor"
    )
    merged = models.ForeignKey(
        Customer, verbose_name=_("merged customer"), on_delete=models.CASCADE, related_name="merges_as_merged"
    )
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("merged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    merged_at = models.DateTimeField(verbose_name=_("merged at"), auto_now_add=True)
    moved = models.JSONField(verbose_name=_("moved records"), default=dict)
    undone_at = models.DateTimeField(verbose_name=_("undone at"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("undone by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("merge record")
        verbose_name_plural = _("merge records")
        ordering = ["-merged_at", "-id"]

    def __str__(self):
        return gettext("Merge #%(id)s: %(merged)s → %(survivor)s") % {
            "id": self.pk,
            "merged": self.merged_id,
            "survivor": self.survivor_id,
        }


class MergeSuggestion(ChoiceLabelsModel):
    """Two customers that look like one person (identities given together belonged to both)."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="merge_suggestions"
    )
    other = models.ForeignKey(Customer, verbose_name=_("other customer"), on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(verbose_name=_("reason"), max_length=300)
    interaction = models.ForeignKey(
        Interaction, verbose_name=_("interaction"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        verbose_name=_("status"), max_length=16, choices=SuggestionStatus.choices, default=SuggestionStatus.OPEN
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    decided_at = models.DateTimeField(verbose_name=_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("merge suggestion")
        verbose_name_plural = _("merge suggestions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "other"], condition=Q(status="open"), name="customers_suggestion_open_uniq"
            ),
            models.CheckConstraint(condition=~Q(customer=models.F("other")), name="customers_suggestion_distinct"),
        ]

    def __str__(self):
        return f"{self.customer_id} ~ {self.other_id}: {self.reason_display}"

    def clean(self):
        """The constraints' rules as sentences in the reader's language (the admin's form shows them on the other
        customer's field) instead of Django's message naming the constraint."""
        super().clean()
        if self.customer_id is None or self.other_id is None:
            return
        if self.customer_id == self.other_id:
            raise ValidationError({"other": _("A customer cannot be suggested as a duplicate of themselves.")})
        if (
            self.status == SuggestionStatus.OPEN
            and MergeSuggestion.objects.filter(customer_id=self.customer_id, other_id=self.other_id, status=self.status)
            .exclude(pk=self.pk)
            .exists()
        ):
            raise ValidationError({"other": _("These two customers already have an open merge suggestion.")})

    @property
    def reason_display(self) -> str:
        """The reason in the active language (customers.summaries.suggestion_reason)."""
        from .summaries import suggestion_reason

        return suggestion_reason(self.reason)


# --------------------------------------------------------------------------- workspace


class WorkspaceVisit(models.Model):
    """When a user last opened "My work", so the page can show what was assigned to them since."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    seen_at = models.DateTimeField(verbose_name=_("seen at"))

    class Meta:
        verbose_name = _("workspace visit")
        verbose_name_plural = _("workspace visits")

    def __str__(self):
        return f"{self.user_id} @ {self.seen_at:%Y-%m-%d %H:%M}"
