"""Every admin page of our models in each language: the list's column headers and filter titles, the change
page's fieldsets and field labels show no label of our models in English (the rows' data may be in any language)."""

import io
import re
from html import unescape

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.text import capfirst

from cxcrm.models import UserPreference
from cxcrm.tests.test_i18n_admin import OUR_APPS, SAME_IN, labelled_fields
from feedback.models import FeedbackSettings, HealthSettings

LANGUAGES = ["pt-br", "es", "pl", "el"]
# Where the admin writes a label: field labels, column headers, fieldset titles, filter titles.
LABEL_PLACES = re.compile(r"<(label|th|h2|h3)\b[^>]*>(.*?)</\1>", re.S)


def labels_on(html: str) -> set[str]:
    """The texts of the page's labels, headers and titles, without markup and the label's colon."""
    texts = set()
    for _tag, inner in LABEL_PLACES.findall(html):
        text = " ".join(unescape(re.sub(r"<[^>]+>", " ", inner)).split()).rstrip(":").strip()
        if text:
            texts.add(text)
    return texts


def english_labels(language: str) -> set[str]:
    """Every model name and field label of our apps as the admin writes it in English, but those `language` writes
    the same."""
    labels = set()
    for app in OUR_APPS:
        for model in apps.get_app_config(app).get_models():
            texts = [model._meta.verbose_name, model._meta.verbose_name_plural]
            texts += [field.verbose_name for field in labelled_fields(model)]
            for text in texts:
                with translation.override("en"):
                    english = str(text)
                if english not in SAME_IN[language]:
                    labels.add(capfirst(english))
    return labels


@pytest.mark.django_db
def test_every_admin_list_and_page_of_our_models_labels_its_fields_in_the_users_language(django_user_model):
    # The demo gives most admin models rows; loaded in the test's transaction, so it is rolled back after.
    call_command("load_demo", stdout=io.StringIO(), stderr=io.StringIO())
    FeedbackSettings.load()
    HealthSettings.load()
    user = django_user_model.objects.get(username="admin")
    client = Client()
    client.force_login(user)
    urls = []
    for model in admin.site._registry:
        opts = model._meta
        if opts.app_label not in OUR_APPS:
            continue
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        row = model._default_manager.order_by("pk").first()
        if row is not None:
            urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[row.pk]))
    assert len(urls) > 40

    left = {}
    for language in LANGUAGES:
        UserPreference.objects.update_or_create(user=user, defaults={"language": language})
        session = client.session
        session["cxcrm_language"] = language
        session.save()
        english = english_labels(language)
        for url in urls:
            answer = client.get(url, follow=True)
            assert answer.status_code == 200, url
            assert answer["Content-Language"] == language, url
            found = sorted(labels_on(answer.content.decode()) & english)
            if found:
                left[f"{language} {url}"] = found
    assert left == {}


def test_the_check_reads_the_labels_of_an_english_admin_page(client, db, django_user_model):
    """The check above is not vacuous: an English reader's customer page has many of our labels in its labels."""
    from customers.tests.factories import CustomerFactory

    user = django_user_model.objects.create_superuser("root-en", "root@example.org", "pass-word-1")
    client.force_login(user)
    customer = CustomerFactory()
    page = client.get(reverse("admin:customers_customer_change", args=[customer.pk])).content.decode()
    assert {"First name", "Last name", "Time zone", "Lifecycle stage"} <= labels_on(page) & english_labels("pt-br")
