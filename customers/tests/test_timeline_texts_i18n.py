"""The timeline entries the product writes itself (a case's updates, a survey answered without a score), a
case's history and a merge suggestion's reason read in the reader's language whatever language was active when
they were written; the stored texts stay in LANGUAGE_CODE, and an entry stored without its values (before, or
from an integration) shows its summary."""

import pytest
from django.urls import reverse
from django.utils import translation

from customers.choices import CasePriority, CaseStatus, IdentityKind, InteractionType
from customers.identities import NormalisedIdentity
from customers.models import CaseChange, Interaction, MergeSuggestion
from customers.services import case_status_set, case_update
from customers.summaries import SUMMARY_VALUES, conflict_reason
from customers.tests.factories import CaseFactory, CustomerFactory, InteractionFactory
from cxcrm.i18n import user_language_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def resolved_in_english(rep_user):
    case = CaseFactory(customer=CustomerFactory(first_name="Ana"), subject="Zwrot", status="open")
    with translation.override("en"):
        case_status_set(case=case, status="resolved", user=rep_user)
    return case


def test_a_resolved_case_reads_in_polish_for_a_polish_rep(client, rep_user, resolved_in_english):
    user_language_set(user=rep_user, language="pl")
    client.force_login(rep_user)

    entry = Interaction.objects.get(type=InteractionType.CASE_UPDATE)
    page = client.get(reverse("customers:customer_detail", args=[resolved_in_english.customer_id])).content.decode()

    assert entry.summary == "Case resolved: Zwrot"
    assert entry.metadata[SUMMARY_VALUES]["changes"][0]["to"] == "resolved"
    assert "Zgłoszenie rozwiązane: Zwrot" in page
    assert "Case resolved: Zwrot" not in page


def test_the_timeline_api_gives_the_entry_in_the_request_language(api_as, rep_user, resolved_in_english):
    url = f"/api/customers/{resolved_in_english.customer_id}/timeline/"

    spanish = api_as(rep_user).get(url, HTTP_ACCEPT_LANGUAGE="es").json()["results"]
    english = api_as(rep_user).get(url, HTTP_ACCEPT_LANGUAGE="en").json()["results"]

    assert [row["summary"] for row in spanish] == ["Caso resuelto: Zwrot"]
    assert [row["summary"] for row in english] == ["Case resolved: Zwrot"]


def test_a_reopened_case_with_a_new_priority_names_the_values_by_their_labels(rep_user):
    case = CaseFactory(subject="Zwrot", status="resolved", priority=CasePriority.NORMAL)
    with translation.override("en"):
        case_update(case=case, user=rep_user, status="open", priority=CasePriority.HIGH)

    entry = Interaction.objects.get(type=InteractionType.CASE_UPDATE)
    with translation.override("pl"):
        shown = entry.summary_display
        high, normal = str(CasePriority.HIGH.label), str(CasePriority.NORMAL.label)

    assert shown.startswith("Zgłoszenie ponownie otwarte: Zwrot (")
    assert f"{normal} → {high})" in shown


def test_an_entry_without_values_shows_its_summary(rep_user):
    entry = InteractionFactory(summary="Case resolved: from an older version", metadata={})

    with translation.override("pl"):
        assert entry.summary_display == "Case resolved: from an older version"


def test_an_integrations_message_whose_metadata_holds_the_key_shows_the_summary_it_gave(api_as, superuser):
    customer = CustomerFactory()
    values = {"key": "case_update", "case_id": 1, "subject": "Refund approved", "changes": []}
    values["changes"].append({"field": "status", "from": "open", "to": "resolved"})
    created = api_as(superuser).post(
        "/api/interactions/",
        {
            "channel": "chat",
            "occurred_at": "2026-05-01T10:00:00Z",
            "summary": "Hello from the shop",
            "customer_id": customer.pk,
            "metadata": {SUMMARY_VALUES: values},
        },
        format="json",
    )
    assert created.status_code == 201, created.json()

    shown = api_as(superuser).get(f"/api/interactions/{created.json()['id']}/", HTTP_ACCEPT_LANGUAGE="pl")

    assert shown.json()["summary"] == "Hello from the shop"
    assert shown.json()["type"] == InteractionType.MESSAGE


def test_a_case_history_names_the_statuses_in_the_readers_language(client, api_as, rep_user, resolved_in_english):
    with translation.override("pl"):
        opened_pl, resolved_pl = str(CaseStatus.OPEN.label), str(CaseStatus.RESOLVED.label)
    with translation.override("es"):
        opened_es, resolved_es = str(CaseStatus.OPEN.label), str(CaseStatus.RESOLVED.label)
    user_language_set(user=rep_user, language="pl")
    client.force_login(rep_user)

    page = client.get(reverse("customers:case_detail", args=[resolved_in_english.pk])).content.decode()
    history = api_as(rep_user).get(f"/api/cases/{resolved_in_english.pk}/history/", HTTP_ACCEPT_LANGUAGE="es").json()

    assert (
        f'data-testid="history-from">{opened_pl}</span> → <span data-testid="history-to">{resolved_pl}</span>' in page
    )
    assert [(c["from_value"], c["from_label"], c["to_label"]) for c in history] == [("open", opened_es, resolved_es)]
    assert CaseChange.objects.get().to_label == "Resolved"  # stored as it was written


def test_a_merge_suggestion_reason_reads_in_portuguese(api_as, rep_user):
    ana, other = CustomerFactory(), CustomerFactory()
    identities = [NormalisedIdentity("email", "", "ana@example.com"), NormalisedIdentity("phone", "", "+5511912345678")]
    MergeSuggestion.objects.create(customer=ana, other=other, reason=conflict_reason(identities))

    listed = api_as(rep_user).get("/api/merge-suggestions/", HTTP_ACCEPT_LANGUAGE="pt-BR").json()["results"]

    with translation.override("pt-br"):
        email, phone = str(IdentityKind.EMAIL.label), str(IdentityKind.PHONE.label)
    assert [s["reason"] for s in listed] == [
        f"Informados juntos em uma mesma interação: {email} ana@example.com, {phone} +5511912345678"
    ]
    assert MergeSuggestion.objects.get().reason == (
        "Given together on one interaction: email ana@example.com, phone +5511912345678"
    )


def test_the_admin_shows_a_merge_suggestion_reason_in_the_readers_language(client, superuser):
    ana, other = CustomerFactory(), CustomerFactory()
    identities = [NormalisedIdentity("email", "", "ana@example.com")]
    suggestion = MergeSuggestion.objects.create(customer=ana, other=other, reason=conflict_reason(identities))
    client.force_login(superuser)
    listed = client.get("/admin/customers/mergesuggestion/", HTTP_ACCEPT_LANGUAGE="pt-BR").content.decode()
    shown = client.get(
        f"/admin/customers/mergesuggestion/{suggestion.pk}/change/", HTTP_ACCEPT_LANGUAGE="pt-BR"
    ).content.decode()
    for page in (listed, shown):
        assert "Informados juntos em uma mesma interação" in page
        assert "Given together" not in page


def test_a_merge_suggestion_added_in_the_admin_keeps_the_reason_its_author_gives(client, superuser):
    ana, other = CustomerFactory(), CustomerFactory()
    client.force_login(superuser)
    form = client.get("/admin/customers/mergesuggestion/add/").content.decode()
    assert 'name="reason"' in form
    response = client.post(
        "/admin/customers/mergesuggestion/add/",
        {"customer": ana.pk, "other": other.pk, "reason": "Same address on two orders", "status": "open"},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert MergeSuggestion.objects.get().reason == "Same address on two orders"
