"""Pages of the customers app: search, the single customer view (profile, key figures,
cases, notes, merge suggestions, the unified timeline and its forms), the rep's
"My work", the cases list with its CSV and XLSX exports, a case's page and the merge preview.
Lists are django-tables2 tables (customers/tables.py) paged and exported as cxcrm.tables does it.

Views stay thin: reads through selectors, writes through services; a service's
ValidationError is shown on the form field it names.
"""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext
from django.views import View
from django.views.generic import TemplateView

from cxcrm.choices import Channel
from cxcrm.roles import EXPORT_ROWS_PERMISSION
from cxcrm.tables import ListTableMixin
from cxcrm.views import StaffPermissionMixin

from . import selectors, services
from .choices import OPEN_CASE_STATUSES, CaseOrigin, CasePriority, CaseStatus, InteractionType, LifecycleStage
from .filtersets import CaseFilterSet, CustomerFilterSet
from .forms import (
    CaseOpenForm,
    CaseReplyForm,
    CaseUpdateForm,
    CustomerCreateForm,
    EraseConfirmForm,
    IdentityForm,
    InteractionLogForm,
    NoteForm,
    ProfileForm,
)
from .gdpr import customer_export_response
from .models import Case, Customer, Identity, MergeRecord, MergeSuggestion
from .panels import case_badges, customer_panels, my_work_panels
from .tables import CaseTable, CustomerTable, NewCaseTable
from .timeline import InvalidCursor, customer_timeline

TIMELINE_PAGE_SIZE = 50
NOTES_SHOWN = 20
KEY_FIGURES_DAYS = 90
WORK_QUEUE_SHOWN = 100
NEW_WINDOW = timedelta(days=14)  # "New for me": assigned within this window and not seen since
CASE_THREAD_SHOWN = 200
RESOLVED_CASES_SHOWN = 10


# --------------------------------------------------------------------------- search


class CustomerListView(StaffPermissionMixin, ListTableMixin, TemplateView):
    """Search by name, email, phone in any format, handle or external id; one hit opens the customer."""

    permission_required = "customers.view_customer"
    template_name = "customers/customer_list.html"
    table_class = CustomerTable
    context_object_name = "customers"
    paginate_by = 25

    @cached_property
    def filterset(self) -> CustomerFilterSet:
        return CustomerFilterSet(self.request.GET or None, queryset=selectors.customer_list_queryset())

    def get_table_kwargs(self) -> dict:
        return {"request": self.request}

    def get_table_data(self):
        return self.filterset.qs

    def get(self, request, *args, **kwargs):
        if request.GET.get("q", "").strip() and not request.GET.get("page"):
            hits = list(self.get_table_data().values_list("pk", flat=True)[:2])
            if len(hits) == 1:
                return redirect("customers:customer_detail", pk=hits[0])
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            q=self.request.GET.get("q", ""),
            stages=CustomerFilterSet.base_filters["lifecycle_stage"].extra["choices"],
            current_stages=self.request.GET.getlist("lifecycle_stage"),
            filter_errors=self.filterset.errors,
            **kwargs,
        )


class CustomerCreateView(StaffPermissionMixin, View):
    """Add a customer by hand: a name or an identity at least (the rule of services.customer_create, which
    POST /api/customers/ applies too); then the customer's page."""

    permission_required = ("customers.view_customer", "customers.add_customer")

    def get(self, request):
        form = CustomerCreateForm(initial={"owner": request.user.pk})
        return render(request, "customers/customer_new.html", {"form": form})

    def post(self, request):
        form = CustomerCreateForm(data=request.POST)
        if form.is_valid():
            try:
                customer = services.customer_create(user=request.user, **form.service_kwargs())
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, gettext("Customer added: %(name)s.") % {"name": customer.display_name})
                return redirect("customers:customer_detail", pk=customer.pk)
        return render(request, "customers/customer_new.html", {"form": form})


# --------------------------------------------------------------------------- the customer page


def _timeline(request, customer):
    """(filter values, TimelinePage, cursor) for the request's filters and cursor; bad values are ignored."""
    cursor = request.GET.get("cursor") or None
    try:
        page = customer_timeline(customer, request.GET, cursor=cursor, page_size=TIMELINE_PAGE_SIZE)
    except InvalidCursor:
        cursor = None
        page = customer_timeline(customer, request.GET, page_size=TIMELINE_PAGE_SIZE)
    values = {
        "channel": request.GET.get("channel", ""),
        "type": request.GET.get("type", ""),
        "case": request.GET.get("case", ""),
    }
    return values, page, cursor


def _timeline_context(request, customer) -> dict:
    values, page, cursor = _timeline(request, customer)
    return {
        "timeline": page,
        "timeline_filters": values,
        "timeline_cursor": cursor,
        "timeline_filtered": any(values.values()),
        "channels": Channel.choices,
        "interaction_types": InteractionType.choices,
    }


def customer_page_context(request, customer: Customer, *, forms: dict | None = None, open_form: str = "") -> dict:
    """Everything the customer page shows, in a fixed number of queries whatever the history's size.

    The collapsed forms (log an interaction, open a case, edit the profile, add an identity) are not drawn
    here: the page loads each by htmx when the rep opens it (CustomerFormView.get). Only a form handed in
    `forms` (one that came back with errors: `open_form` names it) is drawn, open and filled in.
    """
    user, now = request.user, timezone.now()
    can = {
        "view_case": user.has_perm("customers.view_case"),
        "add_case": user.has_perm("customers.add_case"),
        "view_note": user.has_perm("customers.view_note"),
        "add_note": user.has_perm("customers.add_note"),
        "add_interaction": user.has_perm("customers.add_interaction"),
        "change_customer": user.has_perm("customers.change_customer"),
        "merge": user.has_perm("customers.merge_customer"),
        "erase": user.has_perm("customers.erase_customer"),
    }
    forms = dict(forms or {})
    if can["add_note"]:
        forms.setdefault("note", NoteForm())  # always open: one text area
    if can["view_case"]:
        cases, open_cases = selectors.customer_cases_and_open_cases(customer=customer, now=now)
    else:
        cases, open_cases = [], []
    panels = customer_panels(customer, request)
    return {
        "customer": customer,
        "can": can,
        "forms": forms,
        "open_form": open_form,
        "cases": cases,
        "open_cases": open_cases,
        "notes": list(selectors.note_list().filter(customer=customer)[:NOTES_SHOWN]) if can["view_note"] else [],
        "channel_figures": selectors.customer_channel_counts(
            customer=customer, since=now - timedelta(days=KEY_FIGURES_DAYS)
        ),
        "key_figures_days": KEY_FIGURES_DAYS,
        "suggestions": list(selectors.customer_merge_suggestions(customer=customer)),
        "merges": list(selectors.customer_undoable_merges(customer=customer)) if can["merge"] else [],
        "panels": [p for p in panels if p.html],
        **_timeline_context(request, customer),
    }


class CustomerMixin(StaffPermissionMixin):
    permission_required = "customers.view_customer"
    customer_kwarg = "pk"

    def get_customer(self) -> Customer:
        """The customer of the URL (a folded one's survivor), loaded for the page; 404 if unknown."""
        try:
            return selectors.customer_get(
                self.kwargs[self.customer_kwarg], queryset=selectors.customer_detail_queryset()
            )
        except Customer.DoesNotExist:
            raise Http404(gettext("No such customer.")) from None

    def render_customer_page(self, customer, **kwargs):
        context = customer_page_context(self.request, customer, **kwargs)
        return render(self.request, "customers/customer_detail.html", context)


class CustomerDetailView(CustomerMixin, View):
    def get(self, request, pk):
        customer = self.get_customer()
        if customer.pk != pk:  # folded into a survivor
            return redirect(reverse("customers:customer_detail", args=[customer.pk]) + _query(request))
        return self.render_customer_page(customer)


class CustomerExportView(CustomerMixin, View):
    """Everything held about the customer as one JSON download (GDPR access), streamed and audited;
    for the holders of cxcrm.export_customer_rows (managers by default)."""

    permission_required = ("customers.view_customer", EXPORT_ROWS_PERMISSION)

    def get(self, request, pk):
        return customer_export_response(self.get_customer(), request=request)


class CustomerEraseView(CustomerMixin, View):
    """GET: the confirmation, naming what erasing the customer removes or anonymises (counts by kind of row).
    POST (`confirm`: the customer's number typed again; otherwise the page again with the form's error, 400):
    erase (customers/services/erasure.py) and go back to the customer page. For the holders of
    customers.erase_customer (managers by default)."""

    permission_required = ("customers.view_customer", "customers.erase_customer")

    def _page(self, request, customer, form, status=200):
        context = {"customer": customer, "counts": services.erasure_counts(customer=customer), "form": form}
        return render(request, "customers/customer_erase.html", context, status=status)

    def get(self, request, pk):
        customer = self.get_customer()
        return self._page(request, customer, EraseConfirmForm(customer=customer))

    def post(self, request, pk):
        customer = self.get_customer()
        form = EraseConfirmForm(request.POST, customer=customer)
        if not form.is_valid():
            return self._page(request, customer, form, status=400)
        result = services.customer_erase(customer=customer, user=request.user, request=request)
        if result.already_erased:
            messages.info(request, gettext("This customer's personal data had already been erased."))
        else:
            messages.success(request, gettext("The customer's personal data was erased; the anonymous rows stay."))
        return redirect("customers:customer_detail", pk=customer.pk)


def _query(request) -> str:
    return f"?{request.GET.urlencode()}" if request.GET else ""


class TimelineView(CustomerMixin, View):
    """The timeline's items and "load more" button alone (htmx filters and paging)."""

    permission_required = ("customers.view_customer", "customers.view_interaction")

    def get(self, request, pk):
        customer = self.get_customer()
        context = {"customer": customer, **_timeline_context(request, customer)}
        response = render(request, "customers/_timeline_page.html", context)
        if request.headers.get("HX-Request") and "cursor" not in request.GET:
            # A filter change: the address bar follows, so the filtered page can be shared, reloaded or gone back to.
            chosen = urlencode({k: v for k, v in context["timeline_filters"].items() if v})
            url = reverse("customers:customer_detail", args=[customer.pk])
            response["HX-Push-Url"] = f"{url}?{chosen}" if chosen else url
        return response


class ResolvedCasesView(CustomerMixin, View):
    """The customer's recent resolved cases, with the badges other apps add (their CSAT): the customer page
    loads them by htmx when the rep opens the list, so the page itself keeps its query budget."""

    permission_required = ("customers.view_customer", "customers.view_case")

    def get(self, request, pk):
        customer = self.get_customer()
        cases = selectors.customer_resolved_cases(customer=customer, limit=RESOLVED_CASES_SHOWN)
        badges = case_badges(cases, request)
        rows = [{"case": case, "badges": badges.get(case.pk, [])} for case in cases]
        return render(request, "customers/_resolved_cases.html", {"customer": customer, "rows": rows})


class CustomerFormView(CustomerMixin, View):
    """One of the customer page's collapsed forms, at one URL.

    GET: the form alone, empty (an HTML fragment the page loads by htmx when the rep opens the form).
    POST: call the service; on success back to the customer page with a message, on an error the page comes
    back with this form open, filled in and its errors on the fields (status 200).
    The form's permissions are the view's, for both.
    """

    form_key = ""
    form_class = None

    def build_form(self, customer, data):
        """The form, bound to `data` (a POST) or empty (data None)."""
        return self.form_class(data=data)

    def fragment_customer(self) -> Customer:
        """The customer as the empty form needs it: its id only, unless the form shows its fields."""
        try:
            return selectors.customer_ref(self.kwargs[self.customer_kwarg])
        except Customer.DoesNotExist:
            raise Http404(gettext("No such customer.")) from None

    def perform(self, customer, form) -> str:
        """Call the service; return the success message."""
        raise NotImplementedError

    def get(self, request, pk):
        customer = self.fragment_customer()
        context = {"customer": customer, "form": self.build_form(customer, None), "key": self.form_key}
        return render(request, "customers/_customer_form.html", context)

    def post(self, request, pk):
        customer = self.get_customer()
        form = self.build_form(customer, request.POST)
        if form.is_valid():
            try:
                message = self.perform(customer, form)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, message)
                return redirect("customers:customer_detail", pk=customer.pk)
        return self.render_customer_page(customer, forms={self.form_key: form}, open_form=self.form_key)


class InteractionLogView(CustomerFormView):
    permission_required = ("customers.view_customer", "customers.add_interaction")
    form_key = "log"

    def build_form(self, customer, data):
        cases = selectors.customer_cases(customer=customer).filter(status__in=OPEN_CASE_STATUSES)
        return InteractionLogForm(data=data, cases=cases)

    def perform(self, customer, form):
        kwargs = form.service_kwargs()
        kwargs.setdefault("occurred_at", timezone.now())
        data = services.interaction_input_parse(
            {**kwargs, "customer_id": customer.pk, "agent": self.request.user, "source": "web"}
        )
        result = services.interaction_ingest(data=data)
        item = result.interaction
        return gettext("Logged: %(channel)s %(type)s “%(summary)s”.") % {
            "channel": item.get_channel_display(),
            "type": item.get_type_display().lower(),
            "summary": item.summary,
        }


class CaseOpenView(CustomerFormView):
    permission_required = ("customers.view_customer", "customers.add_case")
    form_key = "case"

    def build_form(self, customer, data):
        # An empty form offers the rep who opens it as the assignee.
        return CaseOpenForm(data=data, initial={"assignee": self.request.user.pk})

    def perform(self, customer, form):
        case = services.case_create(customer=customer, user=self.request.user, source="web", **form.service_kwargs())
        return gettext("Opened case #%(id)s “%(subject)s”.") % {"id": case.pk, "subject": case.subject}


class NoteCreateView(CustomerFormView):
    permission_required = ("customers.view_customer", "customers.add_note")
    form_key = "note"
    form_class = NoteForm

    def perform(self, customer, form):
        services.note_create(customer=customer, body=form.cleaned_data["body"], author=self.request.user)
        return gettext("Note added.")


class ProfileUpdateView(CustomerFormView):
    permission_required = ("customers.view_customer", "customers.change_customer")
    form_key = "profile"

    def build_form(self, customer, data):
        return ProfileForm(data=data, customer=customer)

    def fragment_customer(self) -> Customer:
        try:
            return selectors.customer_get(self.kwargs["pk"], queryset=Customer.objects.prefetch_related("tags"))
        except Customer.DoesNotExist:
            raise Http404(gettext("No such customer.")) from None

    def perform(self, customer, form):
        services.customer_update(customer=customer, user=self.request.user, **form.service_kwargs())
        return gettext("Profile saved.")


class IdentityAddView(CustomerFormView):
    permission_required = ("customers.view_customer", "customers.change_customer")
    form_key = "identity"
    form_class = IdentityForm

    def perform(self, customer, form):
        identity = services.identity_add(customer=customer, user=self.request.user, **form.service_kwargs())
        return gettext("Identity added: %(kind)s %(value)s.") % {
            "kind": identity.get_kind_display().lower(),
            "value": identity.value,
        }


class IdentityRemoveView(StaffPermissionMixin, View):
    permission_required = ("customers.view_customer", "customers.change_customer")

    def post(self, request, pk):
        identity = Identity.objects.filter(pk=pk).first()
        if identity is None:
            raise Http404(gettext("No such identity."))
        try:
            services.identity_remove(identity=identity, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                gettext("Identity removed: %(kind)s %(value)s.")
                % {"kind": identity.get_kind_display().lower(), "value": identity.value},
            )
        return redirect("customers:customer_detail", pk=identity.customer_id)


# --------------------------------------------------------------------------- merges


def _shown(customer: Customer, model_field) -> str:
    """A customer's field as a person reads it: choice labels, names of related rows, local times."""
    if model_field.is_relation:
        related = getattr(customer, model_field.name)
        if related is None:
            return ""
        return related.get_full_name() or related.username if hasattr(related, "get_full_name") else str(related)
    value = getattr(customer, model_field.attname)
    if model_field.choices and value not in (None, ""):
        return str(getattr(customer, f"get_{model_field.name}_display")())
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if hasattr(value, "tzinfo"):
        return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    return "" if value is None else str(value)


def merge_field_rows(preview, survivor: Customer, other: Customer) -> list[dict]:
    """The preview's field changes as rows of (label, now, after): the survivor's value and the one it takes."""
    rows = []
    for attname in preview.fields:
        model_field = next((f for f in Customer._meta.concrete_fields if f.attname == attname), None)
        if model_field is None:
            continue
        rows.append(
            {
                "label": str(model_field.verbose_name),
                "old": _shown(survivor, model_field),
                "new": _shown(other, model_field),
                "key": attname,
            }
        )
    return rows


def _own_counts(counts: dict[str, int]) -> dict[str, int]:
    """The customers app's own rows among a preview's counts (the side-by-side figures)."""
    return {key: counts.get(key, 0) for key in services.MOVED_KEYS}


class MergePreviewView(CustomerMixin, View):
    """GET: what merging `other` into this customer would move. POST: merge."""

    permission_required = ("customers.view_customer", "customers.merge_customer")

    def _pair(self):
        survivor = self.get_customer()
        try:
            other = Customer.objects.get(pk=self.kwargs["other"])
        except Customer.DoesNotExist:
            raise Http404(gettext("No such customer.")) from None
        return survivor, other

    def _suggestion(self):
        pk = self.request.GET.get("suggestion") or self.request.POST.get("suggestion")
        if not pk or not str(pk).isdigit():
            return None
        return MergeSuggestion.objects.filter(pk=pk).first()

    def get(self, request, pk, other):
        survivor, other_customer = self._pair()
        try:
            preview = services.merge_preview(survivor=survivor, other=other_customer)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect("customers:customer_detail", pk=survivor.pk)
        if preview.suggested_survivor_id != survivor.pk and not request.GET.get("chosen"):
            # The richer record stays unless the rep chose otherwise: open the preview the other way round.
            query = request.GET.copy()
            query["chosen"] = "suggested"
            url = reverse("customers:merge_preview", args=[other_customer.pk, survivor.pk])
            return redirect(f"{url}?{query.urlencode()}")
        other_full = selectors.customer_detail_queryset().get(pk=other_customer.pk)
        suggestion = self._suggestion()
        swap_query = {"chosen": "rep", **({"suggestion": suggestion.pk} if suggestion else {})}
        return render(
            request,
            "customers/merge_preview.html",
            {
                "preview": preview,
                "survivor": survivor,
                "other": other_full,
                "field_rows": merge_field_rows(preview, survivor, other_full),
                "suggestion": suggestion,
                "stages": LifecycleStage.choices,
                "swap_url": reverse("customers:merge_preview", args=[other_customer.pk, survivor.pk])
                + "?"
                + urlencode(swap_query),
                "sides": [
                    {"customer": survivor, "counts": preview.survivor_counts, "role": "survivor"},
                    {"customer": other_full, "counts": _own_counts(preview.counts), "role": "other"},
                ],
            },
        )

    def post(self, request, pk, other):
        survivor, other_customer = self._pair()
        try:
            record = services.customer_merge(
                survivor=survivor,
                other=other_customer,
                user=request.user,
                lifecycle_stage=request.POST.get("lifecycle_stage") or None,
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect("customers:customer_detail", pk=survivor.pk)
        messages.success(
            request,
            gettext("Merged customer #%(id)s into this customer. You can undo it from “Recent merges”.")
            % {"id": record.merged_id},
        )
        return redirect("customers:customer_detail", pk=record.survivor_id)


class MergeUndoView(StaffPermissionMixin, View):
    permission_required = ("customers.view_customer", "customers.merge_customer")

    def post(self, request, pk):
        record = MergeRecord.objects.filter(pk=pk).first()
        if record is None:
            raise Http404(gettext("No such merge."))
        try:
            services.merge_undo(merge=record, user=request.user)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(
                request, gettext("Merge undone: customer #%(id)s is separate again.") % {"id": record.merged_id}
            )
        return redirect("customers:customer_detail", pk=record.survivor_id)


class SuggestionDismissView(StaffPermissionMixin, View):
    permission_required = ("customers.view_customer", "customers.merge_customer")

    def post(self, request, pk):
        suggestion = MergeSuggestion.objects.filter(pk=pk).first()
        if suggestion is None:
            raise Http404(gettext("No such suggestion."))
        try:
            services.merge_suggestion_dismiss(suggestion=suggestion, user=request.user)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, gettext("Suggestion dismissed: they are different people."))
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
            target = reverse("customers:customer_detail", args=[suggestion.customer_id])
        return redirect(target)


# --------------------------------------------------------------------------- My work


class MyWorkView(StaffPermissionMixin, TemplateView):
    """The rep's home: open cases by SLA due, what is about to breach, and what is new for them: cases assigned
    to them (within NEW_WINDOW) that they have not opened or marked seen since, whatever the reloads."""

    permission_required = "customers.view_case"
    template_name = "customers/my_work.html"

    def get_context_data(self, **kwargs):
        user, now = self.request.user, timezone.now()
        previous = services.workspace_visit_record(user=user, at=now)
        since = now - NEW_WINDOW
        can_merge = user.has_perm("customers.merge_customer")
        suggestions = list(selectors.merge_suggestion_list()[:11]) if can_merge else []
        queue = list(selectors.case_work_queue(user=user, now=now)[:WORK_QUEUE_SHOWN])
        new_cases = list(selectors.cases_new_for(user=user, since=since, now=now)[:50])
        return super().get_context_data(
            queue=queue,
            queue_table=self.case_table(queue, "queue-table"),
            summary=selectors.case_work_summary(user=user, now=now),
            new_cases=new_cases,
            new_table=self.case_table(new_cases, "new-case-table", table_class=NewCaseTable),
            previous_visit=previous,
            since=since,
            new_days=NEW_WINDOW.days,
            suggestions=suggestions[:10],
            more_suggestions=len(suggestions) > 10,
            can_merge=can_merge,
            shown=WORK_QUEUE_SHOWN,
            panels=my_work_panels(self.request),
            **kwargs,
        )

    def case_table(self, cases: list[Case], testid: str, table_class=CaseTable) -> CaseTable:
        """The cases as listed (no sort, no paging); every case here is the user's, so no assignee column."""
        attrs = {**table_class._meta.attrs, "data-testid": testid}
        attrs["class"] += " mb-0"  # the table closes its card
        kwargs = {"request": self.request} if table_class is NewCaseTable else {}
        return table_class(cases, order_by=(), orderable=False, exclude=("assignee", "opened"), attrs=attrs, **kwargs)


# --------------------------------------------------------------------------- cases


# Query parameters that arrange the list rather than filter it.
PAGING_PARAMS = {"sort", "page"}


class CaseQueryMixin(ListTableMixin):
    """The cases list's rows: CaseFilterSet's filters (open cases when nothing is chosen) and CaseTable's
    sort, shared by the page and the exports."""

    table_class = CaseTable

    def get_table_data(self):
        params = self.request.GET
        if not set(params) - PAGING_PARAMS:
            # No filter chosen (sorting or paging is no filter): the open cases, as the page first shows.
            params = params.copy()
            params.setlist("status", list(OPEN_CASE_STATUSES))
        self.params = params
        self.filterset = CaseFilterSet(params, queryset=selectors.case_list_sla())
        return self.filterset.qs


class CaseListView(StaffPermissionMixin, CaseQueryMixin, TemplateView):
    permission_required = "customers.view_case"
    template_name = "customers/case_list.html"
    context_object_name = "cases"
    paginate_by = 50

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.params
        self.sort = self.sort_of(context["table"])
        context.update(
            statuses=CaseStatus.choices,
            priorities=CasePriority.choices,
            origins=CaseOrigin.choices,
            assignees=list(selectors.case_assignable_users()),
            current={
                "status": params.getlist("status"),
                "priority": params.getlist("priority"),
                "assignee_id": params.get("assignee_id", ""),
                "unassigned": params.get("unassigned", ""),
                "topic": params.get("topic", ""),
                "origin": params.get("origin", ""),
                "breached": params.get("breached", ""),
            },
            sort=self.sort,
            sort_options=self.sort_options(),
            filter_errors=self.filterset.form.errors,
            export_query=params.urlencode(),
        )
        return context

    def sort_options(self) -> list[tuple[str, str]]:
        """The "Sort by" choices (the column headers sort too, both ways; on a phone there are no headers)."""
        options = [
            ("-opened", gettext("Newest first")),
            ("opened", gettext("Oldest first")),
            ("due", gettext("Due soonest")),
            ("-priority", gettext("Highest priority")),
            ("status", gettext("Status")),
            ("customer", gettext("Customer")),
            ("assignee", gettext("Assignee")),
            ("subject", gettext("Subject")),
        ]
        if self.sort not in dict(options):
            options.append((self.sort, gettext("As chosen in the table")))
        return options


class CaseExportView(StaffPermissionMixin, CaseQueryMixin, View):
    """The cases list (same filters and sort), every row, as CSV (streamed, UTF-8 with a BOM) or XLSX.

    Its rows are customer-level (each names its customer), so it takes cxcrm.export_customer_rows as the
    drill-downs' exports do (managers by default); reps read the list on the page."""

    permission_required = ("customers.view_case", EXPORT_ROWS_PERMISSION)
    export_format = "csv"

    def get(self, request):
        self.get_table_data()
        if self.filterset.errors:
            # A file of only its header would read as "no such cases": a bad filter is refused, named.
            lines = [f"{field}: {' '.join(messages)}" for field, messages in self.filterset.errors.items()]
            return HttpResponseBadRequest("\n".join(lines), content_type="text/plain; charset=utf-8")
        return self.export(self.export_format, filename=f"cases-{timezone.localdate():%Y-%m-%d}")


class CaseDetailView(StaffPermissionMixin, View):
    """A case as a helpdesk shows it: its facts and SLA, its thread (the interactions on it, oldest first) with
    the form to log a reply or a call, the form to change it (with a reason), and the history of every change.
    Opening it marks it seen for the user (it leaves their "New for me")."""

    def get_permission_required(self):
        if self.request.method == "POST":
            return ("customers.view_case", "customers.change_case")
        return ("customers.view_case",)

    def get_case(self) -> Case:
        case = selectors.case_list_sla().filter(pk=self.kwargs["pk"]).first()
        if case is None:
            raise Http404(gettext("No such case."))
        return case

    def render_page(self, case, form=None, reply_form=None):
        user = self.request.user
        can_change = user.has_perm("customers.change_case")
        can_reply = user.has_perm("customers.add_interaction")
        if form is None and can_change:
            form = CaseUpdateForm(case=case)
        if reply_form is None and can_reply:
            reply_form = CaseReplyForm(case=case)
        thread = selectors.case_thread(case=case, limit=CASE_THREAD_SHOWN)
        return render(
            self.request,
            "customers/case_detail.html",
            {
                "case": case,
                "form": form,
                "reply_form": reply_form,
                "thread": thread,
                "thread_cut": len(thread) >= CASE_THREAD_SHOWN,
                "history": list(selectors.case_history(case=case)),
                "can_change": can_change,
            },
        )

    def get(self, request, pk):
        case = self.get_case()
        services.case_seen_mark(user=request.user, case=case)
        return self.render_page(case)

    def post(self, request, pk):
        case = self.get_case()
        form = CaseUpdateForm(data=request.POST, case=case)
        if form.is_valid():
            try:
                case = services.case_update(case=case, user=request.user, **form.service_kwargs())
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(
                    request,
                    gettext("Case #%(id)s saved (%(status)s).")
                    % {"id": case.pk, "status": case.get_status_display().lower()},
                )
                return redirect("customers:case_detail", pk=case.pk)
        return self.render_page(case, form)


class CaseReplyView(CaseDetailView):
    """POST a reply, a call or the customer's message onto the case's thread (interaction_ingest with the case)."""

    def get_permission_required(self):
        return ("customers.view_case", "customers.add_interaction")

    def get(self, request, pk):
        return redirect("customers:case_detail", pk=pk)

    def post(self, request, pk):
        case = self.get_case()
        form = CaseReplyForm(data=request.POST, case=case)
        if form.is_valid():
            try:
                data = services.interaction_input_parse(
                    {
                        **form.service_kwargs(),
                        "customer_id": case.customer_id,
                        "case": case.pk,
                        "agent": request.user,
                        "source": "web",
                        "occurred_at": timezone.now(),
                    }
                )
                item = services.interaction_ingest(data=data).interaction
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(
                    request,
                    gettext("Logged on case #%(id)s: %(type)s “%(summary)s”.")
                    % {"id": case.pk, "type": item.get_type_display().lower(), "summary": item.summary},
                )
                return redirect(reverse("customers:case_detail", args=[case.pk]) + "#thread")
        return self.render_page(case, reply_form=form)


class CaseSeenView(StaffPermissionMixin, View):
    """POST: mark a case seen by the user, so it leaves their "New for me" (back to My work)."""

    permission_required = "customers.view_case"

    def post(self, request, pk):
        case = Case.objects.filter(pk=pk).only("pk").first()
        if case is None:
            raise Http404(gettext("No such case."))
        services.case_seen_mark(user=request.user, case=case)
        return redirect("customers:my_work")
