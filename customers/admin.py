"""Admin of the customers app: every model, searchable (customers by any identity),
filterable, with autocomplete on the big relations; merge records are read-only
(with an undo action), the SLA policies editable in the list.

Writes that carry business rules go through the services: identities are
normalised as on ingestion, a lifecycle stage change is recorded, cases are opened
with case_create and changed with case_update (status, priority and assignee on
their own page, so resolving sends `case_resolved` and a new priority recomputes the
SLA), merges are undone with merge_undo. A customer's time zone and country are
checked by the model fields' validators, as everywhere.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from cxcrm.admin import BoundedFieldsAdminMixin, OwnRecordsAdminMixin, ReadOnlyAdminMixin
from cxcrm.roles import EXPORT_ROWS_PERMISSION

from . import selectors, services
from .choices import OPEN_CASE_STATUSES, CasePriority, CaseStatus
from .gdpr import customer_export_response
from .identities import normalise_identity
from .models import (
    Case,
    Customer,
    Identity,
    Interaction,
    LifecycleChange,
    MergeRecord,
    MergeSuggestion,
    Note,
    SlaPolicy,
    Tag,
    WorkspaceVisit,
)
from .selectors import case_assignable_users, customer_search
from .services.cases import EDITABLE_FIELDS as CASE_EDITABLE_FIELDS
from .signals import history_rewritten

# What a new case is opened with: the arguments of services.case_create.
CASE_ADD_FIELDS = [
    "customer",
    "subject",
    "description",
    "topic",
    "origin",
    "priority",
    "status",
    "assignee",
    "opened_at",
    "source",
    "external_id",
]

# --------------------------------------------------------------------------- identities


def _erased_customer_refuse(form, data) -> None:
    """A form error on `customer` if the chosen customer was erased (nothing personal is written to it)."""
    customer = data.get("customer")
    if customer is not None and customer.erased:
        try:
            services.customer_not_erased_check(customer)
        except ValidationError as error:
            form.add_error("customer", error.messages)


class IdentityAdminForm(forms.ModelForm):
    """Normalises the value as on ingestion (a national-format phone in the customer's country); the error
    is shown on the value."""

    class Meta:
        model = Identity
        fields = ["customer", "kind", "network", "value"]

    def _customer_country(self, data) -> str | None:
        customer = data.get("customer")
        if customer is None and (
            self.instance.customer_id or Identity._meta.get_field("customer").is_cached(self.instance)
        ):
            customer = self.instance.customer  # an inline's customer, maybe being added in the same form
        return getattr(customer, "country", "") or None

    def clean(self):
        data = super().clean()
        _erased_customer_refuse(self, data)
        kind, value = data.get("kind"), data.get("value")
        if kind and value:
            try:
                key = normalise_identity(kind, value, data.get("network") or "", region=self._customer_country(data))
            except ValidationError as error:
                self.add_error("value", error.messages)
                return data
            data["network"], data["value"] = key.network, key.value
            self.instance.raw_value = self.instance.raw_value or value
        return data


class HistoryRewrittenAdminMixin:
    """Deletions made here, and edits of `history_fields` (None: of any field), change stored history in a way no
    row's time shows: customers.signals.history_rewritten is sent in the same transaction (the metric rollups
    then recompute their whole settle windows)."""

    history_fields: tuple[str, ...] | None = None

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        fields = self.history_fields
        if change and form.changed_data and (fields is None or set(fields) & set(form.changed_data)):
            history_rewritten.send(sender=self.model)

    def delete_model(self, request, obj):
        with transaction.atomic():
            super().delete_model(request, obj)
            history_rewritten.send(sender=self.model)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            super().delete_queryset(request, queryset)
            history_rewritten.send(sender=self.model)


class ErasedCustomerReadOnlyInlineMixin:
    """An inline of a customer's page: read-only once the customer was erased (`obj` is the customer)."""

    def has_add_permission(self, request, obj=None):
        return not (obj is not None and obj.erased) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not (obj is not None and obj.erased) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not (obj is not None and obj.erased) and super().has_delete_permission(request, obj)


class IdentityInline(ErasedCustomerReadOnlyInlineMixin, admin.TabularInline):
    model = Identity
    form = IdentityAdminForm
    fields = ["kind", "network", "value", "created_at"]
    readonly_fields = ["created_at"]
    extra = 0


class NoteInline(ErasedCustomerReadOnlyInlineMixin, admin.StackedInline):
    model = Note
    fields = ["body", "author", "created_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["author"]
    extra = 0
    formfield_overrides = {Note._meta.get_field("body").__class__: {"widget": forms.Textarea(attrs={"rows": 2})}}


@admin.register(Identity)
class IdentityAdmin(admin.ModelAdmin):
    form = IdentityAdminForm
    list_display = ["value", "kind", "network", "customer", "created_at"]
    list_filter = ["kind", "network"]
    search_fields = ["value", "raw_value", "customer__first_name", "customer__last_name"]
    autocomplete_fields = ["customer"]
    list_select_related = ["customer"]
    readonly_fields = ["raw_value", "created_at"]


# --------------------------------------------------------------------------- customers


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]
    list_display = ["name"]


@admin.register(Customer)
class CustomerAdmin(HistoryRewrittenAdminMixin, BoundedFieldsAdminMixin, admin.ModelAdmin):
    # Figures by persona read a customer's persona as it is now.
    history_fields = ("persona",)
    list_display = ["__str__", "lifecycle_stage", "persona", "owner", "language", "last_contact_at", "merged_into"]
    list_filter = [
        "lifecycle_stage",
        "persona",
        "language",
        "marketing_consent",
        "survey_opt_out",
        "preferred_channel",
        ("owner", admin.RelatedOnlyFieldListFilter),
        ("merged_into", admin.EmptyFieldListFilter),
        "erased",
    ]
    search_fields = ["first_name", "last_name", "identities__value"]
    autocomplete_fields = ["persona", "tags"]
    list_select_related = ["persona", "owner", "merged_into"]
    readonly_fields = [
        "first_contact_at",
        "last_contact_at",
        "merged_into",
        "erased",
        "erased_at",
        "created_at",
        "updated_at",
        "page_link",
    ]
    inlines = [IdentityInline, NoteInline]
    date_hierarchy = "last_contact_at"
    actions = ["export_personal_data", "erase_personal_data"]
    fieldsets = [
        (None, {"fields": ["first_name", "last_name", "lifecycle_stage", "persona", "owner", "tags", "page_link"]}),
        (_("Preferences"), {"fields": ["language", "timezone", "country", "preferred_channel"]}),
        (_("Consent"), {"fields": ["marketing_consent", "survey_opt_out"]}),
        (
            _("History"),
            {
                "fields": [
                    "first_contact_at",
                    "last_contact_at",
                    "merged_into",
                    "erased",
                    "erased_at",
                    "created_at",
                    "updated_at",
                ]
            },
        ),
    ]

    def has_change_permission(self, request, obj=None):
        # An erased customer's page is read-only: its personal data is not written again.
        return not (obj is not None and obj.erased) and super().has_change_permission(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None and obj.erased:
            self.message_user(
                request,
                gettext(
                    "Customer #%(id)s was erased: its personal data is not written again, so this page is read-only."
                )
                % {"id": obj.pk},
                messages.WARNING,
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def has_export_personal_data_permission(self, request):
        return request.user.has_perm(EXPORT_ROWS_PERMISSION)

    @admin.action(description=_("Export personal data (JSON)"), permissions=["export_personal_data"])
    def export_personal_data(self, request, queryset):
        """One customer's GDPR export (customers/gdpr.py), streamed and audited."""
        customers = list(queryset[:2])
        if len(customers) != 1:
            self.message_user(request, gettext("Select exactly one customer to export."), messages.WARNING)
            return None
        return customer_export_response(customers[0], request=request)

    def has_erase_personal_data_permission(self, request):
        return request.user.has_perm("customers.erase_customer")

    @admin.action(description=_("Erase personal data (GDPR)…"), permissions=["erase_personal_data"])
    def erase_personal_data(self, request, queryset):
        """Opens the erasure's confirmation page (what goes, by kind of row) of one selected customer; its
        button erases through customers.services.customer_erase, as the API does."""
        customers = list(queryset[:2])
        if len(customers) != 1:
            self.message_user(request, gettext("Select exactly one customer to erase."), messages.WARNING)
            return None
        return redirect("customers:customer_erase", pk=customers[0].pk)

    def get_search_results(self, request, queryset, search_term):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if not search_term.strip():
            return found, may_have_duplicates
        # Also the pages' search: names without accents ("perez" finds Pérez), phones as on ingestion, "#304".
        searched = customer_search(search_term, Customer.objects.all()).values("pk")
        return found | queryset.filter(pk__in=searched), True

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if "owner" in form.base_fields:
            # The owner is one of the users a case can be assigned to, as on the pages and in the API.
            form.base_fields["owner"].queryset = case_assignable_users(current_id=obj.owner_id if obj else None)
        return form

    @admin.display(description=_("Customer page"))
    def page_link(self, obj):
        if not obj.pk:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("customers:customer_detail", args=[obj.pk]),
            gettext("Open the customer page"),
        )

    def save_model(self, request, obj, form, change):
        """A stage change goes through lifecycle_stage_set, so it is recorded as a LifecycleChange."""
        if not change:
            super().save_model(request, obj, form, change)
            services.lifecycle_change_record(
                customer=obj, from_stage="", to_stage=obj.lifecycle_stage, at=obj.created_at, user=request.user
            )
            return
        new_stage = obj.lifecycle_stage
        if "lifecycle_stage" in form.changed_data:
            obj.lifecycle_stage = form.initial.get("lifecycle_stage", new_stage)
        super().save_model(request, obj, form, change)
        if new_stage != obj.lifecycle_stage:
            services.lifecycle_stage_set(customer=obj, stage=new_stage, user=request.user)

    def save_formset(self, request, form, formset, change):
        for inline_form in formset.forms:
            if isinstance(inline_form.instance, Note) and not inline_form.instance.author_id:
                inline_form.instance.author = request.user
        super().save_formset(request, form, formset, change)


@admin.register(LifecycleChange)
class LifecycleChangeAdmin(BoundedFieldsAdminMixin, admin.ModelAdmin):
    list_display = ["customer", "from_stage", "to_stage", "changed_at", "changed_by"]
    list_filter = ["to_stage", "from_stage"]
    search_fields = ["customer__first_name", "customer__last_name", "customer__identities__value"]
    autocomplete_fields = ["customer", "changed_by"]
    list_select_related = ["customer", "changed_by"]
    date_hierarchy = "changed_at"

    def get_search_results(self, request, queryset, search_term):
        queryset, _ = super().get_search_results(request, queryset, search_term)
        return queryset, bool(search_term)

    # A change edited or deleted here moves its customer's stage intervals (and a change moved to another
    # customer, both customers'): they are recomputed from the changes.
    def save_model(self, request, obj, form, change):
        before = LifecycleChange.objects.filter(pk=obj.pk).values_list("customer_id", flat=True).first()
        super().save_model(request, obj, form, change)
        services.lifecycle_intervals_refresh(customer_ids={obj.customer_id, before or obj.customer_id})

    def delete_model(self, request, obj):
        services.lifecycle_change_remove(change=obj)

    def delete_queryset(self, request, queryset):
        customer_ids = set(queryset.values_list("customer_id", flat=True))
        super().delete_queryset(request, queryset)
        services.lifecycle_intervals_refresh(customer_ids=customer_ids)


# --------------------------------------------------------------------------- cases and SLA


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ["priority", "first_response_minutes", "resolution_minutes"]
    list_editable = ["first_response_minutes", "resolution_minutes"]


class CaseAddForm(forms.ModelForm):
    """A new case as the services accept it: an open status, an assignable user."""

    status = forms.ChoiceField(
        choices=[(s.value, s.label) for s in OPEN_CASE_STATUSES], initial=CaseStatus.NEW, label=_("status")
    )
    assignee = forms.ModelChoiceField(queryset=case_assignable_users(), required=False, label=_("assignee"))

    class Meta:
        model = Case
        fields = CASE_ADD_FIELDS

    def clean(self):
        data = super().clean()
        _erased_customer_refuse(self, data)
        if data.get("opened_at") is not None:
            try:
                data["opened_at"] = services.case_opened_at_clean(data["opened_at"])
            except ValidationError as error:
                self.add_error("opened_at", error.message_dict["opened_at"])
        return data


class NoteAdminForm(forms.ModelForm):
    """A note on a customer who was not erased."""

    def clean(self):
        data = super().clean()
        _erased_customer_refuse(self, data)
        return data


class CaseWorkflowForm(forms.Form):
    """Status, priority and assignee of one or more cases, applied through case_update."""

    KEEP = [("", _("— keep as it is —"))]

    status = forms.ChoiceField(choices=KEEP + list(CaseStatus.choices), required=False, label=_("status"))
    priority = forms.ChoiceField(
        choices=KEEP + list(CasePriority.choices),
        required=False,
        label=_("priority"),
        help_text=_("A new priority recomputes the SLA due times from its policy."),
    )
    assignee = forms.ModelChoiceField(
        queryset=case_assignable_users(),
        required=False,
        empty_label=KEEP[0][1],
        label=_("assignee"),
        help_text=_("Active support reps"),
    )
    unassign = forms.BooleanField(required=False, label=_("Remove the assignee"))
    reason = forms.CharField(
        required=False,
        max_length=2000,
        label=_("reason"),
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text=_("Why: kept in each case's history with the change."),
    )

    def clean(self):
        data = super().clean()
        if data.get("assignee") and data.get("unassign"):
            self.add_error("unassign", _("Choose a new assignee or remove the assignee, not both."))
        if not self.changes() and not self.errors:
            raise ValidationError(_("Choose what to change."))
        return data

    def changes(self) -> dict:
        """The keyword arguments for case_update: only what was chosen."""
        data = self.cleaned_data
        changes = {name: data[name] for name in ("status", "priority", "assignee") if data.get(name)}
        if data.get("unassign"):
            changes["assignee"] = None
        return changes


@admin.register(Case)
class CaseAdmin(HistoryRewrittenAdminMixin, BoundedFieldsAdminMixin, admin.ModelAdmin):
    """Cases are opened and changed through the case services, as on the pages and in the API.

    Status, priority and assignee are read-only on the change form: they change on the
    "status, priority, assignee" page (from the change form's link or the list's action),
    which calls case_update, so resolving sets resolved_at and sends `case_resolved`, and a
    new priority recomputes the SLA due times. Other edits go through case_update too; a new
    case goes through case_create (SLA due times from its priority's policy).
    """

    # Edits go through case_update, which stamps the case; only a deletion leaves nothing to find.
    history_fields = ()

    list_display = ["__str__", "customer", "status", "priority", "origin", "topic", "assignee", "opened_at"]
    list_filter = ["status", "priority", "origin", "topic", ("assignee", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["subject", "topic", "external_id", "customer__first_name", "customer__last_name"]
    autocomplete_fields = ["customer"]
    list_select_related = ["customer", "assignee"]
    date_hierarchy = "opened_at"
    actions = ["change_workflow"]
    add_form = CaseAddForm
    add_fieldsets = [
        (None, {"fields": ["customer", "subject", "description", "topic", "origin"]}),
        (_("Status"), {"fields": ["status", "priority", "assignee", "opened_at"]}),
        (_("Integration key"), {"fields": ["source", "external_id"]}),
    ]
    fieldsets = [
        (None, {"fields": ["customer", "subject", "description", "topic", "origin"]}),
        (_("Status"), {"fields": [("status", "priority", "assignee"), "workflow_link", "resolution_note"]}),
        (
            _("SLA"),
            {
                "fields": [
                    ("opened_at", "assigned_at"),
                    ("first_response_due_at", "first_response_at"),
                    ("resolution_due_at", "resolved_at", "closed_at"),
                    ("pending_since", "pending_seconds", "reopen_count"),
                ]
            },
        ),
        (_("Integration key"), {"fields": ["source", "external_id", "created_at", "updated_at"]}),
        (_("History"), {"fields": ["history"]}),
    ]
    readonly_fields = [
        "assigned_at",
        "first_response_at",
        "first_response_due_at",
        "resolution_due_at",
        "resolved_at",
        "closed_at",
        "reopen_count",
        "pending_since",
        "pending_seconds",
        "created_at",
        "updated_at",
    ]
    # Set when the case is opened (the due times count from opened_at), changed only through the services.
    change_readonly_fields = ["customer", "opened_at", "source", "external_id", "status", "priority", "assignee"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else self.fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        return [*self.readonly_fields, *self.change_readonly_fields, "workflow_link", "history"]

    @admin.display(description=_("Changes"))
    def history(self, obj):
        """The case's history (CaseChange, written by the case services), as the case page shows it."""
        rows = [
            (
                date_format(timezone.localtime(change.changed_at), "SHORT_DATETIME_FORMAT"),
                (change.changed_by.get_full_name() or change.changed_by.username) if change.changed_by else "—",
                change.field,
                change.from_label or "—",
                change.to_label or "—",
                change.reason,
            )
            for change in selectors.case_history(case=obj)
        ]
        if not rows:
            return gettext("No changes yet.")
        body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} → {}</td><td>{}</td></tr>", rows)
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>",
            gettext("When"),
            gettext("Who"),
            gettext("Field"),
            gettext("From → to"),
            gettext("Reason"),
            body,
        )

    @admin.display(description=_("Change"))
    def workflow_link(self, obj):
        url = reverse("admin:customers_case_workflow")
        return format_html(
            '<a href="{}?ids={}">{}</a>', url, obj.pk, gettext("Change the status, priority or assignee")
        )

    def save_model(self, request, obj, form, change):
        if change:
            edited = {name: form.cleaned_data[name] for name in form.changed_data if name in CASE_EDITABLE_FIELDS}
            case = services.case_update(case=obj, user=request.user, **edited)
        else:
            fields = {name: form.cleaned_data[name] for name in CASE_ADD_FIELDS}
            case = services.case_create(**fields, user=request.user)
            obj.pk = case.pk
            obj._state.adding = False
        obj.refresh_from_db()

    # ----------------------------------------------------------------------- status, priority, assignee

    def get_urls(self):
        workflow = path("workflow/", self.admin_site.admin_view(self.workflow_view), name="customers_case_workflow")
        return [workflow, *super().get_urls()]

    @admin.action(description=_("Change the status, priority or assignee…"), permissions=["change"])
    def change_workflow(self, request, queryset):
        ids = ",".join(str(pk) for pk in queryset.order_by("pk").values_list("pk", flat=True))
        return redirect(f"{reverse('admin:customers_case_workflow')}?ids={ids}")

    def workflow_view(self, request):
        """The selected cases (?ids=1,2) with a form whose choices go to case_update, case by case."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        ids = [int(pk) for pk in (request.POST or request.GET).get("ids", "").split(",") if pk.strip().isdigit()]
        cases = list(Case.objects.filter(pk__in=ids).select_related("customer", "assignee").order_by("pk"))
        if not cases:
            self.message_user(request, gettext("Select the cases to change first."), messages.WARNING)
            return redirect("admin:customers_case_changelist")
        form = CaseWorkflowForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            changes = form.changes()
            done = 0
            for case in cases:
                try:
                    services.case_update(case=case, user=request.user, reason=form.cleaned_data["reason"], **changes)
                except ValidationError as error:
                    message = gettext("%(case)s: %(errors)s") % {"case": case, "errors": " ".join(error.messages)}
                    self.message_user(request, message, messages.ERROR)
                    continue
                self.log_change(request, case, [{"changed": {"fields": sorted(changes)}}])
                done += 1
            if done:
                message = ngettext("Changed %(count)s case.", "Changed %(count)s cases.", done) % {"count": done}
                self.message_user(request, message, messages.SUCCESS)
            if len(cases) == 1:
                return redirect("admin:customers_case_change", cases[0].pk)
            return redirect("admin:customers_case_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Change the status, priority or assignee"),
            "cases": cases,
            "ids": ",".join(str(case.pk) for case in cases),
            "form": form,
        }
        return TemplateResponse(request, "customers/admin_case_workflow.html", context)


# --------------------------------------------------------------------------- interactions and notes


@admin.register(Interaction)
class InteractionAdmin(HistoryRewrittenAdminMixin, BoundedFieldsAdminMixin, OwnRecordsAdminMixin, admin.ModelAdmin):
    """Interactions change only by their agent or a manager (one without an agent is nobody's own)."""

    owner_field = "agent"
    list_display = ["summary", "customer", "channel", "direction", "type", "occurred_at", "agent", "case", "live"]
    list_filter = ["channel", "type", "direction", "live", "source"]
    search_fields = ["summary", "external_id", "campaign", "touchpoint_key", "customer__identities__value"]
    autocomplete_fields = ["customer", "agent", "case"]
    raw_id_fields = ["touchpoint"]
    list_select_related = ["customer", "agent", "case"]
    date_hierarchy = "occurred_at"
    readonly_fields = ["created_at"]
    show_full_result_count = False

    def get_search_results(self, request, queryset, search_term):
        queryset, _ = super().get_search_results(request, queryset, search_term)
        return queryset, bool(search_term)


@admin.register(Note)
class NoteAdmin(OwnRecordsAdminMixin, admin.ModelAdmin):
    """A note's author is whoever adds it; only the author (or a manager) changes or deletes it."""

    form = NoteAdminForm
    owner_field = "author"
    list_display = ["__str__", "customer", "author", "created_at"]
    search_fields = ["body", "customer__first_name", "customer__last_name"]
    autocomplete_fields = ["customer", "author"]
    list_select_related = ["customer", "author"]
    list_filter = [("author", admin.RelatedOnlyFieldListFilter)]


# --------------------------------------------------------------------------- merges


@admin.register(MergeRecord)
class MergeRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only audit; the only write is the undo action (merge_undo)."""

    list_display = ["__str__", "survivor", "merged", "merged_by", "merged_at", "undone_at"]
    list_filter = [("undone_at", admin.EmptyFieldListFilter)]
    search_fields = ["survivor__first_name", "survivor__last_name", "merged__first_name", "merged__last_name"]
    list_select_related = ["survivor", "merged", "merged_by"]
    actions = ["undo_merges"]

    def has_undo_permission(self, request):
        return request.user.has_perm("customers.merge_customer")

    @admin.action(description=_("Undo the selected merges"), permissions=["undo"])
    def undo_merges(self, request, queryset):
        done = 0
        for record in queryset.order_by("-merged_at", "-id"):
            try:
                services.merge_undo(merge=record, user=request.user)
                done += 1
            except ValidationError as error:
                message = gettext("%(merge)s: %(errors)s") % {"merge": record, "errors": " ".join(error.messages)}
                self.message_user(request, message, messages.ERROR)
        if done:
            message = ngettext("Undid %(count)s merge.", "Undid %(count)s merges.", done) % {"count": done}
            self.message_user(request, message, messages.SUCCESS)


@admin.register(MergeSuggestion)
class MergeSuggestionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "customer", "other", "status", "created_at", "decided_by"]
    list_filter = ["status"]
    search_fields = ["reason", "customer__first_name", "customer__last_name", "other__first_name", "other__last_name"]
    autocomplete_fields = ["customer", "other"]
    list_select_related = ["customer", "other", "decided_by"]
    readonly_fields = ["reason_shown", "interaction", "created_at", "decided_at", "decided_by"]
    actions = ["dismiss"]

    def get_exclude(self, request, obj=None):
        # A stored reason is shown in the reader's language (reason_shown), not edited; a suggestion added here
        # is given its reason by the person adding it.
        return ["reason"] if obj is not None else []

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else self.readonly_fields[1:]

    @admin.display(description=_("reason"))
    def reason_shown(self, obj):
        return obj.reason_display

    @admin.action(description=_("Dismiss (different people)"))
    def dismiss(self, request, queryset):
        done = 0
        for suggestion in queryset:
            try:
                services.merge_suggestion_dismiss(suggestion=suggestion, user=request.user)
                done += 1
            except ValidationError:
                pass
        message = ngettext("Dismissed %(count)s suggestion.", "Dismissed %(count)s suggestions.", done) % {
            "count": done
        }
        self.message_user(request, message, messages.SUCCESS)


@admin.register(WorkspaceVisit)
class WorkspaceVisitAdmin(BoundedFieldsAdminMixin, OwnRecordsAdminMixin, admin.ModelAdmin):
    """Written by the My work page; a visit is changed or deleted only by its user or a manager."""

    owner_field = "user"

    def has_add_permission(self, request):
        return False

    list_display = ["user", "seen_at"]
    list_select_related = ["user"]
