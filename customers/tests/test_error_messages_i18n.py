"""The errors of the customer services and API in the reader's language: an API client's Accept-Language, a
rep's page language. Codes a client must send (kinds, statuses) stay codes inside the translated sentence."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from customers.identities import normalise_identity
from customers.models import Customer, Identity
from customers.services import case_create_or_get
from customers.tests.factories import CaseFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def test_a_handle_without_network_is_a_400_in_portuguese(api_as, rep_user):
    response = api_as(rep_user).post(
        "/api/customers/",
        {"first_name": "Ana", "identities": [{"kind": "handle", "value": "ana"}]},
        format="json",
        HTTP_ACCEPT_LANGUAGE="pt-BR",
    )

    assert response.status_code == 400
    assert response.json()["identities"] == ["O perfil “ana” precisa da sua rede (por exemplo instagram)."]
    assert not Customer.objects.exists()


def test_a_national_phone_not_valid_in_the_region_is_a_400_in_spanish(api_as, rep_user, settings):
    settings.PHONE_DEFAULT_REGION = "BR"
    response = api_as(rep_user).post(
        "/api/customers/",
        {"first_name": "Ana", "identities": [{"kind": "phone", "value": "12"}]},
        format="json",
        HTTP_ACCEPT_LANGUAGE="es",
    )

    assert response.status_code == 400
    assert response.json()["identities"] == [
        "“12” no es un número de teléfono válido en la región BR; indíquelo en formato internacional, por "
        "ejemplo +55 11 91234-5678."
    ]


def test_an_unknown_identity_kind_keeps_the_codes_inside_the_greek_sentence():
    with translation.override("el"), pytest.raises(ValidationError) as refused:
        normalise_identity("fax", "1")

    assert refused.value.messages == [
        "Άγνωστο είδος ταυτότητας «fax»· χρησιμοποιήστε ένα από: email, phone, handle, external_id, device "
        "(ή whatsapp, sms, mobile για τηλέφωνο)."
    ]


def test_an_identity_of_another_customer_names_it_by_the_kinds_label_in_polish(api_as, rep_user):
    owner = CustomerFactory(first_name="Ana", last_name="Silva")
    Identity.objects.create(customer=owner, kind="email", value="ana@example.com")

    response = api_as(rep_user).post(
        "/api/customers/",
        {"first_name": "Bea", "identities": [{"kind": "email", "value": "ana@example.com"}]},
        format="json",
        HTTP_ACCEPT_LANGUAGE="pl",
    )

    assert response.status_code == 400
    assert response.json()["identities"] == [f"E-mail ana@example.com należy już do klienta #{owner.pk} (Ana Silva)."]


def test_a_case_reason_too_long_is_refused_in_portuguese(api_as, rep_user):
    case = CaseFactory()

    response = api_as(rep_user).patch(
        f"/api/cases/{case.pk}/",
        {"status": "pending", "reason": "x" * 2001},
        format="json",
        HTTP_ACCEPT_LANGUAGE="pt-BR",
    )

    assert response.status_code == 400
    assert "2000" in str(response.json()["reason"])
    assert "caracteres" in str(response.json()["reason"])


def test_an_unknown_customer_is_a_404_in_portuguese(api_as, rep_user):
    response = api_as(rep_user).get("/api/customers/999999/timeline/", HTTP_ACCEPT_LANGUAGE="pt-BR")

    assert response.status_code == 404
    assert response.json() == {"detail": "Este cliente não existe."}


def test_a_case_choice_error_lists_the_codes_in_a_translated_sentence():
    with translation.override("pl"), pytest.raises(ValidationError) as refused:
        case_create_or_get(customer=CustomerFactory(), subject="Zwrot", priority="urgentissimo")

    assert refused.value.message_dict["priority"] == [
        "„urgentissimo” nie jest priorytetem; użyj: low, normal, high, urgent."
    ]


def test_the_identity_form_shows_a_handle_without_network_in_polish(client, rep_user):
    customer = CustomerFactory(first_name="Zed")
    client.force_login(rep_user)

    response = client.post(
        reverse("customers:identity_add", args=[customer.pk]),
        {"identity-kind": "handle", "identity-value": "@zed"},
        HTTP_ACCEPT_LANGUAGE="pl",
    )

    assert response.status_code == 200
    assert "Nazwa użytkownika „@zed” wymaga podania sieci (np. instagram)." in response.content.decode()
    assert not Identity.objects.filter(customer=customer).exists()


def test_an_unknown_time_zone_and_country_are_refused_in_polish(api_as, rep_user):
    response = api_as(rep_user).post(
        "/api/customers/",
        {"first_name": "Ewa", "timezone": "Mars/Olympus", "country": "XX"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="pl",
    )

    assert response.status_code == 400
    assert response.json()["timezone"] == ["„Mars/Olympus” nie jest znaną strefą czasową (np. America/Sao_Paulo)."]
    assert response.json()["country"] == ["„XX” nie jest dwuliterowym kodem kraju ISO 3166 (np. BR)."]


def test_an_unknown_ordering_is_a_400_in_greek_listing_the_codes(api_as, rep_user):
    response = api_as(rep_user).get("/api/customers/", {"ordering": "x"}, HTTP_ACCEPT_LANGUAGE="el")

    assert response.status_code == 400
    message = response.json()["ordering"][0]
    assert message.startswith("Το «x» δεν είναι ταξινόμηση· χρησιμοποιήστε μία από: ")
    assert "-last_contact_at" in message
    english = api_as(rep_user).get("/api/customers/", {"ordering": "x"}, HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["ordering"][0].startswith("“x” is not an ordering; use one of: last_contact_at")


def test_an_edited_timeline_cursor_is_a_400_in_polish(api_as, rep_user):
    customer = CustomerFactory()

    response = api_as(rep_user).get(
        f"/api/customers/{customer.pk}/timeline/", {"cursor": "x"}, HTTP_ACCEPT_LANGUAGE="pl"
    )

    assert response.status_code == 400
    assert response.json() == {"cursor": ["Nieprawidłowy kursor stronicowania."]}
