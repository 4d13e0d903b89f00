"""Customer languages: any BCP 47 tag, in any case and with "_" or "-", is stored as the best supported
language (cxcrm.choices.language_best_match), the same in the API, bulk, the import, the forms, the model
and the survey page; a tag without a supported match is refused naming the supported ones."""

import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from customers.forms import ProfileForm
from customers.models import Customer, Identity
from customers.services import customer_create, customer_update
from customers.tests.factories import CustomerFactory
from cxcrm.choices import Language, language_best_match
from feedback import delivery
from feedback.choices import InvitationStatus
from feedback.tests.factories import InvitationFactory
from feedback.tokens import invitation_token

pytestmark = pytest.mark.django_db

# (tag as sent, language stored)
MATCHES = [
    ("pt-BR", "pt-br"),
    ("PT-BR", "pt-br"),
    ("pt_BR", "pt-br"),
    ("pt-br", "pt-br"),
    ("pt", "pt-br"),
    ("pt-PT", "pt-br"),  # until European Portuguese is supported
    ("en-US", "en"),
    ("en-GB", "en"),
    ("EN", "en"),
    ("es-MX", "es"),
    ("es-419", "es"),
    ("es_AR", "es"),
    ("pl-PL", "pl"),
    ("el-GR", "el"),
    ("el", "el"),
    ("ell", None),  # an ISO 639-2 code is not a language we match
    ("zh-Hant", None),
    ("de-DE", None),
    ("english", None),
    ("pt--BR", None),
    ("", None),
]
UNSUPPORTED = ["zh-Hant", "de-DE", "fr", "english", "pt BR"]
SUPPORTED_NAMED = "en, pt-br, es, pl, el"

WHEN = (timezone.now() - timedelta(days=1)).isoformat()


@pytest.fixture
def integration(api_as, integration_user):
    return api_as(integration_user)


@pytest.fixture
def rep(api_as, rep_user):
    return api_as(rep_user)


def interaction(language: str, n: int = 1) -> dict:
    return {
        "channel": "email",
        "occurred_at": WHEN,
        "summary": "Hello",
        "identities": [{"kind": "email", "value": f"person{n}@example.com"}],
        "customer": {"first_name": "Ana", "language": language},
    }


@pytest.mark.parametrize(("tag", "language"), MATCHES)
def test_best_match_of_a_tag(tag, language):
    assert language_best_match(tag) == language


@pytest.mark.parametrize(("tag", "language"), [m for m in MATCHES if m[1]])
def test_post_interaction_stores_the_customers_best_language(integration, tag, language):
    response = integration.post("/api/interactions/", interaction(tag), format="json")
    assert response.status_code == 201, response.json()
    assert Customer.objects.get(pk=response.json()["customer"]).language == language


@pytest.mark.parametrize("tag", UNSUPPORTED)
def test_post_interaction_with_an_unsupported_language_is_a_400_listing_the_supported(integration, tag):
    response = integration.post("/api/interactions/", interaction(tag), format="json")
    assert response.status_code == 400
    message = " ".join(response.json()["customer"])
    assert "is not a supported language" in message and SUPPORTED_NAMED in message
    assert not Customer.objects.exists()


def test_bulk_stores_each_items_best_language_and_refuses_the_unsupported(integration):
    items = [interaction("pt-BR", 1), interaction("es-MX", 2), interaction("el_GR", 3), interaction("zh-Hant", 4)]
    response = integration.post("/api/interactions/bulk/", items, format="json")
    assert response.status_code == 200, response.json()
    statuses = [r["status"] for r in response.json()["results"]]
    assert statuses == ["created", "created", "created", "error"]
    assert SUPPORTED_NAMED in " ".join(response.json()["results"][3]["errors"]["customer"])
    stored = {i.value: i.customer.language for i in Identity.objects.select_related("customer")}
    assert stored == {"person1@example.com": "pt-br", "person2@example.com": "es", "person3@example.com": "el"}


@pytest.mark.parametrize(("tag", "language"), [("pt-BR", "pt-br"), ("en-US", "en"), ("pl_PL", "pl"), ("EL", "el")])
def test_customers_api_create_and_update_store_the_best_language(rep, tag, language):
    response = rep.post("/api/customers/", {"first_name": "Ana", "language": tag}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["language"] == language
    customer = Customer.objects.get(pk=response.json()["id"])
    assert customer.language == language
    customer.language = "en" if language != "en" else "pl"
    customer.save()
    response = rep.patch(f"/api/customers/{customer.pk}/", {"language": tag}, format="json")
    assert response.status_code == 200, response.json()
    customer.refresh_from_db()
    assert customer.language == language


@pytest.mark.parametrize("tag", UNSUPPORTED)
def test_customers_api_refuses_an_unsupported_language_listing_the_supported(rep, tag):
    response = rep.post("/api/customers/", {"first_name": "Ana", "language": tag}, format="json")
    assert response.status_code == 400
    assert SUPPORTED_NAMED in " ".join(response.json()["language"])
    assert not Customer.objects.exists()


def test_the_services_store_the_best_language_and_refuse_the_unsupported():
    customer = customer_create(first_name="Ana", language="pt_BR")
    assert customer.language == "pt-br"
    customer_update(customer=customer, language="es-419")
    customer.refresh_from_db()
    assert customer.language == "es"
    with pytest.raises(ValidationError) as error:
        customer_update(customer=customer, language="zh-Hant")
    assert SUPPORTED_NAMED in " ".join(error.value.message_dict["language"])


def test_the_model_accepts_only_supported_codes_and_reads_a_tag_as_its_match():
    customer = Customer(first_name="Ana", language="EL-gr")
    customer.full_clean()
    assert customer.language == "el"
    customer.language = "de"
    with pytest.raises(ValidationError) as error:
        customer.full_clean()
    assert SUPPORTED_NAMED in " ".join(error.value.message_dict["language"])


def test_the_import_stores_the_best_language_and_reports_the_unsupported_by_line(tmp_path):
    path = tmp_path / "history.csv"
    path.write_text(
        "channel,occurred_at,summary,email,first_name,language\n"
        "email,2024-01-01T10:00:00Z,Hi,ana@example.com,Ana,pt-BR\n"
        "email,2024-01-01T10:00:00Z,Hi,bo@example.com,Bo,PT_BR\n"
        "email,2024-01-01T10:00:00Z,Hi,cy@example.com,Cy,es-MX\n"
        "email,2024-01-01T10:00:00Z,Hi,di@example.com,Di,zh-Hant\n"
    )
    out = io.StringIO()
    call_command("import_interactions", str(path), stdout=out, stderr=io.StringIO())
    languages = dict(Customer.objects.values_list("first_name", "language"))
    assert languages == {"Ana": "pt-br", "Bo": "pt-br", "Cy": "es"}
    assert "line 5: customer" in out.getvalue() and SUPPORTED_NAMED in out.getvalue()


def test_the_profile_form_takes_a_tag_and_refuses_the_unsupported():
    customer = CustomerFactory()
    data = {"profile-lifecycle_stage": "lead", "profile-language": "pt-BR", "profile-timezone": "UTC"}
    form = ProfileForm(data, customer=customer)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["language"] == "pt-br"
    form = ProfileForm({**data, "profile-language": "zh-Hant"}, customer=customer)
    assert not form.is_valid() and "language" in form.errors


@pytest.mark.parametrize(("stored", "page"), [("pt-BR", "pt-br"), ("es-MX", "es"), ("xx", "en"), ("", "en")])
def test_the_survey_delivery_reads_a_stored_tag_as_its_best_language(stored, page):
    assert delivery.normalise_language(stored) == page


def test_the_survey_page_lang_parameter_takes_a_tag():
    invitation = InvitationFactory(
        status=InvitationStatus.SENT, sent_at=timezone.now(), customer=CustomerFactory(language="pl")
    )
    path = reverse("feedback:survey_answer", args=[invitation_token(invitation.pk)])
    html = Client().get(path + "?lang=el-GR").content.decode()
    assert '<html lang="el">' in html
    html = Client().get(path + "?lang=zh-Hant").content.decode()
    assert '<html lang="pl">' in html


def test_every_supported_code_is_its_own_match():
    assert [language_best_match(code) for code in Language.values] == Language.values


def test_the_data_migration_normalises_the_languages_stored_as_given():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("customers.migrations.0005_customer_language_tags")
    given = {"Ana": "pt-BR", "Bo": "PT_BR", "Cy": "es-MX", "Di": "el", "Ed": "zh-Hant", "Fa": "en-US"}
    for name, language in given.items():
        Customer.objects.filter(pk=CustomerFactory(first_name=name).pk).update(language=language)
    migration.normalise_languages(apps, None)
    stored = dict(Customer.objects.values_list("first_name", "language"))
    assert stored == {"Ana": "pt-br", "Bo": "pt-br", "Cy": "es", "Di": "el", "Ed": "en", "Fa": "en"}
