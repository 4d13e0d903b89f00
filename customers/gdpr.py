"""A customer's personal data as one JSON document (GDPR access and portability), streamed.

customer_export_stream(customer) yields the document in pieces, so a customer with many thousands of
interactions is never held in memory: the profile (with its consents), then one array per section,
each read with a server-side iterator. The sections are customers' own (identities, interactions,
cases, notes, lifecycle changes) and those that higher apps add through settings.CUSTOMER_EXPORT_SECTIONS
(dotted paths to callables (customer) -> [(name, iterable of dicts)]: feedback adds the survey
invitations and responses). Shape:

    {"format": "cxcrm-customer-export/1", "exported_at": "...", "customer": {...},
     "identities": [...], "interactions": [...], "cases": [...], "notes": [...],
     "lifecycle_changes": [...], "survey_invitations": [...], "survey_responses": [...]}
"""

import json
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.module_loading import import_string

from cxcrm.audit import audit_record
from cxcrm.models import AuditAction

from .models import Case, Customer, Identity, Interaction, LifecycleChange, Note

FORMAT = "cxcrm-customer-export/1"
CHUNK = 2000
# Bookkeeping columns that say nothing about the person.
LEFT_OUT = {"search_name"}


def model_rows(queryset, *, exclude: Iterable[str] = ()) -> Iterator[dict]:
    """Every concrete column of the queryset's rows as dicts (foreign keys as ids), streamed."""
    left_out = LEFT_OUT | set(exclude)
    fields = [f.attname for f in queryset.model._meta.concrete_fields if f.attname not in left_out]
    return queryset.values(*fields).iterator(chunk_size=CHUNK)


def _dump(value) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)


def customer_sections(customer: Customer) -> list[tuple[str, Iterable[dict]]]:
    """customers' own sections, then those of settings.CUSTOMER_EXPORT_SECTIONS."""
    sections = [
        ("identities", model_rows(Identity.objects.filter(customer=customer).order_by("id"))),
        ("interactions", model_rows(Interaction.objects.filter(customer=customer).order_by("occurred_at", "id"))),
        ("cases", model_rows(Case.objects.filter(customer=customer).order_by("opened_at", "id"))),
        ("notes", model_rows(Note.objects.filter(customer=customer).order_by("created_at", "id"))),
        ("lifecycle_changes", model_rows(LifecycleChange.objects.filter(customer=customer).order_by("id"))),
    ]
    for path in getattr(settings, "CUSTOMER_EXPORT_SECTIONS", []):
        sections.extend(import_string(path)(customer))
    return sections


def customer_export_stream(customer: Customer) -> Iterator[str]:
    """The export document of `customer`, in pieces of JSON text (see the module docstring)."""
    profile = next(model_rows(Customer.objects.filter(pk=customer.pk)))
    profile["tags"] = list(customer.tags.values_list("name", flat=True))
    profile["consents"] = {
        "marketing_consent": customer.marketing_consent,
        "survey_opt_out": customer.survey_opt_out,
    }
    yield f'{{"format": {_dump(FORMAT)}, "exported_at": {_dump(timezone.now())}, "customer": {_dump(profile)}'
    for name, rows in customer_sections(customer):
        yield f", {_dump(name)}: ["
        batch, first = [], True
        for row in rows:
            batch.append(_dump(row))
            if len(batch) == CHUNK:
                yield ("" if first else ", ") + ", ".join(batch)
                batch, first = [], False
        if batch:
            yield ("" if first else ", ") + ", ".join(batch)
        yield "]"
    yield "}\n"


def customer_export_response(customer: Customer, *, request=None) -> StreamingHttpResponse:
    """The export as a download (`customer-<id>.json`), recorded in the audit log as an export of that
    customer by the request's user. The API, the customer page and the admin all answer with it."""
    filename = f"customer-{customer.pk}.json"
    audit_record(action=AuditAction.EXPORT, obj=customer, request=request, details={"file": filename})
    response = StreamingHttpResponse(customer_export_stream(customer), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
