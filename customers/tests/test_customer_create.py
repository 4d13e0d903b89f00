"""Adding a customer by hand: the "Add customer" page and POST /api/customers/ share one rule (a name or
an identity at least); a nameless customer is named once ("Customer #311", not "Customer #311 #311")."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from customers.models import Customer, Identity, LifecycleChange
from customers.services import customer_create

from .factories import CustomerFactory

pytestmark = pytest.mark.django_db

RULE = "Give the customer a name or at least one identity (email, phone, handle…)."


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.fixture
def rep(client, rep_user):
    client.force_login(rep_user)
    return client


@pytest.mark.parametrize(
    "fields",
    [{}, {"first_name": "  ", "last_name": ""}, {"identities": []}, {"country": "BR", "lifecycle_stage": "active"}],
)
def test_service_refuses_a_customer_with_neither_name_nor_identity(fields):
    with pytest.raises(ValidationError) as error:
        customer_create(**fields)
    assert error.value.messages == [RULE]
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    "fields", [{"first_name": "Ana"}, {"last_name": "Silva"}, {"identities": [("email", "ana@example.com")]}]
)
def test_service_accepts_a_name_or_an_identity(fields):
    assert customer_create(**fields).pk


def test_api_post_empty_customer_is_a_400_and_creates_nothing(api_as, rep_user):
    response = api_as(rep_user).post("/api/customers/", {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [RULE]}
    assert not Customer.objects.exists()


def test_api_post_customer_with_only_an_identity_is_created(api_as, rep_user):
    response = api_as(rep_user).post(
        "/api/customers/", {"identities": [{"kind": "email", "value": "bo@example.com"}]}, format="json"
    )
    assert response.status_code == 201, response.json()


def test_customer_list_has_an_add_customer_button_for_reps(rep, client, marketer_user):
    assert reverse("customers:customer_create") in rep.get(reverse("customers:customer_list")).content.decode()
    client.force_login(marketer_user)
    assert reverse("customers:customer_create") not in client.get(reverse("customers:customer_list")).content.decode()


def test_add_customer_page_creates_the_customer_with_identities_and_opens_it(rep, rep_user):
    response = rep.post(
        reverse("customers:customer_create"),
        {
            "customer-first_name": "Ana",
            "customer-last_name": "Silva",
            "customer-email": " Ana@Example.com",
            "customer-phone": "(11) 91234-5678",
            "customer-country": "br",
            "customer-lifecycle_stage": "prospect",
            "customer-owner": rep_user.pk,
        },
        follow=True,
    )
    customer = Customer.objects.get()
    assert response.redirect_chain[-1][0] == reverse("customers:customer_detail", args=[customer.pk])
    assert (customer.full_name, customer.country, customer.lifecycle_stage, customer.owner) == (
        "Ana Silva",
        "BR",
        "prospect",
        rep_user,
    )
    assert sorted(Identity.objects.values_list("kind", "value")) == [
        ("email", "ana@example.com"),
        ("phone", "+5511912345678"),
    ]
    assert LifecycleChange.objects.get(customer=customer).to_stage == "prospect"
    assert "Customer added: Ana Silva." in text_of(response)


def test_add_customer_page_with_nothing_shows_the_rule_and_keeps_the_input(rep):
    response = rep.post(
        reverse("customers:customer_create"), {"customer-country": "PT", "customer-lifecycle_stage": "lead"}
    )
    assert response.status_code == 200
    assert RULE in text_of(response)
    assert 'value="PT"' in response.content.decode()
    assert not Customer.objects.exists()


def test_add_customer_page_names_the_owner_of_a_known_identity(rep):
    other = customer_create(first_name="Bea", identities=[("email", "bea@example.com")])
    response = rep.post(
        reverse("customers:customer_create"),
        {"customer-email": "bea@example.com", "customer-lifecycle_stage": "lead"},
    )
    assert response.status_code == 200
    assert f"customer #{other.pk} (Bea)" in text_of(response)
    assert Customer.objects.count() == 1


def test_marketer_cannot_add_customers(client, marketer_user):
    client.force_login(marketer_user)
    assert client.get(reverse("customers:customer_create")).status_code == 403


def test_a_nameless_customer_is_titled_once(rep):
    customer = CustomerFactory(first_name="", last_name="")
    page = rep.get(reverse("customers:customer_detail", args=[customer.pk]))
    text = text_of(page)
    assert f"Customer #{customer.pk}" in text
    assert f"Customer #{customer.pk} #{customer.pk}" not in text
    assert re.search(rf"Customer #{customer.pk}\s*</span>\s*</h1>", page.content.decode())


def test_a_named_customer_shows_name_and_id(rep):
    customer = CustomerFactory(first_name="Ana", last_name="Silva")
    text = text_of(rep.get(reverse("customers:customer_detail", args=[customer.pk])))
    assert f"Ana Silva #{customer.pk}" in text
    assert customer.display_name == "Ana Silva" and str(CustomerFactory(first_name="", last_name="")).startswith(
        "Customer #"
    )


# --------------------------------------------------------------------------- the same rule on update


def test_api_patch_emptying_the_name_of_a_customer_without_identities_is_the_same_400(api_as, rep_user):
    api = api_as(rep_user)
    created = api.post("/api/customers/", {"first_name": "a"}, format="json")
    assert created.status_code == 201
    pk = created.json()["id"]
    emptied = api.patch(f"/api/customers/{pk}/", {"first_name": ""}, format="json")
    assert emptied.status_code == 400
    assert RULE in str(emptied.json())
    assert Customer.objects.get(pk=pk).first_name == "a"


def test_service_lets_a_customer_with_an_identity_lose_its_name_and_others_keep_their_fields():
    from customers.services import customer_update

    named = customer_create(first_name="Ana", identities=[{"kind": "email", "value": "ana@example.com"}])
    customer_update(customer=named, first_name="", last_name="")
    assert Customer.objects.get(pk=named.pk).first_name == ""
    nameless = CustomerFactory(first_name="", last_name="")  # an old row without name or identity
    customer_update(customer=nameless, first_name="", country="BR")  # names unchanged: the rule is not asked
    assert Customer.objects.get(pk=nameless.pk).country == "BR"
    only_name = customer_create(last_name="Silva")
    with pytest.raises(ValidationError) as error:
        customer_update(customer=only_name, last_name="  ")
    assert error.value.messages == [RULE]


def test_the_profile_form_emptying_the_only_name_shows_the_rule_and_keeps_it(rep):
    customer = customer_create(first_name="Ana")
    data = {
        "profile-first_name": "",
        "profile-last_name": "",
        "profile-lifecycle_stage": customer.lifecycle_stage,
        "profile-language": customer.language,
        "profile-tags": "",
    }
    answer = rep.post(reverse("customers:profile_update", args=[customer.pk]), data)
    assert answer.status_code in (200, 400) and RULE in text_of(answer)
    assert Customer.objects.get(pk=customer.pk).first_name == "Ana"


def test_the_last_identity_of_a_nameless_customer_is_not_removed(rep):
    customer = customer_create(identities=[("email", "bo@example.com")])
    identity = customer.identities.get()
    answer = rep.post(reverse("customers:identity_remove", args=[identity.pk]), follow=True)
    assert answer.status_code == 200 and RULE in text_of(answer)
    assert Identity.objects.filter(pk=identity.pk).exists()
    named = customer_create(first_name="Bo", identities=[("email", "bo2@example.com")])
    rep.post(reverse("customers:identity_remove", args=[named.identities.get().pk]))
    assert not named.identities.exists()
