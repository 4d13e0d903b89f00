"""A customer's time zone (an IANA name) and country (ISO 3166-1 alpha-2): one rule on the model
fields, applied by the API, the services and any ModelForm (the admin's is in test_admin)."""

import pytest
from django import forms
from django.core.exceptions import ValidationError

from customers.models import Customer
from customers.services import customer_create, customer_update

from .factories import CustomerFactory

pytestmark = pytest.mark.django_db

BAD_VALUES = [
    ("timezone", "Mars/Olympus", "is not a known time zone"),
    ("timezone", "Not a zone", "is not a known time zone"),
    # Names of the tz database that are no place: the server's own zone and a placeholder.
    ("timezone", "localtime", "is not a known time zone"),
    ("timezone", "Factory", "is not a known time zone"),
    ("country", "XX", "is not a two-letter ISO 3166 country code"),
    ("country", "bra", "is not a two-letter ISO 3166 country code"),
]


@pytest.fixture
def rep(api_as, rep_user):
    return api_as(rep_user)


@pytest.mark.parametrize(("field", "value", "message"), BAD_VALUES)
def test_the_api_refuses_an_unknown_time_zone_or_country_naming_the_field(rep, field, value, message):
    customer = CustomerFactory(timezone="Europe/Lisbon", country="PT")
    response = rep.patch(f"/api/customers/{customer.pk}/", {field: value}, format="json")
    assert response.status_code == 400
    assert message in " ".join(response.json()[field])
    customer.refresh_from_db()
    assert (customer.timezone, customer.country) == ("Europe/Lisbon", "PT")
    response = rep.post("/api/customers/", {"first_name": "Ana", field: value}, format="json")
    assert response.status_code == 400 and field in response.json()
    assert list(Customer.objects.values_list("pk", flat=True)) == [customer.pk]


def test_the_api_accepts_a_known_time_zone_and_upper_cases_the_country(rep):
    response = rep.post(
        "/api/customers/", {"first_name": "Ana", "timezone": "America/Sao_Paulo", "country": "br"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["timezone"], response.json()["country"]) == ("America/Sao_Paulo", "BR")
    assert Customer.objects.get(first_name="Ana").country == "BR"


@pytest.mark.parametrize(("field", "value", "message"), BAD_VALUES)
def test_the_services_refuse_an_unknown_time_zone_or_country(field, value, message):
    with pytest.raises(ValidationError) as error:
        customer_create(first_name="Ana", **{field: value})
    assert message in " ".join(error.value.message_dict[field])
    customer = CustomerFactory(timezone="UTC", country="")
    with pytest.raises(ValidationError):
        customer_update(customer=customer, **{field: value})


def test_the_services_store_the_country_upper_cased_and_an_empty_time_zone_as_utc():
    customer = customer_create(first_name="Ana", country=" pl ", timezone="")
    customer.refresh_from_db()
    assert (customer.country, customer.timezone) == ("PL", "UTC")


class CustomerPreferencesForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = ["language", "timezone", "country"]


@pytest.mark.parametrize(("field", "value", "message"), BAD_VALUES)
def test_any_model_form_refuses_an_unknown_time_zone_or_country(field, value, message):
    customer = CustomerFactory(timezone="UTC", country="")
    data = {"language": "en", "timezone": "UTC", "country": "", field: value}
    form = CustomerPreferencesForm(data, instance=customer)
    assert not form.is_valid()
    assert form.errors[field]  # "bra" is stopped by the length first
    customer.refresh_from_db()
    assert (customer.timezone, customer.country) == ("UTC", "")


def test_a_model_form_saves_the_country_upper_cased():
    customer = CustomerFactory()
    form = CustomerPreferencesForm({"language": "en", "timezone": "Asia/Tokyo", "country": "jp"}, instance=customer)
    assert form.is_valid(), form.errors
    form.save()
    customer.refresh_from_db()
    assert (customer.timezone, customer.country) == ("Asia/Tokyo", "JP")
