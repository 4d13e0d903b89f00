"""Phones in the customer's country: a national-format number is read in the region of the customer it
belongs to (the payload's customer.country, else the existing customer's country, else
PHONE_DEFAULT_REGION), at every door; Brazilian mobiles without the ninth digit get it; search reads a
national number in the organisation's region and, when unambiguous, in any other."""

import io
import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from customers.identities import normalise_identity
from customers.models import Customer, Identity
from customers.selectors import customer_search
from customers.services import customer_create, identity_add
from customers.tests.factories import CustomerFactory, IdentityFactory

pytestmark = pytest.mark.django_db

WHEN = (timezone.now() - timedelta(hours=1)).isoformat()

# (country, national format, E.164)
NATIONAL = [
    ("GR", "694 123 4567", "+306941234567"),
    ("GR", "21 0123 4567", "+302101234567"),
    ("US", "(212) 555-0147", "+12125550147"),
    ("PL", "512 345 678", "+48512345678"),
    ("ES", "612 345 678", "+34612345678"),
    ("DE", "030 123456", "+4930123456"),
    ("DE", "0151 23456789", "+4915123456789"),
    ("GB", "07400 123456", "+447400123456"),
    ("GB", "020 7946 0018", "+442079460018"),
    ("BR", "(11) 91234-5678", "+5511912345678"),
    ("", "(11) 91234-5678", "+5511912345678"),  # no country: the organisation's region (BR)
]

# Brazilian mobiles without the ninth digit, as WhatsApp and old address books send them.
NINTH_DIGIT = [
    ("554187991234", "+5541987991234"),
    ("+55 41 8799-1234", "+5541987991234"),
    ("(41) 8799-1234", "+5541987991234"),
    ("(21) 8765-4321", "+5521987654321"),
    ("85 9654-3210", "+5585996543210"),
    ("61 8123 4567", "+5561981234567"),
    ("+5521998765432", "+5521998765432"),  # already nine digits: kept
    ("+55 41 3333-1234", "+554133331234"),  # a landline (2 to 5): kept as given
]


@pytest.fixture
def integration(api_as, integration_user):
    return api_as(integration_user)


def payload(phone, **customer):
    data = {
        "channel": "whatsapp",
        "occurred_at": WHEN,
        "summary": "Hi",
        "identities": [{"kind": "phone", "value": phone}],
    }
    if customer:
        data["customer"] = customer
    return data


@pytest.mark.parametrize(("country", "national", "e164"), NATIONAL)
def test_a_national_phone_is_read_in_the_customers_country(country, national, e164):
    assert normalise_identity("phone", national, region=country or None).value == e164


@pytest.mark.parametrize(("given", "e164"), NINTH_DIGIT)
def test_a_brazilian_mobile_without_the_ninth_digit_gets_it(given, e164):
    assert normalise_identity("phone", given).value == e164


def test_whatsapp_digits_of_a_brazilian_number_are_read_whatever_the_customers_country():
    assert normalise_identity("whatsapp", "554187991234", region="GR").value == "+5541987991234"
    assert normalise_identity("phone", "5541987991234", region="PL").value == "+5541987991234"


@pytest.mark.parametrize(
    ("given", "region"),
    [("5215512345678", "GR"), ("+52 1 55 1234 5678", None), ("+52 1 33 1234 5678", "BR")],
)
def test_a_mexican_mobile_with_the_dropped_1_is_stored_in_its_current_form(given, region):
    expected = "+523312345678" if " 33 " in given else "+525512345678"
    assert normalise_identity("whatsapp", given, region=region).value == expected


def test_an_invalid_international_number_is_not_said_to_be_read_in_a_region():
    with pytest.raises(ValidationError) as error:
        normalise_identity("phone", "+52 1 99", region="BR")
    assert "region" not in error.value.messages[0] and "+52 1 99" in error.value.messages[0]


@pytest.mark.parametrize(("given", "country"), [("512 345", "PL"), ("12", "GR"), ("0000 000 000", "GB")])
def test_a_number_invalid_in_the_customers_country_is_refused_naming_it(given, country):
    with pytest.raises(ValidationError) as error:
        normalise_identity("phone", given, region=country)
    assert given in error.value.messages[0]


@pytest.mark.parametrize(("country", "national", "e164"), NATIONAL)
def test_post_interaction_reads_the_phone_in_the_payloads_customer_country(integration, country, national, e164):
    response = integration.post("/api/interactions/", payload(national, country=country), format="json")
    assert response.status_code == 201, response.json()
    assert Identity.objects.get().value == e164
    assert Customer.objects.get().country == country


def test_post_interaction_reads_the_phone_in_the_existing_customers_country(integration):
    greek = CustomerFactory(country="GR")
    response = integration.post(
        "/api/interactions/", {**payload("694 123 4567"), "customer_id": greek.pk}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert greek.identities.get().value == "+306941234567"


def test_post_interaction_takes_a_brazilian_mobile_without_the_ninth_digit(integration):
    owner = IdentityFactory(kind="phone", value="+5541987991234").customer
    response = integration.post("/api/interactions/", payload("554187991234"), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["customer"] == owner.pk
    assert Identity.objects.count() == 1


def test_bulk_and_import_read_each_phone_in_its_customers_country(integration, tmp_path):
    items = [payload("694 123 4567", country="GR"), payload("(212) 555-0147", country="US")]
    results = integration.post("/api/interactions/bulk/", items, format="json").json()["results"]
    assert [r["status"] for r in results] == ["created", "created"]
    path = tmp_path / "history.csv"
    path.write_text(
        "channel,occurred_at,summary,phone,first_name,country\n"
        "chat,2024-01-01T10:00:00Z,Hi,512 345 678,Łukasz,PL\n"
        "chat,2024-01-01T10:00:00Z,Hi,612 345 678,Lucía,ES\n"
    )
    call_command("import_interactions", str(path), "--no-progress", stdout=io.StringIO())
    values = set(Identity.objects.values_list("value", flat=True))
    assert values == {"+306941234567", "+12125550147", "+48512345678", "+34612345678"}


def test_the_customers_api_reads_phones_in_the_given_country(api_as, rep_user):
    response = api_as(rep_user).post(
        "/api/customers/",
        {"first_name": "Julia", "country": "PL", "identities": [{"kind": "phone", "value": "512 345 678"}]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["identities"][0]["value"] == "+48512345678"


def test_the_services_read_phones_in_the_customers_country():
    customer = customer_create(first_name="Giorgos", country="GR", identities=[("phone", "694 123 4567")])
    assert customer.identities.get().value == "+306941234567"
    identity = identity_add(customer=customer, kind="phone", value="21 0123 4567")
    assert identity.value == "+302101234567"


def test_the_pages_add_identity_form_reads_the_phone_in_the_customers_country(client, rep_user):
    julia = CustomerFactory(country="PL")
    client.force_login(rep_user)
    response = client.post(
        reverse("customers:identity_add", args=[julia.pk]),
        {"identity-kind": "phone", "identity-value": "512 345 678"},
    )
    assert response.status_code == 302
    assert julia.identities.get().value == "+48512345678"


def test_the_admin_reads_the_phone_in_the_customers_country(client, superuser):
    giorgos = CustomerFactory(country="GR")
    client.force_login(superuser)
    response = client.post(
        reverse("admin:customers_identity_add"),
        {"customer": giorgos.pk, "kind": "phone", "network": "", "value": "694 123 4567"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert giorgos.identities.get().value == "+306941234567"


# --------------------------------------------------------------------------- search


def test_search_finds_a_national_number_of_another_region_when_unambiguous():
    greek = IdentityFactory(kind="phone", value="+306925108966").customer
    assert list(customer_search("692 510 8966")) == [greek]
    assert list(customer_search("694 123 4567")) == []


def test_search_prefers_the_organisations_region_and_refuses_to_guess_between_others():
    brazilian = IdentityFactory(kind="phone", value="+556925108966").customer
    IdentityFactory(kind="phone", value="+306925108966")
    assert list(customer_search("(69) 2510-8966")) == [brazilian]
    assert list(customer_search("692 510 8966")) == [brazilian]
    Identity.objects.filter(value="+556925108966").delete()
    IdentityFactory(kind="phone", value="+496925108966")
    assert list(customer_search("692 510 8966")) == []  # Greek or German: ambiguous
    assert list(customer_search("+30 692 510 8966")) != []


def test_search_reads_a_brazilian_number_without_the_ninth_digit():
    owner = IdentityFactory(kind="phone", value="+5541987991234").customer
    assert list(customer_search("(41) 8799-1234")) == [owner]


def test_the_customers_api_search_finds_the_greek_customer(api_as, rep_user):
    greek = IdentityFactory(kind="phone", value="+306925108966").customer
    results = api_as(rep_user).get("/api/customers/", {"q": "692 510 8966"}).json()["results"]
    assert [r["id"] for r in results] == [greek.pk]


def test_identities_json_in_import_rows_use_the_country_too(tmp_path):
    path = tmp_path / "history.jsonl"
    row = payload("07400 123456", country="GB")
    path.write_text(json.dumps(row))
    call_command("import_interactions", str(path), "--no-progress", stdout=io.StringIO())
    assert Identity.objects.get().value == "+447400123456"
