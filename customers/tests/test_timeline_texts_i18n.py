"""The timeline entries the product writes itself (a case's updates, a survey answered without a score) read in
the reader's language whatever language was active when they were written; the stored summary stays in
LANGUAGE_CODE, and an entry stored without its values (before, or from an integration) shows its summary."""

import pytest
from django.urls import reverse
from django.utils import translation

from customers.choices import CasePriority, InteractionType
from customers.models import Interaction
from customers.services import case_status_set, case_update
from customers.summaries import SUMMARY_VALUES
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
