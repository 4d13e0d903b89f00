"""The customer page's forms answer in the rep's language: success messages and the errors the services raise
(a case without a subject, an email address without '@'), not English under a translated page."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from customers.models import Case, Identity
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    return CustomerFactory(first_name="Zed", last_name="Q")


@pytest.mark.parametrize(
    "language,expected",
    [("pt-br", "Dê um assunto ao caso."), ("es", "Indique un asunto para el caso."), ("pl", "Nadaj zgłoszeniu temat.")],
)
def test_a_case_without_subject_is_refused_in_the_reps_language(client, rep_user, customer, language, expected):
    client.force_login(rep_user)
    response = client.post(
        reverse("customers:case_open", args=[customer.pk]),
        {"case-subject": "  ", "case-origin": "phone", "case-priority": "normal", "case-status": "open"},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 200
    assert response.context["forms"]["case"].errors["subject"] == [expected]
    assert not Case.objects.exists()


def test_an_email_without_at_is_refused_in_greek(client, rep_user, customer):
    client.force_login(rep_user)
    response = client.post(
        reverse("customers:identity_add", args=[customer.pk]),
        {"identity-kind": "email", "identity-value": "zed.example.com"},
        HTTP_ACCEPT_LANGUAGE="el",
    )
    assert response.status_code == 200
    errors = " ".join(response.context["forms"]["identity"].errors["value"])
    assert "Το «zed.example.com» δεν είναι έγκυρη διεύθυνση email: λείπει το '@'." in errors
    assert not Identity.objects.filter(customer=customer, value__contains="zed").exists()


def test_the_note_added_message_in_the_reps_language(client, rep_user, customer):
    client.force_login(rep_user)
    response = client.post(
        reverse("customers:note_create", args=[customer.pk]),
        {"note-body": "Ligar segunda"},
        HTTP_ACCEPT_LANGUAGE="pt-br",
    )
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Nota adicionada."]


def test_a_nameless_customer_is_named_in_the_reps_language(client, rep_user):
    nameless = CustomerFactory(first_name="", last_name="")
    client.force_login(rep_user)
    page = client.get(reverse("customers:customer_detail", args=[nameless.pk]), HTTP_ACCEPT_LANGUAGE="pl")
    assert f"Klient #{nameless.pk}" in page.content.decode()
    assert f"Customer #{nameless.pk}" not in page.content.decode()
