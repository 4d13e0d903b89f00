"""A customer's personal data as one JSON document (GDPR access): the same streamed export from the
API, the customer page and the admin, for the holders of export_customer_rows, audited, and fast."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.models import Interaction
from customers.tests.factories import CaseFactory, CustomerFactory, IdentityFactory, InteractionFactory, NoteFactory
from cxcrm.models import AuditAction, AuditEvent
from feedback.tests.factories import InvitationFactory, ResponseFactory

pytestmark = pytest.mark.django_db


def body(response) -> dict:
    assert response.status_code == 200, response.status_code
    assert response.streaming
    return json.loads(b"".join(response.streaming_content))


@pytest.fixture
def ana():
    customer = CustomerFactory(first_name="Ana", last_name="Silva", marketing_consent=True)
    IdentityFactory(customer=customer, kind="email", value="ana@example.com")
    InteractionFactory(customer=customer, summary="Asked about the bill")
    CaseFactory(customer=customer, subject="Router broken")
    NoteFactory(customer=customer, body="Prefers calls")
    InvitationFactory(customer=customer)
    ResponseFactory(invitation__customer=customer, comment="Slow delivery")
    CustomerFactory(first_name="Other")  # not in Ana's export
    return customer


def test_the_api_export_holds_every_section_of_the_customer(api_as, manager_user, ana):
    doc = body(api_as(manager_user).get(f"/api/customers/{ana.pk}/export/"))
    assert doc["format"] == "cxcrm-customer-export/1"
    assert (doc["customer"]["first_name"], doc["customer"]["last_name"]) == ("Ana", "Silva")
    assert doc["customer"]["consents"] == {"marketing_consent": True, "survey_opt_out": False}
    assert [i["value"] for i in doc["identities"]] == ["ana@example.com"]
    assert [i["summary"] for i in doc["interactions"]] == ["Asked about the bill"]
    assert [c["subject"] for c in doc["cases"]] == ["Router broken"]
    assert [n["body"] for n in doc["notes"]] == ["Prefers calls"]
    assert len(doc["survey_invitations"]) == 2  # the one sent and the one answered
    assert all("claim_token" not in i for i in doc["survey_invitations"])
    assert [r["comment"] for r in doc["survey_responses"]] == ["Slow delivery"]
    assert "Other" not in json.dumps(doc)


def test_the_export_is_audited(api_as, manager_user, ana):
    body(api_as(manager_user).get(f"/api/customers/{ana.pk}/export/"))
    [event] = AuditEvent.objects.filter(action=AuditAction.EXPORT)
    assert (event.actor, event.object_type, event.object_id) == (manager_user, "customers.customer", str(ana.pk))
    assert event.details == {"file": f"customer-{ana.pk}.json"}


@pytest.mark.parametrize("role", ["rep_user", "marketer_user", "integration_user"])
def test_roles_without_export_customer_rows_get_403(api_as, request, ana, role):
    user = request.getfixturevalue(role)
    assert api_as(user).get(f"/api/customers/{ana.pk}/export/").status_code == 403


def test_the_customer_page_offers_the_download_to_managers_only(manager_user, rep_user, ana):
    manager, rep = Client(), Client()
    manager.force_login(manager_user)
    rep.force_login(rep_user)
    page = reverse("customers:customer_detail", args=[ana.pk])
    assert 'data-testid="personal-data-export"' in manager.get(page).content.decode()
    assert 'data-testid="personal-data-export"' not in rep.get(page).content.decode()
    download = manager.get(reverse("customers:customer_export", args=[ana.pk]))
    assert download["Content-Disposition"] == f'attachment; filename="customer-{ana.pk}.json"'
    assert body(download)["customer"]["id"] == ana.pk
    assert rep.get(reverse("customers:customer_export", args=[ana.pk])).status_code == 403


def test_the_admin_action_exports_one_customer(superuser, ana):
    admin = Client()
    admin.force_login(superuser)
    response = admin.post(
        reverse("admin:customers_customer_changelist"),
        {"action": "export_personal_data", "_selected_action": [ana.pk]},
    )
    assert body(response)["customer"]["id"] == ana.pk


def test_a_long_history_is_streamed_in_the_same_number_of_queries_as_a_short_one(api_as, manager_user):
    """The export reads each section with a server-side iterator: 10,000 interactions cost no more queries
    than 10 (its time is measured in benchmarks/gdpr_time.py, not here)."""
    start = timezone.now() - timedelta(days=400)
    api = api_as(manager_user)

    def export_of(n):
        customer = CustomerFactory()
        Interaction.objects.bulk_create(
            Interaction(
                customer=customer,
                channel="email",
                direction="inbound",
                type="message",
                summary=f"Message {i}",
                occurred_at=start + timedelta(minutes=i),
            )
            for i in range(n)
        )
        with CaptureQueriesContext(connection) as captured:
            response = api.get(f"/api/customers/{customer.pk}/export/")
            assert response.streaming
            doc = json.loads(b"".join(response.streaming_content))
        return doc, len(captured)

    short, short_queries = export_of(10)
    long, long_queries = export_of(10_000)
    assert len(short["interactions"]) == 10
    assert len(long["interactions"]) == 10_000
    assert long["interactions"][-1]["summary"] == "Message 9999"
    assert long_queries <= short_queries + 2, (short_queries, long_queries)
