"""The admin's labels of our models in each language: every model's name and every field's label and help text
are translated (no English left but the words the glossary keeps), and a pt-BR manager reads a customer's list
and page in the admin with Portuguese field labels only."""

import re

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import translation
from django.utils.text import capfirst

from customers.tests.factories import CustomerFactory, IdentityFactory
from cxcrm.choices import Role
from cxcrm.models import UserPreference
from cxcrm.tests.factories import UserFactory
from cxcrm.tests.test_i18n_pages import visible_text

OUR_APPS = ["cxcrm", "journeys", "customers", "feedback", "alerts", "webhooks"]
LANGUAGES = ["pt-br", "es", "pl", "el"]

# Labels a language writes as English does (docs/i18n.md): acronyms, proper names and loanwords the glossary keeps.
SAME_EVERYWHERE = {"URL", "webhook", "top box", "bottom box"}
SAME_IN = {
    "pt-br": SAME_EVERYWHERE | {"persona", "personas", "status", "email"},
    "es": SAME_EVERYWHERE | {"persona", "personas", "roles"},
    "pl": SAME_EVERYWHERE | {"persona", "status", "agent", "alert", "tag"},
    "el": SAME_EVERYWHERE | {"email"},
}


def our_models():
    return [model for app in OUR_APPS for model in apps.get_app_config(app).get_models()]


def labelled_fields(model):
    """The fields a person reads a label of: every concrete field and many-to-many, but the automatic id."""
    return [field for field in model._meta.get_fields() if field.concrete and not field.auto_created]


def english_texts(model) -> dict[str, str]:
    """{where: English text} of the model's names and its fields' labels and help texts."""
    with translation.override("en"):
        texts = {
            f"{model.__name__} (verbose_name)": str(model._meta.verbose_name),
            f"{model.__name__} (verbose_name_plural)": str(model._meta.verbose_name_plural),
        }
        for field in labelled_fields(model):
            texts[f"{model.__name__}.{field.name}"] = str(field.verbose_name)
            if field.help_text:
                texts[f"{model.__name__}.{field.name} (help_text)"] = str(field.help_text)
    return texts


def translated_texts(model, language: str) -> dict[str, str]:
    with translation.override(language):
        texts = {
            f"{model.__name__} (verbose_name)": str(model._meta.verbose_name),
            f"{model.__name__} (verbose_name_plural)": str(model._meta.verbose_name_plural),
        }
        for field in labelled_fields(model):
            texts[f"{model.__name__}.{field.name}"] = str(field.verbose_name)
            if field.help_text:
                texts[f"{model.__name__}.{field.name} (help_text)"] = str(field.help_text)
    return texts


def test_the_walk_covers_every_model_of_our_apps():
    models = our_models()
    assert len(models) >= 45
    assert sum(len(labelled_fields(model)) for model in models) >= 400


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_model_and_field_label_and_help_text_is_translated(language):
    left_in_english = {}
    for model in our_models():
        english = english_texts(model)
        translated = translated_texts(model, language)
        for where, text in english.items():
            if translated[where] == text and text not in SAME_IN[language]:
                left_in_english[where] = text
    assert left_in_english == {}


def test_labels_are_written_in_sentence_case_like_djangos_own():
    """Django capitalises the first letter where it shows a label; ours start in lower case unless they open with
    an acronym ("NPS target", "SLA breached at", "URL")."""
    capitalised = {}
    for model in our_models():
        for where, text in english_texts(model).items():
            if "(help_text)" in where:
                continue
            first_word = text.split()[0]
            if text[0].isupper() and not first_word.rstrip("'s").isupper():
                capitalised[where] = text
    assert capitalised == {}


# --------------------------------------------------------------------------- a customer in the admin, in pt-BR


@pytest.fixture
def pt_br_superuser(client, db):
    user = UserFactory(username="gerente-admin", role=Role.MANAGER, is_staff=True, is_superuser=True)
    UserPreference.objects.create(user=user, language="pt-br")
    client.force_login(user)
    session = client.session
    session["cxcrm_language"] = "pt-br"
    session.save()
    return user


def english_labels_shown(page: str, models) -> list[str]:
    """The English labels of `models`' fields found as whole words on `page` in any case (a browser shows the list's
    headers in capitals), but those Portuguese writes the same."""
    found = []
    for model in models:
        for field in labelled_fields(model):
            with translation.override("en"):
                english = capfirst(str(field.verbose_name))
            with translation.override("pt-br"):
                same = capfirst(str(field.verbose_name)) == english
            if not same and re.search(rf"(?<!\w){re.escape(english)}(?!\w)", page, flags=re.IGNORECASE):
                found.append(english)
    return found


def test_a_pt_br_manager_reads_the_customer_list_and_page_of_the_admin_with_portuguese_labels(client, pt_br_superuser):
    from customers.models import Customer, Identity, Note

    customer = CustomerFactory(first_name="Zed", last_name="Q", country="BR")
    IdentityFactory(customer=customer)

    changelist = client.get(reverse("admin:customers_customer_changelist"))
    assert changelist.status_code == 200
    listed = visible_text(changelist.content.decode())
    for label in ("Estágio do ciclo de vida", "Responsável pela conta", "Idioma", "Último contato"):
        assert label in listed
    assert "Administração do cxcrm" in listed and "cxcrm administration" not in listed
    assert english_labels_shown(listed, [Customer]) == []

    change = client.get(reverse("admin:customers_customer_change", args=[customer.pk]))
    assert change.status_code == 200
    page = visible_text(change.content.decode())
    for label in ("Nome", "Sobrenome", "Fuso horário", "País", "Consentimento de marketing", "Canal preferido"):
        assert label in page
    assert english_labels_shown(page, [Customer, Identity, Note]) == []


def test_the_english_check_finds_english_labels_on_an_english_admin_page(client, db):
    """The check above is not vacuous: the same page for an English reader shows the English labels."""
    from customers.models import Customer

    user = UserFactory(username="admin-en", role=Role.MANAGER, is_staff=True, is_superuser=True)
    client.force_login(user)
    customer = CustomerFactory(first_name="Zed", last_name="Q")
    page = visible_text(client.get(reverse("admin:customers_customer_change", args=[customer.pk])).content.decode())
    assert {"First name", "Last name", "Time zone", "Marketing consent"} <= set(english_labels_shown(page, [Customer]))


def test_the_admins_titles_of_settings_and_records_follow_the_readers_language():
    """The name the admin gives a record (its page title, breadcrumbs and list rows) is translated too."""
    from cxcrm.models import AuditEvent
    from feedback.models import FeedbackSettings, HealthSettings, MetricDigest

    with translation.override("pt-br"):
        assert str(HealthSettings()) == "Configurações de saúde"
        assert str(FeedbackSettings()) == "Configurações de feedback"
        assert AuditEvent(action="merge_undo").get_action_display() == "Mesclagem desfeita"
    with translation.override("pl"):
        digest = MetricDigest(week_start="2026-11-23", recipients=5)
        assert str(digest) == "Podsumowanie tygodnia od 2026-11-23, wysłane do 5 odbiorców"
    with translation.override("en"):
        assert str(MetricDigest(week_start="2026-11-23", recipients=1)).endswith("sent to 1 recipient")


def test_a_maps_owner_and_a_customers_owner_are_told_apart():
    """English says "owner" for both; the glossary's account owner is a customer's, a map has a plain owner."""
    from customers.models import Customer
    from journeys.models import JourneyMap

    with translation.override("pt-br"):
        assert str(Customer._meta.get_field("owner").verbose_name) == "responsável pela conta"
        assert str(JourneyMap._meta.get_field("owner").verbose_name) == "responsável pelo mapa"
    with translation.override("en"):
        assert str(JourneyMap._meta.get_field("owner").verbose_name) == "owner"


@pytest.mark.django_db
def test_the_admin_chrome_is_greek_where_djangos_own_catalogue_has_no_greek(client, superuser):
    """Django 5.2's Greek admin catalogue lacks its newer texts (skip link, theme switch, sidebar filter)."""
    client.force_login(superuser)
    page = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="el").content.decode()
    assert "Μετάβαση στο κύριο περιεχόμενο" in page and "Skip to main content" not in page
    assert "Toggle theme" not in page and "Start typing to filter" not in page
